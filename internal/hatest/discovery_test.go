package hatest

import (
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ec-telemetry/ec-telemetry/discovery"
	"github.com/ec-telemetry/ec-telemetry/internal/app"
	"github.com/ec-telemetry/ec-telemetry/internal/e2e"
	"github.com/ec-telemetry/ec-telemetry/internal/metrics"
)

// TestTwoDiscoveriesQueueEachApplianceOnce runs two discovery processes
// (each with its own Redis connections, as two containers would) on one
// Redis over four cycles: both at the cycle boundary at once, or one of
// them late in the cycle, after the other's jobs have finished (a peer
// whose Orchestrator call was slow). Each cycle must
// collect every reachable appliance exactly once, counted by the logins the
// simulator saw, and InfluxDB must hold every minute exactly once.
func TestTwoDiscoveriesQueueEachApplianceOnce(t *testing.T) {
	p := e2e.Start(t, e2e.Options{Appliances: 8, Seed: 33})
	ctx := t.Context()
	newDiscovery := func(name string) *discovery.Discovery {
		rdb := app.NewRedis(p.Config)
		t.Cleanup(func() { rdb.Close() })
		w, err := app.NewWriter(p.Config)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Close)
		d, err := app.NewDiscovery(p.Config, app.Deps{Log: zerolog.New(p.Logs).With().Str("service", name).Logger(),
			Metrics: metrics.New(), Redis: rdb, Writer: w, Now: p.Clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	d1, d2 := newDiscovery("discovery-1"), newDiscovery("discovery-2")

	first, _ := p.Sim.Window()
	n := len(p.Sim.Appliances())
	// Each process runs each cycle once, as its Run loop does: both at the
	// boundary at once, or one at the boundary and the other late, after
	// the first one's jobs have finished (its Orchestrator call was slow).
	for c, order := range []string{"together", "d1 then d2", "d2 then d1", "together"} {
		if c > 0 {
			p.Clock.Add(time.Minute)
		}
		before := logins(t, p.Sim)
		now := p.Clock.Now()
		run := func(ds ...*discovery.Discovery) []discovery.Summary {
			sums := make([]discovery.Summary, len(ds))
			var wg sync.WaitGroup
			for i, d := range ds {
				wg.Go(func() {
					s, err := d.Cycle(ctx, now)
					if err != nil {
						t.Errorf("cycle %d (%s): %v", c+1, order, err)
					}
					sums[i] = s
				})
			}
			wg.Wait()
			return sums
		}
		var sums []discovery.Summary
		switch order {
		case "together":
			sums = run(d1, d2)
		case "d1 then d2":
			sums = run(d1)
			p.WaitCycle(ctx, sums[0].Cycle, 60*time.Second)
			p.WaitIdle(ctx, 30*time.Second)
			sums = append(sums, run(d2)...)
		case "d2 then d1":
			sums = run(d2)
			p.WaitCycle(ctx, sums[0].Cycle, 60*time.Second)
			p.WaitIdle(ctx, 30*time.Second)
			sums = append(sums, run(d1)...)
		}
		queued, peer := sums[0].Queued+sums[1].Queued, sums[0].PeerQueued+sums[1].PeerQueued
		if queued != n || peer != n || sums[0].Errors+sums[1].Errors != 0 {
			t.Errorf("cycle %d (%s): queued %d, peer_queued %d, want %d each: %+v", c+1, order, queued, peer, n, sums)
		}
		p.WaitCycle(ctx, sums[0].Cycle, 60*time.Second)
		p.WaitIdle(ctx, 30*time.Second)

		after := logins(t, p.Sim)
		for _, a := range p.Sim.Appliances() {
			want := int64(0)
			if a.Reachable {
				want = 1
			}
			if got := after[a.Hostname] - before[a.Hostname]; got != want {
				t.Errorf("cycle %d (%s): %s collected %d times, want %d", c+1, order, a.Hostname, got, want)
			}
		}
	}
	last, _ := p.Sim.Window()
	checkMinutePoints(t, p, first-120, last)
}
