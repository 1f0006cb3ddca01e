package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestRedisModes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		env      map[string]string
		mode     string
		wantErrs []string // exact lines of Validate's error
	}{
		{name: "standalone", env: map[string]string{}, mode: RedisStandalone},
		{name: "sentinel", mode: RedisSentinel, env: map[string]string{
			"REDIS_SENTINEL_ADDRS": " 127.0.0.1:26379, 127.0.0.1:26380 ,", "REDIS_SENTINEL_MASTER": "ectelem",
			"REDIS_SENTINEL_PASSWORD": "s-pass", "REDIS_DB": "3",
		}},
		{name: "cluster", mode: RedisCluster, env: map[string]string{"REDIS_CLUSTER_ADDRS": "127.0.0.1:7000,127.0.0.1:7001"}},
		{name: "sentinel without master", mode: RedisSentinel, env: map[string]string{"REDIS_SENTINEL_ADDRS": "127.0.0.1:26379"},
			wantErrs: []string{"REDIS_SENTINEL_MASTER is required with REDIS_SENTINEL_ADDRS"}},
		{name: "bad addresses", mode: RedisSentinel, env: map[string]string{"REDIS_SENTINEL_ADDRS": "127.0.0.1,:26379,h:0,h:x", "REDIS_SENTINEL_MASTER": "m"},
			wantErrs: []string{
				`REDIS_SENTINEL_ADDRS: "127.0.0.1" is not host:port`, `REDIS_SENTINEL_ADDRS: ":26379" is not host:port`,
				`REDIS_SENTINEL_ADDRS: "h:0" is not host:port`, `REDIS_SENTINEL_ADDRS: "h:x" is not host:port`,
			}},
		{name: "both", mode: RedisSentinel, env: map[string]string{"REDIS_SENTINEL_ADDRS": "a:1", "REDIS_SENTINEL_MASTER": "m", "REDIS_CLUSTER_ADDRS": "b:2"},
			wantErrs: []string{"set either REDIS_SENTINEL_ADDRS or REDIS_CLUSTER_ADDRS, not both"}},
		{name: "cluster db", mode: RedisCluster, env: map[string]string{"REDIS_CLUSTER_ADDRS": "a:1", "REDIS_DB": "2"},
			wantErrs: []string{"REDIS_DB 2: a Redis Cluster has only database 0"}},
		{name: "master without sentinels", mode: RedisStandalone, env: map[string]string{"REDIS_SENTINEL_MASTER": "m"},
			wantErrs: []string{"REDIS_SENTINEL_MASTER and REDIS_SENTINEL_PASSWORD need REDIS_SENTINEL_ADDRS"}},
		{name: "no address at all", mode: RedisStandalone, env: map[string]string{"REDIS_ADDR": ""},
			wantErrs: []string{"REDIS_ADDR is required and empty"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := validEnv()
			for k, v := range tc.env {
				env[k] = v
			}
			c, err := LoadFrom(mapLookup(env))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.RedisMode(); got != tc.mode {
				t.Errorf("RedisMode = %q, want %q", got, tc.mode)
			}
			var got []string
			if err := c.Validate(RoleAll); err != nil {
				got = strings.Split(err.Error(), "\n")
			}
			if !slices.Equal(got, tc.wantErrs) {
				t.Errorf("Validate errors:\n%q\nwant\n%q", got, tc.wantErrs)
			}
		})
	}
}

func TestRedisLists(t *testing.T) {
	c := Config{RedisSentinelAddrs: " a:1, b:2 ,,a:1", RedisClusterAddrs: "c:3"}
	if got := c.RedisSentinelList(); !slices.Equal(got, []string{"a:1", "b:2"}) {
		t.Errorf("RedisSentinelList = %q", got)
	}
	if got := c.RedisClusterList(); !slices.Equal(got, []string{"c:3"}) {
		t.Errorf("RedisClusterList = %q", got)
	}
}

func TestRedisSentinelPasswordFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(f, []byte("sentinel-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := validEnv()
	env["REDIS_SENTINEL_PASSWORD_FILE"] = f
	c, err := LoadFrom(mapLookup(env))
	if err != nil {
		t.Fatal(err)
	}
	if c.RedisSentinelPassword != "sentinel-secret" {
		t.Errorf("RedisSentinelPassword = %q, want it read from the file", c.RedisSentinelPassword)
	}
	if !slices.Contains(c.SecretValues(), "sentinel-secret") {
		t.Errorf("SecretValues lacks REDIS_SENTINEL_PASSWORD")
	}
}
