package worker

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// SourceTimes remembers, per appliance, when each source with its own
// interval (SOURCE_INTERVALS) was last collected successfully, so that
// every worker replica honours the interval.
type SourceTimes interface {
	// Last returns the last successful collection of each source of the
	// appliance that has one.
	Last(ctx context.Context, applianceID string) (map[string]time.Time, error)
	// Collected records that source was collected successfully at at. The
	// record may be forgotten after keep.
	Collected(ctx context.Context, applianceID, source string, at time.Time, keep time.Duration) error
}

// RedisSourceTimes keeps the times in one Redis hash per appliance, under
// KeyPrefix+<key> (tasks.AppliancePoll.Key), field the source name, value Unix milliseconds.
type RedisSourceTimes struct {
	Client    redis.UniversalClient
	KeyPrefix string // default "ectelemetry:source-last:"
}

var _ SourceTimes = (*RedisSourceTimes)(nil)

func (s *RedisSourceTimes) key(id string) string {
	p := s.KeyPrefix
	if p == "" {
		p = "ectelemetry:source-last:"
	}
	return p + id
}

// Last implements SourceTimes. A damaged value counts as never collected.
func (s *RedisSourceTimes) Last(ctx context.Context, applianceID string) (map[string]time.Time, error) {
	return s.last(ctx, s.Client, applianceID)()
}

// QueueLast queues Last's read on p; what it returns gives Last's result
// once p was sent.
func (s *RedisSourceTimes) QueueLast(ctx context.Context, p redis.Pipeliner, applianceID string) func() (map[string]time.Time, error) {
	return s.last(ctx, p, applianceID)
}

// last sends Last's read on c, a client or a pipeline, and returns its
// result's reader.
func (s *RedisSourceTimes) last(ctx context.Context, c redis.Cmdable, applianceID string) func() (map[string]time.Time, error) {
	cmd := c.HGetAll(ctx, s.key(applianceID))
	return func() (map[string]time.Time, error) {
		m, err := cmd.Result()
		if err != nil {
			return nil, fmt.Errorf("read when the sources of %s were collected: %w", applianceID, err)
		}
		out := make(map[string]time.Time, len(m))
		for src, v := range m {
			if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
				out[src] = time.UnixMilli(ms).UTC()
			}
		}
		return out, nil
	}
}

// QueueCollected queues on p what Collected does; what it returns gives
// its error once p was sent. Without Collected's transaction: a cut
// connection can at worst leave the hash its earlier expiry.
func (s *RedisSourceTimes) QueueCollected(ctx context.Context, p redis.Pipeliner, applianceID, source string, at time.Time, keep time.Duration) func() error {
	k := s.key(applianceID)
	set := p.HSet(ctx, k, source, at.UnixMilli())
	exp := p.PExpire(ctx, k, keep)
	return func() error {
		if err := errors.Join(set.Err(), exp.Err()); err != nil {
			return fmt.Errorf("record when %s of %s was collected: %w", source, applianceID, err)
		}
		return nil
	}
}

// Collected implements SourceTimes; the hash expires keep after its last
// update.
func (s *RedisSourceTimes) Collected(ctx context.Context, applianceID, source string, at time.Time, keep time.Duration) error {
	k := s.key(applianceID)
	_, err := s.Client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, k, source, at.UnixMilli())
		p.PExpire(ctx, k, keep)
		return nil
	})
	if err != nil {
		return fmt.Errorf("record when %s of %s was collected: %w", source, applianceID, err)
	}
	return nil
}
