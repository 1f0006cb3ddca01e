package hatest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ec-telemetry/ec-telemetry/internal/e2e"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// redisCounters are Redis's command calls and network bytes since the last
// CONFIG RESETSTAT.
type redisCounters struct {
	calls   map[string]int64 // command → calls
	in, out int64            // bytes
	reads   int64            // client reads processed: round trips
}

func readRedisCounters(ctx context.Context, t *testing.T, rdb *redis.Client) redisCounters {
	t.Helper()
	c := redisCounters{calls: map[string]int64{}}
	info, err := rdb.Info(ctx, "commandstats", "stats").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if name, rest, ok := strings.Cut(line, ":"); ok {
			switch {
			case strings.HasPrefix(name, "cmdstat_"):
				// cmdstat_hset:calls=12,usec=...
				calls, _, _ := strings.Cut(strings.TrimPrefix(rest, "calls="), ",")
				n, _ := strconv.ParseInt(calls, 10, 64)
				c.calls[strings.TrimPrefix(name, "cmdstat_")] = n
			case name == "total_net_input_bytes":
				c.in, _ = strconv.ParseInt(rest, 10, 64)
			case name == "total_net_output_bytes":
				c.out, _ = strconv.ParseInt(rest, 10, 64)
			case name == "total_reads_processed":
				c.reads, _ = strconv.ParseInt(rest, 10, 64)
			}
		}
	}
	return c
}

func (c redisCounters) total() (n int64) {
	for _, v := range c.calls {
		n += v
	}
	return n
}

// requests returns the simulator's request counters: the Orchestrator's and
// the sum over the appliances.
func requests(t *testing.T, sim *simulator.Simulator) (orch, appliances int64) {
	t.Helper()
	sum := func(id string) (n int64) {
		st, err := sim.Stats(id)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range st.Requests {
			n += v
		}
		return n
	}
	orch = sum(simulator.OrchestratorID)
	for _, a := range sim.Appliances() {
		appliances += sum(a.ID)
	}
	return orch, appliances
}

// TestCapacityRatios measures what one steady-state appliance-cycle costs
// (the second cycle: one new minute of minute stats): Redis commands and
// bytes (INFO commandstats and stats, less what the idle processes cost
// over as long), points and line-protocol bytes written to InfluxDB, and
// requests to the Orchestrator and the appliances. docs/scaling.md's
// capacity model is built from its log line; the bounds below catch a
// change that multiplies a cost.
func TestCapacityRatios(t *testing.T) {
	const n = 20
	p := e2e.Start(t, e2e.Options{Appliances: n, Seed: 55})
	ctx := t.Context()
	rdb := redis.NewClient(&redis.Options{Addr: p.Redis.Addr})
	defer rdb.Close()
	mem0 := testenv.RedisInfoInt(t, rdb, "memory", "used_memory")
	p.RunCycles(ctx, 1) // first contact: FIRST_CONTACT_MINUTES of minute stats
	p.WaitIdle(ctx, 30*time.Second)

	reset := func() {
		if err := rdb.ConfigResetStat(ctx).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// The background: what discovery and the idle workers cost per second.
	reset()
	idleStart := time.Now()
	time.Sleep(3 * time.Second) // a measuring window, not a wait for a result
	idle := readRedisCounters(ctx, t, rdb)
	idleSecs := time.Since(idleStart).Seconds()

	orch0, app0 := requests(t, p.Sim)
	influxBytes0 := influxWriteBytes(t, p.Influx)
	reset()
	start := time.Now()
	p.Clock.Add(time.Minute)
	sum := p.Cycle(ctx)
	st := p.WaitCycle(ctx, sum.Cycle, 60*time.Second)
	p.WaitIdle(ctx, 30*time.Second)
	cyc := readRedisCounters(ctx, t, rdb)
	mem := float64(testenv.RedisInfoInt(t, rdb, "memory", "used_memory")-mem0) / n
	secs := time.Since(start).Seconds()
	orch1, app1 := requests(t, p.Sim)
	influxBytes := influxWriteBytes(t, p.Influx) - influxBytes0

	reachable := 0
	for _, a := range p.Sim.Appliances() {
		if a.Reachable {
			reachable++
		}
	}
	scale := secs / idleSecs
	perApp := func(cycle, background int64) float64 {
		return (float64(cycle) - float64(background)*scale) / float64(n)
	}
	cmds := perApp(cyc.total(), idle.total())
	in, out := perApp(cyc.in, idle.in), perApp(cyc.out, idle.out)
	trips := perApp(cyc.reads, idle.reads)
	var top []string
	for _, name := range []string{"evalsha", "eval", "hset", "hincrby", "hgetall", "get", "set", "zadd", "lrange", "multi", "exec", "expire", "pexpire", "hget", "hsetnx", "rpush", "llen", "zcard", "exists"} {
		if v := cyc.calls[name]; v > 0 {
			top = append(top, fmt.Sprintf("%s=%.1f", name, float64(v)/float64(n)))
		}
	}
	t.Logf("per appliance-cycle (%d appliances, %d reachable, steady state): redis round trips %.1f, redis commands %.1f (%s), redis bytes in %.0f out %.0f, redis memory %.0f bytes per appliance; "+
		"points %.1f, influx line-protocol bytes %.0f; appliance requests %.1f; orchestrator requests per cycle %d; "+
		"background: %.1f redis commands/s for discovery and %d worker processes",
		n, reachable, trips, cmds, strings.Join(top, " "), in, out, mem, float64(st.Points)/float64(n), float64(influxBytes)/float64(n),
		float64(app1-app0)/float64(n), orch1-orch0, float64(idle.total())/idleSecs, 2)

	for _, c := range []struct {
		name      string
		got, most float64
	}{
		{"redis commands per appliance-cycle", cmds, 200},
		// Discovery's two, asynq's two and the job's own two, and the
		// test's polling (every 50 ms, about one per appliance a second):
		// 7.0-7.1 measured, 13 when each store sent its commands on its
		// own and discovery looked at every rerun task.
		{"redis round trips per appliance-cycle", trips, 10},
		{"redis bytes in per appliance-cycle", in, 64 << 10},
		// The inventory calls, the Orchestrator's health, and the BGP
		// state of each appliance the Orchestrator can reach.
		{"orchestrator requests per cycle", float64(orch1 - orch0), float64(10 + n)},
		{"appliance requests per appliance-cycle", float64(app1-app0) / float64(n), 40},
	} {
		if c.got <= 0 || c.got > c.most {
			t.Errorf("%s = %.1f, want between 0 and %.0f", c.name, c.got, c.most)
		}
	}
	if st.Points == 0 || influxBytes <= 0 {
		t.Errorf("points %d, influx bytes %d: nothing measured", st.Points, influxBytes)
	}
}

// influxWriteBytes returns the bytes of line protocol InfluxDB 1.8 has
// received on its HTTP write endpoint (SHOW STATS, httpd writeReqBytes).
func influxWriteBytes(t *testing.T, db *testenv.InfluxDB) int64 {
	t.Helper()
	series, err := db.Query(t.Context(), "SHOW STATS FOR 'httpd'")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range series {
		for i, col := range s.Columns {
			if col == "writeReqBytes" && len(s.Values) > 0 {
				n, err := strconv.ParseInt(fmt.Sprint(s.Values[0][i]), 10, 64)
				if err != nil {
					t.Fatalf("writeReqBytes %v: %v", s.Values[0][i], err)
				}
				return n
			}
		}
	}
	t.Fatalf("SHOW STATS FOR 'httpd' has no writeReqBytes: %+v", series)
	return 0
}
