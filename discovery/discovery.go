package discovery

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/metrics"
	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
)

// Check is one dependency discovery waits for before a cycle.
type Check struct {
	Name string // "orchestrator", "influxdb", "redis"
	Fn   func(context.Context) error
}

// CycleStore keeps per-cycle counters (*tasks.RedisCycles implements it).
type CycleStore interface {
	RecordEnqueue(ctx context.Context, cycle int64, s tasks.CycleStats) error
	Get(ctx context.Context, cycle int64) (tasks.CycleStats, error)
}

// Marker tells whether Redis kept its data (*tasks.RedisMarker implements
// it): Mark sets a marker and reports whether it was missing.
type Marker interface {
	Mark(ctx context.Context, now time.Time) (missing bool, err error)
}

// Resetter is a Queue that must forget what it registered in Redis after
// Redis lost its data (*AsynqQueue is one).
type Resetter interface {
	Reset()
}

// waitLogEvery is how often waitReady repeats its line while the same
// dependencies stay down; a change is logged at once.
const waitLogEvery = 30 * time.Second

// Source is one Orchestrator discovery reads, with its own selection.
type Source struct {
	// Name is the Orchestrator's name: the orchestrator tag of its
	// appliances' points, carried in their payloads.
	Name         string
	Orchestrator Orchestrator
	LimitFile    string
	CollectAll   bool
	// Scoped makes the task ids and Redis keys of the appliances carry
	// Name (tasks.AppliancePoll.Scoped); required when several Sources
	// are read, since their nePks repeat.
	Scoped bool
	// State, with Options.Sink, makes each cycle read this Orchestrator's
	// health and its selected appliances' BGP state and write them
	// (orchestrator_health, bgp_neighbor_state); optional.
	State StateReader
}

// Options configures a Discovery. Queue and either Sources or
// Orchestrator are required.
type Options struct {
	// Sources are the Orchestrators read each cycle, concurrently: one
	// that fails is logged and counted, and the others are queued. When
	// empty, Orchestrator, LimitFile and CollectAll make the one source
	// (unnamed, unscoped).
	Sources      []Source
	Orchestrator Orchestrator
	Queue        Queue
	// State is Source.State of the one source made from Orchestrator
	// when Sources is empty. Sink stores what the State readers read.
	State  StateReader
	Sink   Sink
	Cycles CycleStore // optional: per-cycle summaries of the workers' results
	// StatusBoard (optional) holds the workers' latest verdicts, for the
	// fleet gauges set every cycle.
	StatusBoard StatusBoard
	Checks      []Check // dependencies besides the Orchestrator (InfluxDB, Redis)
	Marker      Marker  // optional: notices Redis losing its data
	// RecoveryWindow is how long after Redis lost its data payloads ask
	// for a full backfill of appliances without a watermark; default 24 h
	// (BACKFILL_MAX: older minutes are out of reach anyway).
	RecoveryWindow time.Duration
	LimitFile      string
	CollectAll     bool
	Interval       time.Duration // default 60 s
	Spread         bool          // pace the enqueues over the interval
	RetryWait      time.Duration // between readiness checks; default 3 s
	Logger         zerolog.Logger
	Metrics        *metrics.Metrics // optional
	Now            func() time.Time
	// JobTimeout is how long a worker may run a job (the workers'
	// JOB_TIMEOUT; default 55 s). A task must start within the interval
	// after it is queued (its start-by time); asynq's deadline for it is
	// that plus JobTimeout, so a job that starts in time is never cut
	// short by its queue deadline.
	JobTimeout time.Duration
	// BGPBudget is the most appliances whose BGP state is read per cycle
	// and Orchestrator; 0 reads every selected appliance every cycle.
	// With fewer, each cycle reads the appliances asked longest ago, so
	// every appliance is read once in ceil(appliances/BGPBudget) cycles.
	BGPBudget int
	// Enqueuers is how many enqueues may be in flight at once; default
	// 16. Each costs Redis two round trips in a row (the claim, which
	// also sees whether the rerun TaskID is held, and the enqueue), so
	// one at a time would queue under 200 appliances a second with Redis
	// 2.5 ms away (BenchmarkCycleEnqueue measures 16 at a time).
	Enqueuers int
}

// Discovery runs cycles. Create it with New.
type Discovery struct {
	o        Options
	sources  []*source
	pending  []int64   // cycles whose summary is not logged yet
	marked   bool      // the Redis marker was set by this process
	recovery time.Time // until then payloads carry BackfillAll
}

