package discovery

import (
	"testing"

	"github.com/hibiken/asynq"

	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// The claim looks for the rerun task by the key asynq keeps it under: a
// release of asynq that moves its tasks elsewhere must fail here, not let
// a new job overlap one running under the rerun id.
func TestAsynqTaskKeyIsAsynqs(t *testing.T) {
	rdb := testenv.StartRedis(t).Client(t)
	ctx := t.Context()
	id := tasks.RerunTaskID("default:7.NE")
	key := asynqTaskKey("ectelem", id)
	c := asynq.NewClientFromRedisClient(rdb)
	if _, err := c.EnqueueContext(ctx, asynq.NewTask(tasks.TypeAppliancePoll, []byte(`{}`)), asynq.Queue("ectelem"), asynq.TaskID(id)); err != nil {
		t.Fatal(err)
	}
	if n := rdb.Exists(ctx, key).Val(); n != 1 {
		t.Fatalf("EXISTS %s = %d after asynq queued task %s; want 1", key, n, id)
	}
	if err := asynq.NewInspectorFromRedisClient(rdb).DeleteTask("ectelem", id); err != nil {
		t.Fatal(err)
	}
	if n := rdb.Exists(ctx, key).Val(); n != 0 {
		t.Errorf("EXISTS %s = %d after asynq deleted task %s; want 0", key, n, id)
	}
}
