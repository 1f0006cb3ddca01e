package discovery

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
)

// Enqueue results, as counted in metrics and the cycle summary.
const (
	ResultEnqueued    = "enqueued"
	ResultRequeued    = "requeued"     // a task left behind (archived, or orphaned by a dead worker) was replaced
	ResultStillQueued = "still_queued" // the previous job of the appliance has not finished
	ResultPeerQueued  = "peer_queued"  // another discovery process on the same Redis queued it in this cycle
	ResultError       = "error"
)

// Queue is where discovery puts tasks (asynq). Discovery calls Enqueue
// from several goroutines at once, for different appliances.
type Queue interface {
	// Enqueue queues the task of one appliance, valid until deadline.
	Enqueue(ctx context.Context, p tasks.AppliancePoll, deadline time.Time) (string, error)
}

// AsynqQueue enqueues with one TaskID per appliance: while a job of that
// appliance is queued or running a second one is refused, so an overrunning
// cycle cannot pile up work and two jobs of one appliance never overlap.
// Create it with NewAsynqQueue. It is safe for concurrent use.
type AsynqQueue struct {
	rdb    redis.UniversalClient
	queue  string
	client atomic.Pointer[asynq.Client]
	insp   *asynq.Inspector
	owner  string // random id of this queue in the cycle claims

	mu        sync.Mutex      // guards the orphans listing
	orphans   map[string]bool // active task id → lease expired, as last listed
	orphansAt time.Time
}

var _ Queue = (*AsynqQueue)(nil)

// NewAsynqQueue returns an AsynqQueue on queue over rdb, which stays the
// caller's to close.
func NewAsynqQueue(rdb redis.UniversalClient, queue string) *AsynqQueue {
	q := &AsynqQueue{rdb: rdb, queue: queue, insp: asynq.NewInspectorFromRedisClient(rdb), owner: rand.Text()}
	q.Reset()
	return q
}

// Reset makes the next Enqueue register the queue in Redis again. asynq
// registers a queue once per client, so after Redis lost its data the
// queue would stay unknown to the inspector ("queue not found").
func (q *AsynqQueue) Reset() { q.client.Store(asynq.NewClientFromRedisClient(q.rdb)) }

// Enqueue implements Queue. When the appliance's TaskID is taken, the task
// holding it is looked at: one that is pending, scheduled or running on a
// live worker means the previous job has not finished (ResultStillQueued).
// One left behind — archived (a missed deadline, or a dead worker's task
// that asynq's recoverer archived), completed, or pending past its start-by
// time (a worker would drop it) — is deleted and the task enqueued again
// (ResultRequeued). A task still marked active whose
// worker's lease has expired (the worker was killed) cannot be deleted
// while asynq holds it as active, so the job goes in under the
// appliance's second TaskID (tasks.RerunTaskID) until the recoverer has
// archived the orphan.
//
// Before that, the appliance is claimed for its cycle (p.Cycle) in Redis:
// when another discovery process (another AsynqQueue) on the same Redis has
// claimed it already,
// Enqueue returns ResultPeerQueued and queues nothing. TaskID alone cannot
// stop that second process once the first one's job has finished, since a
// finished task leaves no trace.
func (q *AsynqQueue) Enqueue(ctx context.Context, p tasks.AppliancePoll, deadline time.Time) (string, error) {
	task, err := tasks.NewAppliancePollTask(p)
	if err != nil {
		return ResultError, err
	}
	mine, rerunHeld, err := q.claim(ctx, p, deadline)
	if err != nil {
		return ResultError, err
	}
	if !mine {
		return ResultPeerQueued, nil
	}
	res, err := q.enqueue(ctx, task, p, deadline, rerunHeld)
	if res == ResultError && p.Cycle != 0 {
		// Let a peer (or the next attempt) queue it.
		q.rdb.HDel(context.WithoutCancel(ctx), claimKey(p.Cycle), p.Key())
	}
	return res, err
}

// claimKey is the Redis hash of a cycle's claims: appliance key → the
// claiming AsynqQueue's owner id.
func claimKey(cycle int64) string { return "ectelemetry:queued:" + strconv.FormatInt(cycle, 10) }

