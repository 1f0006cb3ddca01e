package tasks

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// markerKey is set by discovery and never expires: when it is gone, Redis
// lost its data (a FLUSHALL, or a restart without persistence).
const markerKey = "ectelemetry:marker"

// RedisMarker tells whether Redis kept its data since discovery last looked.
type RedisMarker struct {
	Client redis.UniversalClient
}

// Mark sets the marker and reports whether it was missing: always on the
// first call against a new Redis, and after Redis lost its data.
func (m *RedisMarker) Mark(ctx context.Context, now time.Time) (missing bool, err error) {
	return m.Client.SetNX(ctx, markerKey, strconv.FormatInt(now.Unix(), 10), 0).Result()
}
