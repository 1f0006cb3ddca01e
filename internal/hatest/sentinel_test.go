package hatest

import (
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ec-telemetry/ec-telemetry/internal/app"
	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/e2e"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// TestSentinelFailoverLosesNothing runs discovery and two workers against
// a Sentinel-managed primary/replica pair, kills the primary (SIGKILL)
// while the jobs of a cycle are running, and checks that the sentinels
// promote the replica, that the next cycles run on it without a restart,
// and that InfluxDB ends up with every appliance's minute-stats points of
// every minute exactly once.
func TestSentinelFailoverLosesNothing(t *testing.T) {
	rs := testenv.StartRedisSentinel(t, 3)
	p := e2e.Start(t, e2e.Options{
		Appliances: 6, Seed: 21,
		// Every answer takes 100 ms, so a job runs for about a second and
		// the kill finds jobs in flight.
		Faults: simulator.Faults{Appliances: simulator.Fault{Latency: 100 * time.Millisecond}},
		Config: func(c *config.Config) {
			c.RedisSentinelAddrs = strings.Join(rs.SentinelAddrs, ",")
			c.RedisSentinelMaster = testenv.SentinelMaster
		},
	})
	ctx := t.Context()
	first, _ := p.Sim.Window()
	p.RunCycles(ctx, 1)
	before := logins(t, p.Sim)

	rdb := app.NewRedis(p.Config)
	defer rdb.Close()
	insp := asynq.NewInspectorFromRedisClient(rdb)

	// Cycle 2: kill the primary as soon as the first job has logged in and
	// the workers have taken every task (an idle asynq worker looks for
	// tasks once a second): a task still pending at the kill would be
	// dequeued after the promotion and run into the next cycle, which
	// would then find its appliance still queued.
	p.Clock.Add(time.Minute)
	sum := p.Cycle(ctx)
	if sum.Queued != len(p.Sim.Appliances()) {
		t.Fatalf("cycle 2 queued %d, want %d: %+v", sum.Queued, len(p.Sim.Appliances()), sum)
	}
	waitFor(t, "a job of cycle 2 to start and no task to be pending", 30*time.Second, func() bool {
		if qi, err := insp.GetQueueInfo(p.Config.Queue); err != nil || qi.Pending > 0 {
			return false
		}
		for h, n := range logins(t, p.Sim) {
			if n > before[h] {
				return true
			}
		}
		return false
	})
	atKill := logins(t, p.Sim)
	rs.Primary.Kill()
	rs.WaitPrimary(rs.Replica.Addr)
	t.Logf("primary %s killed, replica %s promoted", rs.Primary.Addr, rs.Replica.Addr)

	// The jobs running at the kill could not tell the queue they finished.
	// asynq's syncer retries that against the promoted replica, or their
	// lease (30 s) runs out and discovery queues the appliance under its
	// second task id; wait for one or the other, as the next cycle a
	// minute later would. A task whose dequeue the replica never received
	// is pending there again: wait for a worker to run it too.
	start := time.Now()
	waitFor(t, "the jobs of the killed primary to finish or be orphaned", 90*time.Second, func() bool {
		if qi, err := insp.GetQueueInfo(p.Config.Queue); err != nil || qi.Pending > 0 {
			return false
		}
		active, err := insp.ListActiveTasks(p.Config.Queue)
		if err != nil {
			return false
		}
		for _, a := range active {
			if !a.IsOrphaned {
				return false
			}
		}
		return true
	})
	t.Logf("the queue settled %s after the promotion", time.Since(start).Round(time.Second))

	// Two more cycles on the promoted replica, with the same clients.
	for range 2 {
		p.Clock.Add(time.Minute)
		sum := p.Cycle(ctx)
		if sum.Errors != 0 || sum.Queued != len(p.Sim.Appliances()) {
			t.Errorf("cycle after the failover: %+v", sum)
		}
		p.WaitCycle(ctx, sum.Cycle, 60*time.Second)
	}

	last, _ := p.Sim.Window()
	checkMinutePoints(t, p, first-120, last)
	if t.Failed() {
		for _, l := range strings.Split(p.Logs.String(), "\n") {
			if strings.Contains(l, `"level":"error"`) || strings.Contains(l, `"level":"warn"`) {
				t.Log(l)
			}
		}
	}
	// Every reachable appliance was collected again after the failover.
	after := logins(t, p.Sim)
	for _, a := range p.Sim.Appliances() {
		if a.Reachable && after[a.Hostname] <= atKill[a.Hostname] {
			t.Errorf("%s: no login after the failover (%d before, %d after)", a.Hostname, atKill[a.Hostname], after[a.Hostname])
		}
	}
}
