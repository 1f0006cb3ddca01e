package edgeconnect

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Sentinel errors. Test for them with errors.Is.
var (
	// ErrUnauthorized: the appliance refused the credentials (401 on login),
	// the session (401 again after the one re-login) or the role (403, e.g.
	// GET /cpustat for a user without admin rights).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrNotFound: the appliance answered 404, e.g. for a minute archive it no
	// longer (or not yet) holds.
	ErrNotFound = errors.New("not found")
	// ErrNoSession: POST /login answered 200 without a vxoaSessionID or
	// edgeosCsrfToken cookie. Errors wrapping it also match ErrUnauthorized.
	ErrNoSession = errors.New("login answer carries no session cookie")
	// ErrTooLarge: a response body exceeded MaxResponseBytes, or an archive
	// exceeded MaxArchiveBytes. The client never truncates silently.
	ErrTooLarge = errors.New("response body too large")
)

// excerptBytes bounds the body excerpt kept in APIError and DecodeError.
const excerptBytes = 512

// drainBytes bounds how much of an unwanted body is read so the connection
// can be reused; larger bodies are abandoned and the connection closed.
const drainBytes = 64 << 10

// APIError is a non-2xx answer of the appliance. Every non-2xx answer of
// every method ends up as an *APIError (possibly wrapped).
type APIError struct {
	Host       string        // appliance host:port
	Method     string        // "GET" or "POST"
	Path       string        // endpoint below /rest/json, without the query
	StatusCode int           // HTTP status
	Body       string        // first bytes of the body, secrets redacted
	RetryAfter time.Duration // parsed Retry-After header, 0 when absent
}

// Error implements error.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "edgeconnect %s: %s %s: status %d", e.Host, strings.ToLower(e.Method), e.Path, e.StatusCode)
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteString(" " + strings.ToLower(t))
	}
	if e.Body != "" {
		fmt.Fprintf(&b, ": %q", e.Body)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrUnauthorized) hold for 401 and 403 and
// errors.Is(err, ErrNotFound) for 404.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	}
	return false
}

// Retryable reports whether repeating the request later may succeed: 429 and
// 5xx are retryable, every other status is permanent.
func (e *APIError) Retryable() bool {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

// DecodeError reports a 2xx answer whose body is not what the endpoint
// documents: wrong content type (e.g. an HTML page of a proxy), invalid JSON,
// a JSON value of the wrong shape, missing required keys, or an archive
// that is not gzip.
type DecodeError struct {
	Host        string // appliance host:port
	Method      string
	Path        string // endpoint below /rest/json, without the query
	ContentType string
	Excerpt     string // a few bytes near the problem, secrets redacted
	Err         error
}

// Error implements error.
func (e *DecodeError) Error() string {
	s := fmt.Sprintf("edgeconnect %s: %s %s: cannot decode response: %v", e.Host, strings.ToLower(e.Method), e.Path, e.Err)
	if e.Excerpt != "" {
		s += fmt.Sprintf(" (near %q)", e.Excerpt)
	}
	return s
}

// Unwrap returns the underlying decode error.
func (e *DecodeError) Unwrap() error { return e.Err }

// checkResponse returns nil for a 2xx answer. Otherwise it reads a bounded
// excerpt, closes the body and returns an *APIError.
func (c *Client) checkResponse(cl call, resp *http.Response) error {
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return nil
	}
	head := c.readHead(resp.Body)
	drainClose(resp.Body)
	return &APIError{
		Host:       c.host,
		Method:     cl.method,
		Path:       cl.path,
		StatusCode: resp.StatusCode,
		Body:       c.excerpt(head, 0, excerptBytes),
		RetryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now()),
	}
}

// readHead reads the first excerptBytes of a body plus enough to recognise
// a secret that crosses the excerpt's end.
func (c *Client) readHead(r io.Reader) []byte {
	b := make([]byte, excerptBytes+c.longestSecret())
	n, _ := io.ReadFull(r, b)
	return b[:n]
}

// decodeError builds a *DecodeError; off is the byte offset of the problem
// in body, or -1 when unknown.
func (c *Client) decodeError(cl call, contentType string, body []byte, off int64, err error) error {
	const half = 60
	start := int64(0)
	if off > half {
		start = off - half
	}
	start = min(start, int64(len(body)))
	end := min(start+2*half, int64(len(body)))
	return &DecodeError{
		Host:        c.host,
		Method:      cl.method,
		Path:        cl.path,
		ContentType: contentType,
		Excerpt:     c.excerpt(body, int(start), int(end)),
		Err:         err,
	}
}

// excerpt returns b[start:end] as printable text in which every byte that
// belongs to an occurrence of a secret (the password, a session cookie, the
// CSRF token) is replaced: a run of such bytes becomes "[redacted]", also
// when the occurrence is cut by the window's edges. b should extend past end
// by the longest secret so occurrences crossing end are recognised.
func (c *Client) excerpt(b []byte, start, end int) string {
	end = min(end, len(b))
	if start >= end {
		return ""
	}
	secrets := c.secrets()
	longest := 0
	for _, s := range secrets {
		longest = max(longest, len(s))
	}
	lo, hi := max(0, start-longest), min(len(b), end+longest)
	hidden := make([]bool, hi-lo)
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for i := 0; ; {
			j := bytes.Index(b[lo+i:hi], []byte(s))
			if j < 0 {
				break
			}
			for k := i + j; k < i+j+len(s); k++ {
				hidden[k] = true
			}
			i += j + 1
		}
	}
	out := make([]byte, 0, end-start)
	inRun := false
	for k := start; k < end; k++ {
		if hidden[k-lo] {
			if !inRun {
				out = append(out, "[redacted]"...)
				inRun = true
			}
			continue
		}
		inRun = false
		out = append(out, b[k])
	}
	return cleanExcerpt(out)
}

// cleanExcerpt makes a body excerpt printable: valid UTF-8, no surrounding
// space, no cut rune at the end.
func cleanExcerpt(b []byte) string {
	for i := 0; i < utf8.UTFMax-1 && len(b) > 0 && !utf8.Valid(b); i++ {
		r, size := utf8.DecodeLastRune(b)
		if r != utf8.RuneError || size != 1 {
			break
		}
		b = b[:len(b)-1]
	}
	return strings.TrimSpace(strings.ToValidUTF8(string(b), "\uFFFD"))
}

// retryAfter parses a Retry-After header (seconds or HTTP date).
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// drainClose reads a little of an unwanted body so the connection can be
// reused, then closes it.
func drainClose(body io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, body, drainBytes)
	_ = body.Close()
}

// longestSecret is the length of the longest secret.
func (c *Client) longestSecret() int {
	n := 0
	for _, s := range c.secrets() {
		n = max(n, len(s))
	}
	return n
}