// claim claims the appliance for its cycle (p.Cycle; 0: no claim). It
// reports whether the claim is this queue's: new, or made by this queue
// before (a cycle run again by the same process behaves as without
// claims). The hash outlives the cycle's deadline by a minute. In the same
// round trip it looks whether a task holds the appliance's rerun TaskID
// (rerunHeld), which is almost never so.
func (q *AsynqQueue) claim(ctx context.Context, p tasks.AppliancePoll, deadline time.Time) (mine, rerunHeld bool, err error) {
	var holder *redis.StringCmd
	// A plain pipeline: the claim and the task are in different hash
	// slots of a Redis Cluster, and nothing else writes a claimed field
	// but its holder.
	pipe := q.rdb.Pipeline()
	if p.Cycle != 0 {
		k := claimKey(p.Cycle)
		pipe.HSetNX(ctx, k, p.Key(), q.owner)
		holder = pipe.HGet(ctx, k, p.Key())
		pipe.ExpireAt(ctx, k, deadline.Add(time.Minute))
	}
	rerun := pipe.Exists(ctx, asynqTaskKey(q.queue, tasks.RerunTaskID(p.Key())))
	if _, err := pipe.Exec(ctx); err != nil {
		if p.Cycle != 0 {
			return false, false, fmt.Errorf("claim %s (%s) for cycle %d: %w", p.Hostname, p.ApplianceID, p.Cycle, err)
		}
		return false, false, fmt.Errorf("inspect tasks of %s (%s): %w", p.Hostname, p.ApplianceID, err)
	}
	return holder == nil || holder.Val() == q.owner, rerun.Val() > 0, nil
}

// asynqTaskKey is the Redis hash asynq keeps a task in, which exists
// while the task does (asynq's internal/base.TaskKey, which it does not
// export; TestAsynqTaskKeyIsAsynqs holds it to the asynq in go.mod). Only
// whether it exists is read: what holds it is asked of asynq's inspector.
func asynqTaskKey(queue, id string) string { return "asynq:{" + queue + "}:t:" + id }

// enqueue queues task under the appliance's first free TaskID.
//
// Most often the previous job has finished and left no task, so the first
// TaskID is free. Only the rerun TaskID must be free before enqueueing
// under the first, as a job running under it must not overlap a new one:
// the claim's round trip saw whether it is (rerunHeld), and only a held
// one is looked at. An appliance then costs Redis two round trips, the
// claim and the enqueue. When the first is taken, both are looked at.
func (q *AsynqQueue) enqueue(ctx context.Context, task *asynq.Task, p tasks.AppliancePoll, deadline time.Time, rerunHeld bool) (string, error) {
	ids := []string{tasks.TaskID(p.Key()), tasks.RerunTaskID(p.Key())}
	rerun, err := slotFree, error(nil)
	if rerunHeld {
		rerun, err = q.state(ids[1])
	}
	switch {
	case errors.Is(err, asynq.ErrQueueNotFound):
		q.Reset() // Redis lost its data: the enqueue registers the queue again
	case err != nil:
		return ResultError, fmt.Errorf("inspect tasks of %s (%s): %w", p.Hostname, p.ApplianceID, err)
	case rerun == slotLive:
		return ResultStillQueued, nil
	}
	_, err = q.client.Load().EnqueueContext(ctx, task, asynq.Queue(q.queue), asynq.TaskID(ids[0]), asynq.MaxRetry(0), asynq.Deadline(deadline))
	switch {
	case err == nil && rerun != slotFree:
		return ResultRequeued, nil
	case err == nil:
		return ResultEnqueued, nil
	case !errors.Is(err, asynq.ErrTaskIDConflict) && !errors.Is(err, asynq.ErrDuplicateTask):
		return ResultError, fmt.Errorf("enqueue %s (%s): %w", p.Hostname, p.ApplianceID, err)
	}
	replaced := false
	for attempt := 0; attempt < 4; attempt++ {
		// Enqueue under the first id whose holder is gone; look at why
		// each is taken.
		st, err := q.states(ids)
		if errors.Is(err, asynq.ErrQueueNotFound) {
			q.Reset() // Redis lost its data: the next enqueue registers the queue again
		} else if err != nil {
			return ResultError, fmt.Errorf("inspect tasks of %s (%s): %w", p.Hostname, p.ApplianceID, err)
		}
		if err == nil && (st[0] == slotLive || st[1] == slotLive) {
			return ResultStillQueued, nil
		}
		id := ids[0]
		if err == nil && st[0] == slotOrphan {
			id = ids[1]
		}
		if err == nil {
			i := slices.Index(ids, id)
			if st[i] == slotLeftBehind {
				if derr := q.insp.DeleteTask(q.queue, id); derr != nil && !errors.Is(derr, asynq.ErrTaskNotFound) {
					if attempt < 3 {
						continue // a worker took it meanwhile (it drops it): look again
					}
					return ResultError, fmt.Errorf("delete stale task of %s (%s): %w", p.Hostname, p.ApplianceID, derr)
				}
			}
			if st[0] != slotFree || st[1] != slotFree {
				replaced = true
			}
		}
		_, err = q.client.Load().EnqueueContext(ctx, task, asynq.Queue(q.queue), asynq.TaskID(id), asynq.MaxRetry(0), asynq.Deadline(deadline))
		switch {
		case err == nil && replaced:
			return ResultRequeued, nil
		case err == nil:
			return ResultEnqueued, nil
		case !errors.Is(err, asynq.ErrTaskIDConflict) && !errors.Is(err, asynq.ErrDuplicateTask):
			return ResultError, fmt.Errorf("enqueue %s (%s): %w", p.Hostname, p.ApplianceID, err)
		}
		// Taken meanwhile (or the queue was just registered again): look again.
	}
	return ResultError, fmt.Errorf("enqueue %s (%s): task id still taken after 4 attempts", p.Hostname, p.ApplianceID)
}

