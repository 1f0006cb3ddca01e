// Package worker collects one appliance per asynq task: it writes the
// appliance's metadata, checks reachability, logs in, collects every source
// on its own with its own timeout, always logs out, and hands the points to
// a sink. Minute statistics are backfilled from a per-appliance watermark so
// that an outage leaves no gap and no minute is written twice.
//
// The worker consumes two narrow interfaces, an appliance client and a point
// sink, so tests can drive it without a network. A Handler is safe for
// concurrent use by asynq's goroutines.
package worker
