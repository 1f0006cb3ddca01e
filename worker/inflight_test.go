package worker

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/ec-telemetry/ec-telemetry/internal/metrics"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// heldReacher holds every reachability check until release is closed,
// telling entered when one starts, then asks next.
type heldReacher struct {
	next    Reacher
	entered chan struct{}
	release chan struct{}
}

func (r heldReacher) Check(ctx context.Context, address string) Reachability {
	r.entered <- struct{}{}
	<-r.release
	return r.next.Check(ctx, address)
}

// ectelemetry_worker_jobs_in_flight counts the jobs running in the handler
// while they run, a late job's brief visit included, and is back at zero
// once they end, whatever their outcome.
func TestJobsInFlightGauge(t *testing.T) {
	m := metrics.New()
	held := heldReacher{entered: make(chan struct{}), release: make(chan struct{})}
	f := newFixtureWith(t, simulator.Config{Appliances: 4, Seed: 7}, func(_ *simulator.Simulator, o *Options) {
		held.next = o.Reacher
		o.Reacher, o.Metrics = held, m
	})
	task := func(id string, startBy time.Time) *asynq.Task {
		p := f.polls[id]
		p.StartBy = startBy.Unix()
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		return asynq.NewTask(tasks.TypeAppliancePoll, b)
	}
	apps := reachable(t, f.sim)
	if len(apps) < 3 {
		t.Fatalf("simulator has %d reachable appliances, want 3", len(apps))
	}
	release := sync.OnceFunc(func() { close(held.release) })
	t.Cleanup(release) // a failing test does not leave the jobs held

	done := make(chan error, 2)
	for _, a := range apps[:2] {
		go func() { done <- f.h.ProcessTask(t.Context(), task(a.ID, time.Now().Add(time.Minute))) }()
		<-held.entered
	}
	if got := testutil.ToFloat64(m.JobsInFlight); got != 2 {
		t.Errorf("two jobs held at their reachability check: jobs_in_flight = %v, want 2", got)
	}
	// A late job passes through while the two are held.
	if err := f.h.ProcessTask(t.Context(), task(apps[2].ID, time.Now().Add(-time.Second))); err == nil {
		t.Error("late job: ProcessTask = nil, want it dropped")
	}
	if got := testutil.ToFloat64(m.JobsInFlight); got != 2 {
		t.Errorf("after a late job ended: jobs_in_flight = %v, want 2", got)
	}
	release()
	for range 2 {
		if err := <-done; err != nil {
			t.Errorf("held job: ProcessTask = %v", err)
		}
	}
	if got := testutil.ToFloat64(m.JobsInFlight); got != 0 {
		t.Errorf("after every job ended: jobs_in_flight = %v, want 0", got)
	}
	if got := testutil.ToFloat64(m.Jobs.WithLabelValues(string(OutcomeOK))); got != 2 {
		t.Errorf(`jobs_total{result="ok"} = %v, want 2`, got)
	}
}

// slowSink takes delay to answer every write.
type slowSink struct {
	next  Sink
	delay time.Duration
}

func (s slowSink) Write(ctx context.Context, pts []telemetry.Point) (int, error) {
	time.Sleep(s.delay)
	return s.next.Write(ctx, pts)
}

// A job's waits that hold its slot are timed: each write of its points
// (ectelemetry_worker_write_duration_seconds), here against a database
// that takes 100 ms, and its wait for a minute-stats slot
// (ectelemetry_worker_minute_slot_wait_seconds), here the only slot, held
// by the test until 500 ms after the job logged out with its archives.
func TestJobWaitsAreTimed(t *testing.T) {
	m := metrics.New()
	f := newFixtureWith(t, simulator.Config{Appliances: 3, Seed: 7}, func(_ *simulator.Simulator, o *Options) {
		o.Sink = slowSink{next: o.Sink, delay: 100 * time.Millisecond}
		o.MinuteStatsJobs, o.Metrics = 1, m
	})
	a := reachable(t, f.sim)[0]
	slot := <-f.h.minuteSlot
	done := make(chan Report, 1)
	go func() { done <- f.h.Collect(t.Context(), f.polls[a.ID]) }()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if st, err := f.sim.Stats(a.ID); err == nil && st.Logouts == 1 {
			break
		}
		select {
		case r := <-done:
			t.Fatalf("job ended before it logged out: %s (%v)", r.Outcome, r.Err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the job did not log out within 20 s")
		}
	}
	time.Sleep(500 * time.Millisecond)
	f.h.minuteSlot <- slot
	if r := <-done; r.Outcome != OutcomeOK || r.MinutesStored == 0 {
		t.Fatalf("outcome %s, %d minutes stored (%v); want ok with minutes", r.Outcome, r.MinutesStored, r.Err)
	}

	wait := histogramOf(t, m.MinuteSlotWait)
	if wait.GetSampleCount() != 1 || wait.GetSampleSum() < 0.25 || wait.GetSampleSum() > 10 {
		t.Errorf("minute_slot_wait_seconds: %d waits, %.3f s in all; want one of about 0.5 s", wait.GetSampleCount(), wait.GetSampleSum())
	}
	writes := histogramOf(t, m.WriteDuration)
	if n := writes.GetSampleCount(); n < 2 || writes.GetSampleSum() < 0.1*float64(n) {
		t.Errorf("write_duration_seconds: %d writes, %.3f s in all; want the minute statistics' and the other sources' writes, each 0.1 s or more", n, writes.GetSampleSum())
	}
}

// histogramOf returns what h has observed.
func histogramOf(t *testing.T, h prometheus.Histogram) *dto.Histogram {
	t.Helper()
	var pb dto.Metric
	if err := h.Write(&pb); err != nil {
		t.Fatal(err)
	}
	return pb.GetHistogram()
}
