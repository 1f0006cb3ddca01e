package deploytest

// This file holds fillFromPipeline, the only place that decides how the
// InfluxDB of the dashboard query tests gets its data: the real pipeline
// (simulator → discovery → asynq → two workers → influx writer), wired by
// internal/app as the binary wires it (internal/e2e).

import (
	"testing"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/e2e"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// fillMinutes is how many minutes of history fillFromPipeline stores. The
// dashboards' shortest moving-average window (the Baseline variable) is 5
// minutes, so it must be larger than that.
const fillMinutes = 20

// fillFromPipeline fills the database of db (bucket db.Bucket) with what
// ec-telemetry stores for a small simulated fleet over the last fillMinutes
// minutes, ending now, and returns the hostnames of the appliances whose
// statistics were collected (reachable and logged in to), sorted. At least
// one more appliance of the fleet is unreachable and has only
// appliance_metadata (reachable=false). Every measurement the dashboards
// read is present.
func fillFromPipeline(t *testing.T, db *testenv.InfluxDB) (hostnames []string) {
	t.Helper()
	p := e2e.Start(t, e2e.Options{
		Appliances: 6, Seed: 11, Influx: db,
		Faults: simulator.Faults{UnreachableFraction: 0.2,
			// Every appliance has an alarm raised in the time range, for
			// the alarm annotations and the Active alarms table.
			Appliances: simulator.Fault{FixedAlarms: true, Alarms: []simulator.Alarm{
				{Severity: 4, SequenceID: 501, Name: "disk_health", Type: "HW", Source: "System",
					Description: "Disk health degraded", Time: time.Now().Add(-2 * time.Hour)},
			}}},
		// The first contact fetches fillMinutes minutes, so the dashboards
		// have history after one cycle.
		Config: func(c *config.Config) { c.FirstContactMins = fillMinutes },
	})
	ctx := t.Context()
	// Two cycles at the same minute: minute statistics once, point-in-time
	// values twice (the stat panels need two samples for their trends).
	for i := 0; i < 2; i++ {
		sum := p.Cycle(ctx)
		p.WaitCycle(ctx, sum.Cycle, 60*time.Second)
	}
	p.WaitIdle(ctx, 60*time.Second)
	hostnames = p.Collected()
	if len(hostnames) == len(p.Sim.Appliances()) {
		t.Fatal("every appliance was collected: the fill must include an unreachable one")
	}
	return hostnames
}
