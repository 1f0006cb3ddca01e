package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/app"
	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/redact"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
)

const demoQuery = `SELECT last("pps") FROM "realtime" WHERE time > now() - 5m GROUP BY "hostname"`

func runDemo(ctx context.Context, e env) error {
	fs := newFlagSet(e, "demo", "demo [flags]\n\nRuns a simulated Orchestrator with appliances, discovery and a worker in one process,\n"+
		"writing to the InfluxDB at DB_URL (database DB_BUCKET) through the Redis at REDIS_ADDR.\n"+
		"The first cycle starts at the next interval boundary (full minute), like every cycle.\n"+
		"'make demo' starts a local redis-server and influxd (data in ~/.cache/ec-telemetry/state,\n"+
		"removed before each run unless ARGS=--keep-state) and runs this.")
	n := fs.Int("appliances", 20, "number of simulated appliances")
	seed := fs.Int64("seed", 1, "simulator seed (same seed, same fleet)")
	cycles := fs.Int("cycles", 0, "stop after this many discovery cycles (0: run until interrupted)")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if *n < 1 || *n > 10000 {
		return fmt.Errorf("--appliances %d must be between 1 and 10000: %w", *n, errUsage)
	}
	sim, err := simulator.New(simulator.Config{Appliances: *n, Seed: *seed, Faults: simulator.Faults{UnreachableFraction: 0.05}})
	if err != nil {
		return err
	}
	if err := sim.Start(ctx); err != nil {
		return err
	}
	defer sim.Close()

	// The simulator is the Orchestrator; everything else comes from the
	// environment (REDIS_ADDR, DB_URL, ...), with demo-friendly defaults.
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	cfg.OrchURL, cfg.OrchAPIKey, cfg.OrchUser, cfg.OrchPassword = sim.OrchestratorURL(), simulator.DefaultAPIKey, "", ""
	cfg.ECUser, cfg.ECPassword = simulator.DefaultECUser, simulator.DefaultECPassword
	cfg.CollectAll, cfg.Reachability = true, config.ReachTCP
	if os.Getenv("LOG_FORMAT") == "" {
		cfg.LogFormat = "console"
	}
	if os.Getenv("METRICS_ADDR") == "" {
		cfg.MetricsAddr = "127.0.0.1:9090"
	}
	if err := cfg.Validate(config.RoleAll); err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	deps, stop, err := app.Start(ctx, cfg, "demo", e.stdout)
	if err != nil {
		return err
	}
	defer stop()
	log := deps.Log
	rdb := deps.Redis
	d, err := app.NewDiscovery(cfg, deps)
	if err != nil {
		return err
	}
	wk, err := app.NewWorker(cfg, deps)
	if err != nil {
		return err
	}
	if err := wk.Start(ctx); err != nil {
		return err
	}
	defer wk.Shutdown()
	reachable := 0
	for _, a := range sim.Appliances() {
		if a.Reachable {
			reachable++
		}
	}
	first := nextBoundary(wallClock.now(), cfg.DiscoveryInterval)
	fmt.Fprintf(e.stdout, "\nec-telemetry demo\n"+
		"  simulated Orchestrator  %s (%d appliances, %d reachable)\n"+
		"  Redis                   %s\n"+
		"  InfluxDB                %s  database/bucket %q\n"+
		"  metrics                 http://%s/metrics\n"+
		"A cycle starts at every %s, the first at %s (in %s); each logs 'discovery cycle',\n"+
		"then 'cycle summary' once its jobs are done. Durations in the logs are milliseconds.\n\n",
		sim.OrchestratorURL(), *n, reachable, redact.URL(cfg.RedisAddr), redact.URL(cfg.DBURL), cfg.DBBucket, cfg.MetricsAddr,
		everyText(cfg.DiscoveryInterval), first.Format("15:04:05"), time.Until(first).Round(time.Second))

	cyc := &tasks.RedisCycles{Client: rdb}
	var before map[string]int64 // points per appliance before the first cycle
	runCycles(ctx, wallClock, cfg.DiscoveryInterval, *cycles, func(i int, start time.Time) bool {
		if i == 0 {
			before, _ = countPoints(ctx, cfg)
		}
		sum, err := d.Cycle(ctx, start)
		if ctx.Err() != nil {
			return false
		}
		if err != nil {
			log.Error().Err(err).Msg("discovery cycle failed")
			return true
		}
		last := *cycles != 0 && i == *cycles-1
		if i == 0 || last {
			waitCycle(ctx, cyc, sum.Cycle, cfg.JobTimeout+10*time.Second)
		}
		if i == 0 && ctx.Err() == nil {
			showData(ctx, e.stdout, cfg, time.Unix(sum.Cycle, 0), before)
		}
		if last {
			d.ReportFinished(ctx)
		}
		return true
	})
	log.Info().Msg("demo stopping")
	return nil
}

