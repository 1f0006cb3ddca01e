package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ec-telemetry/ec-telemetry/edgeconnect"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// Alarm event values of alarm_events.event.
const (
	AlarmRaised  = "raised"
	AlarmCleared = "cleared"
)

// KnownAlarm is what the collector remembers of one outstanding alarm
// between jobs: enough to write its cleared event once it is gone.
type KnownAlarm struct {
	Severity     string `json:"sev"`
	Name         string `json:"name,omitempty"`
	Type         string `json:"type,omitempty"`
	Source       string `json:"src,omitempty"`
	Description  string `json:"desc,omitempty"`
	Acknowledged bool   `json:"ack,omitempty"`
	Clearable    bool   `json:"clr,omitempty"`
	SequenceID   int64  `json:"seq"`
	Raised       int64  `json:"at"` // Unix seconds: the alarm's time, or when first seen
}

// AlarmMemory remembers, per appliance, the outstanding alarms of the last
// job, so that an alarm gone from the list becomes a cleared event.
// Jobs of one appliance do not overlap (discovery queues one at a time), so
// Load and Store need no lock.
type AlarmMemory interface {
	// Load returns the appliance's outstanding alarms by alarm key.
	Load(ctx context.Context, applianceID string) (map[string]KnownAlarm, error)
	// Store replaces them.
	Store(ctx context.Context, applianceID string, current map[string]KnownAlarm) error
}

// Defaults of RedisAlarmMemory.
const (
	DefaultAlarmMemoryMax = 1000
	DefaultAlarmMemoryTTL = 7 * 24 * time.Hour
)

// RedisAlarmMemory keeps each appliance's outstanding alarms in one Redis
// hash, KeyPrefix+<nePk>, field the alarm key, value its KnownAlarm as JSON.
// The hash holds at most Max alarms (the lowest keys) and expires TTL after
// the last job that read the alarms: the clear of an alarm beyond Max, or
// of an appliance not collected for TTL, is not seen.
type RedisAlarmMemory struct {
	Client    redis.UniversalClient
	KeyPrefix string        // default "ectelemetry:alarms:"
	Max       int           // default DefaultAlarmMemoryMax
	TTL       time.Duration // default DefaultAlarmMemoryTTL
}

var _ AlarmMemory = (*RedisAlarmMemory)(nil)

func (m *RedisAlarmMemory) key(id string) string {
	if m.KeyPrefix == "" {
		return "ectelemetry:alarms:" + id
	}
	return m.KeyPrefix + id
}

// Load implements AlarmMemory. A damaged entry is dropped.
func (m *RedisAlarmMemory) Load(ctx context.Context, applianceID string) (map[string]KnownAlarm, error) {
	return m.load(ctx, m.Client, applianceID)()
}

// QueueLoad queues Load's read on p; what it returns gives Load's result
// once p was sent.
func (m *RedisAlarmMemory) QueueLoad(ctx context.Context, p redis.Pipeliner, applianceID string) func() (map[string]KnownAlarm, error) {
	return m.load(ctx, p, applianceID)
}

// load sends Load's read on c, a client or a pipeline, and returns its
// result's reader.
func (m *RedisAlarmMemory) load(ctx context.Context, c redis.Cmdable, applianceID string) func() (map[string]KnownAlarm, error) {
	cmd := c.HGetAll(ctx, m.key(applianceID))
	return func() (map[string]KnownAlarm, error) {
		h, err := cmd.Result()
		if err != nil {
			return nil, fmt.Errorf("read outstanding alarms of %s: %w", applianceID, err)
		}
		out := make(map[string]KnownAlarm, len(h))
		for k, v := range h {
			var a KnownAlarm
			if json.Unmarshal([]byte(v), &a) == nil {
				out[k] = a
			}
		}
		return out, nil
	}
}

// QueueKeep queues on p what Store of the same alarms as those remembered
// does: the hash's expiry, TTL from now. What it returns gives its error
// once p was sent.
func (m *RedisAlarmMemory) QueueKeep(ctx context.Context, p redis.Pipeliner, applianceID string) func() error {
	cmd := p.Expire(ctx, m.key(applianceID), m.ttl())
	return func() error {
		if err := cmd.Err(); err != nil {
			return fmt.Errorf("keep outstanding alarms of %s: %w", applianceID, err)
		}
		return nil
	}
}

// ttl is how long the memory outlives its last write: TTL, or its default.
func (m *RedisAlarmMemory) ttl() time.Duration {
	if m.TTL <= 0 {
		return DefaultAlarmMemoryTTL
	}
	return m.TTL
}

// Store implements AlarmMemory: the hash is replaced in one MULTI/EXEC.
func (m *RedisAlarmMemory) Store(ctx context.Context, applianceID string, current map[string]KnownAlarm) error {
	limit, ttl := m.Max, m.ttl()
	if limit <= 0 {
		limit = DefaultAlarmMemoryMax
	}
	keys := make([]string, 0, len(current))
	for k := range current {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > limit {
		keys = keys[:limit]
	}
	values := make([]any, 0, 2*len(keys))
	for _, k := range keys {
		b, err := json.Marshal(current[k])
		if err != nil {
			return fmt.Errorf("encode alarm %s of %s: %w", k, applianceID, err)
		}
		values = append(values, k, string(b))
	}
	key := m.key(applianceID)
	_, err := m.Client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, key)
		if len(values) > 0 {
			p.HSet(ctx, key, values...)
			p.Expire(ctx, key, ttl)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store outstanding alarms of %s: %w", applianceID, err)
	}
	return nil
}

