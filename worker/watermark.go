package worker

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// Watermarks remembers, per appliance, the newest minute whose minute-stats
// points InfluxDB accepted.
type Watermarks interface {
	// Get returns the watermark (epoch seconds) and whether one exists.
	Get(ctx context.Context, applianceID string) (minute int64, ok bool, err error)
	// Advance moves the watermark forward to minute; it never moves back.
	Advance(ctx context.Context, applianceID string, minute int64) error
	// Reset forgets the watermark, for an appliance whose archive moved
	// back in time; the next Advance starts afresh.
	Reset(ctx context.Context, applianceID string) error
}

// RedisWatermarks keeps watermarks in Redis under KeyPrefix+<key>, the
// appliance's key (tasks.AppliancePoll.Key: "<orchestrator>:<nePk>", or
// the bare nePk for the Orchestrator of the ORCH_* variables), so they
// survive worker restarts and are shared by every worker replica.
type RedisWatermarks struct {
	Client    redis.UniversalClient
	KeyPrefix string // default "ectelemetry:watermark:"
}

var _ Watermarks = (*RedisWatermarks)(nil)

func (w *RedisWatermarks) key(id string) string {
	p := w.KeyPrefix
	if p == "" {
		p = "ectelemetry:watermark:"
	}
	return p + id
}

// Get implements Watermarks.
func (w *RedisWatermarks) Get(ctx context.Context, applianceID string) (int64, bool, error) {
	return w.get(ctx, w.Client, applianceID)()
}

// QueueGet queues Get's read on p; what it returns gives Get's result once
// p was sent.
func (w *RedisWatermarks) QueueGet(ctx context.Context, p redis.Pipeliner, applianceID string) func() (int64, bool, error) {
	return w.get(ctx, p, applianceID)
}

// get sends Get's read on c, a client or a pipeline, and returns its
// result's reader.
func (w *RedisWatermarks) get(ctx context.Context, c redis.Cmdable, applianceID string) func() (int64, bool, error) {
	cmd := c.Get(ctx, w.key(applianceID))
	return func() (int64, bool, error) {
		s, err := cmd.Result()
		if errors.Is(err, redis.Nil) {
			return 0, false, nil
		}
		if err != nil {
			return 0, false, fmt.Errorf("read watermark of %s: %w", applianceID, err)
		}
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			// A damaged value is treated as absent: the next job starts afresh.
			return 0, false, nil
		}
		return v, true, nil
	}
}

// advanceScript sets the key only when the new value is greater.
var advanceScript = redis.NewScript(`
local cur = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local new = tonumber(ARGV[1])
if new > cur then redis.call('SET', KEYS[1], ARGV[1]) return 1 end
return 0`)

// Advance implements Watermarks.
func (w *RedisWatermarks) Advance(ctx context.Context, applianceID string, minute int64) error {
	if err := advanceScript.Run(ctx, w.Client, []string{w.key(applianceID)}, minute).Err(); err != nil {
		return fmt.Errorf("advance watermark of %s: %w", applianceID, err)
	}
	return nil
}

// QueueAdvance queues Advance on p; what it returns gives Advance's error
// once p was sent. The script is sent whole (EVAL): a pipeline cannot load
// it first when Redis does not know it yet.
func (w *RedisWatermarks) QueueAdvance(ctx context.Context, p redis.Pipeliner, applianceID string, minute int64) func() error {
	cmd := advanceScript.Eval(ctx, p, []string{w.key(applianceID)}, minute)
	return func() error {
		if err := cmd.Err(); err != nil {
			return fmt.Errorf("advance watermark of %s: %w", applianceID, err)
		}
		return nil
	}
}

// Reset implements Watermarks.
func (w *RedisWatermarks) Reset(ctx context.Context, applianceID string) error {
	if err := w.Client.Del(ctx, w.key(applianceID)).Err(); err != nil {
		return fmt.Errorf("reset watermark of %s: %w", applianceID, err)
	}
	return nil
}
