// Package orchestrator is the REST client for the HPE Aruba EdgeConnect
// Orchestrator (GMS), below https://<host>/gms/rest.
//
// It owns authentication and the calls discovery makes: server brief info
// and hello, the appliance list, interface labels, overlay configurations,
// Cloud Portal licensing, the Orchestrator's own health (ping), the
// per-appliance BGP state of every segment (in the pre-9.3 path form or the
// 9.3+ query form, see PathForm), and the appliance REST pass-through the
// worker reads appliances through with COLLECT_VIA (Passthrough,
// ApplianceRelay). Paths and JSON keys are those Aruba's pyedgeconnect
// library uses (the ping and BGP answer shapes come from Aruba's
// health-monitoring notes and third-party readers); they were not checked
// against a live Orchestrator release.
//
// # Authentication
//
// With an API key every request carries X-Auth-Token, and a 401 or 403 is
// final (errors.Is(err, ErrUnauthorized)). With user and password the client
// logs in with POST /authentication/login on its first request, keeps the
// session cookies in its own jar and sends an orchCsrfToken cookie back as
// X-XSRF-TOKEN. When a request answers 401 it logs in again and repeats the
// request exactly once. Redirects are never followed, so credentials never
// reach another host. A refused login's error carries the status only,
// never the body, which may echo the credentials; other errors' body
// excerpts hide the values of secret-bearing JSON keys (device passwords,
// SNMP communities, keys) that an appliance list may carry.
//
// # Pass-through and pacing
//
// Passthrough relays one request to an appliance in the URL form of the
// Orchestrator's release (read once from briefInfo): before 9.3
// /appliance/rest/{nePk}/{path}, from 9.3 /appliance/rest?nePk=&url= with
// the whole url value percent-encoded. The appliance's answer comes back
// with its status unchecked, for the appliance client to judge.
// ApplianceRelay adapts it to the edgeconnect client's Relay. A Limiter
// (Options.Limiter) paces every request of the clients sharing it: a rate
// of starts per second and a bound on requests in flight, until the body
// is closed.
//
// # Wire details
//
// Every request carries source=menu_rest_apis_id as its last query
// parameter, like pyedgeconnect. Numbers are accepted as JSON numbers or
// numeric strings and networkRole as a string or a number. JSON answers must
// be labelled as JSON, text/plain or not at all; an HTML page (a proxy's or
// a login page) is a *DecodeError.
//
// # Errors
//
// Every non-2xx answer is an *APIError (errors.Is matches ErrUnauthorized for
// 401/403 and ErrNotFound for 404); a 2xx answer that does not decode is a
// *DecodeError; a body over MaxResponseBytes wraps ErrTooLarge. When the
// caller's ctx ends, the error wraps ctx.Err(); when the client's own
// per-request deadline fires, it wraps context.DeadlineExceeded. Messages are
// lowercase, start with "orchestrator <host>: <method> <path>:" and never
// contain the API key, the password, a session cookie or the CSRF token.
//
// # Boundaries
//
// The package never logs (resty's logger is silenced) and never imports
// zerolog, asynq or the InfluxDB client. It does not retry, apart from the
// single re-login above.
//
// # Concurrency
//
// A Client is safe for concurrent use by several goroutines.
package orchestrator
