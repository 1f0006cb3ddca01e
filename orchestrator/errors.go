package orchestrator

import (
	"errors"
	"io"
	"net/http"

	"github.com/ec-telemetry/ec-telemetry/internal/restapi"
)

// Sentinel errors. Test for them with errors.Is.
var (
	// ErrUnauthorized: the Orchestrator refused the API key (401 or 403),
	// the user/password login, or the session (401 again after the one
	// re-login).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrNotFound: the Orchestrator answered 404 (e.g. an endpoint missing in
	// its release).
	ErrNotFound = errors.New("not found")
	// ErrNoSession: POST /authentication/login answered 200 without setting
	// any cookie. Errors wrapping it also match ErrUnauthorized.
	ErrNoSession = errors.New("login answer carries no session cookie")
	// ErrTooLarge: a response body exceeded MaxResponseBytes. The client
	// never truncates silently.
	ErrTooLarge = errors.New("response body too large")
)

// APIError is a non-2xx answer of the Orchestrator. Every non-2xx answer of
// every method ends up as an *APIError (possibly wrapped). Host is the
// Orchestrator's host[:port], Path the endpoint below /gms/rest without the
// query, Body the first bytes of the body with secrets redacted.
// errors.Is(err, ErrUnauthorized) holds for 401 and 403,
// errors.Is(err, ErrNotFound) for 404; Retryable reports 429 and 5xx.
type APIError = restapi.APIError[service]

// DecodeError reports a 2xx answer whose body is not what the endpoint
// documents: wrong content type (e.g. an HTML page of a proxy), invalid JSON,
// a JSON value of the wrong shape or missing required keys. Excerpt holds a
// few bytes near the problem with secrets redacted; Unwrap returns the
// underlying decode error.
type DecodeError = restapi.DecodeError[service]

// service ties the shared error types to this package: the "orchestrator"
// prefix of every error text and the sentinels above.
type service struct{}

func (service) Name() string           { return "orchestrator" }
func (service) ErrUnauthorized() error { return ErrUnauthorized }
func (service) ErrNotFound() error     { return ErrNotFound }
func (service) ErrTooLarge() error     { return ErrTooLarge }

// drainClose reads a little of an unwanted body so the connection can be
// reused, then closes it.
func drainClose(body io.ReadCloser) { restapi.DrainClose(body) }

// checkResponse returns nil for a 2xx answer. Otherwise it reads a bounded
// excerpt, closes the body and returns an *APIError.
func (c *Client) checkResponse(cl call, resp *http.Response) error {
	return c.ep.CheckResponse(cl.method, cl.path, resp)
}

// readHead reads the first bytes of a body for an excerpt.
func (c *Client) readHead(r io.Reader) []byte { return c.ep.ReadHead(r) }

// decodeError builds a *DecodeError; off is the byte offset of the problem
// in body, or -1 when unknown.
func (c *Client) decodeError(cl call, contentType string, body []byte, off int64, err error) error {
	return c.ep.DecodeError(cl.method, cl.path, contentType, body, off, err)
}
