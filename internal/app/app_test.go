package app

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

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
