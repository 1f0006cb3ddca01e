package hatest

import (
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/e2e"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// TestRedisClusterCycle runs discovery and two workers on a three-master
// Redis Cluster (REDIS_CLUSTER_ADDRS) for two cycles: every appliance is
// collected and InfluxDB holds every minute-stats point.
func TestRedisClusterCycle(t *testing.T) {
	rc := testenv.StartRedisCluster(t, 3)
	p := e2e.Start(t, e2e.Options{Appliances: 6, Seed: 66, Config: func(c *config.Config) {
		c.RedisClusterAddrs = strings.Join(rc.Addrs, ",")
	}})
	ctx := t.Context()
	first, _ := p.Sim.Window()
	p.RunCycles(ctx, 2)
	last, _ := p.Sim.Window()
	checkMinutePoints(t, p, first-120, last)
	// Everything went to the cluster, spread over its masters.
	keys := func(addr string) int64 {
		c := redis.NewClient(&redis.Options{Addr: addr})
		defer c.Close()
		n, err := c.DBSize(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := keys(p.Redis.Addr); n != 0 {
		t.Errorf("the standalone Redis of the pipeline holds %d keys, want 0", n)
	}
	holding := 0
	for _, addr := range rc.Addrs {
		if keys(addr) > 0 {
			holding++
		}
	}
	if holding != len(rc.Addrs) {
		t.Errorf("%d of %d cluster masters hold keys, want all", holding, len(rc.Addrs))
	}
	for h, n := range logins(t, p.Sim) {
		for _, a := range p.Sim.Appliances() {
			if a.Hostname == h && a.Reachable && n != 2 {
				t.Errorf("%s: %d logins over 2 cycles, want 2", h, n)
			}
		}
	}
}
