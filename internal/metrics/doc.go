// Package metrics holds ec-telemetry's own Prometheus metrics (discovery
// cycles, jobs, per-source results, points written, queue depth) and serves
// them on /metrics with a /healthz probe.
//
// Metric label values are bounded (sources, results, reasons); never an
// appliance name, which would grow with the fleet, and never a secret.
// Everything here is safe for concurrent use.
package metrics
