// Package simulator serves a simulated HPE Aruba EdgeConnect Orchestrator and
// a fleet of N EdgeConnect appliances over HTTPS on loopback, shaped after
// the REST APIs as the Python demo and pyedgeconnect call them and after
// minute-stats archives captured from real appliances.
//
// It powers the demo mode, the end-to-end tests, the benchmarks and fault
// injection of ec-telemetry. What it owns:
//
//   - the fleet: appliances, hubs and branches, models, licences, interface
//     labels, overlays, interfaces and tunnels, all derived from Config.Seed;
//   - the Orchestrator REST API under /gms/rest (API key or session login);
//   - one HTTPS listener per reachable appliance with the ECOS REST API under
//     /rest/json (session cookie plus X-XSRF-TOKEN);
//   - the minute-statistics archives st2-<M>.tgz for a rolling 24-hour window,
//     generated on demand from (seed, appliance, minute) so that any minute can
//     be regenerated without state;
//   - what a correct collector should store for a served minute
//     (ExpectedMinutePoints), what it was served for the point-in-time
//     endpoints (LastServed) and request, login and logout counters (Stats);
//   - fault injection (Faults, SetFault).
//
// What it must not do: it never contacts anything, it only serves, and it
// listens only on Config.ListenHost (127.0.0.1 by default). It imports nothing
// from this project except internal/telemetry, so any test may use it. It
// never logs; errors are returned to the caller.
//
// Concurrency: a Simulator is safe for concurrent use once New has returned.
// SetFault, LastServed, Stats and ExpectedMinutePoints may be called while
// requests are being served. Start must be called once; Close may be called
// any number of times and from any goroutine.
package simulator
