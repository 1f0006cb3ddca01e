package discovery

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
	"github.com/ec-telemetry/ec-telemetry/orchestrator"
)

// Sink stores points (*influx.Writer implements it). Write returns how many
// points were stored.
type Sink interface {
	Write(ctx context.Context, points []telemetry.Point) (int, error)
}

// StateReader reads what only the Orchestrator knows: its own health, and
// per-appliance state it serves on its own paths (BGP has no documented
// appliance path). OrchestratorClient implements it.
type StateReader interface {
	// Health checks the Orchestrator; it never fails: an unanswered check
	// is a Health with Up false and Err set.
	Health(ctx context.Context) Health
	// BGP returns an appliance's BGP neighbours in every segment, asked in
	// the path form the Orchestrator's release expects.
	BGP(ctx context.Context, applianceID string, form orchestrator.PathForm) ([]orchestrator.BGPVRF, error)
}

// Health is one check of the Orchestrator itself.
type Health struct {
	Host     string // the Orchestrator URL's host: the orchestrator tag of an unnamed source
	Up       bool   // GET /gmsserver/ping answered
	Err      error  // why not, when Up is false
	Response time.Duration
	// DBHealth is nil when the answer did not say.
	DBHealth    *bool
	Version     string // ping's version, else briefInfo's release
	Uptime      time.Duration
	UptimeKnown bool
	Form        orchestrator.PathForm // from briefInfo's release
}

// bgpParallel is how many appliances' BGP state is read at once.
const bgpParallel = 4

// stateUnreachable is the Orchestrator's appliance state "unreachable":
// such appliances' BGP state is not asked for.
const stateUnreachable = 2

// collectState reads the Orchestrator's health and the BGP state of the
// selected appliances (except those the Orchestrator marks unreachable) in
// the background and writes them as one batch; the
// returned function waits for it. It does nothing without Options.State
// and Options.Sink. The reads stop when ctx ends or after one interval.
func (d *Discovery) collectState(ctx context.Context, src *source, apps []Appliance) (wait func()) {
	if src.State == nil || d.o.Sink == nil {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sctx, cancel := context.WithTimeout(ctx, d.o.Interval)
		defer cancel()
		pts, failed, firstErr := d.readState(sctx, src, apps)
		log := src.log
		if failed > 0 {
			log.Warn().Err(firstErr).Int("appliances", failed).Msg("BGP state not read from the Orchestrator for some appliances")
		}
		if len(pts) == 0 {
			return
		}
		wctx, wcancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer wcancel()
		if _, err := d.o.Sink.Write(wctx, pts); err != nil {
			log.Warn().Err(err).Int("points", len(pts)).Msg("cannot write the Orchestrator health and BGP points")
		}
	}()
	return func() { <-done }
}

// readState returns the orchestrator_health point and the
// bgp_neighbor_state points of apps, and how many appliances failed.
func (d *Discovery) readState(ctx context.Context, src *source, apps []Appliance) (pts []telemetry.Point, failed int, firstErr error) {
	h := src.State.Health(ctx)
	// The orchestrator tag is the name the workers' points carry; an
	// unnamed source (a test's) is tagged with its host.
	tag := src.Name
	if tag == "" {
		tag = h.Host
	}
	pts = append(pts, healthPoint(h, tag, d.o.Now()))
	if !h.Up {
		src.log.Warn().Err(h.Err).Msg("Orchestrator health check failed")
		return pts, 0, nil // BGP would fail the same way
	}
	ask := d.bgpTurn(src, apps)
	if m := d.o.Metrics; m != nil && src.Name != "" {
		m.OrchestratorAppliances.WithLabelValues(src.Name, "bgp_read").Set(float64(len(ask)))
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, bgpParallel)
	for _, a := range ask {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if ctx.Err() != nil {
				return // interval over: not asked, so first in the next cycle
			}
			vrfs, err := src.State.BGP(ctx, a.ID, h.Form)
			mu.Lock()
			defer mu.Unlock()
			src.bgpAt[a.ID] = d.o.Now()
			if err != nil {
				if failed == 0 {
					firstErr = fmt.Errorf("appliance %s (%s): %w", a.Hostname, a.ID, err)
				}
				failed++
				return
			}
			pts = append(pts, bgpPoints(a, tag, vrfs, d.o.Now())...)
		}()
	}
	wg.Wait()
	if firstErr != nil && ctx.Err() != nil {
		firstErr = fmt.Errorf("BGP reads stopped (interval over or shutting down): %w", firstErr)
	}
	return pts, failed, firstErr
}

// bgpTurn returns the appliances whose BGP state this cycle reads: those
// the Orchestrator does not mark unreachable, the ones asked longest ago
// (or never) first, at most Options.BGPBudget of them. It forgets the
// appliances no longer selected.
func (d *Discovery) bgpTurn(src *source, apps []Appliance) []Appliance {
	ask := make([]Appliance, 0, len(apps))
	seen := make(map[string]bool, len(apps))
	for _, a := range apps {
		seen[a.ID] = true
		if a.State != stateUnreachable { // the Orchestrator cannot ask it either
			ask = append(ask, a)
		}
	}
	if src.bgpAt == nil {
		src.bgpAt = map[string]time.Time{}
	}
	for id := range src.bgpAt {
		if !seen[id] {
			delete(src.bgpAt, id)
		}
	}
	if b := d.o.BGPBudget; b > 0 && len(ask) > b {
		sort.SliceStable(ask, func(i, j int) bool { return src.bgpAt[ask[i].ID].Before(src.bgpAt[ask[j].ID]) })
		ask = ask[:b]
	}
	return ask
}

