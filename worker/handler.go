package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/ec-telemetry/ec-telemetry/edgeconnect"
	"github.com/ec-telemetry/ec-telemetry/influx"
	"github.com/ec-telemetry/ec-telemetry/internal/logging"
	"github.com/ec-telemetry/ec-telemetry/internal/metrics"
	"github.com/ec-telemetry/ec-telemetry/internal/minutestats"
	"github.com/ec-telemetry/ec-telemetry/internal/sourceplan"
	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// Appliance is what the worker needs of one appliance's REST client
// (*edgeconnect.Client implements it).
type Appliance interface {
	Login(ctx context.Context) error
	Logout(ctx context.Context) error
	MinuteRange(ctx context.Context) (edgeconnect.MinuteRange, error)
	MinuteStats(ctx context.Context, minute int64) (io.ReadCloser, error)
	Deployment(ctx context.Context) (edgeconnect.Deployment, error)
	Memory(ctx context.Context) (edgeconnect.Memory, error)
	CPUStat(ctx context.Context) (edgeconnect.CPUStat, error)
	Subnets(ctx context.Context) (edgeconnect.Subnets, error)
	Alarms(ctx context.Context) (edgeconnect.Alarms, error)
	TunnelIDs(ctx context.Context, family edgeconnect.TunnelFamily, state string) ([]string, error)
	TunnelAliases(ctx context.Context, family edgeconnect.TunnelFamily, limit int, matchingAlias, state string) ([]edgeconnect.TunnelAlias, error)
	DiskUsage(ctx context.Context) (map[string]edgeconnect.DiskUsage, error)
	SystemInfo(ctx context.Context) (edgeconnect.SystemInfo, error)
	RealtimeStats(ctx context.Context, typ, name, filter string) (map[string][]edgeconnect.RealtimeSample, error)
	TrafficClasses(ctx context.Context) (map[string]string, error)
	NetworkInterfaces(ctx context.Context) ([]edgeconnect.NetworkInterface, error)
	NextHops(ctx context.Context) ([]edgeconnect.NextHop, error)
}

var _ Appliance = (*edgeconnect.Client)(nil)

// Dialer returns a client for the appliance at address (ip or host:port).
// It must not do network I/O; a new session per job is expected.
type Dialer func(address string) (Appliance, error)

// ConnAdopter is an Appliance client that can take the open connection of
// the reachability check as its first connection to the appliance, which
// saves a TCP handshake per job. Adopt takes ownership of conn: the client
// uses it or closes it, at the latest when it logs out.
type ConnAdopter interface {
	Adopt(conn net.Conn)
}

// Sink stores points (*influx.Writer implements it). Write returns how many
// points were stored. Write must not keep the list of points, nor their
// tags or fields, after it returns (a copy it may keep): the worker parses
// the next archives into the same storage and gathers their points in the
// same list.
type Sink interface {
	Write(ctx context.Context, points []telemetry.Point) (int, error)
}

// Spooler keeps points that could not be written, for a later write
// (*spool.Spool implements it). Push returns how many points it kept.
type Spooler interface {
	Push(ctx context.Context, points []telemetry.Point) (int, error)
}

// Outputs hands collected points to the secondary outputs, those besides
// InfluxDB (*outputs.Fanout implements it). Offer must return at once: each
// output queues, retries and drops on its own, so none delays the job.
type Outputs interface {
	Offer(points []telemetry.Point)
}

// CycleRecorder counts job outcomes per discovery cycle so that discovery
// can log one summary line per cycle. It may be nil.
type CycleRecorder interface {
	RecordJob(ctx context.Context, cycle int64, collected bool, points int)
	// RecordLate counts a job dropped because it started past its
	// start-by time.
	RecordLate(ctx context.Context, cycle int64)
}

// Sources, as named in logs, in the source label of metrics and in
// SOURCES_DISABLED and SOURCE_INTERVALS.
const (
	SourceMinuteStats  = sourceplan.MinuteStats
	SourceDeployment   = sourceplan.Deployment
	SourceMemory       = sourceplan.Memory
	SourceCPU          = sourceplan.CPU
	SourceRoutes       = sourceplan.Routes
	SourceAlarms       = sourceplan.Alarms
	SourceTunnels      = sourceplan.Tunnels
	SourceDisk         = sourceplan.Disk
	SourceSystemInfo   = sourceplan.SystemInfo
	SourceRealtime     = sourceplan.Realtime
	SourceTrafficClass = sourceplan.TrafficClass
)

// intervalSlack is taken off a source's interval when deciding whether it
// is due, so that the few seconds by which job start times wander do not
// push a collection to the cycle after.
const intervalSlack = 5 * time.Second

