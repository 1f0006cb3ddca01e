// Package edgeconnect is the REST client for one HPE Aruba EdgeConnect
// appliance (ECOS), below https://<address>/rest/json.
//
// It owns the appliance session and every ECOS call the collector makes:
// login and logout, the minute-statistics range and archives, deployment,
// memory, CPU, routes, alarms, tunnel ids and aliases, disk usage, system
// information, realtime statistics, traffic class names, the interface list
// (/networkInterfaces) and the monitored next hops (/nexthops). Request
// paths, query parameters and JSON keys are those Aruba's pyedgeconnect
// library uses (the ifInfo entry keys of /networkInterfaces are those of the
// Orchestrator's interface state); they were not checked against a live ECOS
// release.
//
// # Session
//
// POST /login sets the cookies vxoaSessionID and edgeosCsrfToken. They live
// in a cookie jar owned by the Client (one session per appliance, even when
// many clients share one Transport), and the token is sent as X-XSRF-TOKEN
// on every later GET and POST. The first request logs in when there is no
// session. When a request answers 401 the client logs in again and repeats
// that request exactly once; a second 401 is an error wrapping
// ErrUnauthorized. The login call itself and GET /logout are never retried.
// Redirects are not followed, so the session never reaches another host.
// A refused login's error carries the status only, never the body, which
// may echo the credentials. Logout ignores the caller's cancellation and
// deadline and runs under the client's Timeout, so a caller whose time is
// up still ends the session.
//
// # Relay
//
// NewRelayed builds a Client whose requests go through a Relay instead of
// a direct HTTPS connection, such as the Orchestrator's appliance REST
// pass-through (*orchestrator.ApplianceRelay). Every method works the same
// and decodes the same; Login and Logout do nothing, no appliance
// credential is sent, and errors name the relay ("3.NE via host").
//
// # Wire details
//
// Every request carries source=menu_rest_apis_id as its last query
// parameter, like pyedgeconnect. Other query values are URL-escaped.
// Numbers are accepted as JSON numbers or numeric strings; keys the collector
// depends on are required, and their absence is a *DecodeError, never a zero.
// JSON answers must be labelled as JSON, text/plain or not at all; anything
// else, such as a proxy's HTML page, is a *DecodeError. Minute archives must
// start with the gzip magic bytes and are requested without transfer
// compression.
//
// # Errors
//
// Every non-2xx answer is an *APIError (errors.Is matches ErrUnauthorized for
// 401/403 and ErrNotFound for 404); a 2xx answer that does not decode is a
// *DecodeError; a body over the size limit wraps ErrTooLarge. When the
// caller's ctx ends, the error wraps ctx.Err(); when the client's own
// per-request deadline fires, it wraps context.DeadlineExceeded. A minute
// archive whose body does not arrive whole fails with a *TransportError,
// so an incomplete download is never mistaken for a damaged archive. Messages are
// lowercase, start with "edgeconnect <host:port>: <method> <path>:" and never
// contain the password, the session cookie or the CSRF token.
//
// # Boundaries
//
// The package never logs (resty's logger is silenced), never writes files
// (archives are streamed to the caller) and never imports zerolog, asynq or
// the InfluxDB client. It does not retry: the caller (the asynq job) owns
// retries, apart from the single re-login above.
//
// # Concurrency
//
// A Client is safe for concurrent use by several goroutines; concurrent
// requests that meet an expired session share one re-login. A Transport from
// NewTransport is safe to share between any number of clients.
package edgeconnect
