package procstat

import (
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// rusageCPU is this process's user+system CPU seconds as getrusage says.
func rusageCPU(t *testing.T) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// CPU of this process agrees with getrusage, to the kernel's clock tick.
func TestCPU(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs Linux's /proc")
	}
	x := 0
	for end := time.Now().Add(50 * time.Millisecond); time.Now().Before(end); {
		x++ // some CPU to count
	}
	before := rusageCPU(t)
	got, err := CPU(os.Getpid())
	after := rusageCPU(t)
	const tick = 1.0 / clockTicks
	if err != nil || got <= 0 || got < before-2*tick || got > after+2*tick {
		t.Errorf("CPU = %.3f s, %v; getrusage said %.3f s before and %.3f s after (%d loops)", got, err, before, after, x)
	}
	if _, err := CPU(-1); err == nil {
		t.Error("CPU of no process succeeded")
	}
}