// Options configures a Handler. Dial, Sink, Reacher and Watermarks are
// required.
type Options struct {
	Dial       Dialer
	Sink       Sink
	Reacher    Reacher
	Watermarks Watermarks
	Cycles     CycleRecorder    // optional
	Spool      Spooler          // optional: keeps point-in-time points InfluxDB could not take
	Metrics    *metrics.Metrics // optional
	Outputs    Outputs          // optional: every written batch is offered to the secondary outputs too
	// AlarmMemory (optional) remembers outstanding alarms between jobs,
	// for the cleared events of alarm_events; without it only raised
	// events are written.
	AlarmMemory AlarmMemory
	// StatusBoard (optional) receives each job's verdict for discovery's
	// fleet gauges.
	StatusBoard StatusBoard
	// Redis (optional) is the client of the Redis stores: a job then reads
	// what it needs from them in one pipeline at its start and writes in
	// one at its end (pipeline.go). Every store that can queue its
	// commands must use this client.
	Redis  redis.UniversalClient
	Logger zerolog.Logger

	JobTimeout     time.Duration // whole job; default 55 s
	SourceTimeout  time.Duration // one source (several requests); default 30 s
	Parallel       int           // point-in-time sources collected at once; default 4
	Connections    int           // a direct job's connections to its appliance (EC_CONNECTIONS); its sources run on no more goroutines, as more would only wait for one. 0: Parallel alone
	BackfillMax    time.Duration // oldest minute fetched; default 24 h
	FirstContact   int           // minutes fetched without a watermark; default 3
	MaxBatchPoints int           // minute-stats points per write (a job holds at most two batches); default 5000
	// MaxArchivePoints bounds the points of one minute-stats archive;
	// the excess is dropped and reported. Default
	// minutestats.DefaultMaxPoints (MINUTE_STATS_MAX_POINTS).
	MaxArchivePoints int
	// MinuteStatsJobs bounds how many jobs parse and write minute-stats
	// archives at once, the stage that holds the most memory (parsed points
	// until they are written). Downloading archives takes no slot, so an
	// appliance slow to send keeps no other job waiting; the other sources
	// run at full concurrency. Default 16.
	MinuteStatsJobs int
	// ArchiveBudget bounds the downloaded minute-stats archives waiting for
	// a slot, with those expected of the jobs still downloading: a job
	// starts only when its own expected archives fit (admission.go).
	// Default MinuteStatsJobs × 512 KiB, two chunks per slot; negative:
	// no budget.
	ArchiveBudget   int64
	BackfillReserve time.Duration // job time kept for the rest after backfilling; default JobTimeout/4
	Now             func() time.Time

	// Status holds the verdict's thresholds (STATUS_STALE_AFTER,
	// STATUS_TUNNELS_DOWN); zero values take the defaults.
	Status StatusThresholds

	// Sources says which sources are collected and how often (the zero
	// Plan: all, every job). SourceTimes is required when it has intervals.
	Sources     sourceplan.Plan
	SourceTimes SourceTimes

	// CollectVia is how appliances are read: CollectDirect (default),
	// CollectOrchestrator or CollectAuto (see collectvia.go). Relay is
	// required unless direct. PassthroughMinuteStats lets minute
	// statistics be fetched through the Orchestrator too.
	CollectVia             string
	Relay                  RelayDialer
	PassthroughMinuteStats bool
	// Routes overrides CollectVia and Relay for the appliances of the
	// Orchestrators it names (tasks.AppliancePoll.Orchestrator); others
	// use CollectVia and Relay.
	Routes map[string]Route
}

// Handler runs appliance poll tasks.
type Handler struct {
	o          Options
	minuteSlot chan *minuteSlot // MinuteStatsJobs slots, each with the storage its parses and writes reuse

	room *archiveRoom // downloaded archives not yet parsed, and the budget new jobs wait for

	unrelayableOnce sync.Once // logs once that minute stats are not relayed
}

// minuteSlot is one of the MinuteStatsJobs slots: the storage the parses
// and writes of its holder reuse.
type minuteSlot struct {
	arena minutestats.Arena
	// points is a batch's list of points, empty, kept for the slot's next
	// holder when it is at most keptBatchPoints long.
	points []telemetry.Point
}

// keptBatchPoints is the longest list of points a minute-stats slot keeps:
// enough for six minutes of a typical appliance, about 180 KB.
const keptBatchPoints = 2048

// keep keeps pts, emptied, for the slot's next holder. What pts holds past
// its length must be zero already.
func (s *minuteSlot) keep(pts []telemetry.Point) {
	if cap(pts) > keptBatchPoints {
		s.points = nil
		return
	}
	clear(pts) // the points' tags, fields and strings are garbage now
	s.points = pts[:0]
}

