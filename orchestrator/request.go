package orchestrator

import (
	"context"
	"net/http"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/restapi"
)

// call describes one request.
type call struct {
	method string
	path   string // below /gms/rest, e.g. "/memory"; never carries the query
	query  string // encoded query without source, e.g. "time=0"
	body   []byte // JSON body of a POST
	accept string
	login  bool // POST /authentication/login: no auth headers, no re-login
	// identity asks for the body as stored (Accept-Encoding: identity).
	identity bool
}

func (cl call) url(base string) string {
	q := cl.query
	if q != "" {
		q += "&"
	}
	return base + cl.path + "?" + q + source
}

// fail prefixes err with the Orchestrator and endpoint.
func (c *Client) fail(cl call, err error) error { return c.ep.Fail(cl.method, cl.path, err) }

// flight is an answered request whose body is still open. The caller reads
// fl.Resp.Body and then calls fl.Done.
type flight = restapi.Flight

// send performs one HTTP exchange under its own deadline, after waiting
// for its turn at the Limiter; the turn ends when fl.Done is called.
func (c *Client) send(ctx context.Context, cl call, timeout time.Duration) (*flight, error) {
	release, err := c.limiter.acquire(ctx)
	if err != nil {
		return nil, c.fail(cl, err)
	}
	req := c.rc.R().SetHeader("Accept", cl.accept)
	if cl.body != nil {
		req.SetHeader("Content-Type", "application/json").SetBody(cl.body)
	}
	if cl.identity {
		req.SetHeader("Accept-Encoding", "identity")
	}
	if !cl.login {
		c.setAuthHeaders(req.Header)
	}
	fl, err := c.ep.Send(ctx, req, cl.method, cl.path, cl.url(c.base), timeout)
	if err != nil {
		release()
		return nil, err
	}
	done := fl.Done
	fl.Done = func() { done(); release() }
	return fl, nil
}

// exchange sends cl with the client's credentials. With user/password it
// logs in first when there is no session, and on a 401 logs in again and
// repeats the request exactly once; with an API key a 401 is final. It
// returns a 2xx answer; every other status becomes an *APIError.
func (c *Client) exchange(ctx context.Context, cl call, timeout time.Duration) (*flight, error) {
	fl, err := c.sess.Exchange(ctx, !cl.login && c.apiKey == "", c.login, func() (*flight, error) {
		return c.send(ctx, cl, timeout)
	})
	if err != nil {
		return nil, err
	}
	check := c.checkResponse
	if cl.login {
		// A refused login's body may echo the credentials: status only.
		check = func(cl call, resp *http.Response) error { return c.ep.CheckStatus(cl.method, cl.path, resp) }
	}
	if err := check(cl, fl.Resp); err != nil {
		fl.Done()
		return nil, err
	}
	return fl, nil
}

// readBody reads a whole body of at most max bytes.
func (c *Client) readBody(ctx context.Context, cl call, fl *flight, max int64) ([]byte, error) {
	return c.ep.ReadBody(ctx, cl.method, cl.path, fl, max, c.timeout)
}

// getJSON sends cl and decodes its JSON answer with parse.
func getJSON[T any](ctx context.Context, c *Client, cl call, parse func([]byte) (T, error)) (T, error) {
	if cl.accept == "" {
		cl.accept = "application/json"
	}
	fl, err := c.exchange(ctx, cl, c.timeout)
	if err != nil {
		var zero T
		return zero, err
	}
	defer fl.Done()
	defer fl.Resp.Body.Close()
	return restapi.DecodeJSON(ctx, c.ep, cl.method, cl.path, fl, c.maxBody, c.timeout, parse)
}
