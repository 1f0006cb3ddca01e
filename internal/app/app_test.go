package app

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/ec-telemetry/ec-telemetry/influx"
	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

func TestAsynqLoggerDemotesRevokedTasks(t *testing.T) {
	var out bytes.Buffer
	l := asynqLogger{zerolog.New(&out).Level(zerolog.InfoLevel)}
	l.Warn("revoke task id=poll:15.NE")
	l.Warn("Dequeue error: ", "connection refused")
	got := strings.TrimSpace(out.String())
	if strings.Contains(got, "revoke task") || !strings.Contains(got, `"level":"warn","message":"Dequeue error: connection refused"`) {
		t.Errorf("asynq warnings = %s; want only the dequeue error at warn level", got)
	}
}

// go-redis's own lines (a failed dial here) go through zerolog, not raw to
// stderr.
func TestRouteRedisLogs(t *testing.T) {
	var out testenv.LogBuffer
	RouteRedisLogs(zerolog.New(&out))
	t.Cleanup(func() { RouteRedisLogs(zerolog.Nop()) })
	rdb := redis.NewClient(&redis.Options{Addr: testenv.ClosedPort(t), MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { rdb.Close() })
	if err := rdb.Ping(t.Context()).Err(); err == nil {
		t.Fatal("Ping to a closed port succeeded")
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "failed to dial") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := out.String(); !strings.Contains(got, `"level":"debug","component":"go-redis","detail":"redis: connection pool: failed to dial`) {
		t.Errorf("zerolog output = %q, want the dial failure at debug level", got)
	}
}

// writerFromEnv is NewWriter of the configuration with env set (empty
// values left unset), closed at the end of the test.
func writerFromEnv(t *testing.T, env map[string]string) *influx.Writer {
	t.Helper()
	for k, v := range env {
		if v != "" {
			t.Setenv(k, v)
		}
	}
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return w
}

// DB_TLS_VERIFY and DB_CA_FILE reach the InfluxDB writer.
func TestNewWriterFollowsDBTLSVariables(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Write([]byte(`{"status":"pass"}`))
	}))
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600)
	tests := []struct {
		name, verify, caFile string
		wantErr              bool
	}{
		{name: "default verifies", wantErr: true},
		{name: "verification off", verify: "false"},
		{name: "CA file", caFile: ca},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := writerFromEnv(t, map[string]string{"DB_URL": srv.URL, "DB_TLS_VERIFY": tc.verify, "DB_CA_FILE": tc.caFile})
			if err := w.Health(t.Context()); (err != nil) != tc.wantErr {
				t.Errorf("Health = %v, want error %v", err, tc.wantErr)
			}
		})
	}
}

// DB_GZIP=true makes the writer send its writes gzipped, which a real
// InfluxDB stores as it stores plain ones.
func TestWriterGzipFromConfig(t *testing.T) {
	db := testenv.StartInfluxDB(t)
	target, err := url.Parse(db.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	var mu sync.Mutex
	var encodings []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v2/write" {
			mu.Lock()
			encodings = append(encodings, r.Header.Get("Content-Encoding"))
			mu.Unlock()
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	w := writerFromEnv(t, map[string]string{"DB_URL": srv.URL, "DB_BUCKET": db.Bucket, "DB_GZIP": "true"})
	pts := []telemetry.Point{
		{Measurement: "memory_stats", Tags: telemetry.Tags{{Key: "hostname", Value: "EC-1"}},
			Fields: telemetry.Fields{telemetry.IntField("free", 42)}, Time: time.Unix(1736503200, 0)},
	}
	if n, err := w.Write(t.Context(), pts); err != nil || n != 1 {
		t.Fatalf("Write = %d, %v; want 1 point written", n, err)
	}
	if got, err := db.QueryValue(t.Context(), `SELECT "free" FROM "memory_stats" WHERE "hostname" = 'EC-1'`); err != nil || got != json.Number("42") {
		t.Errorf("stored free = %v, %v; want 42", got, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(encodings) != 1 || encodings[0] != "gzip" {
		t.Errorf("writes' Content-Encoding = %q, want one gzip write", encodings)
	}
}
