package discovery

import (
	"testing"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
)

// TestPeerQueueSkipsClaimedAppliance: a second discovery process (its own
// AsynqQueue) on the same Redis does not queue an appliance the first
// queued in the same cycle, even after that job has finished and left no
// task behind; in the next cycle whoever comes first queues it.
func TestPeerQueueSkipsClaimedAppliance(t *testing.T) {
	e := newEnv(t, `{"appliance_subset": ["BR-2"]}`)
	q1 := e.d.o.Queue.(*AsynqQueue)
	q2 := NewAsynqQueue(e.rdb, "ectelem")
	p := tasks.AppliancePoll{ApplianceID: "2.NE", Hostname: "BR-2", Address: "127.0.0.1:1", DiscoveredAt: 1796000000, Cycle: 1796000000}
	enqueue := func(q *AsynqQueue, want string) {
		t.Helper()
		if res, err := q.Enqueue(t.Context(), p, time.Now().Add(time.Minute)); res != want || err != nil {
			t.Errorf("Enqueue = %s, %v; want %s", res, err, want)
		}
	}
	enqueue(q1, ResultEnqueued)
	enqueue(q2, ResultPeerQueued)
	if err := e.insp.DeleteTask("ectelem", tasks.TaskID(p.ApplianceID)); err != nil { // the job finished
		t.Fatal(err)
	}
	enqueue(q2, ResultPeerQueued)
	enqueue(q1, ResultEnqueued) // the claim's owner may run its cycle again

	p.Cycle += 60
	if err := e.insp.DeleteTask("ectelem", tasks.TaskID(p.ApplianceID)); err != nil {
		t.Fatal(err)
	}
	enqueue(q2, ResultEnqueued)
	enqueue(q1, ResultPeerQueued)
	if ttl := e.rdb.TTL(t.Context(), claimKey(p.Cycle)).Val(); ttl <= time.Minute || ttl > 2*time.Minute {
		t.Errorf("claims expire in %s, want the deadline plus a minute", ttl)
	}
}
