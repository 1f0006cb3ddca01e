package discovery

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
)

// StatusBoard holds the workers' latest verdicts (*tasks.RedisStatusBoard
// implements it).
type StatusBoard interface {
	All(ctx context.Context) (map[string]tasks.ApplianceStatus, error)
	Prune(ctx context.Context, keep map[string]bool) (int, error)
}

// Statuses counted by the fleet gauges: each always has a sample, 0 when
// no appliance has it.
var fleetStatuses = []string{"online", "degraded", "offline", "unknown"}

// FleetCounts is what the fleet gauges show for one cycle.
type FleetCounts struct {
	ByStatus     map[string]int // latest verdict; appliances without one are not counted
	ByOrchState  map[string]int // Orchestrator state, as text
	ByVersion    map[string]int
	ByModel      map[string]int
	TunnelsUp    int64
	TunnelsDown  int64
	OldestData   time.Duration // age of the oldest newest-stored minute
	HasDataAge   bool          // some appliance has stored a minute
	WithVerdicts int           // selected appliances with a verdict
}

// FleetMember is a selected appliance and the key its workers publish its
// status under (tasks.AppliancePoll.Key: the nePk, or the Orchestrator's
// name and the nePk when keys are scoped).
type FleetMember struct {
	Key string
	Appliance
}

// CountFleet counts the selected appliances: by the Orchestrator's view
// (state, version, model) all of them, by verdict and tunnels those with a
// published status. Statuses of appliances not selected are ignored.
func CountFleet(selected []FleetMember, statuses map[string]tasks.ApplianceStatus, now time.Time) FleetCounts {
	c := FleetCounts{ByStatus: map[string]int{}, ByOrchState: map[string]int{}, ByVersion: map[string]int{}, ByModel: map[string]int{}}
	for _, s := range fleetStatuses {
		c.ByStatus[s] = 0
	}
	for _, a := range selected {
		c.ByOrchState[strconv.Itoa(a.State)]++
		c.ByVersion[a.SoftwareVersion]++
		c.ByModel[a.Model]++
		s, ok := statuses[a.Key]
		if !ok {
			continue
		}
		c.WithVerdicts++
		c.ByStatus[s.Status]++
		if s.TunnelsRead {
			c.TunnelsUp += s.TunnelsUp
			c.TunnelsDown += s.TunnelsDown
		}
		if s.NewestMinute > 0 {
			age := max(0, now.Sub(time.Unix(s.NewestMinute, 0)))
			if !c.HasDataAge || age > c.OldestData {
				c.OldestData, c.HasDataAge = age, true
			}
		}
	}
	return c
}

// updateFleet forgets the verdicts of appliances no longer selected, so
// the board stays the size of the selected fleet, sets the fleet gauges
// afresh and returns the verdicts by appliance key (nil without a board or
// when Redis fails). A Redis failure leaves the gauges as they were.
func (d *Discovery) updateFleet(ctx context.Context, selected []FleetMember) map[string]tasks.ApplianceStatus {
	b, m := d.o.StatusBoard, d.o.Metrics
	if b == nil {
		return nil
	}
	keep := make(map[string]bool, len(selected))
	for _, a := range selected {
		keep[a.Key] = true
	}
	if _, err := b.Prune(ctx, keep); err != nil {
		d.o.Logger.Warn().Err(err).Msg("cannot prune the appliance statuses")
	}
	all, err := b.All(ctx)
	if err != nil {
		d.o.Logger.Warn().Err(err).Msg("fleet gauges not updated: appliance statuses unreadable")
		return nil
	}
	if m == nil {
		return all
	}
	c := CountFleet(selected, all, d.o.Now())
	for _, g := range []struct {
		v      *prometheus.GaugeVec
		counts map[string]int
	}{{m.FleetAppliances, c.ByStatus}, {m.FleetByOrchState, c.ByOrchState}, {m.FleetByVersion, c.ByVersion}, {m.FleetByModel, c.ByModel}} {
		g.v.Reset()
		for k, n := range g.counts {
			g.v.WithLabelValues(k).Set(float64(n))
		}
	}
	m.FleetTunnels.WithLabelValues("up").Set(float64(c.TunnelsUp))
	m.FleetTunnels.WithLabelValues("down").Set(float64(c.TunnelsDown))
	m.FleetOldestDataSeconds.Reset()
	if c.HasDataAge {
		m.FleetOldestDataSeconds.WithLabelValues().Set(c.OldestData.Seconds())
	}
	return all
}
