package discovery

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
	"github.com/ec-telemetry/ec-telemetry/orchestrator"
)

type pointSink struct {
	mu  sync.Mutex
	pts []telemetry.Point
}

func (s *pointSink) Write(_ context.Context, pts []telemetry.Point) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range pts {
		if err := telemetry.Validate(p); err != nil {
			return 0, err
		}
	}
	s.pts = append(s.pts, pts...)
	return len(pts), nil
}

// keys renders points as sorted "measurement tags fields" strings.
func (s *pointSink) keys(measurement string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, p := range s.pts {
		if p.Measurement == measurement {
			out = append(out, pointKey(p))
		}
	}
	sort.Strings(out)
	return out
}

func pointKey(p telemetry.Point) string {
	var tags, fields []string
	for k, v := range p.Tags.All() {
		tags = append(tags, k+"="+v)
	}
	for k, v := range p.Fields.All() {
		fields = append(fields, fmt.Sprintf("%s=%v(%T)", k, v, v))
	}
	sort.Strings(tags)
	sort.Strings(fields)
	return p.Measurement + " " + strings.Join(tags, ",") + " " + strings.Join(fields, ",") + " " + p.Time.UTC().Format(time.RFC3339)
}

type listQueue struct {
	mu  sync.Mutex
	ids []string
}

func (q *listQueue) Enqueue(_ context.Context, p tasks.AppliancePoll, _ time.Time) (string, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.ids = append(q.ids, p.ApplianceID)
	return ResultEnqueued, nil
}

