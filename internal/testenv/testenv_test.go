package testenv

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
)

func TestFreePortAndClosedPort(t *testing.T) {
	p := FreePort(t)
	if p <= 0 || p > 65535 {
		t.Fatalf("FreePort = %d, want a port in 1..65535", p)
	}
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	if err != nil {
		t.Fatalf("listen on FreePort %d: %v", p, err)
	}
	l.Close()

	addr := ClosedPort(t)
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host != "127.0.0.1" {
		t.Fatalf("ClosedPort = %q, want 127.0.0.1:port", addr)
	}
	if _, err := net.DialTimeout("tcp", addr, 2*time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial ClosedPort %s: err = %v, want connection refused", addr, err)
	}
}

func TestFreePortsAreDistinct(t *testing.T) {
	ports, err := freePorts(5)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if seen[p] {
			t.Fatalf("freePorts(5) = %v, has duplicate %d", ports, p)
		}
		seen[p] = true
	}
}

func TestRedis(t *testing.T) {
	t.Parallel()
	r := StartRedis(t)
	ctx := t.Context()
	newClient := func() *redis.Client {
		c := redis.NewClient(&redis.Options{Addr: r.Addr, DisableIdentity: true, MaxRetries: -1})
		t.Cleanup(func() { c.Close() })
		return c
	}
	c := newClient()

	if err := c.Set(ctx, "ec:key", "value with spaces", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	if got, err := c.Get(ctx, "ec:key").Result(); err != nil || got != "value with spaces" {
		t.Fatalf("GET = %q, %v, want %q", got, err, "value with spaces")
	}
	if mem := RedisInfoInt(t, c, "memory", "used_memory"); mem <= 0 {
		t.Errorf("used_memory = %d, want some bytes", mem)
	}
	before := RedisInfoInt(t, c, "stats", "total_commands_processed")
	if after := RedisInfoInt(t, c, "stats", "total_commands_processed"); after != before+1 {
		t.Errorf("total_commands_processed %d, then %d after one INFO; want one more", before, after)
	}

	r.Stop()
	r.Stop() // a second Stop does nothing
	if _, err := net.DialTimeout("tcp", r.Addr, 2*time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial stopped redis: err = %v, want connection refused", err)
	}

	r.Restart()
	if got, err := newClient().Get(ctx, "ec:key").Result(); err != nil || got != "value with spaces" {
		t.Fatalf("GET after Restart = %q, %v, want %q", got, err, "value with spaces")
	}
}

func TestInfluxDB(t *testing.T) {
	t.Parallel()
	db := StartInfluxDB(t)
	ctx := t.Context()

	if db.Database != "ectelem" || db.Bucket != "ectelem/autogen" {
		t.Errorf("Database, Bucket = %q, %q, want ectelem, ectelem/autogen", db.Database, db.Bucket)
	}
	lines := "m,site=HQ\\ 1 big=9007199254740993i,f=1.25,ok=true,s=\"a b\" 1736503200\n" +
		"m,site=HQ\\ 1 big=-3i,f=2,ok=false,s=\"\" 1736503260\n"
	if err := db.WriteLines(ctx, lines); err != nil {
		t.Fatalf("WriteLines: %v", err)
	}
	want := []Series{{
		Name:    "m",
		Columns: []string{"time", "big", "f", "ok", "s", "site"},
		Values: [][]any{
			{json.Number("1736503200"), json.Number("9007199254740993"), json.Number("1.25"), true, "a b", "HQ 1"},
			{json.Number("1736503260"), json.Number("-3"), json.Number("2"), false, "", "HQ 1"},
		},
	}}
	query := func() []Series {
		t.Helper()
		got, err := db.Query(ctx, `SELECT * FROM "m" ORDER BY time`)
		if err != nil {
			t.Fatalf("Query: %v", err)
		}
		return got
	}
	if diff := cmp.Diff(want, query()); diff != "" {
		t.Fatalf("Query mismatch (-want +got):\n%s", diff)
	}
	got, err := db.QueryValue(ctx, `SELECT last("big") FROM "m"`)
	if err != nil || got != json.Number("-3") {
		t.Errorf("QueryValue(last big) = %v, %v, want -3", got, err)
	}
	if _, err := db.Query(ctx, `SELECT * FROM`); err == nil {
		t.Error("Query with a syntax error succeeded")
	}

	db.Stop()
	if _, err := http.Get(db.URL + "/ping"); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("GET /ping on stopped influxd: err = %v, want connection refused", err)
	}

	db.Restart()
	if diff := cmp.Diff(want, query()); diff != "" {
		t.Fatalf("Query after Restart mismatch (-want +got):\n%s", diff)
	}
}

// StartInfluxDBWith writes its cache settings into influxd's
// configuration, and CPU reads the server's CPU while it runs.
func TestInfluxDBWithOptions(t *testing.T) {
	t.Parallel()
	db := StartInfluxDBWith(t, InfluxDBOptions{CacheSnapshot: "1g", CacheMax: "4g", WALFsyncDelay: "100ms"})
	conf, err := os.ReadFile(db.configPath())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`cache-snapshot-memory-size = "1g"`, `cache-max-memory-size = "4g"`, `wal-fsync-delay = "100ms"`} {
		if !strings.Contains(string(conf), want) {
			t.Errorf("influxd's configuration lacks %s:\n%s", want, conf)
		}
	}
	if err := db.WriteLines(t.Context(), "m f=1 1736503200\n"); err != nil {
		t.Fatalf("WriteLines: %v", err)
	}
	if cpu, err := db.CPU(); runtime.GOOS == "linux" && (err != nil || cpu <= 0) {
		t.Errorf("CPU = %v, %v; want the seconds influxd has used", cpu, err)
	}
	db.Stop()
	if _, err := db.CPU(); err == nil {
		t.Error("CPU of a stopped influxd succeeded")
	}
}

func TestPromToolPaths(t *testing.T) {
	for name, path := range map[string]string{"promtool": PromtoolPath(t), "amtool": AmtoolPath(t)} {
		if out, err := exec.CommandContext(t.Context(), path, "--version").CombinedOutput(); err != nil || !strings.Contains(string(out), name) {
			t.Errorf("%s --version: %v, output %q", path, err, out)
		}
	}
}
