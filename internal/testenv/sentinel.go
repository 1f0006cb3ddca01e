package testenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// SentinelMaster is the master name the sentinels of StartRedisSentinel
// monitor.
const SentinelMaster = "ectelem"

// Sentinel timing: the primary is taken as down after sentinelDownAfter
// without an answer, so a failover completes within a few seconds.
const (
	sentinelDownAfter       = 1000 * time.Millisecond
	sentinelFailoverTimeout = 10 * time.Second
)

// RedisSentinel is a Redis primary, one replica of it and the sentinels
// that monitor them under SentinelMaster, all on loopback, started for one
// test.
type RedisSentinel struct {
	// Primary and Replica are the servers as started; after a failover
	// Replica is the primary (see PrimaryAddr).
	Primary, Replica *Redis
	// SentinelAddrs are the sentinels' "127.0.0.1:port" addresses.
	SentinelAddrs []string

	t         testing.TB
	sentinels []*sentinel
}

type sentinel struct {
	addr, dir string
	proc      *process
}

// StartRedisSentinel starts a primary, a replica of it and n sentinels (1
// to 3, quorum n/2+1), and waits until the replica is in sync and every
// sentinel knows the replica and the other sentinels, so that a failover
// can happen. Everything is stopped at t.Cleanup.
func StartRedisSentinel(t testing.TB, n int) *RedisSentinel {
	t.Helper()
	if n < 1 || n > 3 {
		t.Fatalf("testenv: StartRedisSentinel: %d sentinels, want 1 to 3", n)
	}
	// The primary sends its snapshot to the replica at once, not after the
	// default 5 s wait for more replicas.
	s := &RedisSentinel{t: t, Primary: startRedisArgs(t, "--repl-diskless-sync-delay", "0")}
	s.Replica = startRedisArgs(t, "--replicaof", "127.0.0.1", strconv.Itoa(s.Primary.port))
	t.Cleanup(s.cleanup)
	_, primaryPort, _ := net.SplitHostPort(s.Primary.Addr)
	bin := redisServerPath(t)
	for i := range n {
		sn := &sentinel{dir: filepath.Join(t.TempDir(), fmt.Sprintf("sentinel-%d", i+1))}
		if err := os.MkdirAll(sn.dir, 0o755); err != nil {
			t.Fatal(err)
		}
		logPath := filepath.Join(sn.dir, "sentinel.log")
		startOnFreePort(t, "redis-server --sentinel", logPath, func(port int) error {
			sn.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
			conf := filepath.Join(sn.dir, "sentinel.conf")
			// Sentinel rewrites its configuration file, so each has its own.
			text := strings.Join([]string{
				"port " + strconv.Itoa(port),
				"bind 127.0.0.1",
				"dir " + sn.dir,
				"loglevel notice",
				fmt.Sprintf("sentinel monitor %s 127.0.0.1 %s %d", SentinelMaster, primaryPort, n/2+1),
				fmt.Sprintf("sentinel down-after-milliseconds %s %d", SentinelMaster, sentinelDownAfter.Milliseconds()),
				fmt.Sprintf("sentinel failover-timeout %s %d", SentinelMaster, sentinelFailoverTimeout.Milliseconds()),
				fmt.Sprintf("sentinel parallel-syncs %s 1", SentinelMaster),
			}, "\n") + "\n"
			if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
				return err
			}
			p, err := startReady(t.Context(), "redis-server --sentinel", logPath, bin, []string{conf, "--sentinel"},
				func(ctx context.Context) error { return pingRedis(ctx, sn.addr) })
			sn.proc = p
			return err
		})
		s.sentinels = append(s.sentinels, sn)
		s.SentinelAddrs = append(s.SentinelAddrs, sn.addr)
	}
	s.waitTopology(n)
	return s
}

// waitTopology waits until the replica's link is up and every sentinel
// sees one replica and the n-1 other sentinels.
func (s *RedisSentinel) waitTopology(n int) {
	s.t.Helper()
	s.poll("the replica to sync and the sentinels to find each other", func(ctx context.Context) error {
		rc := redis.NewClient(&redis.Options{Addr: s.Replica.Addr})
		defer rc.Close()
		info, err := rc.Info(ctx, "replication").Result()
		if err != nil {
			return err
		}
		if !strings.Contains(info, "master_link_status:up") {
			return fmt.Errorf("replica link not up")
		}
		for _, addr := range s.SentinelAddrs {
			sc := redis.NewSentinelClient(&redis.Options{Addr: addr})
			replicas, err := sc.Replicas(ctx, SentinelMaster).Result()
			if err == nil && len(replicas) != 1 {
				err = fmt.Errorf("sentinel %s sees %d replicas", addr, len(replicas))
			}
			if err == nil {
				var others []map[string]string
				others, err = sc.Sentinels(ctx, SentinelMaster).Result()
				if err == nil && len(others) != n-1 {
					err = fmt.Errorf("sentinel %s sees %d other sentinels, want %d", addr, len(others), n-1)
				}
			}
			sc.Close()
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// PrimaryAddr returns the primary's address as the first sentinel that
// answers names it.
func (s *RedisSentinel) PrimaryAddr(ctx context.Context) (string, error) {
	var last error
	for _, addr := range s.SentinelAddrs {
		sc := redis.NewSentinelClient(&redis.Options{Addr: addr})
		hp, err := sc.GetMasterAddrByName(ctx, SentinelMaster).Result()
		sc.Close()
		if err == nil && len(hp) == 2 {
			return net.JoinHostPort(hp[0], hp[1]), nil
		}
		last = err
	}
	return "", fmt.Errorf("no sentinel names the primary: %w", last)
}

// WaitPrimary waits until every sentinel names addr as the primary and the
// server at addr answers as a master, at most a minute.
func (s *RedisSentinel) WaitPrimary(addr string) {
	s.t.Helper()
	s.poll("the sentinels to promote "+addr, func(ctx context.Context) error {
		for _, sa := range s.SentinelAddrs {
			sc := redis.NewSentinelClient(&redis.Options{Addr: sa})
			hp, err := sc.GetMasterAddrByName(ctx, SentinelMaster).Result()
			sc.Close()
			if err != nil {
				return err
			}
			if got := net.JoinHostPort(hp[0], hp[1]); got != addr {
				return fmt.Errorf("sentinel %s names %s", sa, got)
			}
		}
		rc := redis.NewClient(&redis.Options{Addr: addr})
		defer rc.Close()
		info, err := rc.Info(ctx, "replication").Result()
		if err != nil {
			return err
		}
		if !strings.Contains(info, "role:master") {
			return fmt.Errorf("%s is not a master yet", addr)
		}
		return nil
	})
}

// poll calls check every 50 ms until it succeeds, failing the test after a
// minute with the last error.
func (s *RedisSentinel) poll(what string, check func(context.Context) error) {
	s.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := check(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("testenv: waited a minute for %s: %v\n%s", what, err, s.logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// logs returns the tails of the sentinels' logs, for failure messages.
func (s *RedisSentinel) logs() string {
	var b strings.Builder
	for _, sn := range s.sentinels {
		fmt.Fprintf(&b, "sentinel %s log:\n%s\n", sn.addr, logTail(filepath.Join(sn.dir, "sentinel.log")))
	}
	return b.String()
}

func (s *RedisSentinel) cleanup() {
	for _, sn := range s.sentinels {
		if sn.proc != nil {
			sn.proc.stop()
			sn.proc = nil
		}
	}
	if s.t.Failed() {
		s.t.Logf("testenv: %s", s.logs())
	}
}
