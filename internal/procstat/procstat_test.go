package procstat

import (
	"os"
	"runtime"
	"testing"
	"time"
)

// CPU reads this process's CPU, which grows while it computes.
func TestCPU(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs Linux's /proc")
	}
	before, err := CPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	x := 0
	for end := time.Now().Add(300 * time.Millisecond); time.Now().Before(end); {
		x++
	}
	after, err := CPU(os.Getpid())
	if err != nil || after-before < 0.1 || after-before > 10 {
		t.Errorf("CPU over 300 ms of work: %.2f s → %.2f s, %v; want about 0.3 s more (%d loops)", before, after, err, x)
	}
	if _, err := CPU(-1); err == nil {
		t.Error("CPU of no process succeeded")
	}
}
