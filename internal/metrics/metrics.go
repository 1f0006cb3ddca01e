package metrics

import (
	"context"
	"errors"
	"net"
	"net/http"
	httppprof "net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
)

const namespace = "ectelemetry"

// Metrics are the collectors of one process. Discovery and worker use
// different subsets; the unused ones simply stay at zero.
type Metrics struct {
	Registry *prometheus.Registry

	CycleDuration        prometheus.Histogram
	Cycles               *prometheus.CounterVec // result: ok, orchestrator_down, influx_down, redis_down, error
	AppliancesDiscovered prometheus.Gauge
	AppliancesSelected   prometheus.Gauge
	Enqueued             *prometheus.CounterVec // result: enqueued, requeued, still_queued, peer_queued, error
	EnqueueLag           prometheus.Gauge       // the last cycle's most an appliance was queued after its place
	DiscoveryInterval    prometheus.Gauge       // DISCOVERY_INTERVAL
	// Per Orchestrator (named ones: ORCHESTRATORS_FILE or ORCH_NAME).
	OrchestratorReads      *prometheus.CounterVec // orchestrator, result: ok, down, error, limit_file_error
	OrchestratorAppliances *prometheus.GaugeVec   // orchestrator, stage: listed, selected

	Jobs            *prometheus.CounterVec   // result: ok, partial, unreachable, login_failed, failed
	JobDuration     prometheus.Histogram     //
	JobsInFlight    prometheus.Gauge         // jobs this worker runs now
	JobSlots        prometheus.Gauge         // jobs it may run at once (WORKER_CONCURRENCY)
	SourceResults   *prometheus.CounterVec   // source, result: ok, error
	SourceDuration  *prometheus.HistogramVec // source
	PointsWritten   prometheus.Counter
	WriteDuration   prometheus.Histogram   // one write of a job's points, its wait for a write slot and retries included
	MinuteSlotWait  prometheus.Histogram   // a job's wait for a minute-stats slot
	ArchiveRoomWait prometheus.Histogram   // a job's wait to start, held back by the archive budget
	ArchiveBytes    *prometheus.GaugeVec   // state: waiting (downloaded, not parsed), expected (of jobs still downloading)
	WriteErrors     *prometheus.CounterVec // kind: retryable, permanent, auth, not_found
	Minutes         *prometheus.CounterVec // result: stored, missing, corrupt, deferred, capped, refused
	ParseIssues     prometheus.Counter
	BackfillMinutes prometheus.Histogram   // minutes fetched per job
	TLSHandshakes   *prometheus.CounterVec // session: resumed, full; key_exchange: tls.CurveID's name, or none
	TLSEvictions    prometheus.Counter

	// Fleet gauges, set by discovery every cycle from the verdicts the
	// workers published; reset each cycle, so an appliance no longer
	// selected disappears.
	FleetAppliances        *prometheus.GaugeVec // status: online, degraded, offline, unknown
	FleetByOrchState       *prometheus.GaugeVec // state: the Orchestrator's appliance state
	FleetByVersion         *prometheus.GaugeVec // software_version
	FleetByModel           *prometheus.GaugeVec // model
	FleetTunnels           *prometheus.GaugeVec // state: up, down
	FleetOldestDataSeconds *prometheus.GaugeVec // no labels; absent when no appliance has stored a minute

	SpoolPoints         *prometheus.CounterVec // event: spooled, replayed
	SpoolDroppedEntries *prometheus.CounterVec // reason: full, corrupt, refused
	SpoolEntries        prometheus.Gauge
}

