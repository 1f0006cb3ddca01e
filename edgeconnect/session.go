package edgeconnect

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// Cookie and header names of the ECOS session.
const (
	cookieSession = "vxoaSessionID"
	cookieCSRF    = "edgeosCsrfToken"
	headerCSRF    = "X-XSRF-TOKEN"
)

// Login opens a new session: POST /login with {"user","password"}.
//
// Success means HTTP 200 and at least one of the cookies vxoaSessionID and
// edgeosCsrfToken; both are kept in the client's own cookie jar and the
// CSRF token is sent as X-XSRF-TOKEN on every later request. A refusal
// wraps ErrUnauthorized; a 200 without cookies wraps ErrNoSession and
// ErrUnauthorized. Calling Login is optional: the first request logs in.
// A relayed client (NewRelayed) has no appliance session: Login does nothing.
func (c *Client) Login(ctx context.Context) error {
	if c.relay != nil {
		return nil
	}
	return c.sess.Serialized(func() error { return c.login(ctx) })
}

// Logout ends the session: GET /logout. The local session (cookies and
// token) is dropped even when the call fails. Without a session Logout does
// nothing.
//
// Logout ignores ctx's cancellation and deadline (it keeps its values): it
// runs under the client's own Timeout, like every other request, so a job
// whose time is up, or that was cancelled at shutdown, still ends its
// session, and an appliance that answers slowly but within Timeout is
// logged out. A session is left open on the appliance only when the call
// fails or takes longer than Timeout; the appliance expires it after its
// idle time.
func (c *Client) Logout(ctx context.Context) error {
	if c.relay != nil {
		return nil
	}
	ctx = context.WithoutCancel(ctx)
	return c.sess.Serialized(func() error {
		if !c.sess.Active() {
			return nil
		}
		defer c.sess.Drop()
		cl := call{method: http.MethodGet, path: "/logout", accept: "application/json, */*", once: true}
		fl, err := c.exchange(ctx, cl, c.timeout)
		if err != nil {
			return err
		}
		drainClose(fl.Resp.Body)
		fl.Done()
		return nil
	})
}

// login does the work of Login; the session serialises it.
func (c *Client) login(ctx context.Context) error {
	c.sess.Drop()
	body, err := json.Marshal(struct {
		User     string `json:"user"`
		Password string `json:"password"`
	}{c.user, c.password})
	if err != nil {
		return fmt.Errorf("edgeconnect %s: encode login: %w", c.host, err)
	}
	cl := call{method: http.MethodPost, path: "/login", body: body, accept: "application/json, */*", login: true}
	fl, err := c.exchange(ctx, cl, c.timeout)
	if err != nil {
		return err
	}
	if status, ok := c.sess.Open(fl, cookieSession, cookieCSRF); !ok {
		if status != http.StatusOK {
			return c.fail(cl, fmt.Errorf("status %d, want 200: %w", status, ErrUnauthorized))
		}
		return c.fail(cl, fmt.Errorf("%w: %w", ErrNoSession, ErrUnauthorized))
	}
	return nil
}

// setSessionHeaders adds X-XSRF-TOKEN from the edgeosCsrfToken cookie. Like
// pyedgeconnect, when the appliance set only vxoaSessionID its value is
// echoed in a header of that name. The jar is read again only after its
// cookies may have changed (a response set one, or the session was
// dropped): a token the appliance rotates is sent from the next request
// on, and a request does not look the jar up twice (net/http's client
// looks it up for the Cookie header).
func (c *Client) setSessionHeaders(h http.Header) {
	changes := c.sess.Jar.Changes()
	sh := c.hdr.Load()
	if sh == nil || sh.changes != changes {
		sh = &sessionHeader{changes: changes}
		for _, ck := range c.sess.Jar.Cookies(c.baseURL) {
			if ck.Name == cookieCSRF {
				sh.name, sh.value = headerCSRF, ck.Value
				break
			}
			if ck.Name == cookieSession {
				sh.name, sh.value = cookieSession, ck.Value
			}
		}
		c.hdr.Store(sh)
	}
	if sh.name != "" {
		h.Set(sh.name, sh.value)
	}
}

// sessionHeader is the header setSessionHeaders sends (none when name is
// empty), as read from the jar after changes changes.
type sessionHeader struct {
	changes     uint64
	name, value string
}

// secrets lists what must never reach an error message: the password and
// the cookie values of the current and of the last successful login.
func (c *Client) secrets() []string {
	if c.relay != nil {
		return c.relay.Secrets()
	}
	s := []string{c.password}
	return append(s, c.sess.CookieValues(c.baseURL)...)
}
