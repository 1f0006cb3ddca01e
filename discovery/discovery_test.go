package discovery

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

type fakeOrch struct {
	inv      Inventory
	notReady atomic.Int32 // Ready fails this many more times
}

func (f *fakeOrch) Ready(context.Context) error {
	if f.notReady.Add(-1) >= 0 {
		return errors.New("connection refused")
	}
	return nil
}
func (f *fakeOrch) Inventory(context.Context) (Inventory, error) { return f.inv, nil }

func testInventory() Inventory {
	inv := Inventory{
		WANLabels: map[string]string{"1": "MPLS1"}, LANLabels: map[string]string{"5": "Data"},
		Overlays: map[string]string{"1": "RealTime"},
		Licenses: map[string]License{"1.NE": {Display: "1 Gbps", Bandwidth: 1000000}},
	}
	for i, h := range []string{"HUB-1", "BR-2", "BR-3", "BR-4", "BR-5", "BR-6"} {
		state := 1
		if h == "BR-3" {
			state = 2
		}
		inv.Appliances = append(inv.Appliances, Appliance{ID: string(rune('1'+i)) + ".NE", Hostname: h,
			Address: "127.0.0.1:1", NetworkRole: "0", Model: "EC-XS", State: state, ReachabilityChannel: 2})
	}
	inv.Appliances[0].NetworkRole = "1"
	return inv
}

type env struct {
	d       *Discovery
	rdb     *redis.Client
	addr    string
	orch    *fakeOrch
	insp    *asynq.Inspector
	limit   string
	logs    *testenv.LogBuffer
	cycles  *tasks.RedisCycles
	now     time.Time
	nowLock sync.Mutex
}

