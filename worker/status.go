package worker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ec-telemetry/ec-telemetry/edgeconnect"
	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// Status is the collector's verdict on an appliance, written to
// appliance_status.status.
type Status string

// Statuses, in the order of their code (appliance_status.status_code).
const (
	StatusOnline   Status = "online"   // collected, data fresh, tunnels up
	StatusDegraded Status = "degraded" // collected, but data stale, tunnels down or the Orchestrator disagrees
	StatusOffline  Status = "offline"  // our reachability check failed
	StatusUnknown  Status = "unknown"  // reachable, but no answer we can judge (login refused, every source failed)
)

// Code is the integer alert rules compare: 0 online, 1 degraded,
// 2 offline, 3 unknown.
func (s Status) Code() int64 {
	switch s {
	case StatusOnline:
		return 0
	case StatusDegraded:
		return 1
	case StatusOffline:
		return 2
	}
	return 3
}

// OrchestratorUnreachable is the Orchestrator's appliance state for an
// appliance it cannot reach.
const OrchestratorUnreachable = 2

// Default status thresholds (STATUS_STALE_AFTER, STATUS_TUNNELS_DOWN).
const (
	DefaultStatusStaleAfter  = 5 * time.Minute
	DefaultStatusTunnelsDown = 1
)

// StatusThresholds are the limits of the verdict's rules.
type StatusThresholds struct {
	// StaleAfter: data older than this makes an appliance degraded.
	// Default DefaultStatusStaleAfter.
	StaleAfter time.Duration
	// TunnelsDown: at least this many tunnels down makes an appliance
	// degraded; 0 or less: tunnels never do. In Options, 0 takes
	// DefaultStatusTunnelsDown: pass a negative value to disable the rule.
	TunnelsDown int
}

// LoginResult is how a job's login went, as the verdict sees it.
type LoginResult int

// Login results.
const (
	LoginNotTried LoginResult = iota // not reachable, or nothing due
	LoginOK
	LoginRefused // the appliance refused the credentials
	LoginFailed  // no usable answer (timeout, 5xx, bad TLS, no client)
)

// StatusInput is everything the verdict is computed from.
type StatusInput struct {
	OrchestratorState int    // task payload State: 1 reachable, 2 unreachable, per the Orchestrator
	Reachable         bool   // our reachability check
	ReachMethod       string // icmp, tcp or none: how the check was last tried
	Login             LoginResult
	SourcesDue        int // sources requested this job (0: nothing was due)
	SourcesFailed     int // of those, the ones that failed

	HasData bool          // a minute of minute statistics was ever stored
	DataAge time.Duration // job time minus the newest stored minute
	// MinutesInterval is how often minute statistics are collected when
	// SOURCE_INTERVALS gives them their own interval (0: every job); it
	// is added to StaleAfter. Negative: they are not collected at all
	// (SOURCES_DISABLED), and their age makes no verdict.
	MinutesInterval time.Duration

	TunnelsRead bool  // the tunnel counts were read this job
	TunnelsUp   int64 // tunnels the appliance reports Up
	TunnelsDown int64 // tunnels the appliance reports Down
	TunnelsAll  int64 // every tunnel it lists
}

// Verdict applies the rules of docs/health.md, first match wins for
// offline and unknown; the degraded reasons are all listed, "; "
// separated. The reason is "" when online.
func Verdict(in StatusInput, th StatusThresholds) (Status, string) {
	if th.StaleAfter <= 0 {
		th.StaleAfter = DefaultStatusStaleAfter
	}
	orchDown := in.OrchestratorState == OrchestratorUnreachable
	if !in.Reachable && in.ReachMethod == MethodOrchestrator {
		return StatusOffline, "orchestrator: unreachable (read through the Orchestrator)"
	}
	if !in.Reachable {
		orch := "reachable"
		if orchDown {
			orch = "unreachable"
		}
		return StatusOffline, fmt.Sprintf("no reply to %s check; orchestrator: %s", in.ReachMethod, orch)
	}
	switch in.Login {
	case LoginRefused:
		return StatusUnknown, "login refused"
	case LoginFailed:
		return StatusUnknown, "login failed"
	}
	if in.SourcesDue > 0 && in.SourcesFailed >= in.SourcesDue {
		return StatusUnknown, "every source failed"
	}
	var why []string
	if in.HasData && in.MinutesInterval >= 0 && in.DataAge > th.StaleAfter+in.MinutesInterval {
		why = append(why, "no data for "+roundAge(in.DataAge))
	}
	if in.TunnelsRead && th.TunnelsDown > 0 && in.TunnelsDown >= int64(th.TunnelsDown) {
		why = append(why, fmt.Sprintf("%d of %d tunnels down", in.TunnelsDown, max(in.TunnelsAll, in.TunnelsUp+in.TunnelsDown)))
	}
	if orchDown {
		why = append(why, "orchestrator: unreachable")
	}
	if len(why) > 0 {
		return StatusDegraded, strings.Join(why, "; ")
	}
	return StatusOnline, ""
}

