package worker

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
)

// With Options.Redis set, a job sends its Redis commands in two pipelines
// where the stores can queue them on one (the Redis stores can): at its
// start it reads the appliance's watermark, remembered alarms and source
// times in one round trip, and at its end it writes the watermark's last
// advance, its verdict for the fleet gauges, the alarms' memory and the
// cycle record in one. Each was a round trip of its own, and Redis spends
// most of its CPU on round trips, not on the commands in them.

// The stores' queueing sides, each queueing on p what its method of the
// same name does and returning its result's reader for when p was sent.
type (
	watermarkQueuer interface {
		QueueGet(ctx context.Context, p redis.Pipeliner, applianceID string) func() (int64, bool, error)
		QueueAdvance(ctx context.Context, p redis.Pipeliner, applianceID string, minute int64) func() error
	}
	alarmQueuer interface {
		QueueLoad(ctx context.Context, p redis.Pipeliner, applianceID string) func() (map[string]KnownAlarm, error)
		// QueueKeep renews the memory of alarms that did not change.
		QueueKeep(ctx context.Context, p redis.Pipeliner, applianceID string) func() error
	}
	sourceTimesQueuer interface {
		QueueLast(ctx context.Context, p redis.Pipeliner, applianceID string) func() (map[string]time.Time, error)
		QueueCollected(ctx context.Context, p redis.Pipeliner, applianceID, source string, at time.Time, keep time.Duration) func() error
	}
	statusQueuer interface {
		QueuePublish(ctx context.Context, p redis.Pipeliner, applianceID string, s tasks.ApplianceStatus) func() error
	}
	cycleQueuer interface {
		QueueRecordJob(ctx context.Context, p redis.Pipeliner, cycle int64, collected bool, points int)
	}
)

// redisTimeout bounds a job's own Redis round trips, which are detached
// from the job's time: what was collected is still accounted for.
const redisTimeout = 5 * time.Second

// prefetched holds the readers of what the job's first pipeline read; a
// nil reader was not read, and a reader's error sends the caller to its
// store again.
type prefetched struct {
	watermark   func() (int64, bool, error)
	alarms      func() (map[string]KnownAlarm, error)
	sourceTimes func() (map[string]time.Time, error)
}

// prefetch reads in one round trip what the job will ask Redis for: the
// watermark (the backfill's start, the verdict's data age), the alarms
// remembered from the last job and, with SOURCE_INTERVALS, when each
// source was last collected. Failures are left to the readers' callers.
func (j *job) prefetch(ctx context.Context) {
	o := &j.h.o
	if o.Redis == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), redisTimeout)
	defer cancel()
	p := o.Redis.Pipeline()
	key := j.p.Key()
	if q, ok := o.Watermarks.(watermarkQueuer); ok {
		j.pre.watermark = q.QueueGet(ctx, p, key)
	}
	if q, ok := o.AlarmMemory.(alarmQueuer); ok && o.Sources.Enabled(SourceAlarms) {
		j.pre.alarms = q.QueueLoad(ctx, p, key)
	}
	if q, ok := o.SourceTimes.(sourceTimesQueuer); ok && o.Sources.HasIntervals() {
		j.pre.sourceTimes = q.QueueLast(ctx, p, key)
	}
	if p.Len() > 0 {
		_, _ = p.Exec(ctx) // each reader has its command's error
	}
}

// readWatermark is the watermark as the job started, from the prefetch
// when it was read, else from the store.
func (j *job) readWatermark(ctx context.Context) (int64, bool, error) {
	if f := j.pre.watermark; f != nil {
		if v, ok, err := f(); err == nil {
			return v, ok, nil
		}
	}
	return j.h.o.Watermarks.Get(ctx, j.p.Key())
}

// loadAlarms is what the alarm memory held as the job started.
func (j *job) loadAlarms(ctx context.Context) (map[string]KnownAlarm, error) {
	return prefetchedOr(j.pre.alarms, func() (map[string]KnownAlarm, error) { return j.h.o.AlarmMemory.Load(ctx, j.p.Key()) })
}

// lastCollected is when each source with an interval was last collected.
func (j *job) lastCollected(ctx context.Context) (map[string]time.Time, error) {
	return prefetchedOr(j.pre.sourceTimes, func() (map[string]time.Time, error) { return j.h.o.SourceTimes.Last(ctx, j.p.Key()) })
}

// prefetchedOr is what the prefetch read (pre), unless it was not read or
// failed: then what load reads now.
func prefetchedOr[T any](pre, load func() (T, error)) (T, error) {
	if pre != nil {
		if v, err := pre(); err == nil {
			return v, nil
		}
	}
	return load()
}

// endWrites is the job's last pipeline, with what to do with each
// command's result once it was sent. The job's source goroutines queue on
// it too, under mu.
type endWrites struct {
	mu     sync.Mutex
	pipe   redis.Pipeliner
	checks []func()
}

// atEnd makes a write of the job's end: queued on the job's last pipeline
// when it has one (Options.Redis) and the store can queue it (queue is
// not nil), else done at once. failed receives its error.
func (j *job) atEnd(queue func(ctx context.Context, p redis.Pipeliner) func() error, now func(ctx context.Context) error, failed func(error)) {
	e := j.end
	if e == nil || queue == nil {
		ctx, cancel := context.WithTimeout(context.Background(), redisTimeout)
		defer cancel()
		if err := now(ctx); err != nil {
			failed(err)
		}
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	// The commands' own context only matters to hooks: Exec's bounds the
	// round trip.
	check := queue(context.Background(), e.pipe)
	e.checks = append(e.checks, func() {
		if err := check(); err != nil {
			failed(err)
		}
	})
}

// sendEnd sends the job's last pipeline, if it has one, and reports each
// write's error. Every goroutine of the job has ended.
func (j *job) sendEnd() {
	e := j.end
	if e == nil {
		return
	}
	if e.pipe.Len() > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), redisTimeout)
		_, _ = e.pipe.Exec(ctx) // each check reads its command's error
		cancel()
	}
	for _, c := range e.checks {
		c()
	}
}

// advanceAtEnd moves the watermark to minute with the job's last writes:
// the backfill's final advance, which the verdict and the cycle record
// need not wait for. A failure fails the minute statistics, as an advance
// that failed at once would, and the job's next collection fetches those
// minutes again (stored again, they overwrite themselves).
func (j *job) advanceAtEnd(minute int64) {
	wm, key := j.h.o.Watermarks, j.p.Key()
	var queue func(context.Context, redis.Pipeliner) func() error
	if q, ok := wm.(watermarkQueuer); ok {
		queue = func(ctx context.Context, p redis.Pipeliner) func() error { return q.QueueAdvance(ctx, p, key, minute) }
	}
	j.atEnd(queue, func(ctx context.Context) error { return wm.Advance(ctx, key, minute) }, func(err error) {
		j.mu.Lock()
		defer j.mu.Unlock()
		j.rep.SourceErrors[SourceMinuteStats] = errors.Join(j.rep.SourceErrors[SourceMinuteStats], err)
		if j.rep.Outcome == OutcomeOK {
			j.rep.Outcome = OutcomePartial
		}
	})
}

// advancesAtEnd reports whether the backfill's final advance can wait for
// the job's last pipeline.
func (j *job) advancesAtEnd() bool {
	_, ok := j.h.o.Watermarks.(watermarkQueuer)
	return ok && j.end != nil
}
