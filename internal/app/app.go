package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel"

	"github.com/ec-telemetry/ec-telemetry/discovery"
	"github.com/ec-telemetry/ec-telemetry/edgeconnect"
	"github.com/ec-telemetry/ec-telemetry/influx"
	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/logging"
	"github.com/ec-telemetry/ec-telemetry/internal/metrics"
	"github.com/ec-telemetry/ec-telemetry/internal/outputs"
	"github.com/ec-telemetry/ec-telemetry/internal/redact"
	"github.com/ec-telemetry/ec-telemetry/internal/spool"
	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
	"github.com/ec-telemetry/ec-telemetry/orchestrator"
	"github.com/ec-telemetry/ec-telemetry/worker"
)

// LoadConfig reads and validates the environment for a role, reporting
// every problem at once, one per line.
func LoadConfig(role config.Role) (config.Config, error) {
	cfg, err := config.Load()
	if err := errors.Join(err, cfg.Validate(role)); err != nil {
		return cfg, fmt.Errorf("configuration:\n%w", err)
	}
	return cfg, nil
}

// NewLogger builds the root logger of a process from the configuration.
func NewLogger(cfg config.Config, service string, stdout io.Writer) (zerolog.Logger, func() error, error) {
	lvl, _ := config.ParseLogLevel(cfg.LogLevel)
	return logging.New(logging.Options{
		Service: service, Level: lvl, Format: cfg.LogFormat, Stdout: stdout, File: cfg.LogFile,
		MaxBytes: cfg.LogMaxBytes, MaxBackups: cfg.LogMaxBackups, Secrets: Secrets(cfg),
	})
}

// Secrets lists what no output may show: the secret variables and the
// password (with "user:password") of a URL that carries one, since
// libraries print URLs in their errors, and the OTLP header values.
func Secrets(cfg config.Config) []string {
	s := append(cfg.SecretValues(), redact.URLSecrets(cfg.OrchURL, cfg.DBURL, cfg.RedisAddr)...)
	s = append(s, cfg.OrchestratorSecrets()...)
	s = append(s, cfg.ApplianceCredentialSecrets()...)
	if cfg.HasOutput(config.OutputOTLP) || cfg.OTLPSelfMetrics {
		s = append(s, outputs.OTLPHeaderSecrets()...)
	}
	return s
}

// redisTimeout bounds dialling, reading and writing one Redis command.
const redisTimeout = 5 * time.Second

// RedisTarget describes the Redis of the configuration for humans: the
// address of REDIS_ADDR (its password hidden), or the Sentinel master and
// sentinels, or the Cluster seed nodes.
func RedisTarget(cfg config.Config) string {
	switch cfg.RedisMode() {
	case config.RedisSentinel:
		return fmt.Sprintf("master %q of sentinels %s", cfg.RedisSentinelMaster, strings.Join(cfg.RedisSentinelList(), ","))
	case config.RedisCluster:
		return "cluster " + strings.Join(cfg.RedisClusterList(), ",")
	}
	return redact.URL(cfg.RedisAddr)
}

// redisBuffer sizes the read and write buffers of every Redis connection,
// pipelines' too. go-redis gives each 32 KiB (128 KiB for its pipeline
// pool): about 3.4 MB of a worker's live heap for replies and commands of a
// few hundred bytes (asynq's scripts, watermarks, cycle records). A larger
// reply or command goes past the buffer.
const redisBuffer = 4 << 10