// What holds a TaskID.
type slot int

const (
	slotFree       slot = iota // no task
	slotLive                   // pending, scheduled, retrying, or running on a live worker
	slotOrphan                 // active, but its worker's lease expired: the worker is gone
	slotLeftBehind             // archived, completed, or pending past its start-by time: can be deleted
)

// states tells what holds each id. It fails with asynq.ErrQueueNotFound
// when the queue is not registered.
func (q *AsynqQueue) states(ids []string) ([]slot, error) {
	out := make([]slot, len(ids))
	for i, id := range ids {
		var err error
		if out[i], err = q.state(id); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// state tells what holds id. It fails with asynq.ErrQueueNotFound when
// the queue is not registered.
func (q *AsynqQueue) state(id string) (slot, error) {
	info, err := q.insp.GetTaskInfo(q.queue, id)
	switch {
	case errors.Is(err, asynq.ErrTaskNotFound):
		return slotFree, nil
	case err != nil:
		return slotFree, err
	}
	switch info.State {
	case asynq.TaskStateArchived, asynq.TaskStateCompleted:
		return slotLeftBehind, nil
	case asynq.TaskStatePending:
		// Past its start-by time a worker would only drop it: after a
		// restart, or when the workers fell behind, it must not keep its
		// appliance out of this cycle too.
		if p, err := tasks.ParseAppliancePollPayload(info.Payload); err == nil && p.StartBy > 0 && time.Now().Unix() > p.StartBy {
			return slotLeftBehind, nil
		}
		return slotLive, nil
	case asynq.TaskStateActive:
		orphan, err := q.orphaned(id)
		switch {
		case err != nil:
			return slotFree, err
		case orphan:
			return slotOrphan, nil
		}
		return slotLive, nil
	}
	return slotLive, nil
}

// orphaned reports whether the active task id has outlived its worker's
// lease (asynq extends the lease while the worker lives). The active tasks
// are listed at most every orphanListEvery, not once per appliance: an
// overrun with thousands of active tasks would otherwise list them all
// for each.
func (q *AsynqQueue) orphaned(id string) (bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.orphans == nil || time.Since(q.orphansAt) >= orphanListEvery {
		set := map[string]bool{}
		for page := 1; ; page++ {
			active, err := q.insp.ListActiveTasks(q.queue, asynq.PageSize(500), asynq.Page(page))
			if err != nil {
				return false, err
			}
			for _, t := range active {
				set[t.ID] = t.IsOrphaned
			}
			if len(active) < 500 {
				break
			}
		}
		q.orphans, q.orphansAt = set, time.Now()
	}
	return q.orphans[id], nil // not listed: finished meanwhile, or newer than the list
}

// orphanListEvery is how long a listing of the active tasks is reused.
const orphanListEvery = 5 * time.Second

// Offset is where in the interval an appliance's task is enqueued: a hash of
// its id, so the fleet's load spreads evenly over the interval and each
// appliance keeps its place across cycles and restarts.
func Offset(applianceID string, interval time.Duration) time.Duration {
	if interval <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(applianceID))
	return time.Duration(h.Sum64() % uint64(interval))
}
