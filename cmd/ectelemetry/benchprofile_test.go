package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// fakeStore serves, at /debug/pprof/profile, the given bytes as a database
// serves its CPU profile, after the seconds asked for, and records the
// query. (A second real CPU profile cannot run in the test's process beside
// the worker's.) Any other path is not found.
func fakeStore(t *testing.T, profile []byte) (url string, query <-chan string) {
	t.Helper()
	queries := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/debug/pprof/profile" || profile == nil {
			http.NotFound(w, r)
			return
		}
		queries <- r.URL.RawQuery
		secs, _ := strconv.Atoi(r.URL.Query().Get("seconds"))
		time.Sleep(time.Duration(secs) * time.Second)
		w.Write(profile)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, queries
}

func TestProfilerFetchesTheDatabasesCPUProfile(t *testing.T) {
	p := profiledWorker(t, true)
	want := []byte{0x1f, 0x8b, 8, 0, 'd', 'b'}
	var query <-chan string
	p.store, query = fakeStore(t, want)
	p.startCPU(t.Context(), time.Second)
	if _, err := p.finish(t.Context()); err != nil {
		t.Fatal(err)
	}
	f, err := p.storeProfile()
	if err != nil || filepath.Base(f) != "store-cpu.pprof" {
		t.Fatalf("storeProfile = %q, %v; want store-cpu.pprof", f, err)
	}
	if q := <-query; q != "seconds=1" {
		t.Errorf("the database was asked for %q, want seconds=1, the worker's span", q)
	}
	if b, err := os.ReadFile(f); err != nil || !bytes.Equal(b, want) {
		t.Errorf("%s = % x, %v; want % x", f, b, err, want)
	}
}

// A database that serves no profile leaves the worker's profiles whole and
// says why there is none of its own.
func TestProfilerReportsADatabaseWithoutPprof(t *testing.T) {
	p := profiledWorker(t, true)
	p.store, _ = fakeStore(t, nil)
	p.startCPU(t.Context(), time.Second)
	files, err := p.finish(t.Context())
	if err != nil || len(files) != 4 {
		t.Fatalf("finish = %v, %v; want the worker's four profiles", files, err)
	}
	f, err := p.storeProfile()
	if f != "" || err == nil || !strings.Contains(err.Error(), "database profile") || !strings.Contains(err.Error(), "HTTP 404") {
		t.Errorf("storeProfile = %q, %v; want no file and a database HTTP 404", f, err)
	}
	if _, err := os.Stat(filepath.Join(p.dir, "store-cpu.pprof")); !os.IsNotExist(err) {
		t.Errorf("store-cpu.pprof written for a database without pprof: %v", err)
	}
}

// Without a database to ask, storeProfile has nothing to wait for.
func TestProfilerWithoutADatabase(t *testing.T) {
	p := profiledWorker(t, true)
	p.startCPU(t.Context(), time.Second)
	if _, err := p.finish(t.Context()); err != nil {
		t.Fatal(err)
	}
	if f, err := p.storeProfile(); f != "" || err != nil {
		t.Errorf("storeProfile = %q, %v; want nothing", f, err)
	}
}
