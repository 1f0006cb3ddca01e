package worker

import (
	"testing"

	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// One appliance id under two Orchestrators: each job reads it the way its
// Orchestrator's route says, tags every point with the Orchestrator, and
// keeps its watermark under the Orchestrator's key.
func TestRoutesTagsAndKeysPerOrchestrator(t *testing.T) {
	f := newFixtureWith(t, simulator.Config{Appliances: 3, Seed: 7}, func(sim *simulator.Simulator, o *Options) {
		var relayed Options
		viaOrchestrator(t, CollectOrchestrator, true, nil)(sim, &relayed)
		o.PassthroughMinuteStats = true
		o.Routes = map[string]Route{"far": {CollectVia: CollectOrchestrator, Relay: relayed.Relay}, "near": {CollectVia: CollectDirect}}
	})
	a := reachable(t, f.sim)[0]

	far := f.polls[a.ID]
	far.Orchestrator, far.Scoped = "far", true
	if rep := f.h.Collect(t.Context(), far); rep.Outcome != OutcomeOK || rep.CollectedVia != telemetry.ViaOrchestrator {
		t.Fatalf("far: outcome %s via %s (%v), want ok via orchestrator", rep.Outcome, rep.CollectedVia, rep.Err)
	}
	if st, _ := f.sim.Stats(a.ID); st.Logins != 0 {
		t.Fatalf("far: %d appliance logins, want 0 (pass-through)", st.Logins)
	}
	nFar := len(f.sink.points)

	near := f.polls[a.ID]
	near.Orchestrator, near.Scoped = "near", true
	if rep := f.h.Collect(t.Context(), near); rep.Outcome != OutcomeOK || rep.CollectedVia != telemetry.ViaDirect {
		t.Fatalf("near: outcome %s via %s (%v), want ok direct", rep.Outcome, rep.CollectedVia, rep.Err)
	}
	if st, _ := f.sim.Stats(a.ID); st.Logins != 1 {
		t.Errorf("near: %d appliance logins, want 1", st.Logins)
	}
	counts := map[string]int{}
	f.sink.mu.Lock()
	for i, p := range f.sink.points {
		want := "far"
		if i >= nFar {
			want = "near"
		}
		if got := p.Tags.Get(telemetry.TagOrchestrator); got != want {
			t.Fatalf("point %d %s: orchestrator tag %q, want %q", i, p.Measurement, got, want)
		}
		if p.Measurement == telemetry.MeasInterfaceStats {
			counts[want]++
		}
	}
	f.sink.mu.Unlock()
	if counts["far"] == 0 || counts["far"] != counts["near"] {
		t.Errorf("interface_stats points far %d, near %d: want the same, more than 0", counts["far"], counts["near"])
	}
	for _, key := range []string{"far:" + a.ID, "near:" + a.ID} {
		if _, ok, err := f.wm.Get(t.Context(), key); !ok || err != nil {
			t.Errorf("watermark %q: ok %v, err %v; want one", key, ok, err)
		}
	}
	if _, ok, _ := f.wm.Get(t.Context(), a.ID); ok {
		t.Errorf("watermark under the bare nePk %q: want none for scoped payloads", a.ID)
	}
}
