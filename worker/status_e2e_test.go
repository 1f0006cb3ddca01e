package worker

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// Appliance by appliance, each made sick in its own way, the stored
// appliance_status (real simulator, Redis and InfluxDB) says exactly what
// is wrong.
func TestStatusEndToEnd(t *testing.T) {
	f := newFixture(t, 12, simulator.Faults{UnreachableFraction: 0.25})
	db := f.useInflux(t)

	var up, down []simulator.ApplianceInfo
	for _, a := range f.sim.Appliances() {
		if a.Reachable {
			up = append(up, a)
		} else {
			down = append(down, a)
		}
	}
	if len(up) < 6 || len(down) < 2 {
		t.Fatalf("fleet has %d reachable and %d unreachable appliances, want at least 6 and 2", len(up), len(down))
	}
	online, refused, stale, tunnels, orchLost, closedPort := up[0], up[1], up[2], up[3], up[4], up[5]
	orchDown, weDown := down[0], down[1]
	now := f.clock.Now()
	faults := map[string]simulator.Fault{
		online.ID:   {FixedTunnels: true},
		refused.ID:  {BadCredentials: true},
		stale.ID:    {FixedTunnels: true, MinutesFrozenAt: now.Add(-10 * time.Minute)},
		tunnels.ID:  {FixedTunnels: true, TunnelsDown: 3},
		orchLost.ID: {FixedTunnels: true},
	}
	for id, fl := range faults {
		if err := f.sim.SetFault(id, fl); err != nil {
			t.Fatal(err)
		}
	}
	ps := polls(t, f.sim, now)
	// The Orchestrator has lost an appliance we still collect.
	p := ps[orchLost.ID]
	p.State = OrchestratorUnreachable
	ps[orchLost.ID] = p
	// An appliance whose address refuses connections.
	p = ps[closedPort.ID]
	p.Address = testenv.ClosedPort(t)
	ps[closedPort.ID] = p
	// Two appliances that refuse connections (UnreachableFraction): the
	// Orchestrator has lost one of them, not the other.
	p, p2 := ps[orchDown.ID], ps[weDown.ID]
	p.State, p2.State = OrchestratorUnreachable, 1
	ps[orchDown.ID], ps[weDown.ID] = p, p2

	ids := []string{online.ID, refused.ID, stale.ID, tunnels.ID, orchLost.ID, closedPort.ID, orchDown.ID, weDown.ID}
	for _, id := range ids {
		f.h.Collect(t.Context(), ps[id])
	}

	// The total the tunnel appliance reports: every id its three id
	// endpoints listed.
	served, err := f.sim.LastServed(tunnels.ID)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for q, list := range served.Tunnels {
		if q.State == "" && q.Limit == 0 {
			total += len(list)
		}
	}
	if total < 4 {
		t.Fatalf("tunnel appliance lists %d tunnels, want at least 4", total)
	}
	age := func(newest time.Time) string {
		return fmt.Sprint(now.Unix() - newest.Truncate(time.Minute).Unix())
	}
	fresh := age(now) // the newest minute is the one the clock is in
	want := map[string]string{
		online.ID:     "online 0 \"\" age=" + fresh + " up=" + "all" + " down=0",
		refused.ID:    "unknown 3 \"login refused\" age=- up=- down=-",
		stale.ID:      "degraded 1 \"no data for 10m\" age=" + age(now.Add(-10*time.Minute)) + " up=all down=0",
		tunnels.ID:    fmt.Sprintf("degraded 1 \"3 of %d tunnels down\" age=%s up=%d down=3", total, fresh, total-3),
		orchLost.ID:   "degraded 1 \"orchestrator: unreachable\" age=" + fresh + " up=all down=0",
		closedPort.ID: "offline 2 \"no reply to tcp check; orchestrator: reachable\" age=- up=- down=-",
		orchDown.ID:   "offline 2 \"no reply to tcp check; orchestrator: unreachable\" age=- up=- down=-",
		weDown.ID:     "offline 2 \"no reply to tcp check; orchestrator: reachable\" age=- up=- down=-",
	}
	series, err := db.Query(t.Context(), `SELECT "status", "status_code", "reason", "data_age_seconds", "tunnels_up", "tunnels_down" FROM "appliance_status" GROUP BY "appliance_id"`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range series {
		if len(s.Values) != 1 {
			t.Errorf("%s: %d appliance_status points, want 1", s.Tags["appliance_id"], len(s.Values))
			continue
		}
		v := s.Values[0]
		if fmt.Sprint(v[0]) != fmt.Sprint(now.Unix()) {
			t.Errorf("%s: appliance_status at %v, want the job time %d", s.Tags["appliance_id"], v[0], now.Unix())
		}
		field := func(x any) string {
			if x == nil {
				return "-"
			}
			return fmt.Sprint(x)
		}
		up := field(v[5])
		if up != "-" && fmt.Sprint(v[6]) == "0" && s.Tags["appliance_id"] != tunnels.ID {
			up = "all" // every tunnel up: the count depends on the appliance
		}
		got[s.Tags["appliance_id"]] = fmt.Sprintf("%v %v %q age=%s up=%s down=%s", v[1], v[2], v[3], field(v[4]), up, field(v[6]))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("appliance_status by appliance (-want +got):\n%s", diff)
	}
	// The same verdicts are published for discovery's fleet gauges.
	board, err := f.h.o.StatusBoard.(*tasks.RedisStatusBoard).All(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		t.Logf("%s: %s", id, got[id])
		b := board[id]
		if !strings.HasPrefix(got[id], b.Status+" ") || b.At != now.Unix() {
			t.Errorf("%s: published %+v, want status as stored (%s) at %d", id, b, got[id], now.Unix())
		}
	}
	if b := board[tunnels.ID]; !b.TunnelsRead || b.TunnelsDown != 3 || b.NewestMinute != now.Truncate(time.Minute).Unix() {
		t.Errorf("tunnel appliance published %+v, want 3 tunnels down and the newest minute %d", b, now.Truncate(time.Minute).Unix())
	}
}
