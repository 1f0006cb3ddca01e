package restapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/go-resty/resty/v2"
)

// Flight is an answered request whose body is still open. The caller reads
// Resp.Body and then calls Done.
type Flight struct {
	Resp *http.Response
	Ctx  context.Context    // the request's own deadline context
	Done context.CancelFunc // releases Ctx
}

// Expired reports whether the request's own deadline has fired. A body that
// ends after that may have been cut short, even when it reads as EOF.
func (f *Flight) Expired() bool { return f.Ctx.Err() != nil }

// TransportError turns an error of the HTTP exchange into the client's
// error: the caller's ctx error when ctx is done, a timeout error wrapping
// context.DeadlineExceeded when the client's own deadline fired, otherwise
// the cause without the URL (which could carry a query).
// op names the step that failed ("read body") or is empty for the exchange.
func (e Endpoint[S]) TransportError(ctx context.Context, method, path string, timeout time.Duration, op string, err error) error {
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
	return e.Fail(method, path, err)
}

// Send performs one HTTP exchange under its own deadline of timeout: req
// (built by the caller with headers and body) is executed against rawURL
// and the answer, whatever its status, is returned with its body open.
func (e Endpoint[S]) Send(ctx context.Context, req *resty.Request, method, path, rawURL string, timeout time.Duration) (*Flight, error) {
	if err := ctx.Err(); err != nil {
		return nil, e.Fail(method, path, err)
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	resp, err := req.SetContext(rctx).SetDoNotParseResponse(true).Execute(method, rawURL)
	if err != nil {
		if resp != nil && resp.RawResponse != nil {
			_ = resp.RawResponse.Body.Close()
		}
		cancel()
		return nil, e.TransportError(ctx, method, path, timeout, "", err)
	}
	return &Flight{Resp: resp.RawResponse, Ctx: rctx, Done: cancel}, nil
}

// ReadBody reads a whole body of at most max bytes; a longer one wraps
// S's ErrTooLarge. timeout is the request's deadline, for the error text.
func (e Endpoint[S]) ReadBody(ctx context.Context, method, path string, fl *Flight, max int64, timeout time.Duration) ([]byte, error) {
	var s S
	if fl.Resp.ContentLength > max {
		return nil, e.Fail(method, path, fmt.Errorf("%w: content length %d exceeds %d bytes", s.ErrTooLarge(), fl.Resp.ContentLength, max))
	}
	b, err := io.ReadAll(io.LimitReader(fl.Resp.Body, max+1))
	if err == nil && fl.Expired() {
		err = fl.Ctx.Err()
	}
	if err != nil {
		return nil, e.TransportError(ctx, method, path, timeout, "read body", err)
	}
	if int64(len(b)) > max {
		return nil, e.Fail(method, path, fmt.Errorf("%w: more than %d bytes", s.ErrTooLarge(), max))
	}
	return b, nil
}

// DecodeJSON checks the content type of a 2xx answer, reads its body (at
// most max bytes) and decodes it with parse. A wrong content type or a
// parse error is a *DecodeError[S]. It does not close the body or call
// fl.Done.
func DecodeJSON[T any, S Service](ctx context.Context, e Endpoint[S], method, path string, fl *Flight, max int64, timeout time.Duration, parse func([]byte) (T, error)) (T, error) {
	var zero T
	ct := fl.Resp.Header.Get("Content-Type")
	if !IsJSON(ct) {
		return zero, e.DecodeError(method, path, ct, e.ReadHead(fl.Resp.Body), -1, fmt.Errorf("content type %q is not json", ct))
	}
	b, err := e.ReadBody(ctx, method, path, fl, max, timeout)
	if err != nil {
		return zero, err
	}
	v, err := parse(b)
	if err != nil {
		return zero, e.DecodeError(method, path, ct, b, ErrorOffset(err), err)
	}
	return v, nil
}
