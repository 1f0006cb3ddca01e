// Package hatest runs the pipeline past one machine: a Redis primary that
// fails over to its replica under Sentinel, two discovery processes on one
// Redis, and VictoriaMetrics as the storage target. Its tests start real
// servers (internal/testenv) and the simulator, and hold no code of their
// own outside _test.go files.
package hatest