// demoClock is the demo's time: the wall clock, or a test's.
type demoClock struct {
	now func() time.Time
	// sleepUntil waits until now() reaches t; false when ctx ended first.
	sleepUntil func(ctx context.Context, t time.Time) bool
}

var wallClock = demoClock{now: time.Now, sleepUntil: func(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}}

// nextBoundary is the first multiple of interval (since the Unix epoch, so
// full minutes for 60 s) after t.
func nextBoundary(t time.Time, interval time.Duration) time.Time {
	return t.Truncate(interval).Add(interval)
}

// runCycles calls cycle at every interval boundary, the first one at the
// next boundary, so that every cycle (the first included) starts on a full
// interval as the banner says. It stops when ctx ends, when cycle returns
// false, or after n cycles (n 0: no limit).
func runCycles(ctx context.Context, c demoClock, interval time.Duration, n int, cycle func(i int, start time.Time) bool) {
	next := nextBoundary(c.now(), interval)
	for i := 0; n == 0 || i < n; i++ {
		if !c.sleepUntil(ctx, next) || ctx.Err() != nil {
			return
		}
		if !cycle(i, next) {
			return
		}
		next = nextBoundary(c.now(), interval)
	}
}

// waitCycle waits until every job of the cycle has reported.
func waitCycle(ctx context.Context, c *tasks.RedisCycles, cycle int64, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if s, err := c.Get(ctx, cycle); err == nil && s.Done() {
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// everyText names the interval in the banner: "full minute" for 60 s.
func everyText(d time.Duration) string {
	if d == time.Minute {
		return "full minute"
	}
	return d.String() + " boundary"
}

// pointsQuery counts the interface_stats points of each appliance, all
// time: minute statistics carry the appliance's timestamps (the minutes the
// first cycle fetched lie before it), so no time window can single out one
// cycle's points. showData subtracts the counts from before the cycle.
const pointsQuery = `SELECT count("bytes_tx") FROM "interface_stats" GROUP BY "hostname"`

// countPoints runs pointsQuery: points per hostname.
func countPoints(ctx context.Context, cfg config.Config) (map[string]int64, error) {
	series, err := influxQL(ctx, cfg, pointsQuery)
	if err != nil {
		return nil, err
	}
	counts := map[string]int64{}
	for _, s := range series {
		if len(s.Values) > 0 && len(s.Values[0]) > 1 {
			if n, ok := s.Values[0][1].(float64); ok {
				counts[s.Tags["hostname"]] = int64(n)
			}
		}
	}
	return counts, nil
}

// showData prints, per appliance, the interface_stats points the first
// cycle stored (the count now minus the count before it), and the command
// to run the query yourself.
func showData(ctx context.Context, out io.Writer, cfg config.Config, cycle time.Time, before map[string]int64) {
	db := strings.SplitN(cfg.DBBucket, "/", 2)[0]
	fmt.Fprintf(out, "\nData is in InfluxDB. Try it yourself:\n  curl -sG '%s/query' --data-urlencode 'db=%s' --data-urlencode 'q=%s'\n\n",
		strings.TrimRight(redact.URL(cfg.DBURL), "/"), db, demoQuery)
	after, err := countPoints(ctx, cfg)
	if err != nil {
		fmt.Fprintf(out, "(cannot count the stored points: %v)\n", err)
		return
	}
	hosts := make([]string, 0, len(after))
	for h := range after {
		if after[h]-before[h] > 0 {
			hosts = append(hosts, h)
		}
	}
	sort.Strings(hosts)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  appliance\tinterface_stats points stored by the cycle of %s (minute statistics, the appliance's timestamps)\n", cycle.Format("15:04:05"))
	for _, h := range hosts {
		fmt.Fprintf(tw, "  %s\t%d\n", h, after[h]-before[h])
	}
	tw.Flush()
	fmt.Fprintln(out)
}
