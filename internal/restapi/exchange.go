package restapi

import (
	"bytes"
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
	b, err := readAtMost(fl.Resp.Body, max, fl.Resp.ContentLength)
	if err == nil && fl.Expired() {
		err = fl.Ctx.Err()
	}
	if errors.Is(err, errTooLong) {
		return nil, e.Fail(method, path, fmt.Errorf("%w: more than %d bytes", s.ErrTooLarge(), max))
	}
	if err != nil {
		return nil, e.TransportError(ctx, method, path, timeout, "read body", err)
	}
	return b, nil
}

// bodyChunk is the largest unit readAtMost reads a body of unknown length in.
const bodyChunk = 1 << 20

var errTooLong = errors.New("body longer than the limit")

// readAtMost reads r to its end, at most max bytes, else errTooLong. A body
// of unknown length (size < 0) is read in chunks and joined once at the
// end, so a body over the limit costs about max bytes, once, instead of the
// repeated copies of a growing slice; the rest of it is never read.
func readAtMost(r io.Reader, max, size int64) ([]byte, error) {
	if size >= 0 { // announced and within max: one buffer of that size
		b := make([]byte, size)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, err
		}
		// Anything after the announced length is net/http's to refuse.
		return b, nil
	}
	var (
		chunks [][]byte
		total  int64
		next   int64 = 4 << 10 // small bodies stay small; chunks double up to bodyChunk
	)
	for {
		c := make([]byte, min(next, max+1-total))
		next = min(2*next, bodyChunk)
		n, err := io.ReadFull(r, c)
		chunks = append(chunks, c[:n])
		total += int64(n)
		if total > max {
			return nil, errTooLong
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if len(chunks) == 1 {
		return chunks[0], nil
	}
	return bytes.Join(chunks, nil), nil
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