// healthPoint maps a Health to orchestrator_health. What the Orchestrator
// did not say is left out.
func healthPoint(h Health, orchestrator string, now time.Time) telemetry.Point {
	f := telemetry.Fields{telemetry.BoolField(telemetry.FieldAPIUp, h.Up)}
	if h.Up {
		f = append(f, telemetry.FloatField(telemetry.FieldResponseMs, float64(h.Response.Microseconds())/1000))
	}
	if h.DBHealth != nil {
		f = append(f, telemetry.BoolField(telemetry.FieldDBHealth, *h.DBHealth))
	}
	if h.Version != "" {
		f = append(f, telemetry.StringField(telemetry.FieldVersion, h.Version))
	}
	if h.UptimeKnown {
		f = append(f, telemetry.IntField(telemetry.FieldUptimeSeconds, int64(h.Uptime/time.Second)))
	}
	return telemetry.Point{Measurement: telemetry.MeasOrchestratorHealth,
		Tags: telemetry.Tags{{Key: telemetry.TagOrchestrator, Value: telemetry.TagValue(orchestrator)}}, Fields: f, Time: now.UTC().Truncate(time.Second)}
}

// bgpPoints maps an appliance's BGP state to bgp_neighbor_state, one point
// per neighbour and segment.
func bgpPoints(a Appliance, orch string, vrfs []orchestrator.BGPVRF, now time.Time) []telemetry.Point {
	var out []telemetry.Point
	for _, v := range vrfs {
		for _, n := range v.Neighbors {
			f := telemetry.Fields{telemetry.BoolField(telemetry.FieldEstablished, n.Established())}
			if n.State != "" {
				f = append(f, telemetry.StringField(telemetry.FieldPeerState, n.State))
			}
			if v.ProcessState != "" {
				f = append(f, telemetry.StringField(telemetry.FieldBGPProcessState, v.ProcessState))
			}
			for _, c := range [...]struct {
				key string
				v   *int64
			}{
				{telemetry.FieldPeerStateCode, n.StateCode}, {telemetry.FieldPeerASN, n.ASN},
				{telemetry.FieldTimeEstablished, n.TimeEstablished}, {telemetry.FieldPrefixesReceived, n.PrefixesReceived},
				{telemetry.FieldPrefixesSent, n.PrefixesSent}, {telemetry.FieldBGPProcessStateID, v.ProcessStateCode},
			} {
				if c.v != nil {
					f = append(f, telemetry.IntField(c.key, *c.v))
				}
			}
			out = append(out, telemetry.Point{Measurement: telemetry.MeasBGPNeighborState, Tags: telemetry.Tags{
				{Key: telemetry.TagApplianceID, Value: telemetry.TagValue(a.ID)}, {Key: telemetry.TagHostname, Value: telemetry.TagValue(a.Hostname)},
				{Key: telemetry.TagOrchestrator, Value: telemetry.TagValue(orch)},
				{Key: telemetry.TagVRF, Value: telemetry.TagValue(v.VRF)}, {Key: telemetry.TagBGPPeer, Value: telemetry.TagValue(n.PeerIP)},
			}, Fields: f, Time: now.UTC().Truncate(time.Second)})
		}
	}
	return out
}

var _ StateReader = OrchestratorClient{}

// Health implements StateReader: GET /gmsserver/ping, timed, and the
// release (and so the path form) of the client's last briefInfo answer.
func (o OrchestratorClient) Health(ctx context.Context) Health {
	h := Health{Host: o.Client.Host(), Form: orchestrator.FormPath}
	start := time.Now()
	p, err := o.Client.Ping(ctx)
	h.Response = time.Since(start)
	if err != nil {
		h.Err = fmt.Errorf("ping: %w", err)
		return h
	}
	h.Up, h.Version = true, p.Version
	if p.DBHealthKnown {
		db := p.DBHealth
		h.DBHealth = &db
	}
	h.Uptime, h.UptimeKnown = orchestrator.ParseUptime(p.Uptime)
	// The release comes from the briefInfo answer of the cycle's readiness
	// check; briefInfo is asked again only when none came yet.
	if f, err := o.Client.PathForm(ctx); err == nil {
		h.Form = f
	}
	if h.Version == "" {
		h.Version = o.Client.Release()
	}
	return h
}

// BGP implements StateReader: GET /bgp/state/allVrfs for one appliance.
func (o OrchestratorClient) BGP(ctx context.Context, applianceID string, form orchestrator.PathForm) ([]orchestrator.BGPVRF, error) {
	return o.Client.BGPStateAllVRFs(ctx, applianceID, form)
}
