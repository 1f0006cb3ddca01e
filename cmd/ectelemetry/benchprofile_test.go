package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/metrics"
)

// profiledWorker returns a profiler and serves, at its address, what a
// worker with METRICS_PPROF=pprof serves.
func profiledWorker(t *testing.T, pprof bool) *profiler {
	t.Helper()
	p, err := newProfiler(filepath.Join(t.TempDir(), "prof"))
	if err != nil {
		t.Fatal(err)
	}
	serveProfiles(t, p, pprof)
	return p
}

func serveProfiles(t *testing.T, p *profiler, pprof bool) {
	t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- metrics.ServeListener(ctx, ln, metrics.New().Registry, nil, pprof) }()
	t.Cleanup(func() { cancel(); <-done })
}

func TestProfilerFetchesTheWorkersProfiles(t *testing.T) {
	p := profiledWorker(t, true)
	p.startCPU(t.Context(), time.Second)
	files, err := p.finish(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"cpu.pprof", "heap.pprof", "goroutine.pprof", "allocs.pprof"}
	if len(files) != len(want) {
		t.Fatalf("files = %v, want %v", files, want)
	}
	for i, f := range files {
		if filepath.Base(f) != want[i] {
			t.Errorf("file %d = %s, want %s", i, f, want[i])
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) { // pprof profiles are gzipped protobuf
			t.Errorf("%s is not a pprof profile: % x", f, b[:min(len(b), 8)])
		}
	}
}

func TestProfilerReportsAWorkerWithoutPprof(t *testing.T) {
	p := profiledWorker(t, false)
	if _, err := p.finish(t.Context()); err == nil || !bytes.Contains([]byte(err.Error()), []byte("HTTP 404")) {
		t.Errorf("finish = %v, want HTTP 404", err)
	}
}

// Profiling cycle 1 (--cycles 1) starts as the worker process starts: the
// CPU profile waits until the worker listens instead of failing.
func TestProfilerWaitsForTheWorkerToListen(t *testing.T) {
	p, err := newProfiler(filepath.Join(t.TempDir(), "prof"))
	if err != nil {
		t.Fatal(err)
	}
	p.startCPU(t.Context(), time.Second)
	time.Sleep(300 * time.Millisecond) // the worker process is still starting
	serveProfiles(t, p, true)
	files, err := p.finish(t.Context())
	if err != nil || len(files) != 4 {
		t.Fatalf("finish = %v, %v, want the four profiles", files, err)
	}
}
