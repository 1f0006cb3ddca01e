package discovery

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"github.com/ec-telemetry/ec-telemetry/internal/metrics"
	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
)

func TestCountFleet(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	sel := []Appliance{
		{ID: "1.NE", State: 1, SoftwareVersion: "9.4.2", Model: "EC-XS"},
		{ID: "2.NE", State: 1, SoftwareVersion: "9.4.2", Model: "EC-M"},
		{ID: "3.NE", State: 2, SoftwareVersion: "9.3.1", Model: "EC-XS"},
	}
	statuses := map[string]tasks.ApplianceStatus{
		"1.NE": {Status: "online", TunnelsRead: true, TunnelsUp: 5, TunnelsDown: 1, NewestMinute: now.Add(-2 * time.Minute).Unix()},
		"2.NE": {Status: "degraded", TunnelsRead: true, TunnelsUp: 3, NewestMinute: now.Add(-9 * time.Minute).Unix()},
		"9.NE": {Status: "offline", NewestMinute: now.Add(-time.Hour).Unix()}, // not selected
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
	want := `
# HELP ectelemetry_fleet_appliances Selected appliances by their latest appliance_status verdict (online, degraded, offline, unknown); appliances without a verdict yet are not counted.
# TYPE ectelemetry_fleet_appliances gauge
ectelemetry_fleet_appliances{status="degraded"} 1
ectelemetry_fleet_appliances{status="offline"} 1
ectelemetry_fleet_appliances{status="online"} 1
ectelemetry_fleet_appliances{status="unknown"} 0
# HELP ectelemetry_fleet_appliances_by_orchestrator_state Selected appliances by the Orchestrator's appliance state (1 reachable, 2 unreachable, ...).
# TYPE ectelemetry_fleet_appliances_by_orchestrator_state gauge
ectelemetry_fleet_appliances_by_orchestrator_state{state="1"} 2
ectelemetry_fleet_appliances_by_orchestrator_state{state="2"} 1
# HELP ectelemetry_fleet_tunnels Tunnels up and down across the selected appliances whose last job read the tunnel counts.
# TYPE ectelemetry_fleet_tunnels gauge
ectelemetry_fleet_tunnels{state="down"} 2
ectelemetry_fleet_tunnels{state="up"} 10
# HELP ectelemetry_fleet_oldest_data_age_seconds Age of the oldest newest-stored minute of minute statistics across the selected appliances, at the cycle's start; absent when none has stored a minute.
# TYPE ectelemetry_fleet_oldest_data_age_seconds gauge
ectelemetry_fleet_oldest_data_age_seconds 480
`
	names := []string{"ectelemetry_fleet_appliances", "ectelemetry_fleet_appliances_by_orchestrator_state", "ectelemetry_fleet_tunnels", "ectelemetry_fleet_oldest_data_age_seconds"}
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(want), names...); err != nil {
		t.Errorf("after the first cycle: %v", err)
	}
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
	want = `
# HELP ectelemetry_fleet_appliances Selected appliances by their latest appliance_status verdict (online, degraded, offline, unknown); appliances without a verdict yet are not counted.
# TYPE ectelemetry_fleet_appliances gauge
ectelemetry_fleet_appliances{status="degraded"} 0
ectelemetry_fleet_appliances{status="offline"} 0
ectelemetry_fleet_appliances{status="online"} 1
ectelemetry_fleet_appliances{status="unknown"} 0
# HELP ectelemetry_fleet_appliances_by_orchestrator_state Selected appliances by the Orchestrator's appliance state (1 reachable, 2 unreachable, ...).
# TYPE ectelemetry_fleet_appliances_by_orchestrator_state gauge
ectelemetry_fleet_appliances_by_orchestrator_state{state="1"} 1
# HELP ectelemetry_fleet_tunnels Tunnels up and down across the selected appliances whose last job read the tunnel counts.
# TYPE ectelemetry_fleet_tunnels gauge
ectelemetry_fleet_tunnels{state="down"} 2
ectelemetry_fleet_tunnels{state="up"} 6
# HELP ectelemetry_fleet_oldest_data_age_seconds Age of the oldest newest-stored minute of minute statistics across the selected appliances, at the cycle's start; absent when none has stored a minute.
# TYPE ectelemetry_fleet_oldest_data_age_seconds gauge
ectelemetry_fleet_oldest_data_age_seconds 150
`
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(want), names...); err != nil {
		t.Errorf("after the limit file shrank: %v", err)
	}
	if all, _ := board.All(ctx); len(all) != 1 {
		t.Errorf("statuses after the second cycle: %v, want only 1.NE", all)
	}
}
