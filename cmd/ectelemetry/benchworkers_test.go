package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ec-telemetry/ec-telemetry/internal/metrics"
)

// serveMetrics serves m's /metrics on a loopback port, as a worker process
// does, and returns its address and the count of scrapes it answered.
func serveMetrics(t *testing.T, m *metrics.Metrics) (string, *atomic.Int64) {
	t.Helper()
	scrapes := new(atomic.Int64)
	h := promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		scrapes.Add(1)
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String(), scrapes
}

// The bench reads the job gauges and the wait histograms of every worker
// from their /metrics and adds them up.
func TestReadWorkersSumsTheWorkers(t *testing.T) {
	a, b := metrics.New(), metrics.New()
	a.JobsInFlight.Set(3)
	a.JobSlots.Set(8)
	b.JobsInFlight.Set(5)
	b.JobSlots.Set(16)
	a.WriteDuration.Observe(0.1)
	b.WriteDuration.Observe(0.3)
	b.WriteDuration.Observe(0.2)
	a.MinuteSlotWait.Observe(2)
	addrA, _ := serveMetrics(t, a)
	addrB, _ := serveMetrics(t, b)
	w, err := readWorkers(t.Context(), []string{addrA, addrB})
	if err != nil {
		t.Fatal(err)
	}
	if w.inFlight != 8 || w.slots != 24 {
		t.Errorf("readWorkers: %v in flight of %v slots, want 8 of 24", w.inFlight, w.slots)
	}
	if got := w.writes.meanSince(timing{}); w.writes.n != 3 || got != "200 ms" {
		t.Errorf("writes: %v, mean %s; want 3 with a mean of 200 ms", w.writes, got)
	}
	if got := w.waits.meanSince(timing{}); got != "2000 ms" {
		t.Errorf("waits: mean %s, want 2000 ms", got)
	}
	if got := w.waits.meanSince(w.waits); got != "none" {
		t.Errorf("no wait since: %q, want none", got)
	}
}

// A worker that does not answer leaves no sample: the cycle's figure says
// it was not measured instead of counting it as idle.
func TestSampleSlotsWithoutAnAnsweringWorker(t *testing.T) {
	closed, err := freeLoopbackAddr()
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	m.JobsInFlight.Set(4)
	m.JobSlots.Set(16)
	ctx, cancel := context.WithTimeout(t.Context(), 120*time.Millisecond)
	defer cancel()
	addr, _ := serveMetrics(t, m)
	u := sampleSlots(ctx, []string{addr, closed}, 20*time.Millisecond)
	if u.samples != 0 || u.String() != "not measured" {
		t.Errorf("with one worker not answering: %d samples, %q; want none, \"not measured\"", u.samples, u)
	}
}

// The figure is the mean over the samples of the cycle.
func TestSampleSlotsAverages(t *testing.T) {
	m := metrics.New()
	m.JobSlots.Set(16)
	m.JobsInFlight.Set(12)
	addr, scrapes := serveMetrics(t, m)
	waitScrapes := func(n int64) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); scrapes.Load() < n; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d scrapes in 10 s, want %d", scrapes.Load(), n)
			}
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	res := make(chan slotUse, 1)
	go func() { res <- sampleSlots(ctx, []string{addr}, 5*time.Millisecond) }()
	waitScrapes(3)
	m.JobsInFlight.Set(4)
	waitScrapes(scrapes.Load() + 3) // at least two with 4 in flight
	cancel()
	u := <-res
	if u.samples < 4 || u.slots != 16 || u.inFlight <= 4 || u.inFlight >= 12 {
		t.Errorf("sampleSlots = %+v, want several samples of 16 slots averaging between 4 and 12 in flight", u)
	}
	if got := (slotUse{inFlight: 12, slots: 16, samples: 3}).String(); got != "12 of 16, 75%" {
		t.Errorf("String() = %q, want \"12 of 16, 75%%\"", got)
	}
}
