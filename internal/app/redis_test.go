package app

import (
	"slices"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/ec-telemetry/ec-telemetry/internal/config"
)

// TestRedisOptionsFollowMode checks that each Redis deployment gets the
// matching options and go-redis client, with the passwords and the
// database where they belong.
func TestRedisOptionsFollowMode(t *testing.T) {
	base := config.Config{RedisAddr: "127.0.0.1:6379", RedisPassword: "data-pw", RedisDB: 2}

	if o := redisOptions(base); !slices.Equal(o.Addrs, []string{base.RedisAddr}) || o.MasterName != "" || o.IsClusterMode || o.Password != "data-pw" || o.DB != 2 {
		t.Errorf("standalone: redisOptions = %#v", o)
	}
	if got := RedisTarget(base); got != base.RedisAddr {
		t.Errorf("standalone: RedisTarget = %q", got)
	}
	rdb := NewRedis(base)
	if c, ok := rdb.(*redis.Client); !ok {
		t.Errorf("standalone: NewRedis = %T, want *redis.Client", rdb)
	} else if o := c.Options(); o.Addr != base.RedisAddr || o.Password != "data-pw" || o.DB != 2 || o.ReadTimeout != redisTimeout || !smallBuffers(o.ReadBufferSize, o.WriteBufferSize, o.PipelineReadBufferSize, o.PipelineWriteBufferSize) {
		t.Errorf("standalone: client options %+v", o)
	}
	rdb.Close()

	s := base
	s.RedisSentinelAddrs, s.RedisSentinelMaster, s.RedisSentinelPassword = "127.0.0.1:26379, 127.0.0.1:26380", "ectelem", "sentinel-pw"
	if o := redisOptions(s); o.MasterName != "ectelem" ||
		!slices.Equal(o.Addrs, []string{"127.0.0.1:26379", "127.0.0.1:26380"}) ||
		o.SentinelPassword != "sentinel-pw" || o.Password != "data-pw" || o.DB != 2 {
		t.Errorf("sentinel: redisOptions = %#v", o)
	}
	if got, want := RedisTarget(s), `master "ectelem" of sentinels 127.0.0.1:26379,127.0.0.1:26380`; got != want {
		t.Errorf("sentinel: RedisTarget = %q, want %q", got, want)
	}
	rdb = NewRedis(s)
	if c, ok := rdb.(*redis.Client); !ok { // go-redis's failover client is a *redis.Client
		t.Errorf("sentinel: NewRedis = %T, want a failover *redis.Client", rdb)
	} else if o := c.Options(); o.Password != "data-pw" || o.DB != 2 || !smallBuffers(o.ReadBufferSize, o.WriteBufferSize, o.PipelineReadBufferSize, o.PipelineWriteBufferSize) {
		t.Errorf("sentinel: client options %+v", o)
	}
	rdb.Close()

	c := base
	c.RedisDB, c.RedisClusterAddrs = 0, "127.0.0.1:7000,127.0.0.1:7001"
	if o := redisOptions(c); !o.IsClusterMode || o.MasterName != "" || !slices.Equal(o.Addrs, []string{"127.0.0.1:7000", "127.0.0.1:7001"}) || o.Password != "data-pw" {
		t.Errorf("cluster: redisOptions = %#v", o)
	}
	if got, want := RedisTarget(c), "cluster 127.0.0.1:7000,127.0.0.1:7001"; got != want {
		t.Errorf("cluster: RedisTarget = %q, want %q", got, want)
	}
	rdb = NewRedis(c)
	if cc, ok := rdb.(*redis.ClusterClient); !ok {
		t.Errorf("cluster: NewRedis = %T, want *redis.ClusterClient", rdb)
	} else if o := cc.Options(); !slices.Equal(o.Addrs, []string{"127.0.0.1:7000", "127.0.0.1:7001"}) || o.Password != "data-pw" || !smallBuffers(o.ReadBufferSize, o.WriteBufferSize, o.PipelineReadBufferSize, o.PipelineWriteBufferSize) {
		t.Errorf("cluster: client options %+v", o)
	}
	rdb.Close()
	// One seed node is a cluster still, not a single server.
	c.RedisClusterAddrs = "127.0.0.1:7000"
	rdb = NewRedis(c)
	if _, ok := rdb.(*redis.ClusterClient); !ok {
		t.Errorf("cluster of one seed: NewRedis = %T, want *redis.ClusterClient", rdb)
	}
	rdb.Close()
}

// smallBuffers reports whether every size is redisBuffer, not go-redis's
// 32 KiB and 128 KiB.
func smallBuffers(sizes ...int) bool {
	for _, n := range sizes {
		if n != redisBuffer {
			return false
		}
	}
	return true
}
