package discovery

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// cancellingQueue accepts every task and cancels the cycle after the first.
type cancellingQueue struct {
	cancel context.CancelFunc
	got    []string
}

func (q *cancellingQueue) Enqueue(_ context.Context, p tasks.AppliancePoll, _ time.Time) (string, error) {
	q.got = append(q.got, p.Hostname)
	q.cancel()
	return ResultEnqueued, nil
}

// TestInterruptedCycleSaysSo: a cycle stopped while it paces its enqueues
// reports how many appliances it left out instead of a normal summary.
func TestInterruptedCycleSaysSo(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	q := &cancellingQueue{cancel: cancel}
	logs := &testenv.LogBuffer{}
	// The clock stands at the earliest appliance's offset: that one is due,
	// the others wait for theirs and the cancel arrives first.
	start := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	var offsets []time.Duration
	for _, a := range testInventory().Appliances {
		offsets = append(offsets, Offset(a.ID, time.Minute))
	}
	now := start.Add(slices.Min(offsets))
	d, err := New(Options{
		Orchestrator: &fakeOrch{inv: testInventory()}, Queue: q, CollectAll: true, Spread: true,
		Interval: time.Minute, Logger: zerolog.New(logs), Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	selected := len(testInventory().Appliances)
	sum, err := d.Cycle(ctx, start)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Cycle error = %v, want context.Canceled", err)
	}
	if !sum.Interrupted || sum.Queued != 1 || len(q.got) != 1 || sum.NotQueued != selected-1 || sum.Selected != selected {
		t.Errorf("Cycle = %+v with %d queued, want Interrupted with 1 queued and the other %d not", sum, len(q.got), selected-1)
	}
	out := logs.String()
	if !strings.Contains(out, `"message":"discovery cycle interrupted: only part of the appliances queued"`) ||
		!strings.Contains(out, `"not_queued":`) {
		t.Errorf("log lacks the interrupted summary:\n%s", out)
	}
	if strings.Contains(out, "discovery cycle: appliances queued") {
		t.Errorf("log summarises the interrupted cycle as complete:\n%s", out)
	}
}
