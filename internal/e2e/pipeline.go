package e2e

import (
	"context"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/ec-telemetry/ec-telemetry/discovery"
	"github.com/ec-telemetry/ec-telemetry/influx"
	"github.com/ec-telemetry/ec-telemetry/internal/app"
	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/metrics"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// Clock is a settable clock shared by the simulator, discovery and workers.
type Clock = simulator.Clock

// Options configures Start.
type Options struct {
	Appliances int   // default 8
	Seed       int64 // default 11
	Workers    int   // worker servers; default 2
	Faults     simulator.Faults
	// Influx, when set, is used instead of a new InfluxDB.
	Influx *testenv.InfluxDB
	// Config adjusts the configuration before it is validated.
	Config func(*config.Config)
	// Clock, when set, is the pipeline's clock (for simulators of more
	// Orchestrators built by the test).
	Clock *Clock
}

// StartEnv names the environment variable that pins the time NewClock
// starts at (RFC 3339, e.g. 2026-12-01T12:13:00Z; truncated to the
// minute), to replay a test that failed at a given time: the simulator's
// alarms, tunnel outages and counters follow the clock.
const StartEnv = "EC_E2E_START"

// NewClock returns a clock at the current minute's boundary, or at the
// minute StartEnv gives. It panics on a StartEnv that is not RFC 3339 or
// lies in the future: points written after now are invisible to queries
// bounded by now().
func NewClock() *Clock {
	now := time.Now().UTC()
	t := now
	if v := os.Getenv(StartEnv); v != "" {
		var err error
		if t, err = time.Parse(time.RFC3339, v); err != nil {
			panic(fmt.Sprintf("%s: %v", StartEnv, err))
		}
		if t.After(now) {
			panic(fmt.Sprintf("%s=%s lies in the future", StartEnv, v))
		}
	}
	return simulator.NewClock(t.UTC().Truncate(time.Minute))
}

// Pipeline is a running pipeline.
type Pipeline struct {
	t        testing.TB
	Clock    *Clock
	Sim      *simulator.Simulator
	Redis    *testenv.Redis
	Influx   *testenv.InfluxDB
	Config   config.Config
	Logs     *testenv.LogBuffer
	rdb      redis.UniversalClient
	writer   *influx.Writer
	disc     *discovery.Discovery
	cycles   *tasks.RedisCycles
	servers  []*app.Worker
	nWorkers int
}

// Start starts Redis, InfluxDB, the simulator and the worker servers, and
// builds discovery. The clock starts at the current minute's boundary, not
// in the future, so the points of the first cycle are visible to queries
// bounded by now().
func Start(t testing.TB, o Options) *Pipeline {
	t.Helper()
	if o.Appliances == 0 {
		o.Appliances = 8
	}
	if o.Seed == 0 {
		o.Seed = 11
	}
	if o.Workers == 0 {
		o.Workers = 2
	}
	clock := o.Clock
	if clock == nil {
		clock = NewClock()
	}
	start := clock.Now().Format(time.RFC3339)
	t.Logf("e2e: clock starts at %s (%s=%s replays this run)", start, StartEnv, start)
	p := &Pipeline{t: t, Clock: clock, Logs: &testenv.LogBuffer{}, nWorkers: o.Workers}
	p.Redis = testenv.StartRedis(t)
	p.Influx = o.Influx
	if p.Influx == nil {
		p.Influx = testenv.StartInfluxDB(t)
	}
	sim, err := simulator.New(simulator.Config{Appliances: o.Appliances, Seed: o.Seed, Now: clock.Now, Faults: o.Faults})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	p.Sim = sim

	cfg, err := config.Load() // defaults; the environment of the test process is not used below
	if err != nil {
		t.Fatal(err)
	}
	cfg.OrchURL, cfg.OrchAPIKey, cfg.OrchUser, cfg.OrchPassword = sim.OrchestratorURL(), simulator.DefaultAPIKey, "", ""
	cfg.ECUser, cfg.ECPassword = simulator.DefaultECUser, simulator.DefaultECPassword
	cfg.DBURL, cfg.DBToken, cfg.DBOrg, cfg.DBBucket = p.Influx.URL, "", "", p.Influx.Database
	cfg.RedisAddr, cfg.RedisPassword, cfg.RedisDB = p.Redis.Addr, "", 0
	cfg.CollectAll, cfg.DiscoverySpread, cfg.Reachability = true, false, config.ReachTCP
	cfg.ECTimeout, cfg.ECRequestTimeout, cfg.ECArchiveTimeout = 1, 2*time.Second, 5*time.Second
	cfg.JobTimeout, cfg.ShutdownTimeout, cfg.WorkerConcurrency = 15*time.Second, 5*time.Second, 4
	cfg.MetricsAddr, cfg.LogFile, cfg.LogLevel = "", "", "DEBUG"
	if o.Config != nil {
		o.Config(&cfg)
	}
	if err := cfg.Validate(config.RoleAll); err != nil {
		t.Fatal(err)
	}
	p.Config = cfg
	p.rdb = app.NewRedis(cfg)
	t.Cleanup(func() { p.rdb.Close() })
	p.writer, err = app.NewWriter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p.cycles = &tasks.RedisCycles{Client: p.rdb}
	p.disc, err = app.NewDiscovery(cfg, p.deps("discovery"))
	if err != nil {
		t.Fatal(err)
	}
	p.StartWorkers()
	t.Cleanup(p.StopWorkers)
	return p
}

func (p *Pipeline) deps(service string) app.Deps {
	log := zerolog.New(p.Logs).With().Timestamp().Str("service", service).Logger()
	return app.Deps{Log: log, Metrics: metrics.New(), Redis: p.rdb, Writer: p.writer, Now: p.Clock.Now}
}

// StartWorkers starts the worker servers (two by default).
func (p *Pipeline) StartWorkers() {
	p.t.Helper()
	for i := 0; i < p.nWorkers; i++ {
		wk, err := app.NewWorker(p.Config, p.deps(fmt.Sprintf("worker-%d", i+1)))
		if err != nil {
			p.t.Fatal(err)
		}
		if err := wk.Start(context.Background()); err != nil {
			p.t.Fatal(err)
		}
		p.servers = append(p.servers, wk)
	}
}

// StopWorkers shuts the worker servers down (running jobs finish first).
func (p *Pipeline) StopWorkers() {
	for _, s := range p.servers {
		s.Shutdown()
	}
	p.servers = nil
}

// Cycle runs one discovery cycle at the clock's time and returns its
// summary.
func (p *Pipeline) Cycle(ctx context.Context) discovery.Summary {
	p.t.Helper()
	sum, err := p.disc.Cycle(ctx, p.Clock.Now())
	if err != nil {
		p.t.Fatalf("discovery cycle: %v", err)
	}
	return sum
}

// WaitCycle waits until every job queued by the cycle has reported, at most
// timeout, and returns the cycle's counters.
func (p *Pipeline) WaitCycle(ctx context.Context, cycle int64, timeout time.Duration) tasks.CycleStats {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s, err := p.cycles.Get(ctx, cycle)
		if err != nil {
			p.t.Fatal(err)
		}
		if s.Done() {
			return s
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("cycle %d not finished after %s: %+v", cycle, timeout, s)
		}
		select {
		case <-ctx.Done():
			p.t.Fatal(ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// WaitIdle waits until no task is pending, scheduled or running, at most
// timeout.
func (p *Pipeline) WaitIdle(ctx context.Context, timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		d, err := metrics.QueueDepths(ctx, p.rdb, p.Config.Queue)
		if err == nil && d["pending"] == 0 && d["active"] == 0 {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("queue not idle after %s: pending %d active %d (%v)", timeout, d["pending"], d["active"], err)
		}
		select {
		case <-ctx.Done():
			p.t.Fatal(ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Collected returns the hostnames of the appliances the pipeline logged in
// to at least once (their sessions were opened), sorted.
func (p *Pipeline) Collected() []string {
	var out []string
	for _, a := range p.Sim.Appliances() {
		if st, err := p.Sim.Stats(a.ID); err == nil && st.Logins > 0 {
			out = append(out, a.Hostname)
		}
	}
	sort.Strings(out)
	return out
}

// RunCycles runs n cycles one simulated minute apart and waits for each.
func (p *Pipeline) RunCycles(ctx context.Context, n int) {
	p.t.Helper()
	for i := 0; i < n; i++ {
		if i > 0 {
			p.Clock.Add(time.Minute)
		}
		sum := p.Cycle(ctx)
		p.WaitCycle(ctx, sum.Cycle, 60*time.Second)
	}
}