// redisOptions returns the Redis connection options of the configuration:
// the one server of REDIS_ADDR, the primary the sentinels of
// REDIS_SENTINEL_ADDRS name, or the Redis Cluster of REDIS_CLUSTER_ADDRS.
// It is the one place that knows the deployment.
func redisOptions(cfg config.Config) *redis.UniversalOptions {
	o := &redis.UniversalOptions{Password: cfg.RedisPassword, DB: cfg.RedisDB,
		DialTimeout: redisTimeout, ReadTimeout: redisTimeout, WriteTimeout: redisTimeout,
		ReadBufferSize: redisBuffer, WriteBufferSize: redisBuffer, PipelineReadBufferSize: redisBuffer, PipelineWriteBufferSize: redisBuffer}
	switch cfg.RedisMode() {
	case config.RedisSentinel:
		o.Addrs, o.MasterName, o.SentinelPassword = cfg.RedisSentinelList(), cfg.RedisSentinelMaster, cfg.RedisSentinelPassword
	case config.RedisCluster:
		o.Addrs, o.IsClusterMode, o.DB = cfg.RedisClusterList(), true, 0 // a cluster has database 0 only
	default:
		o.Addrs = []string{cfg.RedisAddr}
	}
	return o
}

// NewRedis returns the Redis client of the configuration: a *redis.Client,
// a failover client (Sentinel) or a cluster client, as go-redis picks it
// from redisOptions.
func NewRedis(cfg config.Config) redis.UniversalClient {
	return redis.NewUniversalClient(redisOptions(cfg))
}

// NewWriter returns the InfluxDB writer of the configuration.
func NewWriter(cfg config.Config) (*influx.Writer, error) {
	return influx.NewWriter(influx.Options{URL: cfg.DBURL, Token: cfg.DBToken, Org: cfg.DBOrg, Bucket: cfg.DBBucket,
		CAFile: cfg.DBCAFile, InsecureSkipVerify: !cfg.DBTLSVerify && cfg.DBCAFile == "",
		MaxConcurrentWrites: cfg.DBWrites, UseGzip: cfg.DBGzip})
}

// InfluxCheck is discovery's InfluxDB dependency: the server answers
// /health and the token may write to the bucket, so a revoked token or a
// missing database shows as InfluxDB failing, with the reason.
func InfluxCheck(w *influx.Writer) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := w.Health(ctx); err != nil {
			return err
		}
		return w.CheckWrite(ctx)
	}
}

// NewOrchestrator returns the Orchestrator client of the configuration,
// paced by ORCH_RATE_LIMIT and ORCH_MAX_CONCURRENCY.
func NewOrchestrator(cfg config.Config) (*orchestrator.Client, error) {
	return newOrchestrator(cfg, nil)
}

// newOrchestrator is NewOrchestrator whose waits for a turn feed m's
// histogram (m may be nil).
func newOrchestrator(cfg config.Config, m *metrics.Metrics) (*orchestrator.Client, error) {
	return NewOrchestratorClient(cfg, config.Orchestrator{URL: cfg.OrchURL, APIKey: cfg.OrchAPIKey, User: cfg.OrchUser,
		Password: cfg.OrchPassword, LoginType: cfg.OrchLoginType, TLSVerify: cfg.OrchTLSVerify, CAFile: cfg.OrchCAFile}, m)
}

// NewOrchestratorClient returns the client of one Orchestrator of the
// configuration (config.Config.Orchestrators), with its own limiter:
// ORCH_RATE_LIMIT and ORCH_MAX_CONCURRENCY apply per Orchestrator. Waits
// for a turn feed m's histogram (m may be nil).
func NewOrchestratorClient(cfg config.Config, o config.Orchestrator, m *metrics.Metrics) (*orchestrator.Client, error) {
	lim, err := NewOrchestratorLimiter(cfg, m)
	if err != nil {
		return nil, err
	}
	lt, err := orchestrator.ParseLoginType(o.LoginType)
	if err != nil {
		return nil, fmt.Errorf("login type: %w", err)
	}
	return orchestrator.New(orchestrator.Options{
		URL: o.URL, APIKey: o.APIKey, User: o.User, Password: o.Password, LoginType: lt,
		InsecureSkipVerify: !o.TLSVerify && o.CAFile == "", CAFile: o.CAFile,
		Limiter: lim,
	})
}

// RedisCheck pings Redis.
func RedisCheck(rdb redis.UniversalClient) func(context.Context) error {
	return func(ctx context.Context) error { return rdb.Ping(ctx).Err() }
}

