// Package restapi holds the plumbing shared by the REST clients edgeconnect
// (EdgeConnect appliance API) and orchestrator (Orchestrator API), so each
// client keeps only what is specific to its API: base path, authentication
// and session flow, endpoint methods and response types.
//
// It owns:
//
//   - the error types APIError and DecodeError, generic over a Service that
//     supplies the error text prefix ("edgeconnect", "orchestrator") and the
//     client's own sentinels, so errors.Is and errors.As keep telling the
//     clients apart; the clients re-export them with type aliases;
//   - Endpoint, which builds those errors for one server: status checks
//     (CheckResponse), bounded body reading (ReadHead, ReadBody), JSON
//     decoding with a content-type check (DecodeJSON, IsJSON, Unmarshal;
//     UnmarshalDecode and UnmarshalFrom for types that read
//     their value from the decoder's stream) and
//     body excerpts in which every secret (password, API key, cookie, CSRF
//     token), in any encoding, and the value of every secret-bearing JSON
//     key is replaced by "[redacted]" (see internal/redact); answers to
//     login requests get CheckStatus, whose error carries no excerpt;
//   - transport plumbing: TLSConfig from InsecureSkipVerify/CAFile,
//     NewTransport, Send with a per-request deadline, TransportError,
//     SessionJar, NewResty (no redirects, no retries, no logs) and CmpOr.
//
// The package never logs and knows nothing of the queue, the logger or
// InfluxDB. Everything in it is safe for concurrent use: Endpoint and the
// error types are values without mutable state (Endpoint.Secrets must
// itself be safe for concurrent use), SessionJar guards its jar with a
// mutex.
package restapi
