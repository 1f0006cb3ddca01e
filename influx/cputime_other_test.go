//go:build !unix

package influx_test

// processCPU cannot read the process's CPU time here.
func processCPU() (ns int64, ok bool) { return 0, false }
