package hatest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/e2e"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
)

// expectedCounts returns, for one appliance, the number of minute-stats
// points per measurement that the minutes first..last should produce.
func expectedCounts(t *testing.T, sim *simulator.Simulator, id string, first, last int64) map[string]int {
	t.Helper()
	out := map[string]int{}
	for m := first; m <= last; m += 60 {
		pts, err := sim.ExpectedMinutePoints(id, m)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pts {
			out[p.Measurement]++
		}
	}
	return out
}

// checkMinutePoints checks that InfluxDB holds, for every reachable
// appliance, exactly the minute-stats points of the minutes first..last:
// none lost, and (InfluxDB keeping one point per series and time) none
// written for a minute that was not served.
func checkMinutePoints(t *testing.T, p *e2e.Pipeline, first, last int64) {
	t.Helper()
	for _, a := range p.Sim.Appliances() {
		if !a.Reachable {
			continue
		}
		for m, want := range expectedCounts(t, p.Sim, a.ID, first, last) {
			series, err := p.Influx.Query(t.Context(), fmt.Sprintf(`SELECT * FROM "%s" WHERE "hostname" = '%s'`, m, a.Hostname))
			if err != nil {
				t.Fatal(err)
			}
			got := 0
			for _, s := range series {
				got += len(s.Values)
			}
			if got != want {
				t.Errorf("%s %s: %d points stored, want %d (minutes %d..%d)", a.Hostname, m, got, want, first, last)
			}
		}
	}
}

// logins returns every appliance's successful logins so far: one per job
// that reached the appliance.
func logins(t *testing.T, sim *simulator.Simulator) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, a := range sim.Appliances() {
		st, err := sim.Stats(a.ID)
		if err != nil {
			t.Fatal(err)
		}
		out[a.Hostname] = st.Logins
	}
	return out
}

// waitFor polls cond every 50 ms until it holds, failing the test after
// timeout.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", timeout, what)
		}
		select {
		case <-t.Context().Done():
			t.Fatal(context.Cause(t.Context()))
		case <-time.After(50 * time.Millisecond):
		}
	}
}
