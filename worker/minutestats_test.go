package worker

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ec-telemetry/ec-telemetry/influx"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// An Orchestrator hostname with a control character and a trailing
// backslash costs nothing: every minute and the metadata are stored in a
// real InfluxDB under the name telemetry.TagValue makes of it, and no
// minute counts as corrupt.
func TestHostileHostnameIsStoredSanitised(t *testing.T) {
	const hostile = "EC-\x01BAD\\"
	want := telemetry.TagValue(hostile)
	f := newFixture(t, 3, simulator.Faults{})
	a := reachable(t, f.sim)[0]
	if err := f.sim.SetFault(a.ID, simulator.Fault{Hostname: hostile}); err != nil {
		t.Fatal(err)
	}
	poll := polls(t, f.sim, f.clock.Now())[a.ID]
	if poll.Hostname != hostile {
		t.Fatalf("poll hostname = %q, want the hostile %q", poll.Hostname, hostile)
	}
	db := testenv.StartInfluxDB(t)
	w, err := influx.NewWriter(influx.Options{URL: db.URL, Bucket: db.Bucket})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	f.h.o.Sink = w

	rep := f.h.Collect(t.Context(), poll)
	if rep.Outcome != OutcomeOK || rep.MinutesStored != 3 {
		t.Fatalf("Outcome = %s, %d minutes (err %v, sources %v); want ok, 3 minutes", rep.Outcome, rep.MinutesStored, rep.Err, rep.SourceErrors)
	}
	newest, _ := f.sim.Window()
	wantPoints := expectedMinutes(t, f.sim, a.ID, newest-120, newest)
	perMeas := map[string]int{}
	for _, p := range wantPoints {
		if p.Tags[telemetry.TagHostname] != want {
			t.Fatalf("simulator expects hostname %q, want %q", p.Tags[telemetry.TagHostname], want)
		}
		perMeas[p.Measurement]++
	}
	perMeas[telemetry.MeasApplianceMetadata] = 1 // discovery metadata and uptime share the second
	for m, n := range perMeas {
		q := fmt.Sprintf(`SELECT * FROM %q WHERE hostname = '%s'`, m, strings.ReplaceAll(want, `'`, `\'`))
		series, err := db.Query(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for _, s := range series {
			got += len(s.Values)
		}
		if got != n {
			t.Errorf("%s: %d points stored under hostname %q, want %d", m, got, want, n)
		}
	}
}
