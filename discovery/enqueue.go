package discovery

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
)

// Enqueue results, as counted in metrics and the cycle summary.
const (
	ResultEnqueued    = "enqueued"
	ResultStillQueued = "still_queued" // the previous job of the appliance has not finished
	ResultError       = "error"
)

// Queue is where discovery puts tasks (asynq).
type Queue interface {
	// Enqueue queues the task of one appliance, valid until deadline.
	Enqueue(ctx context.Context, p tasks.AppliancePoll, deadline time.Time) (string, error)
}

// AsynqQueue enqueues with one TaskID per appliance: while a job of that
// appliance is queued or running a second one is refused, so an overrunning
// cycle cannot pile up work and two jobs of one appliance never overlap.
type AsynqQueue struct {
	Client    *asynq.Client
	Inspector *asynq.Inspector
	Queue     string
}

var _ Queue = (*AsynqQueue)(nil)

// Enqueue implements Queue. A task left archived by a crash or a missed
// deadline would block its appliance forever (TaskIDs stay taken while
// archived), so it is deleted and the task enqueued again.
func (q *AsynqQueue) Enqueue(ctx context.Context, p tasks.AppliancePoll, deadline time.Time) (string, error) {
	task, err := tasks.NewAppliancePollTask(p)
	if err != nil {
		return ResultError, err
	}
	id := tasks.TaskID(p.ApplianceID)
	opts := []asynq.Option{asynq.Queue(q.Queue), asynq.TaskID(id), asynq.MaxRetry(0), asynq.Deadline(deadline)}
	for attempt := 0; attempt < 2; attempt++ {
		_, err = q.Client.EnqueueContext(ctx, task, opts...)
		if err == nil {
			return ResultEnqueued, nil
		}
		if !errors.Is(err, asynq.ErrTaskIDConflict) && !errors.Is(err, asynq.ErrDuplicateTask) {
			return ResultError, fmt.Errorf("enqueue %s (%s): %w", p.Hostname, p.ApplianceID, err)
		}
		info, ierr := q.Inspector.GetTaskInfo(q.Queue, id)
		if ierr != nil {
			if errors.Is(ierr, asynq.ErrTaskNotFound) {
				continue // finished in between: try again
			}
			return ResultError, fmt.Errorf("inspect task of %s (%s): %w", p.Hostname, p.ApplianceID, ierr)
		}
		switch info.State {
		case asynq.TaskStatePending, asynq.TaskStateActive, asynq.TaskStateScheduled, asynq.TaskStateRetry, asynq.TaskStateAggregating:
			return ResultStillQueued, nil
		}
		if derr := q.Inspector.DeleteTask(q.Queue, id); derr != nil && !errors.Is(derr, asynq.ErrTaskNotFound) {
			return ResultError, fmt.Errorf("delete stale task of %s (%s): %w", p.Hostname, p.ApplianceID, derr)
		}
	}
	return ResultError, fmt.Errorf("enqueue %s (%s): %w", p.Hostname, p.ApplianceID, err)
}

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