// Deps are what the processes share: logger, metrics, Redis, InfluxDB, and
// the clock (time.Now unless a test or the demo sets it).
type Deps struct {
	Log     zerolog.Logger
	Metrics *metrics.Metrics
	Redis   redis.UniversalClient
	Writer  *influx.Writer
	Now     func() time.Time
}

// NewDiscovery wires a Discovery from the configuration.
func NewDiscovery(cfg config.Config, d Deps) (*discovery.Discovery, error) {
	log, m, rdb, w := d.Log, d.Metrics, d.Redis, d.Writer
	orchs, err := cfg.Orchestrators()
	if err != nil {
		return nil, err
	}
	var sources []discovery.Source
	for _, o := range orchs {
		oc, err := NewOrchestratorClient(cfg, o, m)
		if err != nil {
			return nil, fmt.Errorf("orchestrator %s: %w", o.Name, err)
		}
		if !o.TLSVerify && o.CAFile == "" {
			log.Warn().Str("orchestrator", o.Name).Msg("Orchestrator TLS certificate is not verified (ORCH_TLS_VERIFY=false or tls_verify: false), as in the Python demo")
		}
		sources = append(sources, discovery.Source{Name: o.Name, Orchestrator: discovery.OrchestratorClient{Client: oc},
			LimitFile: o.LimitFile, CollectAll: o.CollectAll, Scoped: !o.Legacy, State: discovery.OrchestratorClient{Client: oc}})
	}
	return discovery.New(discovery.Options{
		Sources:     sources,
		Queue:       discovery.NewAsynqQueue(rdb, cfg.Queue),
		Cycles:      &tasks.RedisCycles{Client: rdb},
		StatusBoard: &tasks.RedisStatusBoard{Client: rdb},
		Marker:      &tasks.RedisMarker{Client: rdb}, RecoveryWindow: cfg.BackfillMax,
		Checks: []discovery.Check{
			{Name: "influxdb", Fn: InfluxCheck(w)},
			{Name: "redis", Fn: RedisCheck(rdb)},
		},
		Interval: cfg.DiscoveryInterval,
		Spread:   cfg.DiscoverySpread, Logger: log, Metrics: m, Now: d.Now,
		Sink: w, BGPBudget: BGPBudget(cfg), JobTimeout: cfg.JobTimeout,
	})
}

// BGPBudget is how many appliances' BGP state discovery reads per cycle
// and Orchestrator: what ORCH_RATE_LIMIT lets through in half an interval
// (the reads must end within the interval, beside the inventory reads), or
// every appliance when the rate is unlimited.
func BGPBudget(cfg config.Config) int {
	if cfg.OrchRateLimit <= 0 {
		return 0
	}
	return max(1, int(float64(cfg.OrchRateLimit)*cfg.DiscoveryInterval.Seconds()/2))
}

// Worker is a worker process's moving parts: the asynq server with its
// handler, and the spool replayer.
type Worker struct {
	Server *asynq.Server
	Mux    *asynq.ServeMux
	Spool  *spool.Spool // nil when SPOOL_MAX_ENTRIES is 0
	// Outputs delivers to the secondary outputs; nil when OUTPUTS lists
	// only influxdb.
	Outputs *outputs.Fanout

	writer  spool.Writer
	every   time.Duration
	cancel  context.CancelFunc
	stopped chan struct{}
}

// Start starts processing tasks and, with a spool, replaying it every
// SPOOL_REPLAY_INTERVAL until Shutdown.
func (w *Worker) Start(ctx context.Context) error {
	if err := w.Server.Start(w.Mux); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	ctx, w.cancel = context.WithCancel(ctx)
	w.stopped = make(chan struct{})
	var wg sync.WaitGroup
	if w.Spool != nil {
		wg.Go(func() { w.Spool.Run(ctx, w.writer, w.every) })
	}
	if w.Outputs != nil {
		wg.Go(func() { w.Outputs.Run(ctx) })
	}
	go func() {
		defer close(w.stopped)
		wg.Wait()
	}()
	return nil
}

