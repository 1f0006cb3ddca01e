package worker

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ec-telemetry/ec-telemetry/internal/metrics"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
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
