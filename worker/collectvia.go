package worker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/logging"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// Ways of reading appliances (COLLECT_VIA).
const (
	// CollectDirect reads every appliance over HTTPS with an appliance
	// session (login, reads, logout). The default.
	CollectDirect = "direct"
	// CollectOrchestrator reads every appliance through the Orchestrator's
	// pass-through with the Orchestrator's credentials only: no
	// reachability probe, no appliance login.
	CollectOrchestrator = "orchestrator"
	// CollectAuto reads an appliance directly when it is reachable and its
	// login works, else through the Orchestrator.
	CollectAuto = "auto"
)

// MethodOrchestrator is the reachability method of an appliance that was
// not probed because it is read through the Orchestrator: reachable then
// means the Orchestrator does not report it unreachable (state 2).
const MethodOrchestrator = "orchestrator"

// ErrOrchestratorUnreachable: the Orchestrator reports the appliance
// unreachable (state 2), so its pass-through cannot read it either.
var ErrOrchestratorUnreachable = errors.New("the Orchestrator reports the appliance unreachable (state 2)")

// RelayDialer returns a client that reads the appliance with the given id
// (nePk) through the Orchestrator. It must not do network I/O. Login and
// Logout of the client it returns do nothing.
type RelayDialer func(applianceID string) (Appliance, error)

// Route is how the appliances of one Orchestrator are read: CollectVia,
// and the Orchestrator's pass-through (required unless direct).
type Route struct {
	CollectVia string
	Relay      RelayDialer
}

// check validates a route and fills in the default.
func (r *Route) check() error {
	switch r.CollectVia {
	case "":
		r.CollectVia = CollectDirect
	case CollectDirect:
	case CollectOrchestrator, CollectAuto:
		if r.Relay == nil {
			return fmt.Errorf("worker: Relay is required to collect via %q", r.CollectVia)
		}
	default:
		return fmt.Errorf("worker: unknown CollectVia %q (want direct, orchestrator or auto)", r.CollectVia)
	}
	return nil
}

// checkCollectVia validates CollectVia, Relay and Routes and fills in the
// defaults.
func checkCollectVia(o *Options) error {
	r := Route{CollectVia: o.CollectVia, Relay: o.Relay}
	if err := r.check(); err != nil {
		return err
	}
	o.CollectVia = r.CollectVia
	routes := make(map[string]Route, len(o.Routes))
	for name, r := range o.Routes {
		if err := r.check(); err != nil {
			return fmt.Errorf("orchestrator %s: %w", name, err)
		}
		routes[name] = r
	}
	o.Routes = routes
	return nil
}

// route returns how the appliances of the named Orchestrator are read.
func (h *Handler) route(orchestrator string) Route {
	if r, ok := h.o.Routes[orchestrator]; ok {
		return r
	}
	return Route{CollectVia: h.o.CollectVia, Relay: h.o.Relay}
}

// connect decides how the job reads the appliance, writes the metadata
// point that says so, plans the sources and returns a client ready for
// them with the function that ends its session. It returns a nil client
// when the job has nothing more to do; its outcome is then set and what
// was gathered written.
func (j *job) connect(ctx context.Context) (Appliance, func()) {
	if j.route.CollectVia == CollectOrchestrator {
		j.rep.Reachability = Reachability{Reachable: j.p.State != OrchestratorUnreachable, Method: MethodOrchestrator}
		return j.viaOrchestrator(ctx)
	}
	reach := j.h.o.Reacher.Check(ctx, j.p.Address)
	conn, checked := reach.Conn, time.Now()
	reach.Conn = nil
	j.rep.Reachability = reach
	if !reach.Reachable {
		handOn(nil, conn, checked)
		if j.route.CollectVia == CollectAuto {
			return j.viaOrchestrator(ctx)
		}
		j.collectedVia(telemetry.ViaDirect)
		j.rep.Outcome = OutcomeUnreachable
		j.rep.Err = j.rep.Reachability.Err
		j.flush(ctx)
		return nil, nil
	}
	j.planSources(ctx)
	if len(j.due) == 0 {
		// Nothing is due: no login either.
		handOn(nil, conn, checked)
		j.collectedVia(telemetry.ViaDirect)
		j.flush(ctx)
		j.settle()
		return nil, nil
	}
	outcome := OutcomeLoginFailed
	client, err := j.h.o.Dial(j.p.Address)
	if err != nil {
		handOn(nil, conn, checked)
		outcome, err = OutcomeFailed, fmt.Errorf("build client: %w", err)
		j.status.Login = LoginFailed
	} else {
		handOn(client, conn, checked)
		err = client.Login(ctx)
		j.status.Login = loginOutcome(err)
		if err != nil {
			// No session to end: this releases the client's connections.
			_ = client.Logout(context.WithoutCancel(ctx))
		}
	}
	if err != nil && j.route.CollectVia == CollectAuto && ctx.Err() == nil {
		j.log.Debug().Err(err).Msg("direct collection failed: collecting through the Orchestrator")
		j.due, j.rep.SourcesSkipped = nil, nil
		j.status.Login = LoginNotTried // the Orchestrator's pass-through needs no appliance login
		return j.viaOrchestrator(ctx)
	}
	j.collectedVia(telemetry.ViaDirect)
	if err != nil {
		j.rep.Outcome, j.rep.Err = outcome, err
		j.flush(ctx)
		return nil, nil
	}
	// Always log out, even when the job's time is up or a source panicked.
	// Logout runs detached from ctx under the request timeout
	// (EC_REQUEST_TIMEOUT), like every other appliance call.
	return client, func() {
		if err := client.Logout(context.WithoutCancel(ctx)); err != nil {
			j.log.Warn().Err(err).Dur(logging.FieldElapsed, j.elapsed()).Msg("logout failed")
		}
	}
}