// New registers every collector on a fresh registry, together with the Go
// runtime and process collectors.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	f := func(c prometheus.Collector) { reg.MustRegister(c) }
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{
		Registry: reg,
		CycleDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "discovery", Name: "cycle_duration_seconds",
			Help: "Time one discovery cycle took from its start to the last enqueue.", Buckets: prometheus.ExponentialBuckets(0.05, 2, 12),
		}),
		Cycles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "discovery", Name: "cycles_total",
			Help: "Discovery cycles by result.",
		}, []string{"result"}),
		AppliancesDiscovered: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "discovery", Name: "appliances_discovered",
			Help: "Appliances the Orchestrator listed in the last cycle.",
		}),
		AppliancesSelected: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "discovery", Name: "appliances_selected",
			Help: "Appliances selected for collection (limit file or collect-all) in the last cycle.",
		}),
		Enqueued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "discovery", Name: "tasks_total",
			Help: "Enqueue attempts by result: enqueued, requeued (a task left behind by a crash or a dead worker was replaced), still_queued (the previous job of that appliance had not finished: cycle overrun), peer_queued (another discovery process queued it in this cycle), error.",
		}, []string{"result"}),
		EnqueueLag: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "discovery", Name: "enqueue_lag_seconds",
			Help: "In the last cycle, the most an appliance was queued after its place in the interval (its offset with DISCOVERY_SPREAD, the cycle's start without; a wait for the dependencies not counted): a slow inventory read, or Redis too slow or far for the fleet's enqueues.",
		}),
		DiscoveryInterval: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "discovery", Name: "interval_seconds",
			Help: "How often discovery queues the fleet (DISCOVERY_INTERVAL).",
		}),
		OrchestratorReads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "discovery", Name: "orchestrator_reads_total",
			Help: "Inventory reads per Orchestrator and cycle by result: ok, down (not ready), error (inventory failed), limit_file_error.",
		}, []string{"orchestrator", "result"}),
		OrchestratorAppliances: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "discovery", Name: "orchestrator_appliances",
			Help: "Appliances of each Orchestrator in its last successful cycle: listed by it, and selected for collection.",
		}, []string{"orchestrator", "stage"}),
		Jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "worker", Name: "jobs_total",
			Help: "Appliance jobs by result: ok, partial (some sources failed), unreachable, login_failed, failed (nothing stored), late (dequeued after its start-by time and dropped without collecting).",
		}, []string{"result"}),
		JobDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "worker", Name: "job_duration_seconds",
			Help: "Time one appliance job took.", Buckets: prometheus.ExponentialBuckets(0.05, 2, 12),
		}),
		JobsInFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "worker", Name: "jobs_in_flight",
			Help: "Appliance jobs this worker runs now; against job_slots, how full its WORKER_CONCURRENCY is.",
		}),
		JobSlots: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "worker", Name: "job_slots",
			Help: "Appliance jobs this worker may run at once (WORKER_CONCURRENCY); 0 in discovery.",
		}),
		SourceResults: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "worker", Name: "source_requests_total",
			Help: "Collections per source (minute_stats, memory, cpu, ...) by result.",
		}, []string{"source", "result"}),
		SourceDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "worker", Name: "source_duration_seconds",
			Help: "Time one source took to collect.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 13),
		}, []string{"source"}),
		PointsWritten: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "worker", Name: "points_written_total",
			Help: "Points InfluxDB accepted.",
		}),
		WriteDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "worker", Name: "write_duration_seconds",
			Help:    "Time one write of a job's points to InfluxDB took, from its wait for one of DB_WRITE_CONCURRENCY to InfluxDB's answer, retries included. A job holds its slot meanwhile.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 13),
		}),
		MinuteSlotWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "worker", Name: "minute_slot_wait_seconds",
			Help:    "Time a job waited for one of MINUTE_STATS_CONCURRENCY slots before parsing and writing its downloaded minute-stats archives.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 15),
		}),
		ArchiveRoomWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "worker", Name: "archive_room_wait_seconds",
			Help:    "Time a job was held back before it started because the downloaded minute-stats archives waiting for a slot, with those expected of the jobs still downloading, left no room for its own; only jobs held back are counted.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}),
		ArchiveBytes: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "worker", Name: "archive_bytes",
			Help: "Minute-stats archive bytes by state: waiting (downloaded, not yet parsed) and expected (the downloads the jobs still downloading were admitted for). New jobs wait while both together leave no room for theirs in the budget (MINUTE_STATS_CONCURRENCY × 512 KiB).",
		}, []string{"state"}),
		WriteErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "worker", Name: "write_errors_total",
			Help: "Failed InfluxDB writes by kind: retryable, permanent, auth (401/403: token), not_found (404: database or bucket).",
		}, []string{"kind"}),
		Minutes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "worker", Name: "minute_files_total",
			Help: "Minute-stats files by result: stored, missing (404), corrupt, deferred (left for the next job), capped (stored up to MINUTE_STATS_MAX_POINTS, the rest dropped), refused (InfluxDB refused some points for good, skipped past; also counted as fetched).",
		}, []string{"result"}),
		ParseIssues: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "worker", Name: "minute_stats_issues_total",
			Help: "Lines of minute-stats files skipped or repaired (unknown ids, bad cells).",
		}),
		BackfillMinutes: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "worker", Name: "minutes_per_job",
			Help:    "Minute-stats files fetched by one job (1 in steady state, more while backfilling).",
			Buckets: []float64{0, 1, 2, 3, 5, 10, 30, 60, 180, 720, 1440},
		}),
		TLSHandshakes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "worker", Name: "appliance_tls_handshakes_total",
			Help: "TLS handshakes with appliances by session: resumed (from the session cache) or full, and by the key exchange the appliance chose among EC_TLS_CURVES (none: a TLS 1.2 resumption). Full ones beyond each appliance's first contact mean sessions were not kept or not accepted (see tls_sessions_evicted_total).",
		}, []string{"session", "key_exchange"}),
		TLSEvictions: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "worker", Name: "tls_sessions_evicted_total",
			Help: "Appliance TLS sessions the session cache let go to make room: steadily rising, EC_TLS_SESSION_CACHE is smaller than the fleet and the next jobs of those appliances do full handshakes.",
		}),
		FleetAppliances: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "fleet", Name: "appliances",
			Help: "Selected appliances by their latest appliance_status verdict (online, degraded, offline, unknown); appliances without a verdict yet are not counted.",
		}, []string{"status"}),
		FleetByOrchState: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "fleet", Name: "appliances_by_orchestrator_state",
			Help: "Selected appliances by the Orchestrator's appliance state (1 reachable, 2 unreachable, ...).",
		}, []string{"state"}),
		FleetByVersion: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "fleet", Name: "appliances_by_software_version",
			Help: "Selected appliances by software version, as the Orchestrator lists it.",
		}, []string{"software_version"}),
		FleetByModel: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "fleet", Name: "appliances_by_model",
			Help: "Selected appliances by model, as the Orchestrator lists it.",
		}, []string{"model"}),
		FleetTunnels: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "fleet", Name: "tunnels",
			Help: "Tunnels up and down across the selected appliances whose last job read the tunnel counts.",
		}, []string{"state"}),
		FleetOldestDataSeconds: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "fleet", Name: "oldest_data_age_seconds",
			Help: "Age of the oldest newest-stored minute of minute statistics across the selected appliances, at the cycle's start; absent when none has stored a minute.",
		}, nil),
		SpoolPoints: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "spool", Name: "points_total",
			Help: "Points kept in the Redis spool while InfluxDB was unavailable (spooled), and written from it later (replayed).",
		}, []string{"event"}),
		SpoolDroppedEntries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "spool", Name: "dropped_entries_total",
			Help: "Spool entries lost: full (oldest dropped past SPOOL_MAX_ENTRIES), corrupt, or refused for good by InfluxDB.",
		}, []string{"reason"}),
		SpoolEntries: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "spool", Name: "entries",
			Help: "Spool entries waiting for InfluxDB, as this process last saw them.",
		}),
	}
	for _, c := range []prometheus.Collector{m.FleetAppliances, m.FleetByOrchState, m.FleetByVersion, m.FleetByModel, m.FleetTunnels, m.FleetOldestDataSeconds, m.SpoolPoints, m.SpoolDroppedEntries, m.SpoolEntries, m.CycleDuration, m.Cycles, m.AppliancesDiscovered, m.AppliancesSelected,
		m.Enqueued, m.EnqueueLag, m.DiscoveryInterval, m.OrchestratorReads, m.OrchestratorAppliances, m.Jobs, m.JobDuration, m.JobsInFlight, m.JobSlots, m.SourceResults, m.SourceDuration, m.PointsWritten, m.WriteDuration, m.MinuteSlotWait, m.ArchiveRoomWait, m.ArchiveBytes, m.WriteErrors,
		m.Minutes, m.ParseIssues, m.BackfillMinutes, m.TLSHandshakes, m.TLSEvictions} {
		f(c)
	}
	return m
}