// One cycle writes the Orchestrator's health and the BGP neighbours of
// every selected appliance, exactly as the Orchestrator served them.
func TestCycleWritesOrchestratorHealthAndBGP(t *testing.T) {
	now := time.Date(2026, 11, 30, 5, 0, 20, 0, time.UTC)
	clock := func() time.Time { return now }
	sim := testenv.StartSimulator(t, simulator.Config{Appliances: 6, Seed: 5, Now: clock})
	oc, err := orchestrator.New(orchestrator.Options{URL: sim.OrchestratorURL(), APIKey: simulator.DefaultAPIKey, InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	sink, q := &pointSink{}, &listQueue{}
	d, err := New(Options{Orchestrator: OrchestratorClient{Client: oc}, Queue: q, CollectAll: true,
		State: OrchestratorClient{Client: oc}, Sink: sink, Logger: zerolog.Nop(), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := d.Cycle(t.Context(), now)
	if err != nil || sum.Queued == 0 {
		t.Fatalf("Cycle() = %+v, %v", sum, err)
	}

	ping := sim.Ping(now)
	wantHealth := []string{pointKey(telemetry.Point{Measurement: telemetry.MeasOrchestratorHealth,
		Tags: telemetry.TagsOf(map[string]string{telemetry.TagOrchestrator: oc.Host()}),
		Fields: telemetry.FieldsOf(map[string]any{telemetry.FieldAPIUp: true, telemetry.FieldDBHealth: ping.DBHealth, telemetry.FieldVersion: ping.Version,
			telemetry.FieldUptimeSeconds: int64(ping.Uptime / time.Second)}), Time: now.Truncate(time.Second)})}
	gotHealth := sink.keys(telemetry.MeasOrchestratorHealth)
	// response_ms is real time: check it is there, then compare the rest.
	for i, k := range gotHealth {
		if !strings.Contains(k, "response_ms=") {
			t.Errorf("orchestrator_health lacks response_ms: %s", k)
		}
		parts := strings.Split(k, " ")
		var keep []string
		for _, f := range strings.Split(parts[2], ",") {
			if !strings.HasPrefix(f, "response_ms=") {
				keep = append(keep, f)
			}
		}
		parts[2] = strings.Join(keep, ",")
		gotHealth[i] = strings.Join(parts, " ")
	}
	if diff := cmp.Diff(wantHealth, gotHealth); diff != "" {
		t.Errorf("orchestrator_health (-simulator +written):\n%s", diff)
	}

	var wantBGP []string
	hostOf := map[string]string{}
	for _, a := range sim.Appliances() {
		hostOf[a.ID] = a.Hostname
	}
	stateOf := map[string]int{}
	for _, a := range sim.Appliances() {
		stateOf[a.ID] = a.State
	}
	asked := 0
	for _, id := range q.ids {
		if stateOf[id] == 2 {
			continue // unreachable from the Orchestrator: not asked
		}
		asked++
		peers, err := sim.BGPPeers(id, now)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range peers {
			f := map[string]any{telemetry.FieldEstablished: p.State == "Established", telemetry.FieldPeerState: p.State,
				telemetry.FieldPeerStateCode: p.StateCode, telemetry.FieldPeerASN: p.ASN, telemetry.FieldTimeEstablished: p.TimeEstablished,
				telemetry.FieldPrefixesReceived: p.PrefixesReceived, telemetry.FieldPrefixesSent: p.PrefixesSent,
				telemetry.FieldBGPProcessState: "Active", telemetry.FieldBGPProcessStateID: int64(9)}
			wantBGP = append(wantBGP, pointKey(telemetry.Point{Measurement: telemetry.MeasBGPNeighborState, Tags: telemetry.TagsOf(map[string]string{
				telemetry.TagApplianceID: id, telemetry.TagHostname: hostOf[id], telemetry.TagVRF: p.VRF, telemetry.TagBGPPeer: p.PeerIP,
				telemetry.TagOrchestrator: oc.Host(), // the test's source is unnamed
			}), Fields: telemetry.FieldsOf(f), Time: now.Truncate(time.Second)}))
		}
	}
	sort.Strings(wantBGP)
	if asked == 0 || len(wantBGP) < asked {
		t.Fatalf("simulator serves %d BGP peers for %d appliances: want at least one each", len(wantBGP), asked)
	}
	if diff := cmp.Diff(wantBGP, sink.keys(telemetry.MeasBGPNeighborState)); diff != "" {
		t.Errorf("bgp_neighbor_state (-simulator +written):\n%s", diff)
	}
	st, _ := sim.Stats(simulator.OrchestratorID)
	// The path form comes from the readiness check's briefInfo answer.
	if got := st.Requests[simulator.EndpointBriefInfo]; got != 1 {
		t.Errorf("briefInfo requests = %d in one cycle, want 1", got)
	}
	if got := st.Requests[simulator.EndpointBGPStateAllVRFs]; got != int64(asked) {
		t.Errorf("BGP requests = %d, want one per selected appliance not unreachable (%d)", got, asked)
	}
}

type fakeState struct {
	health Health
	fail   map[string]error
}

func (f fakeState) Health(context.Context) Health { return f.health }
func (f fakeState) BGP(_ context.Context, id string, _ orchestrator.PathForm) ([]orchestrator.BGPVRF, error) {
	if err := f.fail[id]; err != nil {
		return nil, err
	}
	return []orchestrator.BGPVRF{{VRF: "0", Neighbors: []orchestrator.BGPNeighbor{{PeerIP: "10.0.0.1", State: "Idle"}}}}, nil
}

func TestStateFailures(t *testing.T) {
	apps := []Appliance{{ID: "1.NE", Hostname: "HUB-1", State: 1}, {ID: "2.NE", Hostname: "BR-2", State: 1},
		{ID: "3.NE", Hostname: "BR-3", State: 1}, {ID: "4.NE", Hostname: "BR-4", State: 2}}
	now := time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		state    fakeState
		wantKeys []string
		wantLog  string
	}{
		{
			name:     "orchestrator down",
			state:    fakeState{health: Health{Host: "orch", Err: errors.New("connection refused")}},
			wantKeys: []string{"orchestrator_health orchestrator=orch api_up=false(bool) 2026-11-30T05:00:00Z"},
			wantLog:  "Orchestrator health check failed",
		},
		{
			name: "one appliance fails",
			state: fakeState{health: Health{Host: "orch", Up: true, Version: "9.4.2"},
				fail: map[string]error{"2.NE": errors.New("404 Not Found")}},
			wantLog: `"error":"appliance BR-2 (2.NE): 404 Not Found"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := &testenv.LogBuffer{}
			sink := &pointSink{}
			d, err := New(Options{Orchestrator: &fakeOrch{}, Queue: &listQueue{}, CollectAll: true, State: tt.state, Sink: sink,
				Logger: zerolog.New(logs), Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			d.collectState(t.Context(), d.sources[0], apps)()
			if tt.wantKeys != nil {
				if diff := cmp.Diff(tt.wantKeys, append(sink.keys(telemetry.MeasOrchestratorHealth), sink.keys(telemetry.MeasBGPNeighborState)...)); diff != "" {
					t.Errorf("points (-want +got):\n%s", diff)
				}
			} else if got := len(sink.keys(telemetry.MeasBGPNeighborState)); got != 2 {
				t.Errorf("bgp_neighbor_state points = %d, want 2 (the appliances that answered)", got)
			}
			if !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("logs lack %q:\n%s", tt.wantLog, logs.String())
			}
		})
	}
}

// A named Orchestrator's health and BGP points carry its name, the
// orchestrator tag of its appliances' other points, not its host.
func TestStateOfANamedOrchestratorIsTaggedWithItsName(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 30, 0, time.UTC)
	sink := &pointSink{}
	d, err := New(Options{Sources: []Source{{Name: "hq", Orchestrator: &fakeOrch{}, CollectAll: true, Scoped: true,
		State: fakeState{health: Health{Host: "orch.hq.example:443", Up: true, Version: "9.4.2"}}}},
		Queue: &listQueue{}, Sink: sink, Logger: zerolog.Nop(), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	d.collectState(t.Context(), d.sources[0], []Appliance{{ID: "1.NE", Hostname: "HUB-1", State: 1}})()
	sink.mu.Lock()
	defer sink.mu.Unlock()
	seen := map[string]int{}
	for _, p := range sink.pts {
		seen[p.Measurement]++
		if got := p.Tags.Get(telemetry.TagOrchestrator); got != "hq" {
			t.Errorf("%s orchestrator tag = %q, want the name hq", p.Measurement, got)
		}
	}
	if seen[telemetry.MeasOrchestratorHealth] != 1 || seen[telemetry.MeasBGPNeighborState] == 0 {
		t.Errorf("points by measurement = %v, want one orchestrator_health and the BGP neighbours", seen)
	}
}

// askLog is a StateReader that records which appliances' BGP state was
// asked for.
type askLog struct {
	fakeState
	mu    sync.Mutex
	asked []string
}

func (a *askLog) BGP(ctx context.Context, id string, form orchestrator.PathForm) ([]orchestrator.BGPVRF, error) {
	a.mu.Lock()
	a.asked = append(a.asked, id)
	a.mu.Unlock()
	return a.fakeState.BGP(ctx, id, form)
}

func (a *askLog) take() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := a.asked
	a.asked = nil
	sort.Strings(out)
	return out
}

// With a budget, each cycle asks for the BGP state of the appliances asked
// longest ago, so a fleet larger than the budget is read in turns, and the
// Orchestrator's unreachable appliances are never asked.
func TestBGPBudgetTakesTurns(t *testing.T) {
	apps := []Appliance{{ID: "1.NE", State: 1}, {ID: "2.NE", State: 1}, {ID: "3.NE", State: 1}, {ID: "4.NE", State: 2},
		{ID: "5.NE", State: 1}, {ID: "6.NE", State: 1}, {ID: "7.NE", State: 1}}
	now := time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC)
	st := &askLog{fakeState: fakeState{health: Health{Host: "orch", Up: true}, fail: map[string]error{"2.NE": errors.New("404 Not Found")}}}
	sink := &pointSink{}
	d, err := New(Options{Orchestrator: &fakeOrch{}, Queue: &listQueue{}, CollectAll: true, State: st, Sink: sink,
		Logger: zerolog.Nop(), Now: func() time.Time { return now }, BGPBudget: 4})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range [][]string{
		{"1.NE", "2.NE", "3.NE", "5.NE"}, // never asked: in selection order
		{"1.NE", "2.NE", "6.NE", "7.NE"}, // 6 and 7 never asked, then the oldest (a failed read counts as asked)
		{"1.NE", "2.NE", "3.NE", "5.NE"}, // 3 and 5 oldest, then ties in selection order
	} {
		d.collectState(t.Context(), d.sources[0], apps)()
		if diff := cmp.Diff(want, st.take()); diff != "" {
			t.Errorf("cycle %d: appliances asked (-want +got):\n%s", i+1, diff)
		}
		now = now.Add(time.Minute)
	}
	// An appliance no longer selected is forgotten.
	d.collectState(t.Context(), d.sources[0], apps[1:])()
	if _, ok := d.sources[0].bgpAt["1.NE"]; ok || len(d.sources[0].bgpAt) != 5 {
		t.Errorf("after 1.NE left the selection, BGP read times are kept for %v", d.sources[0].bgpAt)
	}
	// Without a budget, every reachable appliance every cycle.
	d.o.BGPBudget = 0
	st.take()
	d.collectState(t.Context(), d.sources[0], apps)()
	if diff := cmp.Diff([]string{"1.NE", "2.NE", "3.NE", "5.NE", "6.NE", "7.NE"}, st.take()); diff != "" {
		t.Errorf("no budget: appliances asked (-want +got):\n%s", diff)
	}
}