// roundAge renders an age in whole minutes ("6m"), or hours and minutes
// from an hour on ("2h5m").
func roundAge(d time.Duration) string {
	m := int64(d / time.Minute)
	if m < 60 {
		return fmt.Sprintf("%dm", m)
	}
	return fmt.Sprintf("%dh%dm", m/60, m%60)
}

// loginOutcome sorts a login error for the verdict.
func loginOutcome(err error) LoginResult {
	switch {
	case err == nil:
		return LoginOK
	case errors.Is(err, edgeconnect.ErrUnauthorized):
		return LoginRefused
	}
	return LoginFailed
}

// statusPoint is appliance_status at the job time.
func (b pointer) statusPoint(in StatusInput, s Status, reason string, ts time.Time) telemetry.Point {
	f := telemetry.Fields{
		telemetry.StringField(telemetry.FieldStatus, string(s)),
		telemetry.IntField(telemetry.FieldStatusCode, s.Code()),
		telemetry.StringField(telemetry.FieldReason, reason),
	}
	if in.HasData {
		f = append(f, telemetry.IntField(telemetry.FieldDataAgeSeconds, int64(in.DataAge/time.Second)))
	}
	if in.TunnelsRead {
		f = append(f, telemetry.IntField(telemetry.FieldTunnelsUp, in.TunnelsUp), telemetry.IntField(telemetry.FieldTunnelsDown, in.TunnelsDown))
	}
	return b.point(telemetry.MeasApplianceStatus, nil, f, ts)
}

// addStatus computes the job's verdict and adds its point. It reads the
// watermark for the data age; when that fails, the age is left out.
func (j *job) addStatus(ctx context.Context) {
	in := j.status
	in.OrchestratorState = j.p.State
	in.Reachable = j.rep.Reachability.Reachable
	in.ReachMethod = j.rep.Reachability.Method
	if j.rep.CollectedVia == telemetry.ViaOrchestrator {
		// Read through the Orchestrator: its view of the appliance is
		// the reachability that counts, whatever a direct check said.
		in.Reachable = j.p.State != OrchestratorUnreachable
		in.ReachMethod = MethodOrchestrator
	}
	in.SourcesDue = len(j.due)
	in.SourcesFailed = len(j.rep.SourceErrors)
	if pl := j.h.o.Sources; !pl.Enabled(SourceMinuteStats) {
		in.MinutesInterval = -1
	} else {
		in.MinutesInterval = pl.Interval(SourceMinuteStats)
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	// The backfill has read (and maybe advanced) the watermark: use that
	// rather than asking Redis again.
	j.mu.Lock()
	newest, ok, read := j.watermark, j.watermark > 0, j.watermarkRead
	j.mu.Unlock()
	var err error
	if !read {
		newest, ok, err = j.readWatermark(rctx)
	}
	if err != nil {
		j.log.Warn().Err(err).Msg("status written without data age: newest stored minute unknown")
	} else if ok {
		in.HasData = true
		in.DataAge = max(0, j.start.Sub(time.Unix(newest, 0)))
	}
	s, reason := Verdict(in, j.h.o.Status)
	j.rep.Status, j.rep.StatusReason = s, reason
	j.add(j.b.statusPoint(in, s, reason, j.start))
	if sb := j.h.o.StatusBoard; sb != nil {
		st := tasks.ApplianceStatus{Status: string(s), At: j.start.Unix(),
			TunnelsRead: in.TunnelsRead, TunnelsUp: in.TunnelsUp, TunnelsDown: in.TunnelsDown}
		if in.HasData {
			st.NewestMinute = newest
		}
		key := j.p.Key()
		var queue func(context.Context, redis.Pipeliner) func() error
		if q, ok := sb.(statusQueuer); ok {
			queue = func(ctx context.Context, p redis.Pipeliner) func() error { return q.QueuePublish(ctx, p, key, st) }
		}
		j.atEnd(queue, func(ctx context.Context) error { return sb.Publish(ctx, key, st) }, func(err error) {
			j.log.Warn().Err(err).Msg("status not published for the fleet gauges")
		})
	}
}

// StatusBoard receives each appliance's latest verdict for discovery's
// fleet gauges (*tasks.RedisStatusBoard implements it).
type StatusBoard interface {
	Publish(ctx context.Context, applianceID string, s tasks.ApplianceStatus) error
}

// flush adds the verdict and writes the pending points: the last step of
// every job, however it ended.
func (j *job) flush(ctx context.Context) {
	j.addStatus(ctx)
	j.writePending(ctx)
}
