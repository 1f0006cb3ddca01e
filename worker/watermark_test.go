package worker

import (
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

func TestRedisWatermarks(t *testing.T) {
	srv := testenv.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { rdb.Close() })
	w := &RedisWatermarks{Client: rdb}
	ctx := t.Context()

	if _, ok, err := w.Get(ctx, "3.NE"); ok || err != nil {
		t.Fatalf("Get(new) = ok %v, err %v; want absent", ok, err)
	}
	steps := []struct{ advance, want int64 }{{1736503200, 1736503200}, {1736503260, 1736503260}, {1736503140, 1736503260}}
	for _, s := range steps {
		if err := w.Advance(ctx, "3.NE", s.advance); err != nil {
			t.Fatal(err)
		}
		got, ok, err := w.Get(ctx, "3.NE")
		if err != nil || !ok || got != s.want {
			t.Errorf("after Advance(%d): Get = %d, %v, %v; want %d", s.advance, got, ok, err, s.want)
		}
	}
	if v := rdb.Get(ctx, "ectelemetry:watermark:3.NE").Val(); v != "1736503260" {
		t.Errorf("stored key = %q, want 1736503260", v)
	}
	rdb.Set(ctx, "ectelemetry:watermark:bad", "garbage", 0)
	if _, ok, err := w.Get(ctx, "bad"); ok || err != nil {
		t.Errorf("Get(damaged) = ok %v, err %v; want absent, nil", ok, err)
	}
	if err := w.Reset(ctx, "3.NE"); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := w.Get(ctx, "3.NE"); ok || err != nil {
		t.Errorf("Get after Reset = ok %v, err %v; want absent", ok, err)
	}
	if err := w.Advance(ctx, "3.NE", 1736503140); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := w.Get(ctx, "3.NE"); got != 1736503140 {
		t.Errorf("Advance after Reset = %d, want 1736503140 (an older minute is accepted afresh)", got)
	}
	srv.Stop()
	if err := w.Reset(ctx, "3.NE"); err == nil || !strings.Contains(err.Error(), "3.NE") {
		t.Errorf("Reset with Redis down = %v, want an error naming the appliance", err)
	}
	if _, _, err := w.Get(ctx, "3.NE"); err == nil {
		t.Error("Get with Redis down = nil error, want error")
	}
}
