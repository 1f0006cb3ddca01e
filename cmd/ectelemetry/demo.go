package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/app"
	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
)

const demoQuery = `SELECT last("pps") FROM "realtime" WHERE time > now() - 5m GROUP BY "hostname"`

func runDemo(ctx context.Context, e env) error {
	fs := newFlagSet(e, "demo", "demo [flags]\n\nRuns a simulated Orchestrator with appliances, discovery and a worker in one process,\n"+
		"writing to the InfluxDB at DB_URL (database DB_BUCKET) through the Redis at REDIS_ADDR.\n"+
		"'make demo' starts a local redis-server and influxd and runs this.")
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
	fmt.Fprintf(e.stdout, "\nec-telemetry demo\n"+
		"  simulated Orchestrator  %s (%d appliances, %d reachable)\n"+
		"  Redis                   %s\n"+
		"  InfluxDB                %s  database/bucket %q\n"+
		"  metrics                 http://%s/metrics\n"+
		"A cycle starts at every full minute; each logs 'discovery cycle', then 'cycle summary' once its jobs are done.\n\n",
		sim.OrchestratorURL(), *n, reachable, cfg.RedisAddr, cfg.DBURL, cfg.DBBucket, cfg.MetricsAddr)

	cyc := &tasks.RedisCycles{Client: rdb}
	for i := 0; *cycles == 0 || i < *cycles; i++ {
		start := time.Now()
		sum, err := d.Cycle(ctx, start)
		if ctx.Err() != nil {
			break
		}
		if err != nil {
			log.Error().Err(err).Msg("discovery cycle failed")
		}
		if i == 0 && err == nil {
			waitCycle(ctx, cyc, sum.Cycle, cfg.JobTimeout+10*time.Second)
			showData(ctx, e.stdout, cfg)
		}
		if *cycles != 0 && i == *cycles-1 {
			waitCycle(ctx, cyc, sum.Cycle, cfg.JobTimeout+10*time.Second)
			d.ReportFinished(ctx)
			break
		}
		next := start.Truncate(cfg.DiscoveryInterval).Add(cfg.DiscoveryInterval)
		select {
		case <-ctx.Done():
		case <-time.After(time.Until(next)):
		}
		if ctx.Err() != nil {
			break
		}
	}
	log.Info().Msg("demo stopping")
	return nil
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

// showData prints what the first cycle stored, through InfluxQL, and the
// command to run the same query yourself.
func showData(ctx context.Context, out io.Writer, cfg config.Config) {
	db := strings.SplitN(cfg.DBBucket, "/", 2)[0]
	q := url.Values{"db": {db}, "q": {`SELECT count("bytes_tx") FROM "interface_stats" WHERE time > now() - 1h GROUP BY "hostname"`}}
	fmt.Fprintf(out, "\nData is in InfluxDB. Try it yourself:\n  curl -sG '%s/query' --data-urlencode 'db=%s' --data-urlencode 'q=%s'\n\n",
		strings.TrimRight(cfg.DBURL, "/"), db, demoQuery)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(cfg.DBURL, "/")+"/query?"+q.Encode(), nil)
	if err != nil {
		return
	}
	if cfg.DBToken != "" {
		req.Header.Set("Authorization", "Token "+cfg.DBToken)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(out, "(query failed: %v)\n", err)
		return
	}
	defer resp.Body.Close()
	var body struct {
		Results []struct {
			Series []struct {
				Tags   map[string]string `json:"tags"`
				Values [][]any           `json:"values"`
			} `json:"series"`
			Error string `json:"error"`
		} `json:"results"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil || len(body.Results) == 0 {
		fmt.Fprintf(out, "(query answered status %d)\n", resp.StatusCode)
		return
	}
	if e := body.Results[0].Error; e != "" {
		fmt.Fprintf(out, "(query error: %s)\n", e)
		return
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  appliance\tinterface_stats points in the last hour")
	for _, s := range body.Results[0].Series {
		if len(s.Values) > 0 && len(s.Values[0]) > 1 {
			fmt.Fprintf(tw, "  %s\t%v\n", s.Tags["hostname"], s.Values[0][1])
		}
	}
	tw.Flush()
	fmt.Fprintln(out)
}
