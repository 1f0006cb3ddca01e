package netdelay_test

import (
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// Through the proxy a Redis answers as before, each command at least two
// delays later, and a pipeline of commands in one round trip.
func TestDelayProxy(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	const delay = 50 * time.Millisecond
	c := redis.NewClient(&redis.Options{Addr: testenv.StartDelayProxy(t, r.Addr, delay), DisableIdentity: true})
	t.Cleanup(func() { c.Close() })
	ctx := t.Context()
	if err := c.Ping(ctx).Err(); err != nil { // connects
		t.Fatal(err)
	}

	long := strings.Repeat("x", 200<<10) // more than one read's chunk
	start := time.Now()
	if err := c.Set(ctx, "ec:key", long, 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	if rt := time.Since(start); rt < 2*delay {
		t.Errorf("SET took %v through the proxy, want at least %v", rt, 2*delay)
	}
	if got, err := c.Get(ctx, "ec:key").Result(); err != nil || got != long {
		t.Fatalf("GET = %d bytes, %v; want the %d set", len(got), err, len(long))
	}

	start = time.Now()
	cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for range 10 {
			p.Incr(ctx, "ec:n")
		}
		return nil
	})
	rt := time.Since(start)
	if err != nil || len(cmds) != 10 || cmds[9].(*redis.IntCmd).Val() != 10 {
		t.Fatalf("pipeline: %v, %d commands", err, len(cmds))
	}
	if rt < 2*delay || rt > 10*delay { // ten round trips would take 20×delay
		t.Errorf("a pipeline of 10 took %v, want one round trip of about %v, not ten", rt, 2*delay)
	}
}