// adoptWithin is how old the reachability check's connection may be when
// the login starts and still be used: a server may close a connection on
// which no TLS handshake begins, and the check and the login are normally
// a few milliseconds apart.
const adoptWithin = 5 * time.Second

// handOn gives the reachability check's open connection, if any, to c
// when c can use it and the check was made less than adoptWithin ago;
// otherwise it closes the connection. A nil c closes it.
func handOn(c Appliance, conn net.Conn, checked time.Time) {
	if conn == nil {
		return
	}
	if a, ok := c.(ConnAdopter); ok && time.Since(checked) < adoptWithin {
		a.Adopt(conn)
		return
	}
	conn.Close()
}

// viaOrchestrator readies the job to read the appliance through the
// Orchestrator's pass-through.
func (j *job) viaOrchestrator(ctx context.Context) (Appliance, func()) {
	j.collectedVia(telemetry.ViaOrchestrator)
	if j.p.State == OrchestratorUnreachable {
		j.rep.Outcome, j.rep.Err = OutcomeUnreachable, ErrOrchestratorUnreachable
		if r := j.rep.Reachability.Err; r != nil {
			j.rep.Err = fmt.Errorf("%w; %w", r, ErrOrchestratorUnreachable)
		}
		j.flush(ctx)
		return nil, nil
	}
	j.planSources(ctx)
	j.dropUnrelayable()
	if len(j.due) == 0 {
		j.flush(ctx)
		j.settle()
		return nil, nil
	}
	client, err := j.route.Relay(j.p.ApplianceID)
	if err != nil {
		j.rep.Outcome, j.rep.Err = OutcomeFailed, fmt.Errorf("build orchestrator client: %w", err)
		j.flush(ctx)
		return nil, nil
	}
	return client, func() {}
}

// dropUnrelayable takes minute statistics out of a job that reads through
// the Orchestrator unless PassthroughMinuteStats allows them: the
// pass-through is not known to carry binary archives. The source is
// reported, never silently missing: in Report.SourcesUnavailable, in the
// source results metric as "unavailable", and in one log line per process.
// Traffic-class names, only used to label minute statistics, go with it.
func (j *job) dropUnrelayable() {
	if j.h.o.PassthroughMinuteStats || !j.due[SourceMinuteStats] {
		return
	}
	delete(j.due, SourceMinuteStats)
	j.rep.SourcesUnavailable = append(j.rep.SourcesUnavailable, SourceMinuteStats)
	if j.due[SourceTrafficClass] {
		delete(j.due, SourceTrafficClass)
		j.rep.SourcesSkipped = append(j.rep.SourcesSkipped, SourceTrafficClass)
		sort.Strings(j.rep.SourcesSkipped)
	}
	if m := j.h.o.Metrics; m != nil {
		m.SourceResults.WithLabelValues(SourceMinuteStats, ResultUnavailable).Inc()
	}
	j.h.unrelayableOnce.Do(func() {
		j.h.o.Logger.Warn().Str("source", SourceMinuteStats).
			Msg("minute statistics are not collected through the Orchestrator (PASSTHROUGH_MINUTE_STATS=false): appliances read that way get no minute-stats measurements")
	})
}

// ResultUnavailable is the result label of a source that the way the
// appliance is read cannot serve (minute statistics through the
// Orchestrator without PASSTHROUGH_MINUTE_STATS).
const ResultUnavailable = "unavailable"

// collectedVia records how the appliance is read and writes its metadata
// point, which says so.
func (j *job) collectedVia(via string) {
	j.rep.CollectedVia = via
	pt := j.b.metadataPoint(j.p, j.rep.Reachability)
	pt.Fields.Set(telemetry.FieldCollectedVia, via)
	if j.rep.Reachability.Method == MethodOrchestrator {
		pt.Fields.Delete(telemetry.FieldReachabilityRTTMs) // nothing was probed
	}
	j.add(pt)
}
