package restapi

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ec-telemetry/ec-telemetry/internal/redact"
)

// ExcerptBytes bounds the body excerpt kept in APIError and DecodeError.
const ExcerptBytes = 512

// DrainBytes bounds how much of an unwanted body is read so the connection
// can be reused; larger bodies are abandoned and the connection closed.
const DrainBytes = 64 << 10

// Service describes the client package an error belongs to. It is
// implemented by an empty struct type of that package and used as the type
// argument of APIError, DecodeError and Endpoint, so each client keeps its
// own error types, its own error text prefix and its own sentinels.
type Service interface {
	// Name starts every error text, e.g. "edgeconnect".
	Name() string
	// ErrUnauthorized is matched by an APIError with status 401 or 403.
	ErrUnauthorized() error
	// ErrNotFound is matched by an APIError with status 404.
	ErrNotFound() error
	// ErrTooLarge is wrapped when a body exceeds its bound.
	ErrTooLarge() error
}

// APIError is a non-2xx answer of the server.
type APIError[S Service] struct {
	Host       string        // server host[:port]
	Method     string        // "GET" or "POST"
	Path       string        // endpoint below the API's base path, without the query
	StatusCode int           // HTTP status
	Body       string        // first bytes of the body, secrets redacted
	RetryAfter time.Duration // parsed Retry-After header, 0 when absent
}

// Error implements error.
func (e *APIError[S]) Error() string {
	var s S
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %s %s: status %d", s.Name(), e.Host, strings.ToLower(e.Method), e.Path, e.StatusCode)
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteString(" " + strings.ToLower(t))
	}
	if e.Body != "" {
		fmt.Fprintf(&b, ": %q", e.Body)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrUnauthorized) hold for 401 and 403 and
// errors.Is(err, ErrNotFound) for 404, with the sentinels of S.
func (e *APIError[S]) Is(target error) bool {
	var s S
	switch target {
	case s.ErrUnauthorized():
		return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
	case s.ErrNotFound():
		return e.StatusCode == http.StatusNotFound
	}
	return false
}

// Retryable reports whether repeating the request later may succeed: 429 and
// 5xx are retryable, every other status is permanent.
func (e *APIError[S]) Retryable() bool {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

// DecodeError reports a 2xx answer whose body is not what the endpoint
// documents: wrong content type (e.g. an HTML page of a proxy), invalid
// JSON, a JSON value of the wrong shape or missing required keys.
type DecodeError[S Service] struct {
	Host        string // server host[:port]
	Method      string
	Path        string // endpoint below the API's base path, without the query
	ContentType string
	Excerpt     string // a few bytes near the problem, secrets redacted
	Err         error
}

// Error implements error.
func (e *DecodeError[S]) Error() string {
	var s S
	msg := fmt.Sprintf("%s %s: %s %s: cannot decode response: %v", s.Name(), e.Host, strings.ToLower(e.Method), e.Path, e.Err)
	if e.Excerpt != "" {
		msg += fmt.Sprintf(" (near %q)", e.Excerpt)
	}
	return msg
}

// Unwrap returns the underlying decode error.
func (e *DecodeError[S]) Unwrap() error { return e.Err }

// Endpoint builds the errors of one client: it knows the server's host for
// the error texts and the secrets to redact from body excerpts. It holds no
// mutable state of its own; Secrets must be safe for concurrent use.
type Endpoint[S Service] struct {
	Host string
	// Secrets lists what must never reach an error text (passwords, API
	// keys, cookie values, CSRF tokens). Empty strings are ignored.
	Secrets func() []string
}

// Fail prefixes err with the service, the host and the endpoint.
func (e Endpoint[S]) Fail(method, path string, err error) error {
	var s S
	return fmt.Errorf("%s %s: %s %s: %w", s.Name(), e.Host, strings.ToLower(method), path, err)
}

// CheckResponse returns nil for a 2xx answer. Otherwise it reads a bounded
// excerpt, closes the body and returns an *APIError[S].
func (e Endpoint[S]) CheckResponse(method, path string, resp *http.Response) error {
	return e.check(method, path, resp, true)
}

// CheckStatus is CheckResponse for the answer to a login request: the
// error carries the status only, never an excerpt of the body, because a
// server may echo the credentials it refused (escaped in ways no
// redaction can be sure to catch).
func (e Endpoint[S]) CheckStatus(method, path string, resp *http.Response) error {
	return e.check(method, path, resp, false)
}

func (e Endpoint[S]) check(method, path string, resp *http.Response, excerpt bool) error {
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return nil
	}
	var body string
	if excerpt {
		body = e.Excerpt(e.ReadHead(resp.Body), 0, ExcerptBytes)
	}
	DrainClose(resp.Body)
	return &APIError[S]{
		Host:       e.Host,
		Method:     method,
		Path:       path,
		StatusCode: resp.StatusCode,
		Body:       body,
		RetryAfter: RetryAfter(resp.Header.Get("Retry-After"), time.Now()),
	}
}