// QueueCollector reports the asynq queue's depth per state with cheap LLEN
// and ZCARD calls. (asynq v0.26.0's Inspector.GetQueueInfo can fail on a
// vanishing key; these counts cannot.)
type QueueCollector struct {
	rdb   redis.UniversalClient
	queue string
	desc  *prometheus.Desc
}

// NewQueueCollector returns a collector for one queue.
func NewQueueCollector(rdb redis.UniversalClient, queue string) *QueueCollector {
	return &QueueCollector{rdb: rdb, queue: queue, desc: prometheus.NewDesc(
		namespace+"_queue_tasks", "Tasks in the asynq queue by state.", []string{"queue", "state"}, nil)}
}

// Describe implements prometheus.Collector.
func (c *QueueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector. A Redis error yields no sample.
func (c *QueueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	depths, err := QueueDepths(ctx, c.rdb, c.queue)
	if err != nil {
		return
	}
	for state, n := range depths {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), c.queue, state)
	}
}

// QueueDepths returns how many tasks asynq's queue holds in each state
// (pending, active, scheduled, retry, archived), read in one pipeline.
func QueueDepths(ctx context.Context, rdb redis.UniversalClient, queue string) (map[string]int64, error) {
	prefix := "asynq:{" + queue + "}:"
	pipe := rdb.Pipeline()
	cmds := map[string]*redis.IntCmd{
		"pending": pipe.LLen(ctx, prefix+"pending"), "active": pipe.LLen(ctx, prefix+"active"),
		"scheduled": pipe.ZCard(ctx, prefix+"scheduled"), "retry": pipe.ZCard(ctx, prefix+"retry"),
		"archived": pipe.ZCard(ctx, prefix+"archived"),
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(cmds))
	for state, cmd := range cmds {
		out[state] = cmd.Val()
	}
	return out, nil
}

// Serve serves /metrics and /healthz on addr until ctx ends. health is
// called for /healthz; nil error means 200. pprof adds Go's profiling
// endpoints under /debug/pprof/. An empty addr serves nothing.
func Serve(ctx context.Context, addr string, reg *prometheus.Registry, health func(context.Context) error, pprof bool) error {
	if addr == "" {
		<-ctx.Done()
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return ServeListener(ctx, ln, reg, health, pprof)
}

// ServeListener is Serve on an open listener, which it closes.
func ServeListener(ctx context.Context, ln net.Listener, reg *prometheus.Registry, health func(context.Context) error, pprof bool) error {
	mux := http.NewServeMux()
	if pprof {
		mux.HandleFunc("/debug/pprof/", httppprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", httppprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", httppprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", httppprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", httppprof.Trace)
	}
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if health != nil {
			if err := health(r.Context()); err != nil {
				http.Error(w, "unhealthy: "+err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		w.Write([]byte("ok\n"))
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
