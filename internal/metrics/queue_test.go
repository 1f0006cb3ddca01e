package metrics

import (
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// QueueDepths reads every state of asynq's queue from a real Redis.
func TestQueueDepths(t *testing.T) {
	rs := testenv.StartRedis(t)
	rdb := rs.Client(t)
	ctx := t.Context()
	p := "asynq:{q}:"
	rdb.LPush(ctx, p+"pending", "a", "b", "c")
	rdb.LPush(ctx, p+"active", "d")
	rdb.ZAdd(ctx, p+"retry", redis.Z{Score: 1, Member: "e"}, redis.Z{Score: 2, Member: "f"})
	rdb.ZAdd(ctx, p+"archived", redis.Z{Score: 1, Member: "g"})
	rdb.LPush(ctx, "asynq:{other}:pending", "x") // another queue
	got, err := QueueDepths(ctx, rdb, "q")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"pending": 3, "active": 1, "scheduled": 0, "retry": 2, "archived": 1}
	for state, n := range want {
		if got[state] != n {
			t.Errorf("%s = %d, want %d (all: %v)", state, got[state], n, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("states %v, want %v", got, want)
	}
	rs.Stop()
	if _, err := QueueDepths(ctx, rdb, "q"); err == nil {
		t.Error("Redis stopped, yet no error")
	}
}
