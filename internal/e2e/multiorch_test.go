package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// TestSeveralOrchestrators runs the pipeline against three simulated
// Orchestrators of one ORCHESTRATORS_FILE whose nePks collide (each has
// 1.NE to 4.NE): hq read directly, relay through its pass-through only, and
// auto, whose appliances refuse direct connections, in auto mode. Every
// minute value is stored exactly once, under its Orchestrator's tag, and
// neither relay's nor auto's appliances see a login.
func TestSeveralOrchestrators(t *testing.T) {
	ctx := t.Context()
	clock := NewClock()
	newSim := func(seed int64, prefix string, faults simulator.Faults) *simulator.Simulator {
		sim, err := simulator.New(simulator.Config{Appliances: 4, Seed: seed, HostnamePrefix: prefix, Now: clock.Now, Faults: faults})
		if err != nil {
			t.Fatal(err)
		}
		if err := sim.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sim.Close() })
		return sim
	}
	relay := newSim(12, "R-", simulator.Faults{})
	auto := newSim(13, "U-", simulator.Faults{UnreachableFraction: 1})
	file := filepath.Join(t.TempDir(), "orchestrators.yaml")
	p := Start(t, Options{Appliances: 4, Seed: 11, Clock: clock, Config: func(c *config.Config) {
		entries := fmt.Sprintf(`orchestrators:
  - {name: hq, url: %q, api_key: %s, collect_all: true, collect_via: direct}
  - {name: relay, url: %q, api_key: %s, collect_all: true, collect_via: orchestrator}
  - {name: auto, url: %q, api_key: %s, collect_all: true, collect_via: auto}
`, c.OrchURL, simulator.DefaultAPIKey, relay.OrchestratorURL(), simulator.DefaultAPIKey, auto.OrchestratorURL(), simulator.DefaultAPIKey)
		if err := os.WriteFile(file, []byte(entries), 0o600); err != nil {
			t.Fatal(err)
		}
		c.OrchestratorsFile, c.OrchURL, c.OrchAPIKey = file, "", ""
		c.PassthroughMinuteStats = true
	}})
	sims := map[string]*simulator.Simulator{"hq": p.Sim, "relay": relay, "auto": auto}

	firstNewest, _ := p.Sim.Window()
	p.RunCycles(ctx, 2)
	newest, _ := p.Sim.Window()

	checked := map[string]int{}
	for name, sim := range sims {
		for _, a := range sim.Appliances() {
			if name == "hq" && !a.Reachable || a.State == 2 {
				continue // unreachable both ways
			}
			want := expectedOf(t, sim, name, a.ID, firstNewest-120, newest)
			if len(want) == 0 {
				t.Fatalf("%s %s: the simulator produced no minute points", name, a.Hostname)
			}
			for m, w := range want {
				if diff := cmp.Diff(w, stored(t, p.Influx, m, a.Hostname)); diff != "" {
					t.Errorf("%s %s %s (-served +stored):\n%s", name, a.Hostname, m, diff)
				}
			}
			checked[name]++
			st, err := sim.Stats(a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if name != "hq" && st.Logins+st.FailedLogins > 0 {
				t.Errorf("%s %s: %d appliance logins, want none (read through the Orchestrator)", name, a.Hostname, st.Logins+st.FailedLogins)
			}
			if name == "hq" && st.Logins == 0 {
				t.Errorf("hq %s: no appliance login, want direct collection", a.Hostname)
			}
			via, err := p.Influx.QueryValue(ctx, fmt.Sprintf(`SELECT last("collected_via") FROM "appliance_metadata" WHERE "orchestrator" = '%s' AND "appliance_id" = '%s'`, name, a.ID))
			wantVia := telemetry.ViaOrchestrator
			if name == "hq" {
				wantVia = telemetry.ViaDirect
			}
			if err != nil || fmt.Sprint(via) != wantVia {
				t.Errorf("%s %s: collected_via %v (%v), want %s", name, a.Hostname, via, err, wantVia)
			}
			wm := "ectelemetry:watermark:" + name + ":" + a.ID
			if n, err := p.rdb.Exists(ctx, wm).Result(); err != nil || n != 1 {
				t.Errorf("Redis key %s: exists %d (%v), want 1", wm, n, err)
			}
		}
	}
	for _, name := range []string{"hq", "relay", "auto"} {
		if checked[name] == 0 {
			t.Errorf("no appliance of %s was checked", name)
		}
	}

	// The colliding nePk 1.NE is stored under each Orchestrator, and no point
	// lacks the tag.
	series, err := p.Influx.Query(ctx, `SHOW TAG VALUES FROM "appliance_metadata" WITH KEY = "orchestrator" WHERE "appliance_id" = '1.NE'`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range series {
		for _, v := range s.Values {
			names = append(names, fmt.Sprint(v[1]))
		}
	}
	if diff := cmp.Diff([]string{"auto", "hq", "relay"}, names); diff != "" {
		t.Errorf("orchestrator tags of 1.NE (-want +got):\n%s", diff)
	}
	for _, spec := range telemetry.Schema {
		rows, err := p.Influx.Query(ctx, fmt.Sprintf(`SELECT * FROM "%s" WHERE "orchestrator" !~ /./ LIMIT 1`, spec.Name))
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) > 0 {
			t.Errorf("%s has points without an orchestrator tag: %v", spec.Name, rows)
		}
	}
	if n, err := p.rdb.Exists(ctx, "ectelemetry:watermark:1.NE").Result(); err != nil || n != 0 {
		t.Errorf("legacy watermark key ectelemetry:watermark:1.NE exists (%d, %v): want keys scoped by Orchestrator only", n, err)
	}
	if logs := p.Logs.String(); strings.Contains(logs, simulator.DefaultAPIKey) {
		t.Error("logs show the Orchestrator API key")
	}
}
