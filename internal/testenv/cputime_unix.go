//go:build unix

package testenv

import "syscall"

// ProcessCPU returns the CPU time (user and system, every thread, the
// garbage collector's included) the process has used so far, in
// nanoseconds; ok is false where it cannot be read.
func ProcessCPU() (ns int64, ok bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return ru.Utime.Nano() + ru.Stime.Nano(), true
}