// withMinuteSlot runs fn holding one of the MinuteStatsJobs slots. fn must
// not wait on an appliance: the slot is for parsing and writing. fn parses
// into arena and gathers points in pts (empty), both of which the slot's
// next holder reuses: every point fn parsed must be written or dropped
// when it returns, and fn returns the list it gathered in, for the slot to
// keep. arena is nil when secondary outputs are configured: they keep the
// points after the write (a copy of the list, not the list).
func (h *Handler) withMinuteSlot(ctx context.Context, fn func(arena *minutestats.Arena, pts []telemetry.Point) ([]telemetry.Point, error)) error {
	var s *minuteSlot
	start := time.Now()
	select {
	case s = <-h.minuteSlot:
	case <-ctx.Done():
		return fmt.Errorf("wait for a minute-stats slot: %w", ctx.Err())
	}
	if m := h.o.Metrics; m != nil {
		m.MinuteSlotWait.Observe(time.Since(start).Seconds())
	}
	var pts []telemetry.Point
	defer func() {
		s.arena.Reset()
		s.keep(pts)
		h.minuteSlot <- s
	}()
	arena := &s.arena
	if h.o.Outputs != nil {
		// The secondary outputs keep the points after they were written.
		arena = nil
	}
	pts, err := fn(arena, s.points)
	return err
}

