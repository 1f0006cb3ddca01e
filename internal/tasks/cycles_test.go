package tasks

import (
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

func TestRedisCycles(t *testing.T) {
	srv := testenv.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { rdb.Close() })
	r := &RedisCycles{Client: rdb}
	ctx := t.Context()
	if err := r.RecordEnqueue(ctx, 1736503200, CycleStats{Queued: 4, StillQueued: 1}); err != nil {
		t.Fatal(err)
	}
	r.RecordJob(ctx, 1736503200, true, 200)
	r.RecordJob(ctx, 1736503200, true, 150)
	got, err := r.Get(ctx, 1736503200)
	if err != nil {
		t.Fatal(err)
	}
	want := CycleStats{Queued: 4, StillQueued: 1, Collected: 2, Points: 350}
	if got != want || got.Done() {
		t.Errorf("Get = %+v (done %v), want %+v not done", got, got.Done(), want)
	}
	r.RecordLate(ctx, 1736503200)
	got, _ = r.Get(ctx, 1736503200)
	if got.Late != 1 || got.Done() {
		t.Errorf("Get = %+v (done %v), want late 1, not done", got, got.Done())
	}
	r.RecordJob(ctx, 1736503200, false, 4)
	got, _ = r.Get(ctx, 1736503200)
	if got.Failed != 1 || got.Points != 354 || got.Late != 1 || !got.Done() {
		t.Errorf("Get = %+v, want failed 1, points 354, late 1, done (4 queued, 4 reported)", got)
	}
	if ttl := rdb.TTL(ctx, "ectelemetry:cycle:1736503200").Val(); ttl <= 0 {
		t.Errorf("TTL = %v, want an expiry", ttl)
	}
}
