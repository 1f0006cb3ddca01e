package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// call describes one request.
type call struct {
	method string
	path   string // below /gms/rest, e.g. "/memory"; never carries the query
	query  string // encoded query without source, e.g. "time=0"
	body   []byte // JSON body of a POST
	accept string
	login  bool // POST /authentication/login: no auth headers, no re-login
}

func (cl call) url(base string) string {
	q := cl.query
	if q != "" {
		q += "&"
	}
	return base + cl.path + "?" + q + source
}

// fail prefixes err with the Orchestrator and endpoint.
func (c *Client) fail(cl call, err error) error {
	return fmt.Errorf("orchestrator %s: %s %s: %w", c.host, strings.ToLower(cl.method), cl.path, err)
}

// transportError turns an error of the HTTP exchange into the client's
// error: the caller's ctx error when ctx is done, a timeout error wrapping
// context.DeadlineExceeded when the client's own deadline fired, otherwise
// the cause without the URL.
// op names the step that failed ("read body") or is empty for the exchange.
func (c *Client) transportError(ctx context.Context, cl call, timeout time.Duration, op string, err error) error {
	switch {
	case ctx.Err() != nil:
		err = ctx.Err()
	case errors.Is(err, context.DeadlineExceeded):
		err = fmt.Errorf("no complete answer within %s: %w", timeout, context.DeadlineExceeded)
	default:
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
	}
	if op != "" {
		err = fmt.Errorf("%s: %w", op, err)
	}
	return c.fail(cl, err)
}

// flight is an answered request whose body is still open. The caller reads
// resp.Body and then calls done.
type flight struct {
	resp *http.Response
	ctx  context.Context // the request's own deadline context
	done context.CancelFunc
}

// expired reports whether the request's own deadline has fired. A body that
// ends after that may have been cut short, even when it reads as EOF.
func (f *flight) expired() bool { return f.ctx.Err() != nil }

// send performs one HTTP exchange under its own deadline.
func (c *Client) send(ctx context.Context, cl call, timeout time.Duration) (*flight, error) {
	if err := ctx.Err(); err != nil {
		return nil, c.fail(cl, err)
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	req := c.rc.R().
		SetContext(rctx).
		SetDoNotParseResponse(true).
		SetHeader("Accept", cl.accept)
	if cl.body != nil {
		req.SetHeader("Content-Type", "application/json").SetBody(cl.body)
	}
	if !cl.login {
		c.setAuthHeaders(req.Header)
	}
	resp, err := req.Execute(cl.method, cl.url(c.base))
	if err != nil {
		if resp != nil && resp.RawResponse != nil {
			_ = resp.RawResponse.Body.Close()
		}
		cancel()
		return nil, c.transportError(ctx, cl, timeout, "", err)
	}
	return &flight{resp: resp.RawResponse, ctx: rctx, done: cancel}, nil
}

// exchange sends cl with the client's credentials. With user/password it
// logs in first when there is no session, and on a 401 logs in again and
// repeats the request exactly once; with an API key a 401 is final. It
// returns a 2xx answer; every other status becomes an *APIError.
func (c *Client) exchange(ctx context.Context, cl call, timeout time.Duration) (*flight, error) {
	if !cl.login {
		if err := c.ensureSession(ctx); err != nil {
			return nil, err
		}
	}
	gen := c.generation()
	fl, err := c.send(ctx, cl, timeout)
	if err != nil {
		return nil, err
	}
	if fl.resp.StatusCode == http.StatusUnauthorized && !cl.login && c.apiKey == "" {
		drainClose(fl.resp.Body)
		fl.done()
		if err := c.relogin(ctx, gen); err != nil {
			return nil, err
		}
		if fl, err = c.send(ctx, cl, timeout); err != nil {
			return nil, err
		}
	}
	if err := c.checkResponse(cl, fl.resp); err != nil {
		fl.done()
		return nil, err
	}
	return fl, nil
}

// readBody reads a whole body of at most max bytes.
func (c *Client) readBody(ctx context.Context, cl call, fl *flight, max int64) ([]byte, error) {
	if fl.resp.ContentLength > max {
		return nil, c.fail(cl, fmt.Errorf("%w: content length %d exceeds %d bytes", ErrTooLarge, fl.resp.ContentLength, max))
	}
	b, err := io.ReadAll(io.LimitReader(fl.resp.Body, max+1))
	if err == nil && fl.expired() {
		err = fl.ctx.Err()
	}
	if err != nil {
		return nil, c.transportError(ctx, cl, c.timeout, "read body", err)
	}
	if int64(len(b)) > max {
		return nil, c.fail(cl, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max))
	}
	return b, nil
}

// isJSON reports whether a Content-Type may carry JSON: the JSON types,
// text/plain (what Go's content sniffing and some firmware send for JSON)
// and an absent header; the body must still parse. HTML (a proxy's or a
// login page), XML and everything else are refused.
func isJSON(contentType string) bool {
	if strings.TrimSpace(contentType) == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || mt == "text/json" || mt == "text/plain" || strings.HasSuffix(mt, "+json")
}

// getJSON sends cl and decodes its JSON answer with parse.
func getJSON[T any](ctx context.Context, c *Client, cl call, parse func([]byte) (T, error)) (T, error) {
	var zero T
	if cl.accept == "" {
		cl.accept = "application/json"
	}
	fl, err := c.exchange(ctx, cl, c.timeout)
	if err != nil {
		return zero, err
	}
	defer fl.done()
	defer fl.resp.Body.Close()
	ct := fl.resp.Header.Get("Content-Type")
	if !isJSON(ct) {
		return zero, c.decodeError(cl, ct, c.readHead(fl.resp.Body), -1, fmt.Errorf("content type %q is not json", ct))
	}
	b, err := c.readBody(ctx, cl, fl, c.maxBody)
	if err != nil {
		return zero, err
	}
	v, err := parse(b)
	if err != nil {
		return zero, c.decodeError(cl, ct, b, errorOffset(err), err)
	}
	return v, nil
}