// New checks the options and fills in defaults.
func New(o Options) (*Discovery, error) {
	if len(o.Sources) == 0 {
		o.Sources = []Source{{Orchestrator: o.Orchestrator, LimitFile: o.LimitFile, CollectAll: o.CollectAll, State: o.State}}
	}
	if o.Queue == nil {
		return nil, errors.New("discovery: Queue is required")
	}
	var srcs []*source
	names := map[string]bool{}
	for _, src := range o.Sources {
		switch {
		case src.Orchestrator == nil:
			return nil, fmt.Errorf("discovery: orchestrator %q: Orchestrator is required", src.Name)
		case !src.CollectAll && src.LimitFile == "":
			return nil, fmt.Errorf("discovery: orchestrator %q: LimitFile is required unless CollectAll is set", src.Name)
		case names[src.Name]:
			return nil, fmt.Errorf("discovery: orchestrator %q listed twice", src.Name)
		case len(o.Sources) > 1 && !src.Scoped:
			return nil, fmt.Errorf("discovery: orchestrator %q: several Orchestrators need scoped keys", src.Name)
		}
		names[src.Name] = true
		log := o.Logger
		if src.Name != "" {
			log = log.With().Str("orchestrator", src.Name).Logger()
		}
		srcs = append(srcs, &source{Source: src, log: log})
	}
	if o.Interval <= 0 {
		o.Interval = time.Minute
	}
	if o.JobTimeout <= 0 {
		o.JobTimeout = 55 * time.Second
	}
	if o.RetryWait <= 0 {
		o.RetryWait = 3 * time.Second
	}
	if o.Enqueuers <= 0 {
		o.Enqueuers = 16
	}
	if o.RecoveryWindow <= 0 {
		o.RecoveryWindow = 24 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Discovery{o: o, sources: srcs}, nil
}

// source is a Source with what discovery keeps of it between cycles.
type source struct {
	Source
	log       zerolog.Logger
	lastLimit *config.LimitFile // last valid limit file, used when an edit breaks it
	// bgpAt is when each appliance's BGP state was last asked for (by
	// appliance id): with a budget, the longest unasked go first. Only
	// the source's collectState touches it, one cycle at a time.
	bgpAt map[string]time.Time
}

// read is what one cycle got from one source.
type read struct {
	inv Inventory
	sel Selection
	err error
}

// Run runs a cycle at every interval boundary until ctx ends. It returns
// nil when ctx ends.
func (d *Discovery) Run(ctx context.Context) error {
	for {
		start := d.o.Now()
		if _, err := d.Cycle(ctx, start); err != nil && ctx.Err() == nil {
			d.o.Logger.Error().Err(err).Msg("discovery cycle failed")
		}
		next := start.Truncate(d.o.Interval).Add(d.o.Interval)
		if !sleepUntil(ctx, d.o.Now, next) {
			return nil
		}
	}
}

// sleepUntil waits until the clock reaches t; false when ctx ended first.
func sleepUntil(ctx context.Context, now func() time.Time, t time.Time) bool {
	for {
		d := t.Sub(now())
		if d <= 0 {
			return true
		}
		if d > time.Second {
			d = time.Second // re-read the clock: tests and suspended hosts move it
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(d):
		}
	}
}

// Summary is what one cycle did.
type Summary struct {
	Cycle       int64 // unix seconds of the interval boundary the cycle belongs to
	Listed      int
	Selected    int
	Queued      int // tasks put in the queue, Requeued included
	Requeued    int // of which replaced a task left behind (archived, or orphaned by a dead worker)
	StillQueued int
	PeerQueued  int // queued in this cycle by another discovery process on the same Redis
	Errors      int
	Duration    time.Duration
	// Lag is the most an appliance was queued after its place in the
	// interval (its offset with Spread, the cycle's start without, and
	// neither before the dependencies answered): a slow inventory read, or
	// enqueues slower than the fleet needs.
	Lag time.Duration
	// Interrupted is set when ctx ended before every selected appliance was
	// queued: NotQueued of them were left out.
	Interrupted bool
	NotQueued   int
	// OrchestratorErrors counts the Orchestrators (Sources) that could not
	// be read or whose limit file failed; their appliances were not queued.
	OrchestratorErrors int
}

// CycleOf is the id of the cycle started at start (Summary.Cycle): the
// start of its interval, in Unix seconds. The workers count the cycle's jobs
// under it (tasks.RedisCycles).
func (d *Discovery) CycleOf(start time.Time) int64 { return start.Truncate(d.o.Interval).Unix() }

// Cycle runs one cycle: wait for the dependencies, read the inventory,
// select, enqueue (paced over the interval when Spread is set) and log the
// summary line.
func (d *Discovery) Cycle(ctx context.Context, start time.Time) (Summary, error) {
	log := d.o.Logger
	cycle := start.Truncate(d.o.Interval)
	sum := Summary{Cycle: d.CycleOf(start)}
	d.ReportFinished(ctx)
	if err := d.waitReady(ctx); err != nil {
		return sum, err
	}
	d.checkRedisKept(ctx)
	readStart := d.o.Now()
	reads := d.readAll(ctx)
	readTime := d.o.Now().Sub(readStart)
	discoveredAt := d.o.Now().Unix()

	// Pace: each appliance at its own offset in the interval, in offset order.
	var plan []planned
	var fleet []FleetMember
	var failed []error
	for i, src := range d.sources {
		r := &reads[i]
		if r.err == nil {
			r.sel, r.err = d.selection(src, r.inv)
			if r.err != nil {
				d.countSource(src, "limit_file_error")
			}
		}
		if r.err != nil {
			failed = append(failed, r.err)
			if len(d.sources) > 1 {
				src.log.Error().Err(r.err).Msg("orchestrator skipped this cycle")
			}
			continue
		}
		sum.Listed += len(r.inv.Appliances)
		sum.Selected += len(r.sel.Appliances)
		d.countSource(src, "ok")
		if m := d.o.Metrics; m != nil && src.Name != "" {
			m.OrchestratorAppliances.WithLabelValues(src.Name, "listed").Set(float64(len(r.inv.Appliances)))
			m.OrchestratorAppliances.WithLabelValues(src.Name, "selected").Set(float64(len(r.sel.Appliances)))
		}
		defer d.collectState(ctx, src, r.sel.Appliances)()
		for _, a := range r.sel.Appliances {
			p := d.payload(src, a, r.inv, discoveredAt, cycle.Unix())
			fleet = append(fleet, FleetMember{Key: p.Key(), Appliance: a})
			// Not before the dependencies answered: the enqueue lag counts
			// the inventory's read, not an outage waited out.
			at := readStart
			if off := cycle.Add(Offset(p.Key(), d.o.Interval)); d.o.Spread && off.After(readStart) {
				at = off
			}
			plan = append(plan, planned{at, p})
		}
	}
	if len(failed) == len(d.sources) {
		// Nothing to queue: with one Orchestrator, as before.
		if len(d.sources) == 1 {
			return sum, failed[0]
		}
		return sum, fmt.Errorf("every orchestrator failed: %w", errors.Join(failed...))
	}
	sum.OrchestratorErrors = len(failed)
	if m := d.o.Metrics; m != nil {
		m.AppliancesDiscovered.Set(float64(sum.Listed))
		m.AppliancesSelected.Set(float64(sum.Selected))
	}
	statuses := d.updateFleet(ctx, fleet)
	sort.SliceStable(plan, func(i, j int) bool { return plan[i].at.Before(plan[j].at) })
	if !d.o.Spread && statuses != nil {
		// All at once, and asynq runs a queue first in, first out: the
		// appliances whose last job ran longest ago (or never) go first,
		// so that when the workers cannot keep up, the jobs lost to their
		// deadline are not the same appliances' every cycle.
		sort.SliceStable(plan, func(i, j int) bool {
			return statuses[plan[i].p.Key()].At < statuses[plan[j].p.Key()].At
		})
	}

	d.enqueue(ctx, log, plan, &sum)
	sum.Duration = d.o.Now().Sub(start)
	if d.o.Cycles != nil {
		if err := d.o.Cycles.RecordEnqueue(context.WithoutCancel(ctx), sum.Cycle, tasks.CycleStats{
			Queued: int64(sum.Queued), StillQueued: int64(sum.StillQueued), Errors: int64(sum.Errors),
		}); err == nil {
			d.pending = append(d.pending, sum.Cycle)
		}
	}
	result := "ok"
	switch {
	case sum.Errors > 0:
		result = "enqueue_error"
	case sum.OrchestratorErrors > 0:
		result = "orchestrator_error"
	}
	d.count(result)
	if m := d.o.Metrics; m != nil {
		m.CycleDuration.Observe(sum.Duration.Seconds())
		m.EnqueueLag.Set(sum.Lag.Seconds())
		m.DiscoveryInterval.Set(d.o.Interval.Seconds())
	}
	if sum.Lag > d.o.Interval/4 {
		log.Warn().Time("cycle", cycle).Dur("lag", sum.Lag).Dur("interval", d.o.Interval).Dur("inventory_read", readTime).Int("selected", sum.Selected).
			Msg("discovery queued appliances behind their place in the interval: the Orchestrator's inventory or Redis answers too slowly for the fleet")
	}
	ev := log.Info().Time("cycle", cycle).Int("listed", sum.Listed).Int("selected", sum.Selected).
		Int("queued", sum.Queued).Int("requeued", sum.Requeued).Int("still_queued", sum.StillQueued).Int("peer_queued", sum.PeerQueued).Int("errors", sum.Errors).
		Dur("duration", sum.Duration).Dur("inventory_read", readTime).Dur("lag", sum.Lag)
	if len(d.sources) > 1 {
		ev.Int("orchestrators", len(d.sources)).Int("orchestrators_failed", sum.OrchestratorErrors)
	}
	if sum.Interrupted {
		ev.Int("not_queued", sum.NotQueued).Msg("discovery cycle interrupted: only part of the appliances queued")
		return sum, ctx.Err()
	}
	ev.Msg("discovery cycle: appliances queued")
	return sum, nil
}

// planned is an appliance's task and when to queue it.
type planned struct {
	at time.Time
	p  tasks.AppliancePoll
}

// enqueue queues the plan's tasks in order, each not before its time, with
// up to Enqueuers in flight, and counts the results in sum. When ctx ends
// it stops handing out tasks and counts those left as not queued; the ones
// in flight finish.
func (d *Discovery) enqueue(ctx context.Context, log zerolog.Logger, plan []planned, sum *Summary) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex // guards sum
		slots = make(chan struct{}, d.o.Enqueuers)
	)
	defer wg.Wait()
	for i, pl := range plan {
		if !sleepUntil(ctx, d.o.Now, pl.at) || !acquire(ctx, slots) {
			mu.Lock()
			sum.Interrupted, sum.NotQueued = true, len(plan)-i
			mu.Unlock()
			return
		}
		wg.Go(func() {
			defer func() { <-slots }()
			p := pl.p
			// Start-by and deadline are on the real clock, as asynq's.
			startBy := time.Now().Add(d.o.Interval)
			p.StartBy = startBy.Unix()
			res, err := d.o.Queue.Enqueue(ctx, p, startBy.Add(d.o.JobTimeout))
			lag := d.o.Now().Sub(pl.at)
			if m := d.o.Metrics; m != nil {
				m.Enqueued.WithLabelValues(res).Inc()
			}
			mu.Lock()
			defer mu.Unlock()
			sum.Lag = max(sum.Lag, lag)
			switch res {
			case ResultEnqueued:
				sum.Queued++
			case ResultRequeued:
				sum.Queued++
				sum.Requeued++
				logAppliance(log.Info(), p).
					Msg("previous job of this appliance was left behind (archived, not started in its slot, or its worker died): replaced")
			case ResultPeerQueued:
				sum.PeerQueued++
			case ResultStillQueued:
				sum.StillQueued++
				logAppliance(log.Warn(), p).
					Msg("previous job of this appliance has not finished: not queued again this cycle")
			default:
				sum.Errors++
				logAppliance(log.Error().Err(err), p).Msg("cannot queue appliance")
			}
		})
	}
}