// severityNames are the alarm severities 0 to 4 as written to the severity
// tag.
var severityNames = [...]string{"info", "warning", "minor", "major", "critical"}

// severityName maps an alarm severity; a value beyond the known ones is
// clamped to the nearest (below 0: info, above 4: critical).
func severityName(s int64) string {
	return severityNames[min(max(s, 0), int64(len(severityNames)-1))]
}

// alarmKey identifies an outstanding alarm across jobs: its sequence id,
// which the appliance assigns once per alarm, or its name, source and time
// when it has none.
func alarmKey(a edgeconnect.Alarm) string {
	if a.SequenceID != 0 {
		return "seq:" + strconv.FormatInt(a.SequenceID, 10)
	}
	return "alarm:" + a.Name + "|" + a.Source + "|" + strconv.FormatInt(a.Time.Unix(), 10)
}

// alarmEvents turns the outstanding alarms into alarm_events points: a
// raised event for each alarm that is new or changed (acknowledged, new
// description) since the last job, and a cleared event, at the job time,
// for each alarm of the last job that is gone. Without an AlarmMemory, or
// when it fails, every outstanding alarm gets its raised event (the same
// point again for an alarm already written) and no clear is detected; an
// alarm without a time then takes the job time. It also returns what to
// remember once the events are stored (nil: nothing to remember), and
// whether that is what the memory holds already (same).
func (j *job) alarmEvents(ctx context.Context, outstanding []edgeconnect.Alarm) (events []telemetry.Point, remember map[string]KnownAlarm, same bool) {
	current := make(map[string]KnownAlarm, len(outstanding))
	for _, a := range outstanding {
		k := KnownAlarm{Severity: severityName(a.Severity), Name: a.Name, Type: a.Type, Source: a.Source,
			Description: a.Description, Acknowledged: a.Acknowledged, Clearable: a.Clearable,
			SequenceID: a.SequenceID, Raised: j.start.Unix()}
		if !a.Time.IsZero() {
			k.Raised = a.Time.Unix()
		}
		current[alarmKey(a)] = k
	}
	var prev map[string]KnownAlarm
	known := false
	if mem := j.h.o.AlarmMemory; mem != nil {
		var err error
		if prev, err = j.loadAlarms(ctx); err != nil {
			j.log.Warn().Err(err).Msg("alarm clears not detected this job: outstanding alarms of the last job unknown")
		} else {
			known = true
			// Keep the first-seen time of an alarm without its own time,
			// so that its raised event stays the same point.
			for key, k := range current {
				if p, ok := prev[key]; ok && p.Raised < k.Raised {
					k.Raised = p.Raised
					current[key] = k
				}
			}
		}
	}
	out := make([]telemetry.Point, 0, len(current)+len(prev))
	for key, k := range current {
		if p, ok := prev[key]; ok && p == k {
			continue // written by an earlier job, unchanged since
		}
		out = append(out, j.b.alarmEventPoint(k, AlarmRaised, time.Unix(k.Raised, 0)))
	}
	for key, k := range prev {
		if _, still := current[key]; !still {
			out = append(out, j.b.alarmEventPoint(k, AlarmCleared, j.start))
		}
	}
	if !known {
		return out, nil, false
	}
	return out, current, maps.Equal(prev, current)
}

// rememberAlarms stores the outstanding alarms once their events are
// stored (or spooled), so that an event that could not be stored is
// written again by the next job. Alarms the same as those remembered
// (same) only have their memory renewed, with the job's last writes.
func (j *job) rememberAlarms(current map[string]KnownAlarm, same bool) {
	mem := j.h.o.AlarmMemory
	if mem == nil || current == nil {
		return
	}
	key := j.p.Key()
	var queue func(context.Context, redis.Pipeliner) func() error
	if q, ok := mem.(alarmQueuer); ok && same {
		queue = func(ctx context.Context, p redis.Pipeliner) func() error { return q.QueueKeep(ctx, p, key) }
	}
	j.atEnd(queue, func(ctx context.Context) error { return mem.Store(ctx, key, current) }, func(err error) {
		j.log.Warn().Err(err).Msg("outstanding alarms not remembered: their clears may be missed")
	})
}

func (b pointer) alarmEventPoint(k KnownAlarm, event string, ts time.Time) telemetry.Point {
	tags := telemetry.Tags{ // point leaves the empty ones out
		{Key: telemetry.TagSeverity, Value: k.Severity}, {Key: telemetry.TagAlarmName, Value: k.Name},
		{Key: telemetry.TagAlarmType, Value: k.Type}, {Key: telemetry.TagAlarmSource, Value: k.Source},
	}
	return b.point(telemetry.MeasAlarmEvents, tags, telemetry.Fields{
		telemetry.StringField(telemetry.FieldEvent, event),
		telemetry.StringField(telemetry.FieldDescription, k.Description),
		telemetry.BoolField(telemetry.FieldAcknowledged, k.Acknowledged),
		telemetry.BoolField(telemetry.FieldClearable, k.Clearable),
		telemetry.IntField(telemetry.FieldSequenceID, k.SequenceID),
		telemetry.BoolField(telemetry.FieldActive, event == AlarmRaised),
	}, ts)
}
