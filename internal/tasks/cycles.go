package tasks

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// CycleStats is what the jobs of one discovery cycle did.
type CycleStats struct {
	Queued, StillQueued, Errors int64 // written by discovery
	Collected, Failed, Points   int64 // written by the workers
	// Late counts the jobs a worker dequeued after their start-by time
	// and dropped without collecting.
	Late int64
}

// Done reports whether every queued job has reported.
func (s CycleStats) Done() bool { return s.Collected+s.Failed+s.Late >= s.Queued }

// RedisCycles keeps per-cycle counters in a Redis hash per cycle, so that
// discovery can log one summary line per cycle with what the workers did.
// Keys expire after an hour. It implements worker.CycleRecorder.
type RedisCycles struct {
	Client redis.UniversalClient
}

const cycleTTL = time.Hour

func cycleKey(cycle int64) string { return "ectelemetry:cycle:" + strconv.FormatInt(cycle, 10) }

// RecordJob counts one finished job. Errors are ignored: the summary is a
// convenience and must never fail a job.
func (r *RedisCycles) RecordJob(ctx context.Context, cycle int64, collected bool, points int) {
	if cycle == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	pipe := r.Client.Pipeline()
	r.QueueRecordJob(ctx, pipe, cycle, collected, points)
	pipe.Exec(ctx)
}

// QueueRecordJob queues RecordJob's counts on p, whose sender ignores
// their errors as RecordJob does.
func (r *RedisCycles) QueueRecordJob(ctx context.Context, p redis.Pipeliner, cycle int64, collected bool, points int) {
	if cycle == 0 {
		return
	}
	field := "failed"
	if collected {
		field = "collected"
	}
	k := cycleKey(cycle)
	p.HIncrBy(ctx, k, field, 1)
	p.HIncrBy(ctx, k, "points", int64(points))
	p.Expire(ctx, k, cycleTTL)
}

// RecordLate counts a job dropped because it was dequeued after its
// start-by time. Errors are ignored, as in RecordJob.
func (r *RedisCycles) RecordLate(ctx context.Context, cycle int64) {
	if cycle == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	k := cycleKey(cycle)
	pipe := r.Client.Pipeline()
	pipe.HIncrBy(ctx, k, "late", 1)
	pipe.Expire(ctx, k, cycleTTL)
	pipe.Exec(ctx)
}

// RecordEnqueue stores discovery's side of a cycle.
func (r *RedisCycles) RecordEnqueue(ctx context.Context, cycle int64, s CycleStats) error {
	k := cycleKey(cycle)
	pipe := r.Client.Pipeline()
	pipe.HIncrBy(ctx, k, "queued", s.Queued)
	pipe.HIncrBy(ctx, k, "still_queued", s.StillQueued)
	pipe.HIncrBy(ctx, k, "errors", s.Errors)
	pipe.Expire(ctx, k, cycleTTL)
	_, err := pipe.Exec(ctx)
	return err
}

// Get returns the counters of a cycle.
func (r *RedisCycles) Get(ctx context.Context, cycle int64) (CycleStats, error) {
	m, err := r.Client.HGetAll(ctx, cycleKey(cycle)).Result()
	if err != nil {
		return CycleStats{}, err
	}
	n := func(k string) int64 { v, _ := strconv.ParseInt(m[k], 10, 64); return v }
	return CycleStats{Queued: n("queued"), StillQueued: n("still_queued"), Errors: n("errors"),
		Collected: n("collected"), Failed: n("failed"), Points: n("points"), Late: n("late")}, nil
}
