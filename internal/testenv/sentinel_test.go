package testenv

import (
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestRedisSentinelFailover kills the primary and checks that the
// sentinels promote the replica, with the keys written before the kill,
// and that a failover client follows.
func TestRedisSentinelFailover(t *testing.T) {
	s := StartRedisSentinel(t, 3)
	ctx := t.Context()
	if got, err := s.PrimaryAddr(ctx); err != nil || got != s.Primary.Addr {
		t.Fatalf("PrimaryAddr = %q, %v, want %s", got, err, s.Primary.Addr)
	}
	rdb := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: SentinelMaster, SentinelAddrs: s.SentinelAddrs})
	defer rdb.Close()
	if err := rdb.Set(ctx, "k", "before", 0).Err(); err != nil {
		t.Fatal(err)
	}
	// WAIT makes the write reach the replica before the kill.
	if n, err := rdb.Wait(ctx, 1, 0).Result(); err != nil || n != 1 {
		t.Fatalf("WAIT 1 = %d, %v", n, err)
	}
	s.Primary.Kill()
	s.WaitPrimary(s.Replica.Addr)
	if got, err := rdb.Get(ctx, "k").Result(); err != nil || got != "before" {
		t.Errorf("GET k after failover = %q, %v, want before", got, err)
	}
	if err := rdb.Set(ctx, "k", "after", 0).Err(); err != nil {
		t.Errorf("SET after failover: %v", err)
	}
	direct := redis.NewClient(&redis.Options{Addr: s.Replica.Addr})
	defer direct.Close()
	if got, err := direct.Get(ctx, "k").Result(); err != nil || got != "after" {
		t.Errorf("GET k on the promoted replica = %q, %v, want after", got, err)
	}
}
