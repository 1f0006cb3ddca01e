// Package e2e runs the real pipeline for tests: the simulator, discovery,
// asynq workers, a real Redis and a real InfluxDB (internal/testenv), wired
// by internal/app exactly as the binary wires them, on a clock the test
// moves. The end-to-end tests live here; other packages' tests (dashboard
// queries) use Start to fill an InfluxDB through the pipeline.
//
// Everything listens on loopback only. A Pipeline belongs to one test.
package e2e
