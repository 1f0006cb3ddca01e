//go:build !unix

package testenv

// ProcessCPU cannot read the process's CPU time here.
func ProcessCPU() (ns int64, ok bool) { return 0, false }
