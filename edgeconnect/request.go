package edgeconnect

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/restapi"
)

// call describes one request.
type call struct {
	method string
	path   string // below /rest/json, e.g. "/memory"; never carries the query
	query  string // encoded query without source, e.g. "time=0"
	body   []byte // JSON body of a POST
	accept string
	login  bool // POST /login: no session headers, no re-login
	once   bool // never re-login on 401 (logout)
	// identity asks for the body as stored (Accept-Encoding: identity), so
	// the transport does not transparently decompress it.
	identity bool
}

func (cl call) url(base string) string {
	q := cl.query
	if q != "" {
		q += "&"
	}
	return base + cl.path + "?" + q + source
}

// fail prefixes err with the appliance and endpoint.
func (c *Client) fail(cl call, err error) error { return c.ep.Fail(cl.method, cl.path, err) }

// transportError turns an error of the HTTP exchange into the client's
// error (see restapi.Endpoint.TransportError); op names the step that
// failed ("read body") or is empty for the exchange.
func (c *Client) transportError(ctx context.Context, cl call, timeout time.Duration, op string, err error) error {
	return c.ep.TransportError(ctx, cl.method, cl.path, timeout, op, err)
}

// flight is an answered request whose body is still open. The caller reads
// fl.Resp.Body and then calls fl.Done.
type flight = restapi.Flight

// send performs one HTTP exchange under its own deadline.
func (c *Client) send(ctx context.Context, cl call, timeout time.Duration) (*flight, error) {
	if c.relay != nil {
		return c.sendRelayed(ctx, cl, timeout)
	}
	req := c.rc.R().SetHeader("Accept", cl.accept)
	if cl.body != nil {
		req.SetHeader("Content-Type", "application/json").SetBody(cl.body)
	}
	if cl.identity {
		req.SetHeader("Accept-Encoding", "identity")
	}
	if !cl.login {
		c.setSessionHeaders(req.Header)
	}
	return c.ep.Send(ctx, req, cl.method, cl.path, cl.url(c.base), timeout)
}

// exchange sends cl inside the session: it logs in first when there is no
// session, and on a 401 logs in again and repeats the request exactly once.
// A relayed client has no session: it sends once. It returns a 2xx answer;
// every other status becomes an *APIError.
func (c *Client) exchange(ctx context.Context, cl call, timeout time.Duration) (*flight, error) {
	useSession := c.relay == nil && !cl.login && !cl.once
	fl, err := c.sess.Exchange(ctx, useSession, c.login, func() (*flight, error) {
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

// isJSON reports whether a Content-Type may carry JSON (see restapi.IsJSON).
func isJSON(contentType string) bool { return restapi.IsJSON(contentType) }

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

// query encodes name=value pairs in the given order, skipping empty values.
// Values are URL-escaped (pyedgeconnect pasted them verbatim).
func query(pairs ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(pairs[i]))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(pairs[i+1]))
	}
	return b.String()
}