func newEnv(t *testing.T, limit string) *env {
	t.Helper()
	rs := testenv.StartRedis(t)
	insp := asynq.NewInspector(asynq.RedisClientOpt{Addr: rs.Addr})
	rdb := rs.Client(t)
	t.Cleanup(func() { insp.Close() })
	e := &env{orch: &fakeOrch{inv: testInventory()}, insp: insp, logs: &testenv.LogBuffer{}, rdb: rdb, addr: rs.Addr,
		limit: filepath.Join(t.TempDir(), "limit_appliances.json"), cycles: &tasks.RedisCycles{Client: rdb},
		now: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	if err := os.WriteFile(e.limit, []byte(limit), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := New(Options{
		Orchestrator: e.orch, Queue: NewAsynqQueue(rdb, "ectelem"),
		Cycles: e.cycles, Marker: &tasks.RedisMarker{Client: rdb}, LimitFile: e.limit, Interval: time.Minute, RetryWait: 10 * time.Millisecond,
		Logger: zerolog.New(e.logs), Now: e.clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.d = d
	return e
}

func (e *env) clock() time.Time { e.nowLock.Lock(); defer e.nowLock.Unlock(); return e.now }

// queued returns the payloads in the queue, sorted by hostname.
func (e *env) queued(t *testing.T) []tasks.AppliancePoll {
	t.Helper()
	infos, err := e.insp.ListPendingTasks("ectelem")
	if err != nil {
		t.Fatal(err)
	}
	var out []tasks.AppliancePoll
	for _, ti := range infos {
		p, err := tasks.ParseAppliancePollPayload(ti.Payload)
		if err != nil {
			t.Fatal(err)
		}
		if ti.ID != tasks.TaskID(p.Key()) {
			t.Errorf("task id = %q, want %q", ti.ID, tasks.TaskID(p.Key()))
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Hostname < out[j].Hostname })
	return out
}

func hosts(ps []tasks.AppliancePoll) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Hostname)
	}
	return out
}

func TestCycleQueuesListedAppliancesWithTheirPayload(t *testing.T) {
	e := newEnv(t, `{"appliance_subset": ["HUB-1", "BR-3", "NOPE-9"], "comment": "x"}`)
	sum, err := e.d.Cycle(t.Context(), e.clock())
	if err != nil {
		t.Fatal(err)
	}
	if sum.Listed != 6 || sum.Selected != 2 || sum.Queued != 2 || sum.StillQueued != 0 {
		t.Errorf("summary = %+v, want listed 6 selected 2 queued 2", sum)
	}
	q := e.queued(t)
	if diff := cmp.Diff([]string{"BR-3", "HUB-1"}, hosts(q)); diff != "" {
		t.Fatalf("queued (-want +got):\n%s", diff)
	}
	hub := q[1]
	if hub.ApplianceID != "1.NE" || hub.NetworkRole != "1" || !hub.Licensed || hub.LicenseBW != 1000000 ||
		hub.WANLabels["1"] != "MPLS1" || hub.Overlays["1"] != "RealTime" || hub.Cycle != e.now.Unix() || hub.DiscoveredAt != e.now.Unix() {
		t.Errorf("hub payload = %+v", hub)
	}
	if q[0].Licensed {
		t.Errorf("BR-3 has no licence entry but payload says licensed: %+v", q[0])
	}
	if !strings.Contains(e.logs.String(), `"hostname":"NOPE-9"`) || !strings.Contains(e.logs.String(), "does not know") {
		t.Errorf("unknown hostname not logged:\n%s", e.logs)
	}
	if got, _ := e.cycles.Get(t.Context(), sum.Cycle); got.Queued != 2 {
		t.Errorf("cycle record = %+v, want queued 2", got)
	}
}

// A task must start within the interval after it is queued (its start-by
// time, in the payload); asynq's deadline is a job timeout later, so a job
// started in time is not cut short by its queue deadline.
func TestTaskStartByAndDeadline(t *testing.T) {
	e := newEnv(t, `{"appliance_subset": ["HUB-1"]}`)
	before := time.Now()
	if _, err := e.d.Cycle(t.Context(), e.clock()); err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	infos, err := e.insp.ListPendingTasks("ectelem")
	if err != nil || len(infos) != 1 {
		t.Fatalf("pending tasks = %v, %v; want one", infos, err)
	}
	p, err := tasks.ParseAppliancePollPayload(infos[0].Payload)
	if err != nil {
		t.Fatal(err)
	}
	if lo, hi := before.Add(time.Minute).Unix(), after.Add(time.Minute).Unix(); p.StartBy < lo || p.StartBy > hi {
		t.Errorf("start_by = %d, want the enqueue time plus the interval, in [%d, %d]", p.StartBy, lo, hi)
	}
	if d := infos[0].Deadline.Sub(time.Unix(p.StartBy, 0)); d < 55*time.Second || d >= 56*time.Second {
		t.Errorf("deadline %s is %s after start_by, want JobTimeout (55 s by default)", infos[0].Deadline, d)
	}
}

// A task still pending past its start-by time (left from before a restart,
// or from a cycle the workers could not keep up with) would only be
// dropped by a worker: the next cycle replaces it instead of skipping the
// appliance again.
func TestPendingTaskPastItsStartByIsReplaced(t *testing.T) {
	e := newEnv(t, `{"appliance_subset": ["BR-2"]}`)
	old := tasks.AppliancePoll{ApplianceID: "2.NE", Hostname: "BR-2", Address: "127.0.0.1:1", Cycle: e.now.Add(-time.Minute).Unix(), DiscoveredAt: e.now.Unix(),
		StartBy: time.Now().Add(-time.Second).Unix()}
	if res, err := e.d.o.Queue.Enqueue(t.Context(), old, time.Now().Add(time.Minute)); err != nil || res != ResultEnqueued {
		t.Fatalf("enqueue the old task: %s, %v", res, err)
	}
	sum, err := e.d.Cycle(t.Context(), e.clock())
	if err != nil {
		t.Fatal(err)
	}
	q := e.queued(t)
	if sum.Queued != 1 || sum.Requeued != 1 || sum.StillQueued != 0 || len(q) != 1 || q[0].StartBy <= time.Now().Unix() {
		t.Errorf("summary %+v, pending %+v; want the stale task replaced by this cycle's", sum, q)
	}
}

func TestOverrunDoesNotPileUp(t *testing.T) {
	e := newEnv(t, `{"appliance_subset": ["HUB-1", "BR-2"]}`)
	for i := 0; i < 3; i++ { // no worker runs: every later cycle finds the tasks queued
		sum, err := e.d.Cycle(t.Context(), e.clock())
		if err != nil {
			t.Fatal(err)
		}
		wantQueued, wantStill := 2, 0
		if i > 0 {
			wantQueued, wantStill = 0, 2
		}
		if sum.Queued != wantQueued || sum.StillQueued != wantStill {
			t.Errorf("cycle %d: queued %d still %d, want %d %d", i, sum.Queued, sum.StillQueued, wantQueued, wantStill)
		}
	}
	if n := len(e.queued(t)); n != 2 {
		t.Errorf("queue holds %d tasks after 3 cycles, want 2", n)
	}
}

func TestArchivedTaskDoesNotBlockItsAppliance(t *testing.T) {
	e := newEnv(t, `{"appliance_subset": ["BR-2"]}`)
	if _, err := e.d.Cycle(t.Context(), e.clock()); err != nil {
		t.Fatal(err)
	}
	if err := e.insp.ArchiveTask("ectelem", tasks.TaskID("2.NE")); err != nil {
		t.Fatal(err)
	}
	sum, err := e.d.Cycle(t.Context(), e.clock())
	if err != nil {
		t.Fatal(err)
	}
	if sum.Queued != 1 || sum.Requeued != 1 || len(e.queued(t)) != 1 {
		t.Errorf("after archiving: queued %d, requeued %d, pending %d; want the task queued again", sum.Queued, sum.Requeued, len(e.queued(t)))
	}
}

func TestLimitFileIsReReadAndAutoPickWritesBack(t *testing.T) {
	e := newEnv(t, `{"appliance_subset": [], "example": ["HQ"], "comment": "edit me"}`)
	if _, err := e.d.Cycle(t.Context(), e.clock()); err != nil {
		t.Fatal(err)
	}
	want := []string{"BR-2", "BR-4", "BR-5", "HUB-1"} // first four in state 1; BR-3 is state 2
	if diff := cmp.Diff(want, hosts(e.queued(t))); diff != "" {
		t.Errorf("auto-picked (-want +got):\n%s", diff)
	}
	lf, err := config.ReadLimitFile(e.limit)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(config.LimitFile{ApplianceSubset: []string{"HUB-1", "BR-2", "BR-4", "BR-5"}, Example: []string{"HQ"}, Comment: "edit me"}, lf); diff != "" {
		t.Errorf("written back (-want +got):\n%s", diff)
	}

	// The operator edits the file between cycles: the next cycle follows it.
	e.insp.DeleteAllPendingTasks("ectelem")
	os.WriteFile(e.limit, []byte(`{"appliance_subset": ["BR-6"]}`), 0o644)
	if _, err := e.d.Cycle(t.Context(), e.clock()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"BR-6"}, hosts(e.queued(t))); diff != "" {
		t.Errorf("after edit (-want +got):\n%s", diff)
	}

	// A broken edit keeps the last valid selection and says so.
	e.insp.DeleteAllPendingTasks("ectelem")
	os.WriteFile(e.limit, []byte(`{"appliance_subset": ["BR-6"`), 0o644)
	if _, err := e.d.Cycle(t.Context(), e.clock()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"BR-6"}, hosts(e.queued(t))); diff != "" {
		t.Errorf("after broken edit (-want +got):\n%s", diff)
	}
	if !strings.Contains(e.logs.String(), "limit file is invalid: using its last valid content") {
		t.Errorf("broken limit file not logged:\n%s", e.logs)
	}
}