// Shutdown lets running jobs finish (up to SHUTDOWN_TIMEOUT), stops the
// replayer and closes the secondary outputs (what they still queue is
// dropped and counted).
func (w *Worker) Shutdown() {
	w.Server.Shutdown()
	if w.cancel != nil {
		w.cancel()
		<-w.stopped
	}
}

// tlsHandshakeCounter counts appliance TLS handshakes in m, or nothing
// without metrics.
func tlsHandshakeCounter(m *metrics.Metrics) func(resumed bool, keyExchange tls.CurveID) {
	if m == nil {
		return nil
	}
	return func(r bool, kx tls.CurveID) {
		session, name := "full", "none"
		if r {
			session = "resumed"
		}
		if kx != 0 {
			name = kx.String()
		}
		m.TLSHandshakes.WithLabelValues(session, name).Inc()
	}
}

// tlsEvictionCounter counts the TLS sessions evicted in m, or nothing
// without metrics.
func tlsEvictionCounter(m *metrics.Metrics) func() {
	if m == nil {
		return nil
	}
	return m.TLSEvictions.Inc
}

// NewWorker wires the asynq server, the handler and the spool from the
// configuration.
func NewWorker(cfg config.Config, d Deps) (*Worker, error) {
	log, m, rdb, w := d.Log, d.Metrics, d.Redis, d.Writer
	curves, err := cfg.ECCurves()
	if err != nil {
		return nil, err
	}
	tr, err := edgeconnect.NewTransport(edgeconnect.TransportOptions{
		InsecureSkipVerify: !cfg.ECTLSVerify && cfg.ECCAFile == "", CAFile: cfg.ECCAFile,
		MaxConnsPerHost: cfg.ECConnections, SessionCache: cfg.ECTLSSessions, Curves: curves,
		OnHandshake: tlsHandshakeCounter(m), OnSessionEvicted: tlsEvictionCounter(m),
	})
	if err != nil {
		return nil, err
	}
	if !cfg.ECTLSVerify && cfg.ECCAFile == "" {
		log.Warn().Msg("appliance TLS certificates are not verified (EC_TLS_VERIFY=false), as in the Python demo")
	}
	reach, err := worker.NewReacher(cfg.Reachability, time.Duration(cfg.ECTimeout)*time.Second)
	if err != nil {
		return nil, err
	}
	var sp *spool.Spool
	var spooler worker.Spooler // stays a nil interface without a spool
	if cfg.SpoolMaxEntries > 0 {
		sp, err = spool.New(spool.Options{Client: rdb, MaxEntries: cfg.SpoolMaxEntries,
			Logger: log.With().Str("component", "spool").Logger(), Metrics: m})
		if err != nil {
			return nil, err
		}
		spooler = sp
	}
	plan, err := cfg.SourcePlan()
	if err != nil {
		return nil, err
	}
	if cfg.SourcesDisabled != "" || cfg.SourceIntervals != "" {
		log.Info().Str("sources", plan.String()).Msg("per-source plan (SOURCES_DISABLED, SOURCE_INTERVALS)")
	}
	fo, err := NewOutputs(cfg, log, m)
	if err != nil {
		return nil, err
	}
	var outs worker.Outputs // stays a nil interface without secondary outputs
	if fo != nil {
		outs = fo
	}
	def, routes, err := NewRoutes(cfg, m)
	if err != nil {
		return nil, err
	}
	creds, err := cfg.ApplianceCredentials()
	if err != nil {
		return nil, err
	}
	if len(creds.Entries) > 0 {
		log.Info().Int("entries", len(creds.Entries)).Msg("appliance logins per subnet (EC_CREDENTIALS_FILE), else EC_USER")
	}
	if cfg.CollectVia != config.ViaDirect || len(routes) > 0 {
		log.Info().Str("collect_via", cfg.CollectVia).Bool("passthrough_minute_stats", cfg.PassthroughMinuteStats).
			Int("orch_rate_limit", cfg.OrchRateLimit).Int("orch_max_concurrency", cfg.OrchMaxConcurrency).Int("orchestrators_relayed", len(routes)).
			Msg("reading appliances through the Orchestrator's pass-through (COLLECT_VIA)")
		if orchs, _ := cfg.Orchestrators(); cfg.NeedsOrchestrators(orchs) {
			for _, o := range orchs {
				if cfg.CollectViaOf(o) != config.ViaDirect && !o.TLSVerify && o.CAFile == "" {
					log.Warn().Str("orchestrator", o.Name).Msg("Orchestrator TLS certificate is not verified (ORCH_TLS_VERIFY=false or tls_verify: false), as in the Python demo")
				}
			}
		}
	}
	h, err := worker.New(worker.Options{
		CollectVia: def.CollectVia, Relay: def.Relay, Routes: routes, PassthroughMinuteStats: cfg.PassthroughMinuteStats,
		Sources: plan, SourceTimes: &worker.RedisSourceTimes{Client: rdb},
		Dial: ApplianceDialer(creds, edgeconnect.Options{Transport: tr, Timeout: cfg.ECRequestTimeout,
			ArchiveTimeout: cfg.ECArchiveTimeout}),
		Sink: w, Reacher: reach, Watermarks: &worker.RedisWatermarks{Client: rdb}, AlarmMemory: &worker.RedisAlarmMemory{Client: rdb},
		StatusBoard: &tasks.RedisStatusBoard{Client: rdb}, Redis: rdb,
		Cycles: &tasks.RedisCycles{Client: rdb}, Spool: spooler, Outputs: outs, Metrics: m, Logger: log,
		JobTimeout: cfg.JobTimeout, SourceTimeout: cfg.ECRequestTimeout * 2, Connections: cfg.ECConnections,
		BackfillMax: cfg.BackfillMax, FirstContact: cfg.FirstContactMins, MaxArchivePoints: cfg.MinuteMaxPoints, MinuteStatsJobs: min(cfg.MinuteStatsJobs, cfg.WorkerConcurrency), Now: d.Now,
		Status: statusThresholds(cfg),
	})
	if err != nil {
		return nil, err
	}
	if m != nil {
		m.JobSlots.Set(float64(cfg.WorkerConcurrency))
	}
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Concurrency:     cfg.WorkerConcurrency,
		Queues:          map[string]int{cfg.Queue: 1},
		ShutdownTimeout: cfg.ShutdownTimeout,
		Logger:          asynqLogger{log.With().Str("component", "asynq").Logger()},
		LogLevel:        asynq.WarnLevel,
	})
	mux := asynq.NewServeMux()
	mux.Handle(tasks.TypeAppliancePoll, h)
	return &Worker{Server: srv, Mux: mux, Spool: sp, Outputs: fo, writer: w, every: cfg.SpoolReplay}, nil
}

