// Package worker collects one appliance per asynq task: it writes the
// appliance's metadata, checks reachability, logs in, collects every source
// on its own with its own timeout, always logs out, and hands the points to
// a sink. Minute statistics are backfilled from a per-appliance watermark so
// that an outage leaves no gap and no minute is written twice.
//
// With CollectVia orchestrator (or auto, for an appliance that is
// unreachable or refuses the login) the job reads the appliance through a
// client from Options.Relay instead: the Orchestrator's pass-through, with
// no probe, login or logout. The metadata point's collected_via field says
// which way was used.
//
// The worker consumes two narrow interfaces, an appliance client and a point
// sink, so tests can drive it without a network. A Handler is safe for
// concurrent use by asynq's goroutines.
package worker