func TestCycleWaitsForTheOrchestrator(t *testing.T) {
	e := newEnv(t, `{"appliance_subset": ["BR-2"]}`)
	e.orch.notReady.Store(2)
	sum, err := e.d.Cycle(t.Context(), e.clock())
	if err != nil {
		t.Fatal(err)
	}
	if sum.Queued != 1 {
		t.Errorf("queued %d after the Orchestrator came back, want 1", sum.Queued)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "waiting for dependencies") || !strings.Contains(logs, "orchestrator: connection refused") ||
		!strings.Contains(logs, "dependencies are back") {
		t.Errorf("outage not logged clearly:\n%s", logs)
	}
}

func TestOffsetIsStableAndWithinTheInterval(t *testing.T) {
	seen := map[time.Duration]bool{}
	for i := 0; i < 200; i++ {
		id := string(rune('A'+i%26)) + string(rune('a'+i/26)) + ".NE"
		o := Offset(id, time.Minute)
		if o < 0 || o >= time.Minute || o != Offset(id, time.Minute) {
			t.Fatalf("Offset(%s) = %v: not stable or out of range", id, o)
		}
		seen[o/(10*time.Second)] = true
	}
	if len(seen) != 6 {
		t.Errorf("offsets of 200 ids fall in %d of 6 ten-second slots, want all", len(seen))
	}
}

// A cycle that queued nothing (every appliance still queued) gets no
// "cycle summary" line claiming it collected 0.
func TestNoCycleSummaryForACycleThatQueuedNothing(t *testing.T) {
	e := newEnv(t, `{"appliance_subset": ["HUB-1", "BR-2"]}`)
	for i := 0; i < 3; i++ { // no worker: cycles 2 and 3 find both still queued
		if _, err := e.d.Cycle(t.Context(), e.clock()); err != nil {
			t.Fatal(err)
		}
		e.advance(time.Minute)
	}
	if logs := e.logs.String(); strings.Contains(logs, `"cycle summary"`) {
		t.Errorf("a cycle summary was logged for a cycle that queued nothing:\n%s", logs)
	}
}

// advancingOrch is down for a number of checks, each of which moves the
// clock on by step.
type advancingOrch struct {
	fakeOrch
	e    *env
	step time.Duration
}

func (a *advancingOrch) Ready(ctx context.Context) error {
	a.e.advance(a.step)
	return a.fakeOrch.Ready(ctx)
}

// While the same dependency stays down, the waiting line is repeated every
// 30 s of the discovery clock, not on every retry.
func TestWaitingLineRepeatsEvery30s(t *testing.T) {
	e := newEnv(t, `{"appliance_subset": ["BR-2"]}`)
	o := &advancingOrch{fakeOrch: fakeOrch{inv: testInventory()}, e: e, step: 10 * time.Second}
	o.notReady.Store(7) // down for 70 s of the clock
	e.d.sources[0].Orchestrator = o
	if _, err := e.d.Cycle(t.Context(), e.clock()); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(e.logs.String(), "waiting for dependencies"); n != 3 {
		t.Errorf("waiting line logged %d times over 70 s down, want 3 (at 0, 30 and 60 s):\n%s", n, e.logs)
	}
}
