package discovery

import (
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// BenchmarkCycleEnqueue measures how fast one discovery process queues a
// fleet (DISCOVERY_SPREAD=false, every appliance at once) into a real
// Redis: appliances/s, the CPU of this process (discovery's, without a
// proxy) per appliance, and the Redis commands each costs (INFO's
// total_commands_processed, Lua's included). With a delay, Redis is
// reached through a proxy that holds each message that long each way, as
// a Redis on another host; the round trip it makes is measured and
// reported (Go's timers make it about 0.5 ms longer than twice the delay).
//
//	go test -run '^$' -bench CycleEnqueue -count 3 ./discovery/
func BenchmarkCycleEnqueue(b *testing.B) {
	for _, delay := range []time.Duration{0, time.Millisecond} {
		b.Run("delay="+delay.String(), func(b *testing.B) {
			const fleet = 1000
			rs := testenv.StartRedis(b)
			addr := rs.Addr
			if delay > 0 {
				addr = testenv.StartDelayProxy(b, rs.Addr, delay)
			}
			rdb := redis.NewClient(&redis.Options{Addr: addr})
			b.Cleanup(func() { rdb.Close() })
			rt := roundTrip(b, rdb)
			direct := rs.Client(b)
			inv := testInventory()
			inv.Appliances = nil
			for i := range fleet {
				inv.Appliances = append(inv.Appliances, Appliance{ID: fmt.Sprintf("%d.NE", i+1), Hostname: fmt.Sprintf("EC-%04d", i+1),
					Address: "127.0.0.1:1", NetworkRole: "0", Model: "EC-XS", State: 1})
			}
			q := NewAsynqQueue(rdb, "ectelem")
			d, err := New(Options{Orchestrator: &fakeOrch{inv: inv}, Queue: q, CollectAll: true,
				Interval: time.Minute, Logger: zerolog.Nop()})
			if err != nil {
				b.Fatal(err)
			}
			cycle := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
			var (
				queued   int
				elapsed  time.Duration
				commands int64
				cpu      int64
			)
			for b.Loop() {
				b.StopTimer()
				if err := direct.FlushDB(b.Context()).Err(); err != nil {
					b.Fatal(err)
				}
				q.Reset()
				before := testenv.RedisInfoInt(b, direct, "stats", "total_commands_processed")
				b.StartTimer()
				start, cpu0 := time.Now(), processCPU(b)
				sum, err := d.Cycle(b.Context(), cycle)
				elapsed, cpu = elapsed+time.Since(start), cpu+processCPU(b)-cpu0
				b.StopTimer()
				if err != nil || sum.Queued != fleet {
					b.Fatalf("cycle queued %d of %d: %v", sum.Queued, fleet, err)
				}
				commands += testenv.RedisInfoInt(b, direct, "stats", "total_commands_processed") - before - 1 // the INFO itself
				queued += sum.Queued
				cycle = cycle.Add(time.Minute)
				b.StartTimer()
			}
			b.ReportMetric(rt.Seconds()*1e3, "ms/round-trip")
			b.ReportMetric(float64(queued)/elapsed.Seconds(), "appliances/s")
			if delay == 0 { // the proxy's own CPU would count too
				b.ReportMetric(float64(cpu)/1e3/float64(queued), "cpu-us/appliance")
			}
			b.ReportMetric(float64(commands)/float64(queued), "redis-cmds/appliance")
		})
	}
}

// roundTrip is the mean time of a PING.
func roundTrip(b *testing.B, rdb *redis.Client) time.Duration {
	b.Helper()
	const n = 100
	start := time.Now()
	for range n {
		if err := rdb.Ping(b.Context()).Err(); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start) / n
}

// processCPU is this process's user and system CPU, in nanoseconds.
func processCPU(b *testing.B) int64 {
	ns, ok := testenv.ProcessCPU()
	if !ok {
		b.Skip("no process CPU time on this system")
	}
	return ns
}
