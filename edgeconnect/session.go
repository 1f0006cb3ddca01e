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
func (c *Client) Login(ctx context.Context) error {
	c.loginMu.Lock()
	defer c.loginMu.Unlock()
	return c.login(ctx)
}

// Logout ends the session: GET /logout. The local session (cookies and
// token) is dropped even when the call fails. Without a session Logout does
// nothing.
func (c *Client) Logout(ctx context.Context) error {
	c.loginMu.Lock()
	defer c.loginMu.Unlock()
	c.mu.Lock()
	active := c.loggedIn
	c.mu.Unlock()
	if !active {
		return nil
	}
	defer c.dropSession()
	cl := call{method: http.MethodGet, path: "/logout", accept: "application/json, */*", once: true}
	fl, err := c.exchange(ctx, cl, c.timeout)
	if err != nil {
		return err
	}
	drainClose(fl.Resp.Body)
	fl.Done()
	return nil
}

// login does the work of Login; the caller holds loginMu.
func (c *Client) login(ctx context.Context) error {
	c.dropSession()
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
	status, cookies := fl.Resp.StatusCode, fl.Resp.Cookies()
	drainClose(fl.Resp.Body)
	fl.Done()
	if status != http.StatusOK {
		return c.fail(cl, fmt.Errorf("status %d, want 200: %w", status, ErrUnauthorized))
	}
	found := false
	for _, ck := range cookies {
		if (ck.Name == cookieSession || ck.Name == cookieCSRF) && ck.Value != "" {
			found = true
		}
	}
	if !found {
		c.dropSession()
		return c.fail(cl, fmt.Errorf("%w: %w", ErrNoSession, ErrUnauthorized))
	}
	c.mu.Lock()
	c.gen++
	c.loggedIn = true
	c.lastCookies = c.lastCookies[:0]
	for _, ck := range cookies {
		c.lastCookies = append(c.lastCookies, ck.Value)
	}
	c.mu.Unlock()
	return nil
}

// ensureSession logs in when there is no session yet.
func (c *Client) ensureSession(ctx context.Context) error {
	c.mu.Lock()
	active, gen := c.loggedIn, c.gen
	c.mu.Unlock()
	if active {
		return nil
	}
	return c.relogin(ctx, gen)
}

// relogin logs in again unless another goroutine already did so after the
// session generation seen was observed.
func (c *Client) relogin(ctx context.Context, seen uint64) error {
	c.loginMu.Lock()
	defer c.loginMu.Unlock()
	c.mu.Lock()
	active, gen := c.loggedIn, c.gen
	c.mu.Unlock()
	if active && gen != seen {
		return nil
	}
	return c.login(ctx)
}

func (c *Client) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// dropSession forgets the cookies and marks the client logged out.
func (c *Client) dropSession() {
	c.jar.Reset()
	c.mu.Lock()
	c.gen++
	c.loggedIn = false
	c.mu.Unlock()
}

// setSessionHeaders adds X-XSRF-TOKEN from the edgeosCsrfToken cookie. Like
// pyedgeconnect, when the appliance set only vxoaSessionID its value is
// echoed in a header of that name.
func (c *Client) setSessionHeaders(h http.Header) {
	var session string
	for _, ck := range c.jar.Cookies(c.baseURL) {
		switch ck.Name {
		case cookieCSRF:
			h.Set(headerCSRF, ck.Value)
			return
		case cookieSession:
			session = ck.Value
		}
	}
	if session != "" {
		h.Set(cookieSession, session)
	}
}

// secrets lists what must never reach an error message: the password and
// the cookie values of the current and of the last successful login.
func (c *Client) secrets() []string {
	s := []string{c.password}
	for _, ck := range c.jar.Cookies(c.baseURL) {
		s = append(s, ck.Value)
	}
	c.mu.Lock()
	s = append(s, c.lastCookies...)
	c.mu.Unlock()
	return s
}