// New checks the options and fills in defaults.
func New(o Options) (*Handler, error) {
	if o.Dial == nil || o.Sink == nil || o.Reacher == nil || o.Watermarks == nil {
		return nil, errors.New("worker: Dial, Sink, Reacher and Watermarks are required")
	}
	if err := checkCollectVia(&o); err != nil {
		return nil, err
	}
	if o.Sources.HasIntervals() && o.SourceTimes == nil {
		return nil, errors.New("worker: SourceTimes is required when sources have their own interval")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.JobTimeout, 55*time.Second)
	def(&o.SourceTimeout, 30*time.Second)
	def(&o.BackfillMax, 24*time.Hour)
	def(&o.BackfillReserve, o.JobTimeout/4)
	if o.Parallel <= 0 {
		o.Parallel = 4
	}
	if o.FirstContact <= 0 {
		o.FirstContact = 3
	}
	if o.MaxBatchPoints <= 0 {
		o.MaxBatchPoints = 5000
	}
	if o.MaxArchivePoints <= 0 {
		o.MaxArchivePoints = minutestats.DefaultMaxPoints
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MinuteStatsJobs <= 0 {
		o.MinuteStatsJobs = 16
	}
	def(&o.Status.StaleAfter, DefaultStatusStaleAfter)
	if o.Status.TunnelsDown == 0 {
		o.Status.TunnelsDown = DefaultStatusTunnelsDown
	}
	if o.ArchiveBudget == 0 {
		o.ArchiveBudget = int64(o.MinuteStatsJobs) * 2 * archiveChunkBytes
	}
	h := &Handler{o: o, minuteSlot: make(chan *minuteSlot, o.MinuteStatsJobs), room: newArchiveRoom(o.ArchiveBudget, o.Metrics)}
	for range o.MinuteStatsJobs {
		h.minuteSlot <- new(minuteSlot)
	}
	return h, nil
}

// Outcome of one job, for logs, metrics and tests.
type Outcome string

// Job outcomes.
const (
	OutcomeOK          Outcome = "ok"           // every source collected
	OutcomePartial     Outcome = "partial"      // logged in, some sources failed
	OutcomeUnreachable Outcome = "unreachable"  // reachability check failed
	OutcomeLoginFailed Outcome = "login_failed" // login refused or failed
	OutcomeFailed      Outcome = "failed"       // nothing could be stored
	// OutcomeLate: dequeued past its start-by time and dropped without
	// contacting the appliance (workers too busy for the fleet).
	OutcomeLate Outcome = "late"
)

// Report says what one job did.
type Report struct {
	Outcome       Outcome
	Reachability  Reachability
	SourceErrors  map[string]error // failed sources
	Points        int              // points stored
	Spooled       int              // point-in-time points spooled because InfluxDB could not take them
	MinutesStored int              // minute archives whose points were stored
	MinutesFirst  int64            // first minute stored (0 when none)
	MinutesLast   int64            // last minute stored
	// MinutesRefused counts minutes some points of which InfluxDB refused
	// for good; they were skipped past (and are in MinutesStored).
	MinutesRefused int
	PointsDropped  int // minute-stats points beyond MaxArchivePoints, not written
	// SourcesSkipped lists, sorted, the sources not requested: disabled,
	// or their interval not yet elapsed.
	SourcesSkipped []string
	Duration       time.Duration
	Err            error  // login, write or other job-level error
	Status         Status // the verdict written to appliance_status
	StatusReason   string
	// CollectedVia is how the appliance was read (or would have been):
	// telemetry.ViaDirect or telemetry.ViaOrchestrator.
	CollectedVia string
	// SourcesUnavailable lists the due sources the way of reading cannot
	// serve (minute_stats through the Orchestrator without
	// PassthroughMinuteStats).
	SourcesUnavailable []string
}

// ProcessTask implements asynq.Handler. Failures are logged here and
// returned wrapping asynq.RevokeTask: the task is deleted instead of retried
// or archived, because the next discovery cycle is the retry.
func (h *Handler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	if m := h.o.Metrics; m != nil {
		m.JobsInFlight.Inc()
		defer m.JobsInFlight.Dec()
	}
	p, err := tasks.ParseAppliancePollPayload(t.Payload())
	if err != nil {
		h.o.Logger.Error().Err(err).Msg("discarding malformed task")
		return err
	}
	if p.StartBy > 0 && time.Now().Unix() > p.StartBy {
		h.late(p, "dequeued after its start-by time")
		return fmt.Errorf("appliance %s (%s): dequeued after its start-by time %s, dropped: %w", p.Hostname, p.ApplianceID,
			time.Unix(p.StartBy, 0).UTC().Format(time.RFC3339), asynq.RevokeTask)
	}
	rep := h.Collect(ctx, p)
	if rep.Outcome == OutcomeOK || rep.Outcome == OutcomePartial {
		return nil
	}
	return fmt.Errorf("appliance %s (%s): %s: %w", p.Hostname, p.ApplianceID, rep.Outcome, asynq.RevokeTask)
}

// late counts a job dropped for starting past its start-by time. Its
// appliance is not contacted: this slot of it is lost, and the cycle
// summary, the cycle record and ectelemetry_worker_jobs_total{result="late"}
// say how many such jobs a cycle had. The next cycle collects the appliance
// again, its missed minutes included; a job started this late would only
// take the next cycle's time and slots.
func (h *Handler) late(p tasks.AppliancePoll, why string) {
	if m := h.o.Metrics; m != nil {
		m.Jobs.WithLabelValues(string(OutcomeLate)).Inc()
	}
	if c := h.o.Cycles; c != nil {
		c.RecordLate(context.Background(), p.Cycle)
	}
	ev := h.o.Logger.Debug()
	if p.Orchestrator != "" {
		ev = ev.Str("orchestrator", p.Orchestrator)
	}
	ev.Str(logging.FieldApplianceID, p.ApplianceID).Str(logging.FieldHostname, p.Hostname).
		Time("start_by", time.Unix(p.StartBy, 0)).Msg("job dropped: " + why)
}

// Collect runs one job for the appliance and returns what it did. It logs
// its outcome: debug when everything worked, warn for failed sources, error
// when the appliance could not be collected at all.
func (h *Handler) Collect(ctx context.Context, p tasks.AppliancePoll) Report {
	start := h.o.Now()
	lc := h.o.Logger.With()
	if p.Orchestrator != "" {
		lc = lc.Str("orchestrator", p.Orchestrator)
	}
	log := lc.Str(logging.FieldApplianceID, p.ApplianceID).
		Str(logging.FieldHostname, p.Hostname).Str(logging.FieldAddress, p.Address).Logger()
	j := &job{h: h, p: p, log: log, b: pointer{p.ApplianceID, p.Hostname, p.Orchestrator}, start: start,
		rep: Report{SourceErrors: map[string]error{}}, route: h.route(p.Orchestrator)}
	if h.o.Redis != nil {
		j.end = &endWrites{pipe: h.o.Redis.Pipeline()}
	}
	j.prefetch(ctx)
	if !j.admit(ctx) {
		return j.rep
	}
	defer j.unreserve()
	// The job's time starts once it is admitted.
	ctx, cancel := context.WithTimeout(ctx, h.o.JobTimeout)
	defer cancel()
	j.run(ctx)
	j.rep.Duration = h.o.Now().Sub(start)
	j.finish()
	return j.rep
}

type job struct {
	h     *Handler
	p     tasks.AppliancePoll
	log   zerolog.Logger
	b     pointer
	start time.Time
	rep   Report

	route  Route           // how this appliance is read
	due    map[string]bool // sources collected by this job
	status StatusInput     // what the verdict needs, filled in as the job goes

	mu     sync.Mutex
	points []telemetry.Point     // point-in-time points, written at the end
	events []telemetry.Point     // alarm events, written at the end on their own
	alarms map[string]KnownAlarm // outstanding alarms to remember once events are stored
	// watermark is the appliance's newest stored minute as this job's
	// backfill read and advanced it; watermarkRead is false when the
	// backfill did not read it (not due, or it failed first).
	watermark     int64
	watermarkRead bool
	excess        excess // minute-stats points dropped by MaxArchivePoints
	// alarmsSame says the outstanding alarms to remember are those
	// remembered already.
	alarmsSame bool
	// finalAdvance is the minute the backfill's last advance left for the
	// job's last pipeline; 0: none.
	finalAdvance int64

	pre prefetched // read in the job's first pipeline
	end *endWrites // the job's last pipeline; nil without Options.Redis

	res *reservation // the job's share of the archive budget (admission.go); nil: none
}

func (j *job) elapsed() time.Duration { return j.h.o.Now().Sub(j.start) }

func (j *job) add(pts ...telemetry.Point) {
	j.mu.Lock()
	j.points = append(j.points, pts...)
	j.mu.Unlock()
}

func (j *job) run(ctx context.Context) {
	client, done := j.connect(ctx) // collectvia.go: direct or through the Orchestrator
	if client == nil {
		return
	}
	logout := sync.OnceFunc(done)
	defer logout()

	// The session ends as soon as the job needs the appliance no more: when
	// the point-in-time sources are done and the minute statistics are
	// downloaded. It does not wait for them to be parsed and written (their
	// parse starts as soon as they are downloaded, while other sources may
	// still be read): a job waiting for a minute-stats slot or for the
	// database then holds no session on the appliance and no connection in
	// the worker.
	downloaded := make(chan struct{})
	release := sync.OnceFunc(func() {
		j.unreserve() // what it downloaded waits for a slot now; the rest is freed
		close(downloaded)
	})
	var mwg sync.WaitGroup
	mwg.Add(1)
	go func() {
		defer mwg.Done()
		defer release()
		// Traffic-class names label the minute statistics, so they come
		// first on this goroutine, while the point-in-time sources start on
		// the others. Without them (traffic_class disabled)
		// traffic_class_name is left out.
		var classes map[string]string
		j.source(ctx, SourceTrafficClass, j.h.o.SourceTimeout, func(ctx context.Context) error {
			var err error
			classes, err = client.TrafficClasses(ctx)
			return err
		})
		// Minute stats use the job's whole budget (backfill keeps a reserve).
		j.source(ctx, SourceMinuteStats, 0, func(ctx context.Context) error {
			return j.backfill(ctx, client, classes, release)
		})
	}()
	// Parallel goroutines take the due sources in turn: one goroutine per
	// source, most of them waiting, cost a stack each in every job in flight.
	var due []func()
	for _, s := range j.pointInTimeSources(client) {
		if j.due[s.name] {
			due = append(due, func() { j.source(ctx, s.name, j.h.o.SourceTimeout, s.fn) })
		}
	}
	runAll(due, j.parallel())
	<-downloaded
	logout()
	mwg.Wait()
	j.flush(ctx)
	j.settle()
}

// runAll calls every function of fns on at most par goroutines, the
// caller's among them, each taking the next function not yet taken, and
// returns when all have returned. A panic in one is raised again on the
// caller's goroutine once all have run (where a source's recover turns it
// into the source's error).
func runAll(fns []func(), par int) {
	var (
		next     atomic.Int32
		mu       sync.Mutex
		panicked any
	)
	call := func(fn func()) {
		defer func() {
			if p := recover(); p != nil {
				mu.Lock()
				if panicked == nil {
					panicked = p
				}
				mu.Unlock()
			}
		}()
		fn()
	}
	take := func() {
		for i := next.Add(1) - 1; int(i) < len(fns); i = next.Add(1) - 1 {
			call(fns[i])
		}
	}
	var wg sync.WaitGroup
	for range min(par, len(fns)) - 1 {
		wg.Go(take)
	}
	take()
	wg.Wait()
	if panicked != nil {
		panic(panicked)
	}
}

// parallel is how many goroutines read the job's point-in-time sources:
// a job that reads its appliance directly has Connections to it.
func (j *job) parallel() int {
	if j.rep.CollectedVia == telemetry.ViaDirect && j.h.o.Connections > 0 {
		return min(j.h.o.Parallel, j.h.o.Connections)
	}
	return j.h.o.Parallel
}

// settle sets the outcome of a job that got past login (or needed none).
func (j *job) settle() {
	switch {
	case j.rep.Err != nil:
		j.rep.Outcome = OutcomeFailed
	case len(j.rep.SourceErrors) > 0:
		j.rep.Outcome = OutcomePartial
	default:
		j.rep.Outcome = OutcomeOK
	}
}

// planSources decides which sources this job collects: the enabled ones
// whose interval, if they have one, has elapsed since their last successful
// collection by any worker. When those times cannot be read, every enabled
// source is collected: a request too many rather than a gap.
func (j *job) planSources(ctx context.Context) {
	pl := j.h.o.Sources
	var last map[string]time.Time
	if pl.HasIntervals() {
		var err error
		if last, err = j.lastCollected(ctx); err != nil {
			j.log.Warn().Err(err).Msg("collecting every enabled source: when each was last collected is unknown")
		}
	}
	j.due = map[string]bool{}
	for _, n := range sourceplan.Names {
		t, seen := last[n]
		switch iv := pl.Interval(n); {
		case !pl.Enabled(n):
		case n == SourceTrafficClass && !j.due[SourceMinuteStats]:
			// Only minute stats use the class names (Names lists them first).
		case iv > 0 && seen && j.start.Sub(t) < iv-intervalSlack:
		default:
			j.due[n] = true
			continue
		}
		j.rep.SourcesSkipped = append(j.rep.SourcesSkipped, n)
	}
	sort.Strings(j.rep.SourcesSkipped)
}

// source runs one source, if it is due, with its own timeout (0: the
// job's), recovers a panic into an error, and records the result. A source
// with its own interval is recorded as collected (at the job's start) only
// when it succeeded, so a failed one is tried again on the next job.
func (j *job) source(ctx context.Context, name string, timeout time.Duration, fn func(context.Context) error) {
	if !j.due[name] {
		return
	}
	if iv := j.h.o.Sources.Interval(name); iv > 0 {
		defer func() {
			j.mu.Lock()
			failed := j.rep.SourceErrors[name] != nil
			j.mu.Unlock()
			if failed {
				return
			}
			// The record outlives the interval; a lost one only means an
			// early collection. It goes with the job's last writes.
			st, key, keep := j.h.o.SourceTimes, j.p.Key(), 2*iv+time.Hour
			var queue func(context.Context, redis.Pipeliner) func() error
			if q, ok := st.(sourceTimesQueuer); ok {
				queue = func(ctx context.Context, p redis.Pipeliner) func() error {
					return q.QueueCollected(ctx, p, key, name, j.start, keep)
				}
			}
			j.atEnd(queue, func(ctx context.Context) error { return st.Collected(ctx, key, name, j.start, keep) }, func(err error) {
				j.log.Warn().Err(err).Str("source", name).Msg("collected, but not recorded: collected again on the next job")
			})
		}()
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	t0 := time.Now()
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return fn(ctx)
	}()
	if m := j.h.o.Metrics; m != nil {
		m.SourceDuration.WithLabelValues(name).Observe(time.Since(t0).Seconds())
		res := "ok"
		if err != nil {
			res = "error"
		}
		m.SourceResults.WithLabelValues(name, res).Inc()
	}
	if err != nil {
		j.mu.Lock()
		j.rep.SourceErrors[name] = err
		j.mu.Unlock()
	}
}

type namedSource struct {
	name string
	fn   func(context.Context) error
}

// pointInTimeSources are the snapshot sources, each independent: a failure
// adds nothing (no stale points from another source, demo defect 7).
func (j *job) pointInTimeSources(c Appliance) []namedSource {
	now := func() time.Time { return j.h.o.Now() }
	return []namedSource{
		{SourceDeployment, func(ctx context.Context) error {
			d, err := c.Deployment(ctx)
			if err == nil {
				j.add(j.b.deploymentPoints(j.p, d, now())...)
			}
			return err
		}},
		{SourceMemory, func(ctx context.Context) error {
			m, err := c.Memory(ctx)
			if err == nil {
				j.add(j.b.memoryPoint(m, now()))
			}
			return err
		}},
		{SourceCPU, func(ctx context.Context) error {
			s, err := c.CPUStat(ctx)
			if err == nil {
				j.add(j.b.cpuPoints(s)...)
			}
			return err
		}},
		{SourceRoutes, func(ctx context.Context) error {
			s, err := c.Subnets(ctx)
			if err == nil {
				j.add(j.b.routePoint(s, now()))
			}
			return err
		}},
		{SourceAlarms, func(ctx context.Context) error {
			a, err := c.Alarms(ctx)
			if err == nil {
				j.add(j.b.alarmPoint(a.Summary, now()))
				ev, remember, same := j.alarmEvents(ctx, a.Outstanding)
				j.mu.Lock()
				j.events = append(j.events, ev...)
				j.alarms, j.alarmsSame = remember, same
				j.mu.Unlock()
			}
			return err
		}},
		{SourceTunnels, func(ctx context.Context) error { return j.tunnels(ctx, c) }},
		{SourceDisk, func(ctx context.Context) error {
			d, err := c.DiskUsage(ctx)
			if err == nil {
				j.add(j.b.diskPoints(d, now())...)
			}
			return err
		}},
		{SourceSystemInfo, func(ctx context.Context) error {
			s, err := c.SystemInfo(ctx)
			if err == nil {
				j.add(j.b.uptimePoint(s, now()))
			}
			return err
		}},
		{SourceRealtime, func(ctx context.Context) error {
			rt, err := c.RealtimeStats(ctx, "trafficType", "3", "")
			if err != nil {
				return err
			}
			pt, err := j.b.realtimePoint(rt)
			if err != nil {
				return fmt.Errorf("realtime stats: %w", err)
			}
			j.add(pt)
			return nil
		}},
		j.interfaceSource(c),
		j.nextHopSource(c),
	}
}

// tunnels makes the demo's nine tunnel calls. Fields of the calls that
// succeeded are written; the error names the ones that failed.
func (j *job) tunnels(ctx context.Context, c Appliance) error {
	// The nine calls (three per family) do not depend on one another, so
	// they run on as many goroutines as the job has connections. One after
	// another they were the longest chain of a job's requests, and a
	// connection idled while the job's other sources were long done.
	res := make([]struct {
		all, up []string
		down    []edgeconnect.TunnelAlias
		errs    [3]error // of all, up and down
	}, len(tunnelFields))
	calls := make([]func(), 0, 3*len(tunnelFields))
	for i, tf := range tunnelFields {
		r := &res[i]
		calls = append(calls,
			func() { r.all, r.errs[0] = c.TunnelIDs(ctx, tf.family, "") },
			func() { r.up, r.errs[1] = c.TunnelIDs(ctx, tf.family, "Up") },
			func() { r.down, r.errs[2] = c.TunnelAliases(ctx, tf.family, 1000, "", "Down") })
	}
	runAll(calls, j.parallel())
	tc := tunnelCounts{
		all: map[edgeconnect.TunnelFamily][]string{}, up: map[edgeconnect.TunnelFamily][]string{},
		down: map[edgeconnect.TunnelFamily][]edgeconnect.TunnelAlias{}, downFetched: map[edgeconnect.TunnelFamily]bool{},
	}
	var errs []error // in the order of the calls
	for i, tf := range tunnelFields {
		r := res[i]
		if r.errs[0] == nil {
			tc.all[tf.family] = r.all
		}
		if r.errs[1] == nil {
			tc.up[tf.family] = r.up
		}
		if r.errs[2] == nil {
			tc.down[tf.family], tc.downFetched[tf.family] = r.down, true
		}
		errs = append(errs, r.errs[:]...)
	}
	if pt, ok := j.b.tunnelCountPoint(tc, j.h.o.Now()); ok {
		j.add(pt)
	}
	err := errors.Join(errs...)
	if err == nil {
		// Only a complete count may call tunnels down.
		j.status.TunnelsRead = true
		for _, tf := range tunnelFields {
			j.status.TunnelsAll += int64(len(tc.all[tf.family]))
			j.status.TunnelsUp += int64(len(tc.up[tf.family]))
			j.status.TunnelsDown += int64(len(tc.down[tf.family]))
		}
	}
	return err
}

// writePending writes the point-in-time points gathered so far, then the
// alarm events on their own: InfluxDB refuses for good the raised event of
// an alarm older than its retention period, which must not cost the other
// points nor fail the job.
func (j *job) writePending(ctx context.Context) {
	j.mu.Lock()
	pts, events, alarms, same := j.points, j.events, j.alarms, j.alarmsSame
	j.points, j.events, j.alarms = nil, nil, nil
	j.mu.Unlock()
	j.store(ctx, pts, false)
	if j.store(ctx, events, true) {
		j.rememberAlarms(alarms, same)
	}
}

// store writes pts. When InfluxDB cannot take them for now, they go to the
// spool, if there is one: unlike minute statistics, they cannot be fetched
// again. A permanent refusal fails the job unless tolerated, then it is
// only logged.
func (j *job) store(ctx context.Context, pts []telemetry.Point, tolerateRefusal bool) (settled bool) {
	if len(pts) == 0 {
		return true
	}
	n, err := j.write(ctx, pts)
	j.rep.Points += n
	if err == nil {
		return true
	}
	if tolerateRefusal && !influx.Retryable(err) {
		// The usual refusal is an event older than the retention
		// period; any other (a series limit, a field type conflict) is
		// named by the database's own reason in err.
		msg := "alarm events refused by the database"
		if influx.BeyondRetention(err) {
			msg = "alarm events refused: raised before the retention period, they cannot be stored"
		}
		j.log.Warn().Err(err).Int("points", len(pts)).Msg(msg)
		return true // writing them again would be refused again
	}
	if sp := j.h.o.Spool; sp != nil && influx.Retryable(err) {
		// The whole batch is spooled: points that did get written are
		// written again with the same series and time, which overwrites
		// them with themselves.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		kept, serr := sp.Push(sctx, pts)
		cancel()
		j.rep.Spooled += kept
		if serr == nil {
			j.log.Warn().Err(err).Int("points", kept).Msg("InfluxDB cannot take points now: spooled in Redis, to be written when it answers")
			return kept == len(pts)
		}
		err = fmt.Errorf("%w; spooling them failed too: %w", err, serr)
	}
	if j.rep.Err == nil {
		j.rep.Err = fmt.Errorf("write %d points: %w", len(pts), err)
	}
	return false
}

func (j *job) write(ctx context.Context, pts []telemetry.Point) (int, error) {
	// Writing gets its own time even when the job's is spent, so that what
	// was collected is stored.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	start := time.Now()
	n, err := j.h.o.Sink.Write(wctx, pts)
	took := time.Since(start)
	if o := j.h.o.Outputs; o != nil {
		o.Offer(pts) // whatever InfluxDB said: the secondary outputs do not depend on it
	}
	if m := j.h.o.Metrics; m != nil {
		m.WriteDuration.Observe(took.Seconds())
		m.PointsWritten.Add(float64(n))
		if err != nil {
			m.WriteErrors.WithLabelValues(influx.ErrorKind(err)).Inc() // auth and not_found need an operator
		}
	}
	return n, err
}

// finish sends the job's last Redis writes, with the cycle record, then
// logs the outcome and updates the metrics.
func (j *job) finish() {
	r := &j.rep
	if j.finalAdvance > 0 {
		j.advanceAtEnd(j.finalAdvance)
	}
	if c := j.h.o.Cycles; c != nil {
		// A failed final advance makes an OK job partial: collected all
		// the same.
		cycle, collected, points := j.p.Cycle, r.Outcome == OutcomeOK || r.Outcome == OutcomePartial, r.Points
		var queue func(context.Context, redis.Pipeliner) func() error
		if q, ok := c.(cycleQueuer); ok {
			queue = func(ctx context.Context, p redis.Pipeliner) func() error {
				q.QueueRecordJob(ctx, p, cycle, collected, points)
				return func() error { return nil } // ignored, as RecordJob does
			}
		}
		j.atEnd(queue, func(ctx context.Context) error {
			c.RecordJob(ctx, cycle, collected, points)
			return nil
		}, func(error) {})
	}
	j.sendEnd()
	if m := j.h.o.Metrics; m != nil {
		m.Jobs.WithLabelValues(string(r.Outcome)).Inc()
		m.JobDuration.Observe(r.Duration.Seconds())
		m.BackfillMinutes.Observe(float64(r.MinutesStored))
	}
	ev := j.log.Debug()
	switch r.Outcome {
	case OutcomePartial:
		ev = j.log.Warn()
	case OutcomeUnreachable, OutcomeLoginFailed, OutcomeFailed:
		ev = j.log.Error()
	}
	ev = ev.Dur(logging.FieldElapsed, r.Duration).Str("outcome", string(r.Outcome)).
		Int("points", r.Points).Int("minutes", r.MinutesStored)
	if r.Spooled > 0 {
		ev = ev.Int("spooled", r.Spooled)
	}
	if len(r.SourcesSkipped) > 0 {
		ev = ev.Strs("skipped_sources", r.SourcesSkipped)
	}
	ev = ev.Str("collected_via", r.CollectedVia)
	if len(r.SourcesUnavailable) > 0 {
		ev = ev.Strs("unavailable_sources", r.SourcesUnavailable)
	}
	if r.Err != nil {
		ev = ev.Err(r.Err)
	}
	if len(r.SourceErrors) > 0 {
		names := make([]string, 0, len(r.SourceErrors))
		for n := range r.SourceErrors {
			names = append(names, n)
		}
		sort.Strings(names)
		var b strings.Builder
		for i, n := range names {
			if i > 0 {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "%s: %v", n, r.SourceErrors[n])
		}
		ev = ev.Strs("failed_sources", names).Str("source_errors", b.String())
	}
	switch r.Outcome {
	case OutcomeUnreachable:
		ev.Str("method", r.Reachability.Method).Msg("appliance unreachable")
	case OutcomeLoginFailed:
		ev.Msg("appliance login failed")
	case OutcomeFailed:
		ev.Msg("appliance collection failed")
	case OutcomePartial:
		ev.Msg("appliance collected with failed sources")
	default:
		ev.Msg("appliance collected")
	}
}
