package worker

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ec-telemetry/ec-telemetry/internal/metrics"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

type cycleLog struct {
	mu              sync.Mutex
	collected, late map[int64]int
}

func (c *cycleLog) RecordJob(_ context.Context, cycle int64, collected bool, _ int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if collected {
		c.collected[cycle]++
	}
}

func (c *cycleLog) RecordLate(_ context.Context, cycle int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.late[cycle]++
}

// A task dequeued after its start-by time is dropped without a single
// request to the appliance and counted as late; one dequeued in time is
// collected.
func TestTaskDequeuedAfterItsStartByTimeIsDropped(t *testing.T) {
	cl := &cycleLog{collected: map[int64]int{}, late: map[int64]int{}}
	m := metrics.New()
	f := newFixtureWith(t, simulator.Config{Appliances: 3, Seed: 7}, func(_ *simulator.Simulator, o *Options) {
		o.Cycles, o.Metrics = cl, m
	})
	a := reachable(t, f.sim)[0]
	task := func(startBy time.Time) *asynq.Task { return pollTask(t, f.polls[a.ID], 1796040000, startBy) }

	err := f.h.ProcessTask(t.Context(), task(time.Now().Add(-2*time.Second)))
	if !errors.Is(err, asynq.RevokeTask) {
		t.Fatalf("late task: ProcessTask = %v, want an error wrapping asynq.RevokeTask", err)
	}
	st, _ := f.sim.Stats(a.ID)
	if st.Connections != 0 || len(st.Requests) != 0 {
		t.Errorf("late task: the appliance saw %d connections and requests %v, want none", st.Connections, st.Requests)
	}
	if n := len(f.sink.minutePoints()) + len(f.sink.byMeasurement(telemetry.MeasMemoryStats)); n != 0 {
		t.Errorf("late task wrote %d points, want none", n)
	}
	if cl.late[1796040000] != 1 || cl.collected[1796040000] != 0 {
		t.Errorf("cycle record: late %v, collected %v; want one late job", cl.late, cl.collected)
	}
	if got := testutil.ToFloat64(m.Jobs.WithLabelValues("late")); got != 1 {
		t.Errorf(`ectelemetry_worker_jobs_total{result="late"} = %v, want 1`, got)
	}

	if err := f.h.ProcessTask(t.Context(), task(time.Now().Add(time.Minute))); err != nil {
		t.Fatalf("task in time: ProcessTask = %v", err)
	}
	if cl.collected[1796040000] != 1 || cl.late[1796040000] != 1 {
		t.Errorf("cycle record: late %v, collected %v; want the second job collected", cl.late, cl.collected)
	}
}

// pollTask is the asynq task of poll p in cycle, to start by startBy.
func pollTask(t *testing.T, p tasks.AppliancePoll, cycle int64, startBy time.Time) *asynq.Task {
	t.Helper()
	p.Cycle, p.StartBy = cycle, startBy.Unix()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return asynq.NewTask(tasks.TypeAppliancePoll, b)
}
