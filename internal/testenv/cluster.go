package testenv

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisCluster is a Redis Cluster of masters without replicas, on
// loopback, started for one test.
type RedisCluster struct {
	// Nodes are the masters; Addrs their "127.0.0.1:port" addresses, for
	// REDIS_CLUSTER_ADDRS.
	Nodes []*Redis
	Addrs []string
}

// StartRedisCluster starts n (at least 3) redis-server in cluster mode,
// joins them with `redis-cli --cluster create` (the slots split evenly,
// no replicas) and waits until every node reports the cluster ok. It needs
// redis-cli next to redis-server or on PATH.
func StartRedisCluster(t testing.TB, n int) *RedisCluster {
	t.Helper()
	if n < 3 {
		t.Fatalf("testenv: StartRedisCluster: %d masters, a cluster needs at least 3", n)
	}
	if testing.Short() {
		t.Skip("testenv: -short: skipping a test that needs a real redis-server")
	}
	cli := redisCLIPath(t)
	c := &RedisCluster{}
	for range n {
		r := startRedisArgs(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000")
		c.Nodes = append(c.Nodes, r)
		c.Addrs = append(c.Addrs, r.Addr)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	args := append([]string{"--cluster", "create"}, c.Addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("testenv: redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(time.Minute)
	for _, addr := range c.Addrs {
		for {
			rc := redis.NewClient(&redis.Options{Addr: addr})
			info, err := rc.ClusterInfo(ctx).Result()
			rc.Close()
			if err == nil && strings.Contains(info, "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("testenv: cluster node %s not ok after a minute: %v\n%s", addr, err, info)
			}
			select {
			case <-ctx.Done():
				t.Fatal(fmt.Errorf("testenv: wait for the cluster: %w", ctx.Err()))
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return c
}