// statusThresholds maps STATUS_STALE_AFTER and STATUS_TUNNELS_DOWN to the
// worker's thresholds (where 0 tunnels means the default, negative never).
func statusThresholds(cfg config.Config) worker.StatusThresholds {
	th := worker.StatusThresholds{StaleAfter: cfg.StatusStaleAfter, TunnelsDown: cfg.StatusTunnelsDown}
	if th.TunnelsDown == 0 {
		th.TunnelsDown = -1
	}
	return th
}

// asynqLogger routes asynq's own messages through zerolog.
type asynqLogger struct{ l zerolog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug().Msg(fmt.Sprint(args...)) }
func (a asynqLogger) Info(args ...any)  { a.l.Info().Msg(fmt.Sprint(args...)) }
func (a asynqLogger) Warn(args ...any) {
	msg := fmt.Sprint(args...)
	if strings.HasPrefix(msg, "revoke task") {
		// A failed job is revoked on purpose (the next cycle retries it)
		// and the handler has already logged why, naming the appliance.
		a.l.Debug().Msg(msg)
		return
	}
	a.l.Warn().Msg(msg)
}
func (a asynqLogger) Error(args ...any) { a.l.Error().Msg(fmt.Sprint(args...)) }
func (a asynqLogger) Fatal(args ...any) { a.l.Error().Msg(fmt.Sprint(args...)) }

