// Package app wires ec-telemetry's processes from a configuration: the
// logger, Redis, the InfluxDB writer, discovery and the worker server. The
// binary's subcommands, the demo, the benchmark and the end-to-end tests all
// use it, so they run the same wiring.
package app