// ReadHead reads the first ExcerptBytes of a body plus enough to recognise
// a secret that crosses the excerpt's end.
func (e Endpoint[S]) ReadHead(r io.Reader) []byte {
	b := make([]byte, ExcerptBytes+e.LongestSecret())
	n, _ := io.ReadFull(r, b)
	return b[:n]
}

// DecodeError builds a *DecodeError[S]; off is the byte offset of the
// problem in body, or -1 when unknown.
func (e Endpoint[S]) DecodeError(method, path, contentType string, body []byte, off int64, err error) error {
	const half = 60
	start := int64(0)
	if off > half {
		start = off - half
	}
	start = min(start, int64(len(body)))
	end := min(start+2*half, int64(len(body)))
	return &DecodeError[S]{
		Host:        e.Host,
		Method:      method,
		Path:        path,
		ContentType: contentType,
		Excerpt:     e.Excerpt(body, int(start), int(end)),
		Err:         err,
	}
}

// LongestSecret is the length of the longest form of a secret (see
// redact.Forms): how far past an excerpt's end a body must be read to
// recognise a secret crossing it.
func (e Endpoint[S]) LongestSecret() int { return e.replacer().Longest() }

func (e Endpoint[S]) replacer() *redact.Replacer {
	if e.Secrets == nil {
		return redact.NewReplacer(nil, 1)
	}
	return redact.NewReplacer(e.Secrets(), 1)
}

// Excerpt returns b[start:end] as printable text in which every byte that
// belongs to a secret is replaced, a run of such bytes by "[redacted]",
// also when the occurrence is cut by the window's edges. Secrets are every
// form (raw, JSON-escaped at any depth, URL-encoded, HTML-escaped, base64;
// see redact.Forms) of the values of Secrets, and the value of every
// secret-bearing JSON key ("password", "apiKey", "community", ...; see
// redact.IsSecretKey) found in b before end. b should extend past end by
// LongestSecret so occurrences crossing end are recognised.
func (e Endpoint[S]) Excerpt(b []byte, start, end int) string {
	end = min(end, len(b))
	if start >= end {
		return ""
	}
	rep := e.replacer()
	n := rep.Longest()
	lo, hi := max(0, start-n), min(len(b), end+n)
	hidden := make([]bool, hi-lo)
	rep.Mark(b[lo:hi], hidden)
	redact.MarkJSONKeys(b[:hi], lo, hidden)
	return CleanExcerpt(redact.Apply(b[start:end], hidden[start-lo:end-lo], "[redacted]"))
}

// CleanExcerpt makes a body excerpt printable: valid UTF-8, no surrounding
// space, no cut rune at the end.
func CleanExcerpt(b []byte) string {
	for i := 0; i < utf8.UTFMax-1 && len(b) > 0 && !utf8.Valid(b); i++ {
		r, size := utf8.DecodeLastRune(b)
		if r != utf8.RuneError || size != 1 {
			break
		}
		b = b[:len(b)-1]
	}
	return strings.TrimSpace(strings.ToValidUTF8(string(b), "\uFFFD"))
}

// RetryAfter parses a Retry-After header (seconds or HTTP date).
func RetryAfter(v string, now time.Time) time.Duration {
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

// DrainClose reads a little of an unwanted body so the connection can be
// reused, then closes it.
func DrainClose(body io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, body, DrainBytes)
	_ = body.Close()
}
