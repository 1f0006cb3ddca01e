package discovery

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"github.com/ec-telemetry/ec-telemetry/internal/metrics"
	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
)

type downOrch struct{}

func (downOrch) Ready(context.Context) error { return errors.New("connection refused") }
func (downOrch) Inventory(context.Context) (Inventory, error) {
	return Inventory{}, errors.New("connection refused")
}

// Three Orchestrators with the same nePks, one of them down: the other
// two are queued under their own task ids, each with its own limit file,
// and the one down is logged and counted.
func TestCycleReadsEveryOrchestrator(t *testing.T) {
	e := newEnv(t, `{"appliance_subset": ["HUB-1"]}`)
	other := testInventory()
	for i := range other.Appliances {
		other.Appliances[i].Hostname = "B-" + other.Appliances[i].Hostname
	}
	limitB := filepath.Join(t.TempDir(), "limit_b.json")
	if err := os.WriteFile(limitB, []byte(`{"appliance_subset": ["B-HUB-1", "B-BR-2"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	d, err := New(Options{
		Sources: []Source{
			{Name: "a", Orchestrator: e.orch, LimitFile: e.limit, Scoped: true},
			{Name: "b", Orchestrator: &fakeOrch{inv: other}, LimitFile: limitB, Scoped: true},
			{Name: "c", Orchestrator: downOrch{}, CollectAll: true, Scoped: true},
		},
		Queue: NewAsynqQueue(e.rdb, "ectelem"), Cycles: e.cycles, Interval: time.Minute, RetryWait: 10 * time.Millisecond,
		Logger: zerolog.New(e.logs), Now: e.clock, Metrics: m,
	})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := d.Cycle(t.Context(), e.clock())
	if err != nil {
		t.Fatalf("Cycle = %v, want nil with one Orchestrator of three down", err)
	}
	if sum.Listed != 12 || sum.Selected != 3 || sum.Queued != 3 || sum.OrchestratorErrors != 1 {
		t.Errorf("summary = %+v, want listed 12, selected 3, queued 3, 1 orchestrator error", sum)
	}
	infos, err := e.insp.ListPendingTasks("ectelem")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ti := range infos {
		p, err := tasks.ParseAppliancePollPayload(ti.Payload)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ti.ID+" "+p.Orchestrator+" "+p.Hostname)
	}
	want := []string{"poll:a:1.NE a HUB-1", "poll:b:1.NE b B-HUB-1", "poll:b:2.NE b B-BR-2"}
	if diff := cmp.Diff(want, slices.Sorted(slices.Values(got))); diff != "" {
		t.Errorf("queued (-want +got):\n%s", diff)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, `"orchestrator":"c"`) || !strings.Contains(logs, "orchestrator skipped this cycle") {
		t.Errorf("logs lack the skipped Orchestrator c:\n%s", logs)
	}
	if v := testutil.ToFloat64(m.OrchestratorReads.WithLabelValues("c", "down")); v != 1 {
		t.Errorf("orchestrator_reads_total{c,down} = %v, want 1", v)
	}
	if v := testutil.ToFloat64(m.OrchestratorAppliances.WithLabelValues("b", "selected")); v != 2 {
		t.Errorf("orchestrator_appliances{b,selected} = %v, want 2", v)
	}

	// Every Orchestrator down: the cycle fails.
	d2, err := New(Options{Sources: []Source{{Name: "c", Orchestrator: downOrch{}, CollectAll: true, Scoped: true},
		{Name: "d", Orchestrator: downOrch{}, CollectAll: true, Scoped: true}},
		Queue: NewAsynqQueue(e.rdb, "ectelem"), Interval: time.Minute, Logger: zerolog.Nop(), Now: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d2.Cycle(t.Context(), e.clock()); err == nil || !strings.Contains(err.Error(), "every orchestrator failed") {
		t.Errorf("Cycle with every Orchestrator down = %v, want every orchestrator failed", err)
	}
}

func TestNewRefusesUnscopedSeveral(t *testing.T) {
	_, err := New(Options{Sources: []Source{{Name: "a", Orchestrator: downOrch{}, CollectAll: true},
		{Name: "b", Orchestrator: downOrch{}, CollectAll: true, Scoped: true}}, Queue: nopQueue{}})
	if err == nil || !strings.Contains(err.Error(), "need scoped keys") {
		t.Errorf("New = %v, want an error about scoped keys", err)
	}
}

type nopQueue struct{}

func (nopQueue) Enqueue(context.Context, tasks.AppliancePoll, time.Time) (string, error) {
	return ResultEnqueued, nil
}
