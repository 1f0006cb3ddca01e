package tasks

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// ApplianceStatus is an appliance's latest verdict as a worker publishes it
// for discovery's fleet gauges: what appliance_status says.
type ApplianceStatus struct {
	Status string `json:"status"` // online, degraded, offline, unknown
	At     int64  `json:"at"`     // job time, Unix seconds
	// NewestMinute is the newest stored minute of minute statistics, Unix
	// seconds; 0 when none was ever stored.
	NewestMinute int64 `json:"newest_minute,omitempty"`
	// TunnelsRead says whether the tunnel counts were read by that job.
	TunnelsRead bool  `json:"tunnels_read,omitempty"`
	TunnelsUp   int64 `json:"tunnels_up,omitempty"`
	TunnelsDown int64 `json:"tunnels_down,omitempty"`
}

// RedisStatusBoard keeps every appliance's latest ApplianceStatus in one
// Redis hash, field the appliance id, value JSON. Workers Publish; discovery
// reads All and Prunes the appliances it no longer selects, so the hash
// holds at most the selected fleet. Safe for concurrent use.
type RedisStatusBoard struct {
	Client redis.UniversalClient
	Key    string // default "ectelemetry:status"
}

func (b *RedisStatusBoard) key() string {
	if b.Key == "" {
		return "ectelemetry:status"
	}
	return b.Key
}

// Publish stores the appliance's latest status.
func (b *RedisStatusBoard) Publish(ctx context.Context, applianceID string, s ApplianceStatus) error {
	return b.publish(ctx, b.Client, applianceID, s)()
}

// QueuePublish queues Publish on p; what it returns gives Publish's error
// once p was sent.
func (b *RedisStatusBoard) QueuePublish(ctx context.Context, p redis.Pipeliner, applianceID string, s ApplianceStatus) func() error {
	return b.publish(ctx, p, applianceID, s)
}

// publish sends Publish's write on c, a client or a pipeline, and returns
// its error's reader.
func (b *RedisStatusBoard) publish(ctx context.Context, c redis.Cmdable, applianceID string, s ApplianceStatus) func() error {
	v, err := json.Marshal(s)
	if err != nil {
		return func() error { return fmt.Errorf("encode status of %s: %w", applianceID, err) }
	}
	cmd := c.HSet(ctx, b.key(), applianceID, v)
	return func() error {
		if err := cmd.Err(); err != nil {
			return fmt.Errorf("publish status of %s: %w", applianceID, err)
		}
		return nil
	}
}

// All returns every published status by appliance id. A damaged entry is
// left out.
func (b *RedisStatusBoard) All(ctx context.Context) (map[string]ApplianceStatus, error) {
	h, err := b.Client.HGetAll(ctx, b.key()).Result()
	if err != nil {
		return nil, fmt.Errorf("read appliance statuses: %w", err)
	}
	out := make(map[string]ApplianceStatus, len(h))
	for id, v := range h {
		var s ApplianceStatus
		if json.Unmarshal([]byte(v), &s) == nil {
			out[id] = s
		}
	}
	return out, nil
}

// Prune forgets the status of every appliance not in keep and returns how
// many it forgot.
func (b *RedisStatusBoard) Prune(ctx context.Context, keep map[string]bool) (int, error) {
	ids, err := b.Client.HKeys(ctx, b.key()).Result()
	if err != nil {
		return 0, fmt.Errorf("list appliance statuses: %w", err)
	}
	var gone []string
	for _, id := range ids {
		if !keep[id] {
			gone = append(gone, id)
		}
	}
	if len(gone) == 0 {
		return 0, nil
	}
	if err := b.Client.HDel(ctx, b.key(), gone...).Err(); err != nil {
		return 0, fmt.Errorf("forget statuses of appliances no longer selected: %w", err)
	}
	return len(gone), nil
}
