package discovery

import (
	"context"
	"errors"
	"maps"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"github.com/ec-telemetry/ec-telemetry/internal/metrics"
	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

func TestCountFleet(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	// Statuses are found by the appliance's key: "2.NE" is also the nePk of
	// another Orchestrator's appliance, whose status must not count.
	sel := []FleetMember{
		{"1.NE", Appliance{ID: "1.NE", State: 1, SoftwareVersion: "9.4.2", Model: "EC-XS"}},
		{"hq:2.NE", Appliance{ID: "2.NE", State: 1, SoftwareVersion: "9.4.2", Model: "EC-M"}},
		{"3.NE", Appliance{ID: "3.NE", State: 2, SoftwareVersion: "9.3.1", Model: "EC-XS"}},
	}
	statuses := map[string]tasks.ApplianceStatus{
		"1.NE":    {Status: "online", TunnelsRead: true, TunnelsUp: 5, TunnelsDown: 1, NewestMinute: now.Add(-2 * time.Minute).Unix()},
		"hq:2.NE": {Status: "degraded", TunnelsRead: true, TunnelsUp: 3, NewestMinute: now.Add(-9 * time.Minute).Unix()},
		"2.NE":    {Status: "offline", NewestMinute: now.Add(-time.Hour).Unix()}, // another Orchestrator's 2.NE, not selected
		"9.NE":    {Status: "offline", NewestMinute: now.Add(-time.Hour).Unix()}, // not selected
	}
	want := FleetCounts{
		ByStatus:    map[string]int{"online": 1, "degraded": 1, "offline": 0, "unknown": 0},
		ByOrchState: map[string]int{"1": 2, "2": 1},
		ByVersion:   map[string]int{"9.4.2": 2, "9.3.1": 1},
		ByModel:     map[string]int{"EC-XS": 2, "EC-M": 1},
		TunnelsUp:   8, TunnelsDown: 1, OldestData: 9 * time.Minute, HasDataAge: true, WithVerdicts: 2,
	}
	if diff := cmp.Diff(want, CountFleet(sel, statuses, now)); diff != "" {
		t.Errorf("CountFleet (-want +got):\n%s", diff)
	}
	if c := CountFleet(sel, nil, now); c.HasDataAge || c.ByStatus["online"] != 0 || c.ByOrchState["1"] != 2 {
		t.Errorf("CountFleet without statuses = %+v, want no data age, no verdicts, states counted", c)
	}
}

// Discovery prunes the statuses of appliances it no longer selects and sets
// the fleet gauges afresh every cycle: a label of an appliance gone
// disappears.
func TestFleetGauges(t *testing.T) {
	e := newEnv(t, `{"appliance_subset": ["HUB-1", "BR-2", "BR-3"]}`)
	board := &tasks.RedisStatusBoard{Client: e.rdb}
	m := metrics.New()
	d, err := New(Options{Orchestrator: e.orch, Queue: NewAsynqQueue(e.rdb, "ectelem"), StatusBoard: board,
		LimitFile: e.limit, Interval: time.Minute, Logger: zerolog.Nop(), Metrics: m, Now: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	now := e.clock()
	for id, s := range map[string]tasks.ApplianceStatus{
		"1.NE": {Status: "online", TunnelsRead: true, TunnelsUp: 6, TunnelsDown: 2, NewestMinute: now.Add(-90 * time.Second).Unix()},
		"2.NE": {Status: "degraded", TunnelsRead: true, TunnelsUp: 4, NewestMinute: now.Add(-8 * time.Minute).Unix()},
		"3.NE": {Status: "offline"},
		"6.NE": {Status: "unknown"}, // BR-6, not selected
	} {
		if err := board.Publish(ctx, id, s); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Cycle(ctx, now); err != nil {
		t.Fatal(err)
	}
	checkFleetGauges(t, "after the first cycle", m, fleetGauges{
		status: map[string]float64{"online": 1, "degraded": 1, "offline": 1, "unknown": 0},
		states: map[string]float64{"1": 2, "2": 1}, up: 10, down: 2, oldest: 480,
	})
	if got := testutil.ToFloat64(m.FleetByModel.WithLabelValues("EC-XS")); got != 3 {
		t.Errorf("appliances_by_model{EC-XS} = %v, want 3", got)
	}
	all, err := board.All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := all["6.NE"]; ok || len(all) != 3 {
		t.Errorf("statuses after the cycle: %v, want 1.NE, 2.NE, 3.NE (6.NE pruned)", all)
	}

	// BR-2 and BR-3 are no longer selected: their verdicts, the state-2
	// label and the stale data age go.
	if err := os.WriteFile(e.limit, []byte(`{"appliance_subset": ["HUB-1"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	e.nowLock.Lock()
	e.now = now.Add(time.Minute)
	e.nowLock.Unlock()
	if _, err := d.Cycle(ctx, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	checkFleetGauges(t, "after the limit file shrank", m, fleetGauges{
		status: map[string]float64{"online": 1, "degraded": 0, "offline": 0, "unknown": 0},
		states: map[string]float64{"1": 1}, up: 6, down: 2, oldest: 150,
	})
	if all, _ := board.All(ctx); len(all) != 1 {
		t.Errorf("statuses after the second cycle: %v, want only 1.NE", all)
	}
}

// fleetGauges is what the fleet gauges should read.
type fleetGauges struct {
	status, states map[string]float64
	up, down       float64
	oldest         float64
}

// checkFleetGauges compares the gauges with want, label sets included: a
// label left over from an earlier cycle is an error.
func checkFleetGauges(t *testing.T, when string, m *metrics.Metrics, want fleetGauges) {
	t.Helper()
	for _, v := range []struct {
		name string
		vec  *prometheus.GaugeVec
		want map[string]float64
	}{
		{"appliances", m.FleetAppliances, want.status},
		{"appliances_by_orchestrator_state", m.FleetByOrchState, want.states},
		{"tunnels", m.FleetTunnels, map[string]float64{"up": want.up, "down": want.down}},
	} {
		if n := testutil.CollectAndCount(v.vec); n != len(v.want) {
			t.Errorf("%s: %s has %d label sets, want %d", when, v.name, n, len(v.want))
		}
		for label, w := range v.want {
			if got := testutil.ToFloat64(v.vec.WithLabelValues(label)); got != w {
				t.Errorf("%s: %s{%s} = %v, want %v", when, v.name, label, got, w)
			}
		}
	}
	if got := testutil.ToFloat64(m.FleetOldestDataSeconds.WithLabelValues()); got != want.oldest {
		t.Errorf("%s: oldest_data_age_seconds = %v, want %v", when, got, want.oldest)
	}
}

// memBoard is a StatusBoard in memory.
type memBoard map[string]tasks.ApplianceStatus

func (b memBoard) All(context.Context) (map[string]tasks.ApplianceStatus, error) {
	return maps.Clone(b), nil
}

func (b memBoard) Prune(context.Context, map[string]bool) (int, error) { return 0, nil }

// Without spreading, the whole fleet is queued at once and runs first in,
// first out: the appliances whose last job ran longest ago go first (one
// never collected before any), so that an overloaded worker pool does not
// lose the same appliances' jobs every cycle. The others keep their order.
// One enqueue at a time, the queue holds them in that order; with more in
// flight, the order holds within Enqueuers.
func TestUnspreadCycleQueuesTheLeastRecentlyCollectedFirst(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	at := func(ago time.Duration) tasks.ApplianceStatus {
		return tasks.ApplianceStatus{Status: "online", At: now.Add(-ago).Unix()}
	}
	board := memBoard{
		"1.NE": at(time.Minute), "2.NE": at(3 * time.Minute), "3.NE": at(time.Minute),
		"4.NE": at(2 * time.Minute), "5.NE": at(time.Minute), // 6.NE: never collected
	}
	q := &listQueue{}
	d, err := New(Options{Orchestrator: &fakeOrch{inv: testInventory()}, Queue: q, CollectAll: true, StatusBoard: board,
		Interval: time.Minute, Logger: zerolog.Nop(), Now: func() time.Time { return now }, Enqueuers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Cycle(t.Context(), now); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"6.NE", "2.NE", "4.NE", "1.NE", "3.NE", "5.NE"}, q.ids); diff != "" {
		t.Errorf("enqueue order (-want +got):\n%s", diff)
	}
}

// gateQueue lets each Enqueue return only once `width` of its round are
// in flight together (rounds of width, in the order they arrive), and
// fails one that waits 5 s.
type gateQueue struct {
	width int

	mu      sync.Mutex
	entered int
	in, max int
}

func (q *gateQueue) Enqueue(context.Context, tasks.AppliancePoll, time.Time) (string, error) {
	q.mu.Lock()
	q.entered++
	q.in++
	q.max = max(q.max, q.in)
	round := (q.entered + q.width - 1) / q.width
	q.mu.Unlock()
	defer func() { q.mu.Lock(); q.in--; q.mu.Unlock() }()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		q.mu.Lock()
		done := q.entered >= round*q.width
		q.mu.Unlock()
		if done {
			return ResultEnqueued, nil
		}
	}
	return ResultError, errors.New("waited 5 s for the rest of its round")
}

// A cycle has up to Enqueuers enqueues in flight at once, and no more:
// each Enqueue of gateQueue returns only when three are in flight.
func TestCycleEnqueuesSeveralAtOnce(t *testing.T) {
	q := &gateQueue{width: 3}
	d, err := New(Options{Orchestrator: &fakeOrch{inv: testInventory()}, Queue: q, CollectAll: true,
		Interval: time.Minute, Logger: zerolog.Nop(), Enqueuers: 3})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := d.Cycle(t.Context(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(testInventory().Appliances); sum.Queued != n || sum.Errors != 0 || q.max != 3 {
		t.Errorf("queued %d with %d errors, at most %d in flight; want all %d, at most 3 in flight", sum.Queued, sum.Errors, q.max, n)
	}
}

// slowQueue moves the clock on by step for each task it takes.
type slowQueue struct {
	mu   sync.Mutex
	now  time.Time
	step time.Duration
}

func (q *slowQueue) Enqueue(context.Context, tasks.AppliancePoll, time.Time) (string, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.now = q.now.Add(q.step)
	return ResultEnqueued, nil
}

func (q *slowQueue) clock() time.Time { q.mu.Lock(); defer q.mu.Unlock(); return q.now }

// A cycle reports how far behind their place it queued the appliances, in
// its summary, its metrics and, past a quarter of the interval, a warning.
func TestCycleReportsItsEnqueueLag(t *testing.T) {
	for _, tt := range []struct {
		step time.Duration
		warn bool
	}{{step: time.Second}, {step: 4 * time.Second, warn: true}} {
		start := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
		q := &slowQueue{now: start, step: tt.step}
		m := metrics.New()
		logs := &testenv.LogBuffer{}
		d, err := New(Options{Orchestrator: &fakeOrch{inv: testInventory()}, Queue: q, CollectAll: true,
			Interval: time.Minute, Logger: zerolog.New(logs), Now: q.clock, Metrics: m, Enqueuers: 1})
		if err != nil {
			t.Fatal(err)
		}
		sum, err := d.Cycle(t.Context(), start)
		if err != nil {
			t.Fatal(err)
		}
		n := len(testInventory().Appliances)
		want := time.Duration(n) * tt.step // one at a time, every one due at the start
		if sum.Lag != want {
			t.Errorf("step %v: lag %v, want %v", tt.step, sum.Lag, want)
		}
		if got := testutil.ToFloat64(m.EnqueueLag); got != want.Seconds() {
			t.Errorf("step %v: ectelemetry_discovery_enqueue_lag_seconds = %v, want %v", tt.step, got, want.Seconds())
		}
		if got := testutil.ToFloat64(m.DiscoveryInterval); got != 60 {
			t.Errorf("ectelemetry_discovery_interval_seconds = %v, want 60", got)
		}
		out := logs.String()
		if !strings.Contains(out, `"lag":`+strconv.Itoa(int(want.Milliseconds()))) {
			t.Errorf("step %v: summary lacks the lag of %v:\n%s", tt.step, want, out)
		}
		if warned := strings.Contains(out, "discovery queued appliances behind their place in the interval"); warned != tt.warn {
			t.Errorf("step %v: lag %v of 60 s warned = %v, want %v:\n%s", tt.step, want, warned, tt.warn, out)
		}
	}
}

// stallingOrch is down for its first Ready, which takes a five-minute step
// of the queue's clock, as an outage waited out.
type stallingOrch struct {
	fakeOrch
	q      *slowQueue
	called atomic.Bool
}

func (o *stallingOrch) Ready(context.Context) error {
	if o.called.CompareAndSwap(false, true) {
		o.q.mu.Lock()
		o.q.now = o.q.now.Add(5 * time.Minute)
		o.q.mu.Unlock()
		return errors.New("connection refused")
	}
	return nil
}

// The lag counts from when the dependencies answered: a cycle that waited
// out an outage reports its enqueues' lag, not the outage.
func TestEnqueueLagLeavesOutAnOutage(t *testing.T) {
	start := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	q := &slowQueue{now: start, step: time.Second}
	logs := &testenv.LogBuffer{}
	d, err := New(Options{Orchestrator: &stallingOrch{fakeOrch: fakeOrch{inv: testInventory()}, q: q}, Queue: q, CollectAll: true,
		Interval: time.Minute, RetryWait: time.Millisecond, Logger: zerolog.New(logs), Now: q.clock, Enqueuers: 1})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := d.Cycle(t.Context(), start)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Duration(len(testInventory().Appliances)) * time.Second; sum.Lag != want {
		t.Errorf("lag %v after a five-minute wait for the Orchestrator, want %v", sum.Lag, want)
	}
	if strings.Contains(logs.String(), "behind their place in the interval") {
		t.Errorf("the outage was reported as enqueue lag:\n%s", logs)
	}
}