// StartSelfMetrics exports m's registry and the Go runtime metrics by OTLP
// (OTLP_SELF_METRICS=true) until stop, which sends the last export,
// waiting at most 5 s. The SDK's export errors are logged as warnings.
func StartSelfMetrics(ctx context.Context, log zerolog.Logger, m *metrics.Metrics) (stop func(), err error) {
	l := log.With().Str("component", "otlp-self-metrics").Logger()
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		l.Warn().Err(err).Msg("OTLP export of the own metrics failed")
	}))
	shutdown, err := outputs.StartSelfMetrics(ctx, m.Registry)
	if err != nil {
		return nil, fmt.Errorf("OTLP_SELF_METRICS: %w", err)
	}
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdown(sctx); err != nil {
			l.Warn().Err(err).Msg("last OTLP export of the own metrics failed")
		}
	}, nil
}

// RouteRedisLogs sends go-redis's own messages (dial failures and the
// like, which it prints on stderr by default) to log at debug level: the
// Redis check and the callers already report Redis being down. go-redis
// keeps one logger per process.
func RouteRedisLogs(log zerolog.Logger) {
	redis.SetLogger(redisLogger{log.With().Str("component", "go-redis").Logger()})
}

// redisLogger adapts zerolog to go-redis's logging interface.
type redisLogger struct{ l zerolog.Logger }

func (r redisLogger) Printf(_ context.Context, format string, v ...any) {
	r.l.Debug().Str("detail", strings.TrimSpace(fmt.Sprintf(format, v...))).Msg("go-redis")
}

// Start builds what every long-running process shares — the root logger,
// metrics (with the queue-depth collector), the Redis client and the
// InfluxDB writer — and serves /metrics and /healthz on METRICS_ADDR until
// ctx ends. stop releases everything.
func Start(ctx context.Context, cfg config.Config, service string, stdout io.Writer) (d Deps, stop func(), err error) {
	log, closeLog, err := NewLogger(cfg, service, stdout)
	if err != nil {
		return Deps{}, nil, err
	}
	w, err := NewWriter(cfg)
	if err != nil {
		closeLog()
		return Deps{}, nil, err
	}
	if u, perr := url.Parse(cfg.DBURL); perr == nil && u.Scheme == "https" && !cfg.DBTLSVerify && cfg.DBCAFile == "" {
		log.Warn().Msg("InfluxDB TLS certificate is not verified (DB_TLS_VERIFY=false)")
	}
	RouteRedisLogs(log)
	rdb := NewRedis(cfg)
	m := metrics.New()
	m.Registry.MustRegister(metrics.NewQueueCollector(rdb, cfg.Queue))
	stopSelf := func() {}
	if cfg.OTLPSelfMetrics {
		stopSelf, err = StartSelfMetrics(ctx, log, m)
		if err != nil {
			rdb.Close()
			w.Close()
			closeLog()
			return Deps{}, nil, err
		}
	}
	mctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := metrics.Serve(mctx, cfg.MetricsAddr, m.Registry, RedisCheck(rdb), cfg.MetricsPprof); err != nil {
			log.Error().Err(err).Str("addr", cfg.MetricsAddr).Msg("metrics server stopped")
		}
	}()
	stop = func() {
		cancel()
		<-done
		stopSelf()
		w.Close()
		rdb.Close()
		closeLog()
	}
	return Deps{Log: log, Metrics: m, Redis: rdb, Writer: w}, stop, nil
}