// acquire takes a slot of the semaphore slots; false when ctx ends first.
func acquire(ctx context.Context, slots chan struct{}) bool {
	select {
	case slots <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// logAppliance adds the appliance's identity to a log event.
func logAppliance(ev *zerolog.Event, p tasks.AppliancePoll) *zerolog.Event {
	if p.Orchestrator != "" {
		ev = ev.Str("orchestrator", p.Orchestrator)
	}
	return ev.Str("hostname", p.Hostname).Str("appliance_id", p.ApplianceID)
}

// readAll reads the inventory of every source at once. With one source,
// waitReady has checked it; with several, each is checked here, so one
// that is down costs only its own appliances.
func (d *Discovery) readAll(ctx context.Context) []read {
	reads := make([]read, len(d.sources))
	var wg sync.WaitGroup
	for i, src := range d.sources {
		wg.Go(func() {
			r := &reads[i]
			if len(d.sources) > 1 {
				rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				err := src.Orchestrator.Ready(rctx)
				cancel()
				if err != nil {
					d.countSource(src, "down")
					r.err = fmt.Errorf("orchestrator %s: not ready: %w", src.Name, err)
					return
				}
			}
			inv, err := src.Orchestrator.Inventory(ctx)
			if err != nil {
				d.countSource(src, "error")
				if len(d.sources) == 1 {
					d.count("orchestrator_error")
					r.err = fmt.Errorf("read orchestrator inventory: %w", err)
				} else {
					r.err = fmt.Errorf("orchestrator %s: read inventory: %w", src.Name, err)
				}
				return
			}
			for _, w := range inv.Warnings {
				src.log.Warn().Err(w).Msg("orchestrator inventory incomplete")
			}
			r.inv = inv
		})
	}
	wg.Wait()
	return reads
}

// countSource counts the result of reading one named source.
func (d *Discovery) countSource(src *source, result string) {
	if m := d.o.Metrics; m != nil && src.Name != "" {
		m.OrchestratorReads.WithLabelValues(src.Name, result).Inc()
	}
}

func (d *Discovery) count(result string) {
	if m := d.o.Metrics; m != nil {
		m.Cycles.WithLabelValues(result).Inc()
	}
}

// selection applies the limit file, re-read every cycle. When an edit makes
// it invalid, the last valid content is used and the error logged, so a typo
// does not stop collection.
func (d *Discovery) selection(src *source, inv Inventory) (Selection, error) {
	log := src.log
	if src.CollectAll {
		return Select(inv.Appliances, config.LimitFile{}, true), nil
	}
	lf, err := config.ReadLimitFile(src.LimitFile)
	if err != nil {
		if src.lastLimit == nil {
			if len(d.sources) == 1 {
				d.count("limit_file_error")
			}
			return Selection{}, err
		}
		log.Error().Err(err).Msg("limit file is invalid: using its last valid content")
		lf = *src.lastLimit
	} else {
		src.lastLimit = &lf
	}
	sel := Select(inv.Appliances, lf, false)
	for _, h := range sel.Unknown {
		log.Error().Str("hostname", h).Str("file", src.LimitFile).Msg("limit file lists a hostname the Orchestrator does not know")
	}
	if len(lf.ApplianceSubset) == 0 {
		log.Warn().Str("file", src.LimitFile).Msg("limit file lists no appliance: picking the first normal ones")
		if len(sel.AutoPicked) == 0 {
			log.Error().Msg("no appliance in state normal (1) to pick: nothing to collect")
			return sel, nil
		}
		if len(sel.AutoPicked) < autoPickCount {
			log.Warn().Int("picked", len(sel.AutoPicked)).Msg("fewer than 4 appliances in state normal")
		}
		lf.ApplianceSubset = sel.AutoPicked
		if err := config.WriteLimitFile(src.LimitFile, lf); err != nil {
			log.Error().Err(err).Msg("cannot write the picked appliances back to the limit file")
		} else {
			src.lastLimit = &lf
			log.Warn().Strs("appliances", sel.AutoPicked).Str("file", src.LimitFile).
				Msg("picked appliances written to the limit file: edit it to choose others, or set COLLECT_ALL=true")
		}
	}
	return sel, nil
}

func (d *Discovery) payload(src *source, a Appliance, inv Inventory, discoveredAt, cycle int64) tasks.AppliancePoll {
	p := tasks.AppliancePoll{
		Orchestrator: src.Name, Scoped: src.Scoped,
		ApplianceID: a.ID, Hostname: a.Hostname, Address: a.Address, NetworkRole: a.NetworkRole,
		Model: a.Model, Platform: a.Platform, SoftwareVersion: a.SoftwareVersion, State: a.State,
		ReachabilityChannel: a.ReachabilityChannel, WANLabels: inv.WANLabels, LANLabels: inv.LANLabels,
		Overlays: inv.Overlays, DiscoveredAt: discoveredAt, Cycle: cycle,
		Site: a.Site, GroupID: a.GroupID, Serial: a.Serial,
	}
	p.BackfillAll = d.o.Now().Before(d.recovery)
	if l, ok := inv.Licenses[a.ID]; ok {
		p.Licensed, p.LicenseDisplay, p.LicenseBW = true, l.Display, l.Bandwidth
	}
	return p
}

// checkRedisKept notices Redis losing its data (a FLUSHALL, or a restart
// without persistence) between two cycles: queued jobs, cycle counters and
// the minute-stats watermarks are gone. It says so once, makes the queue
// register itself again, and for RecoveryWindow asks the workers to
// backfill appliances without a watermark from the oldest minute they hold.
func (d *Discovery) checkRedisKept(ctx context.Context) {
	if d.o.Marker == nil {
		return
	}
	missing, err := d.o.Marker.Mark(ctx, d.o.Now())
	if err != nil {
		d.o.Logger.Warn().Err(err).Msg("cannot check whether Redis kept its data")
		return
	}
	seen := d.marked
	d.marked = true
	if !missing || !seen {
		return // kept, or the first look of this process
	}
	if r, ok := d.o.Queue.(Resetter); ok {
		r.Reset()
	}
	d.pending = nil // their counters are gone
	d.recovery = d.o.Now().Add(d.o.RecoveryWindow)
	d.o.Logger.Warn().Time("backfill_until", d.recovery).
		Msg("Redis came back empty: queued jobs and minute-stats watermarks are lost; appliances are backfilled from the oldest minute they still hold (within BACKFILL_MAX), minutes older than that are lost")
}

// waitReady blocks until the Orchestrator and every check answer, retrying
// every RetryWait. It logs when something is down (again when what is down
// changes, and every 30 s while it stays the same) and when everything is
// back.
func (d *Discovery) waitReady(ctx context.Context) error {
	checks := d.o.Checks
	if len(d.sources) == 1 {
		// One Orchestrator is a dependency like the others; of several,
		// each is checked on its own (readAll).
		checks = append([]Check{{Name: "orchestrator", Fn: d.sources[0].Orchestrator.Ready}}, checks...)
	}
	var lastMsg string
	var lastLog time.Time
	down := false
	for {
		var failed []string
		var errs []error
		for _, c := range checks {
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := c.Fn(cctx)
			cancel()
			if err != nil {
				failed = append(failed, c.Name)
				errs = append(errs, fmt.Errorf("%s: %w", c.Name, err))
			}
		}
		if len(failed) == 0 {
			if down {
				d.o.Logger.Info().Msg("dependencies are back: resuming discovery")
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		down = true
		d.count(strings.Join(failed, "+") + "_down")
		msg := errors.Join(errs...).Error()
		if now := d.o.Now(); msg != lastMsg || now.Sub(lastLog) >= waitLogEvery {
			d.o.Logger.Error().Strs("down", failed).Str("error", msg).Dur("retry_in", d.o.RetryWait).
				Msg("waiting for dependencies before discovering")
			lastMsg, lastLog = msg, now
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d.o.RetryWait):
		}
	}
}

// ReportFinished logs one "cycle summary" line per earlier cycle whose jobs
// have all reported (or that is three intervals old): what the workers did
// with it. Cycle calls it at its start.
func (d *Discovery) ReportFinished(ctx context.Context) {
	if d.o.Cycles == nil {
		return
	}
	keep := d.pending[:0]
	now := d.o.Now().Unix()
	for _, c := range d.pending {
		s, err := d.o.Cycles.Get(ctx, c)
		old := now-c >= int64(3*d.o.Interval/time.Second)
		if err != nil || (!s.Done() && !old) {
			if !old {
				keep = append(keep, c)
			}
			continue
		}
		if s.Queued == 0 {
			continue // nothing was queued: the cycle's own line said why
		}
		ev, msg := d.o.Logger.Info(), "cycle summary"
		if !s.Done() {
			ev, msg = d.o.Logger.Warn(), "cycle summary: not every job reported within three intervals"
		}
		ev.Time("cycle", time.Unix(c, 0)).Int64("queued", s.Queued).Int64("still_queued", s.StillQueued).
			Int64("collected", s.Collected).Int64("failed", s.Failed).Int64("late", s.Late).Int64("points", s.Points).
			Int64("not_reported", s.Queued-s.Collected-s.Failed-s.Late).Msg(msg)
	}
	d.pending = keep
}
