package orchestrator

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// Header and cookie names of the Orchestrator's authentication.
const (
	headerAPIKey = "X-Auth-Token"
	headerCSRF   = "X-XSRF-TOKEN"
	cookieCSRF   = "orchCsrfToken"
)

// Login opens a session with user and password: POST /authentication/login
// with {"user","password","token":"","loginType"} (Options.LoginType; the
// token is for MFA codes, which an unattended collector cannot use). Success is HTTP 200 with at least one cookie;
// the cookies stay in the client's jar and an orchCsrfToken cookie is sent
// back as X-XSRF-TOKEN. A refusal wraps ErrUnauthorized. Calling Login is
// optional (the first request logs in); with an API key it does nothing.
func (c *Client) Login(ctx context.Context) error {
	if c.apiKey != "" {
		return nil
	}
	return c.sess.Serialized(func() error { return c.login(ctx) })
}

// login does the work of Login; the session serialises it.
func (c *Client) login(ctx context.Context) error {
	c.sess.Drop()
	body, err := json.Marshal(struct {
		User      string    `json:"user"`
		Password  string    `json:"password"`
		Token     string    `json:"token"`
		LoginType LoginType `json:"loginType"`
	}{c.user, c.password, "", c.loginType})
	if err != nil {
		return fmt.Errorf("orchestrator %s: encode login: %w", c.host, err)
	}
	cl := call{method: http.MethodPost, path: "/authentication/login", body: body, accept: "application/json, */*", login: true}
	fl, err := c.exchange(ctx, cl, c.timeout)
	if err != nil {
		return err
	}
	if status, ok := c.sess.Open(fl); !ok {
		if status != http.StatusOK {
			return c.fail(cl, fmt.Errorf("status %d, want 200: %w", status, ErrUnauthorized))
		}
		return c.fail(cl, fmt.Errorf("%w: %w", ErrNoSession, ErrUnauthorized))
	}
	return nil
}

// setAuthHeaders adds X-Auth-Token, or X-XSRF-TOKEN from the orchCsrfToken
// cookie of the session.
func (c *Client) setAuthHeaders(h http.Header) {
	if c.apiKey != "" {
		h.Set(headerAPIKey, c.apiKey)
		return
	}
	for _, ck := range c.sess.Jar.Cookies(c.baseURL) {
		if ck.Name == cookieCSRF {
			h.Set(headerCSRF, ck.Value)
			return
		}
	}
}

// secrets lists what must never reach an error message: the API key, the
// password and the cookie values of the current and of the last login.
func (c *Client) secrets() []string {
	s := []string{c.apiKey, c.password}
	return append(s, c.sess.CookieValues(c.baseURL)...)
}
