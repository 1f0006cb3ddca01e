package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/ec-telemetry/ec-telemetry/internal/app"
	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/metrics"
	"github.com/ec-telemetry/ec-telemetry/internal/netdelay"
	"github.com/ec-telemetry/ec-telemetry/internal/redact"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
	"github.com/ec-telemetry/ec-telemetry/worker"
)

func runBench(ctx context.Context, e env) error {
	fs := newFlagSet(e, "bench", "bench [flags]\n\nMeasures the pipeline: a simulator with N appliances and discovery run in this process,\n"+
		"'ectelemetry worker' child processes (--workers) collect, writing to the InfluxDB at DB_URL through the\n"+
		"Redis at REDIS_ADDR ('make bench N=1000' starts fresh ones). Cycle 1 is the first contact\n"+
		"(3 minutes per appliance); later cycles each collect one new minute, as in steady state.")
	n := fs.Int("appliances", 100, "number of simulated appliances")
	cycles := fs.Int("cycles", 4, "cycles to run (the first is the first contact)")
	catchUp := fs.Int("catch-up-minutes", 6, "with --cycles 2 or more, run one more cycle this many minutes after the last, whose jobs each fetch as many archives: the worker CPU per point is that cycle's against the steady ones (0: no such cycle)")
	conc := fs.Int("concurrency", 0, "WORKER_CONCURRENCY of each worker process (0: the worker's default)")
	workers := fs.Int("workers", 1, "worker processes")
	latency := fs.Duration("latency", 0, "added by the simulator before every appliance response (through the Orchestrator's pass-through too), e.g. 100ms: a WAN round trip")
	handshake := fs.Duration("handshake-latency", 0, "added by the simulator before it answers a new appliance connection's TLS handshake, e.g. 200ms: the TCP and TLS round trips of a WAN connection (about twice --latency)")
	ownAddrs := fs.Bool("own-addresses", true, "each appliance listens on a loopback address of its own (127.16.0.1, 127.16.0.2, ...) with a certificate of its own, as in a fleet, so the worker keeps a TLS session per appliance; false: all on 127.0.0.1, where one cached TLS session serves them all")
	store := fs.String("store", "influxdb", "where the points go: influxdb (DB_URL) or victoriametrics (VM_URL; 'make bench' starts one), through the same InfluxDB writer")
	redisDelay := fs.Duration("redis-delay", 0, "reach Redis through a proxy in this process that holds every message this long each way, as a Redis on another host (discovery, the workers and the bench's own reads; a round trip takes twice it and about half a millisecond more; REDIS_ADDR only)")
	spread := fs.Bool("spread", false, "queue each appliance at its own offset in DISCOVERY_INTERVAL, as a deployment does (DISCOVERY_SPREAD=true), instead of the whole fleet at once: a cycle then lasts the interval, and the figures are a worker's as deployed rather than how fast it clears the fleet")
	check := fs.Bool("check-stored", true, "after the last cycle, compare every minute-statistics point the simulator expects with what InfluxDB holds")
	reach := fs.String("reachability", "tcp", "REACHABILITY of the worker process: icmp, tcp or none")
	outputs := fs.String("outputs", "influxdb", "OUTPUTS of the worker process, e.g. influxdb,mqtt,otlp (mqtt needs MQTT_URL; 'make bench' starts a mosquitto for it; otlp goes to a loopback receiver in this process)")
	via := fs.String("collect-via", "direct", "COLLECT_VIA of the worker process: direct, orchestrator or auto (through the simulated Orchestrator's pass-through, minute statistics included, no rate limit)")
	profDir := fs.String("profile", "", "write pprof profiles of the worker process to this directory: CPU for --profile-seconds from the start of cycle 2 (cycle 1 when --cycles 1), the heap and the goroutines right after it, allocations at the end; and the database's CPU over the same span (store-cpu.pprof)")
	profSecs := fs.Int("profile-seconds", 30, "length of the CPU profile")
	var workerEnv []string
	fs.Func("worker-env", "`KEY=VALUE` set in the worker processes' environment only, after everything else (repeatable), e.g. GOMEMLIMIT=140MiB, which would also reach influxd and this process through the shell", func(kv string) error {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return fmt.Errorf("%q: want KEY=VALUE", kv)
		}
		workerEnv = append(workerEnv, kv)
		return nil
	})
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if *via != config.ViaDirect && *via != config.ViaOrchestrator && *via != config.ViaAuto {
		return fmt.Errorf("--collect-via %q: use direct, orchestrator or auto: %w", *via, errUsage)
	}
	if *profSecs < 1 {
		return fmt.Errorf("--profile-seconds must be positive: %w", errUsage)
	}
	if *n < 1 || *cycles < 1 || *workers < 1 {
		return fmt.Errorf("--appliances, --cycles and --workers must be positive: %w", errUsage)
	}
	if *catchUp < 0 || *catchUp == 1 {
		return fmt.Errorf("--catch-up-minutes must be 0 or at least 2: %w", errUsage)
	}
	total := *cycles // and the catch-up cycle
	if *catchUp > 0 && *cycles >= 2 {
		total++
	}
	vmURL := e.getenv("VM_URL")
	switch {
	case *store != "influxdb" && *store != "victoriametrics":
		return fmt.Errorf("--store %q: use influxdb or victoriametrics: %w", *store, errUsage)
	case *store == "victoriametrics" && vmURL == "":
		return fmt.Errorf("--store victoriametrics needs VM_URL ('make bench' starts one): %w", errUsage)
	}
	if *latency < 0 || *conc < 0 {
		return fmt.Errorf("--latency and --concurrency must not be negative: %w", errUsage)
	}
	if (config.Config{Outputs: *outputs}).HasOutput("mqtt") && e.getenv("MQTT_URL") == "" {
		return fmt.Errorf("--outputs %s needs a broker at MQTT_URL ('make bench' starts one): %w", *outputs, errUsage)
	}
	clock := simulator.NewClock(time.Now().UTC().Truncate(time.Minute).Add(30 * time.Second))
	simCfg := simulator.Config{Appliances: *n, Seed: 1, Now: clock.Now, Faults: simulator.Faults{Appliances: simulator.Fault{Latency: *latency, HandshakeLatency: *handshake}}}
	if *ownAddrs {
		simCfg.ApplianceHosts = simulator.LoopbackHosts(*n)
	}
	sim, err := simulator.New(simCfg)
	if err != nil {
		return err
	}
	if err := sim.Start(ctx); err != nil {
		return err
	}
	defer sim.Close()
	unreachable := 0
	for _, a := range sim.Appliances() {
		if !a.Reachable {
			unreachable++
		}
	}

	cfg, err := config.Load()
	if err != nil {
		return err
	}
	cfg.OrchURL, cfg.OrchAPIKey, cfg.OrchUser, cfg.OrchPassword = sim.OrchestratorURL(), simulator.DefaultAPIKey, "", ""
	cfg.ECUser, cfg.ECPassword = simulator.DefaultECUser, simulator.DefaultECPassword
	cfg.CollectAll, cfg.DiscoverySpread = true, *spread
	cfg.Outputs = *outputs
	storePID := pidFromEnv(e.getenv, "EC_INFLUXD_PID")
	if *store == "victoriametrics" {
		// VictoriaMetrics takes InfluxDB line protocol at /api/v2/write;
		// the bucket becomes its db label.
		cfg.DBURL, cfg.DBToken, cfg.DBOrg, cfg.DBBucket = vmURL, "", "", "ectelem"
		storePID = pidFromEnv(e.getenv, "EC_VM_PID")
	}
	if err := cfg.Validate(config.RoleDiscovery); err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	var redisRTT time.Duration // through the proxy, with --redis-delay
	if *redisDelay > 0 {
		if cfg.RedisMode() != config.RedisStandalone {
			return fmt.Errorf("--redis-delay needs one Redis at REDIS_ADDR, not %s", cfg.RedisMode())
		}
		p, err := netdelay.Start(cfg.RedisAddr, *redisDelay)
		if err != nil {
			return fmt.Errorf("redis delay proxy: %w", err)
		}
		defer p.Close()
		cfg.RedisAddr = p.Addr() // the workers' too
	}
	rdb := app.NewRedis(cfg)
	defer rdb.Close()
	if *redisDelay > 0 {
		if redisRTT, err = pingTime(ctx, rdb); err != nil {
			return fmt.Errorf("redis through the delay proxy: %w", err)
		}
	}
	w, err := app.NewWriter(cfg)
	if err != nil {
		return err
	}
	defer w.Close()
	// Discovery's clock: the simulator's, which the bench sets per cycle;
	// with --spread it runs in real time from the interval's start in each
	// cycle, so that discovery paces the enqueue over the interval.
	discNow := clock.Now
	var discAhead atomic.Int64 // with --spread: how far discovery's clock is from the real one, set at each cycle's start
	var paced time.Duration    // with --spread: the interval each cycle's enqueue is spread over
	if *spread {
		paced = cfg.DiscoveryInterval
		discNow = func() time.Time { return time.Now().Add(time.Duration(discAhead.Load())) }
	}
	d, err := app.NewDiscovery(cfg, app.Deps{Log: zerolog.Nop(), Metrics: metrics.New(), Redis: rdb, Writer: w, Now: discNow})
	if err != nil {
		return err
	}

	self, err := os.Executable()
	if err != nil {
		return err
	}
	env := append(os.Environ(), "EC_USER="+cfg.ECUser, "EC_PW="+cfg.ECPassword, "REACHABILITY="+*reach,
		"OUTPUTS="+*outputs, "METRICS_ADDR=127.0.0.1:0", "LOG_LEVEL=WARN", "LOG_FILE=",
		"LOG_FORMAT=json", "ORCH_URL=", "ORCH_API_KEY=", "COLLECT_VIA="+*via,
		"DB_URL="+cfg.DBURL, "DB_TOKEN="+cfg.DBToken, "DB_ORG="+cfg.DBOrg, "DB_BUCKET="+cfg.DBBucket)
	if *redisDelay > 0 {
		env = append(env, "REDIS_ADDR="+cfg.RedisAddr)
	}
	if *conc > 0 {
		env = append(env, "WORKER_CONCURRENCY="+strconv.Itoa(*conc))
	}
	if *via != config.ViaDirect {
		// Workers read through the simulated Orchestrator: they need its
		// address and key; the bench measures CPU, so nothing paces it.
		env = append(env, "ORCH_URL="+cfg.OrchURL, "ORCH_API_KEY="+cfg.OrchAPIKey,
			"PASSTHROUGH_MINUTE_STATS=true", "ORCH_RATE_LIMIT=0", "ORCH_MAX_CONCURRENCY=0")
	}
	if cfg.HasOutput("otlp") {
		endpoint, stop, err := startOTLPSink()
		if err != nil {
			return err
		}
		defer stop()
		env = append(env, "OTEL_EXPORTER_OTLP_ENDPOINT="+endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf")
	}
	env = append(env, workerEnv...) // last: os/exec keeps the last value of a key
	var prof *profiler
	if *profDir != "" {
		if prof, err = newProfiler(*profDir); err != nil {
			return err
		}
		prof.store = strings.TrimSuffix(cfg.DBURL, "/")
	}
	wctx, stopWorkers := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWorkers()
	werr := &tailBuffer{max: 8 << 10}
	procs := benchProcs{self: os.Getpid(), redis: redisPID(ctx, rdb), store: storePID}
	var cmds []*exec.Cmd
	defer func() {
		stopWorkers()
		for _, c := range cmds {
			_ = c.Wait()
		}
	}()
	metricsAddrs := make([]string, *workers) // each worker's /metrics, which the bench reads
	for i := 0; i < *workers; i++ {
		cmd := exec.CommandContext(wctx, self, "worker")
		if prof != nil && i == 0 {
			// The first worker is profiled.
			metricsAddrs[i] = prof.addr
			cmd.Env = append(slices.Clone(env), "METRICS_ADDR="+prof.addr, "METRICS_PPROF=true")
		} else {
			if metricsAddrs[i], err = freeLoopbackAddr(); err != nil {
				return err
			}
			cmd.Env = append(slices.Clone(env), "METRICS_ADDR="+metricsAddrs[i])
		}
		cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
		cmd.WaitDelay = 30 * time.Second
		cmd.Stdout, cmd.Stderr = werr, werr
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("start worker process: %w", err)
		}
		cmds = append(cmds, cmd)
		procs.workers = append(procs.workers, cmd.Process.Pid)
	}

	concShown := "the worker's default"
	if *conc > 0 {
		concShown = strconv.Itoa(*conc)
	}
	fmt.Fprintf(e.stdout, "bench: %d appliances (%d unreachable by design), %d worker process(es) (pid %s), concurrency %s, latency %s per request, reachability %s, outputs %s, collect via %s\n",
		*n, unreachable, *workers, joinInts(procs.workers), concShown, *latency, *reach, strings.Join(cfg.OutputList(), ","), *via)
	if len(workerEnv) > 0 {
		fmt.Fprintf(e.stdout, "       worker environment: %s\n", strings.Join(workerEnv, " "))
	}
	pacing := "each enqueueing every appliance at once"
	if paced > 0 {
		pacing = fmt.Sprintf("each pacing the appliances over %s (DISCOVERY_SPREAD=true, as deployed)", paced)
	}
	fmt.Fprintf(e.stdout, "       Redis %s, InfluxDB %s, %d cycles back to back, %s\n", redact.URL(cfg.RedisAddr), redact.URL(cfg.DBURL), total, pacing)
	if *redisDelay > 0 {
		fmt.Fprintf(e.stdout, "       Redis reached through a proxy holding each message %s each way: a PING takes %.1f ms\n", *redisDelay, float64(redisRTT.Microseconds())/1e3)
	}
	storeName := map[string]string{"influxdb": "influxd", "victoriametrics": "victoria-metrics"}[*store]
	fmt.Fprintf(e.stdout, "       CPU s per cycle of: the worker process(es); this process (simulator and discovery); redis-server%s; storage: %s%s\n\n",
		unknownPID(procs.redis, "(pid not known: Redis is not local)"), storeName, unknownPID(procs.store, "(pid not known: 'make bench' exports EC_INFLUXD_PID and EC_VM_PID)"))
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "cycle\tkind\tcollected\tfailed\tpoints\tseconds\tdiscovery s\tappliances/60s\tworker CPU s\tCPU ms/appliance\tpoints/s\tsim+discovery CPU s\tredis CPU s\tstorage CPU s\t")
	cyc := &tasks.RedisCycles{Client: rdb}
	var steadyRate []float64
	var rows []benchRow
	totalFailed := 0
	var lostNotes, relayedPer, connsPer, sessionsPer, rssPer, slotsPer, redisMemPer, redisPer, writesPer, waitsPer, roomPer, archivesPer, garbagePer []string
	logouts := map[string]int64{} // each appliance's logouts so far
	var firstMinute, lastMinute int64
	// An appliance whose first job was lost is first contacted in a later
	// cycle, which fetches FIRST_CONTACT_MINUTES back from that cycle's
	// newest minute: the stored-points check expects its minutes from there.
	wm := &worker.RedisWatermarks{Client: rdb}
	firstContact := map[string]int64{} // appliance → first minute its first contact fetched
	var peakBefore int64               // the workers' peak RSS before the catch-up cycle
	var runPeak, steadyPeak int64      // the workers' peak RSS of the run so far, and of its steady cycles
	// Each cycle's own peak: the workers' peak RSS is set back to their
	// current RSS before it, where Linux allows it.
	perCycle := true
	redisMem0 := "not measured"
	if v, err := usedMemory(ctx, rdb); err == nil {
		redisMem0 = fmt.Sprintf("%.1f", float64(v)/1e6)
	}
	for i := 0; i < total; i++ {
		var prevLost int64
		if i > 0 {
			prevLost = rows[i-1].lost
		}
		kind := cycleKind(i, *cycles, prevLost)
		switch kind {
		case kindFirst:
		case kindCatchUp:
			clock.Add(time.Duration(*catchUp) * time.Minute)
		default:
			clock.Add(time.Minute)
		}
		newest, _ := sim.Window()
		if i == 0 {
			firstMinute = newest - int64(max(cfg.FirstContactMins, 1)-1)*60
		}
		lastMinute = newest
		// What the workers have waited for so far. Before the first cycle a
		// worker that does not answer yet has waited for nothing: zero is
		// right then, and only then.
		waited0, err0 := readWorkers(ctx, metricsAddrs)
		traffic0, terr0 := readRedisTraffic(ctx, rdb)
		cpu0, err := procs.read()
		if err != nil {
			return fmt.Errorf("%w (output: %s)", err, werr)
		}
		if prof != nil && i == min(1, *cycles-1) {
			prof.startCPU(ctx, time.Duration(*profSecs)*time.Second)
		}
		if perCycle {
			_, p, err := workersRSS(procs.workers) // the peak since the last cycle ended
			if err != nil {
				return err
			}
			runPeak = max(runPeak, p)
			if err := resetPeakRSS(procs.workers); err != nil {
				perCycle = false
				fmt.Fprintf(e.stderr, "bench: the peak RSS is the run's so far, not each cycle's: %v\n", err)
			}
		}
		relayed0 := passthroughRequests(sim)
		conns0, resumed0 := sim.ConnectionTotals()
		// The jobs are waited for from the start: discovery's cycle returns
		// only when its own Orchestrator reads are done, which can be long
		// after the last job reported.
		start := time.Now()
		discAhead.Store(int64(clock.Now().Truncate(cfg.DiscoveryInterval).Sub(start)))
		type waited struct {
			st   tasks.CycleStats
			last time.Time
			err  error
		}
		wch := make(chan waited, 1)
		wctx, wcancel := context.WithCancel(ctx)
		// The workers' job slots are read while the jobs run, and not while
		// discovery's own reads go on after them: once a second, or twelve
		// times in a paced cycle, which lasts the interval. A read costs a
		// worker some CPU, which counts.
		sctx, scancel := context.WithCancel(ctx)
		sch := make(chan slotUse, 1)
		mch := make(chan redisMemory, 1)
		every := max(time.Second, paced/12)
		go func() { sch <- sampleSlots(sctx, metricsAddrs, every) }()
		go func() { mch <- sampleRedisMemory(sctx, rdb, every) }()
		go func(cycle int64) {
			st, last, err := waitAll(wctx, cyc, cycle, 10*time.Minute, benchStall, queueIdle(rdb, cfg.Queue))
			scancel()
			wch <- waited{st, last, err}
		}(d.CycleOf(discNow()))
		_, err = d.Cycle(ctx, discNow())
		discSecs := time.Since(start).Seconds()
		if err != nil {
			wcancel()
			return err
		}
		w := <-wch
		wcancel()
		su := <-sch
		slotsPer = append(slotsPer, fmt.Sprintf("%s (cycle %d)", su, i+1))
		archivesPer = append(archivesPer, fmt.Sprintf("%.1f (cycle %d)", su.archives/1e6, i+1))
		redisMemPer = append(redisMemPer, fmt.Sprintf("%s (cycle %d)", <-mch, i+1))
		if waited1, err := readWorkers(ctx, metricsAddrs); err != nil || (err0 != nil && i > 0) {
			writesPer = append(writesPer, fmt.Sprintf("not measured (cycle %d)", i+1))
			waitsPer = append(waitsPer, fmt.Sprintf("not measured (cycle %d)", i+1))
			roomPer = append(roomPer, fmt.Sprintf("not measured (cycle %d)", i+1))
			garbagePer = append(garbagePer, fmt.Sprintf("not measured (cycle %d)", i+1))
		} else {
			writesPer = append(writesPer, fmt.Sprintf("%s (cycle %d)", waited1.writes.meanSince(waited0.writes), i+1))
			waitsPer = append(waitsPer, fmt.Sprintf("%s (cycle %d)", waited1.waits.meanSince(waited0.waits), i+1))
			roomPer = append(roomPer, fmt.Sprintf("%s (cycle %d)", waited1.roomWaits.countSince(waited0.roomWaits), i+1))
			jobs := w.st.Collected + w.st.Failed
			garbagePer = append(garbagePer, fmt.Sprintf("%s (cycle %d)", waited1.garbage.perJobSince(waited0.garbage, jobs), i+1))
		}
		st, last := w.st, w.last
		if w.err != nil {
			return fmt.Errorf("cycle %d: %w (worker output: %s)", i+1, w.err, werr)
		}
		if *check {
			if err := noteFirstContacts(ctx, wm, sim, firstContact, newest-int64(max(cfg.FirstContactMins, 1)-1)*60); err != nil {
				return fmt.Errorf("cycle %d: %w", i+1, err)
			}
		}
		row := benchRow{kind: kind, jobs: st.Collected + st.Failed, points: st.Points, seconds: last.Sub(start).Seconds()}
		if lost := st.Queued - st.Collected - st.Failed; lost > 0 {
			row.lost = lost
			lostNotes = append(lostNotes, fmt.Sprintf("cycle %d: %d jobs never ran: they waited past their start-by time, DISCOVERY_INTERVAL after they were queued (%d dropped by a worker: dequeued late, or held back for room for their minute-stats archives; the rest expired in the queue); the machine is too busy for %d appliances", i+1, lost, st.Late, *n))
		}
		cpu1, err := procs.read()
		if err != nil {
			return fmt.Errorf("%w (output: %s)", err, werr)
		}
		row.cpu = cpu1.sub(cpu0)
		rows = append(rows, row)
		jobs := float64(row.jobs)
		if traffic1, err := readRedisTraffic(ctx, rdb); err != nil || terr0 != nil {
			redisPer = append(redisPer, fmt.Sprintf("not measured (cycle %d)", i+1))
		} else {
			// Per appliance queued: a task that expired in the queue or
			// was dropped as late cost Redis too, and in a cycle without
			// lost jobs it is the same as per job.
			redisPer = append(redisPer, fmt.Sprintf("%s (cycle %d)", traffic1.per(traffic0, row.cpu.redis, float64(max(st.Queued, row.jobs))), i+1))
		}
		rate := jobs / row.seconds * 60
		if kind == kindSteady {
			steadyRate = append(steadyRate, rate)
		}
		totalFailed += int(st.Failed)
		relayedPer = append(relayedPer, fmt.Sprintf("%.1f (cycle %d)", float64(passthroughRequests(sim)-relayed0)/jobs, i+1))
		conns1, resumed1 := sim.ConnectionTotals()
		connsPer = append(connsPer, fmt.Sprintf("%.2f, %.0f%% resumed (cycle %d)", float64(conns1-conns0)/float64(st.Collected), 100*float64(resumed1-resumed0)/float64(max(conns1-conns0, 1)), i+1))
		sessions, err := sessionTimes(sim, logouts)
		if err != nil {
			return err
		}
		sessionsPer = append(sessionsPer, fmt.Sprintf("%s (cycle %d)", sessionSummary(sessions), i+1))
		rssNow, rssPeak, err := workersRSS(procs.workers)
		if err != nil {
			return err
		}
		runPeak = max(runPeak, rssPeak)
		if kind != kindCatchUp {
			peakBefore = runPeak
		}
		if kind == kindSteady && perCycle {
			steadyPeak = max(steadyPeak, rssPeak)
		}
		rssPer = append(rssPer, fmt.Sprintf("%.0f (%.0f)", float64(rssNow)/1e6, float64(rssPeak)/1e6))
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%d\t%.2f\t%.2f\t%.0f\t%.2f\t%.2f\t%.0f\t%s\t%s\t%s\t\n", i+1, kind, st.Collected, st.Failed, st.Points, row.seconds, discSecs, rate,
			row.cpu.workers, row.cpu.workers/jobs*1e3, float64(st.Points)/row.seconds, fmtCPU(row.cpu.self), fmtCPU(row.cpu.redis), fmtCPU(row.cpu.store))
	}
	tw.Flush()
	_, peak, err := workersRSS(procs.workers)
	if err != nil {
		return err
	}
	peak = max(peak, runPeak)
	fmt.Fprintf(e.stdout, "\nworker peak RSS: %.1f MB%s\n", float64(peak)/1e6, map[bool]string{true: " (the largest of the worker processes)"}[*workers > 1])
	if total > *cycles {
		fmt.Fprintf(e.stdout, "worker peak RSS before the catch-up cycle: %.1f MB\n", float64(peakBefore)/1e6)
	}
	fmt.Fprintf(e.stdout, "worker RSS at the end of each cycle, MB (%s): %s\n", map[bool]string{true: "peak in the cycle", false: "peak so far"}[perCycle], strings.Join(rssPer, ", "))
	if prof != nil {
		files, err := prof.finish(ctx)
		if err != nil {
			return fmt.Errorf("profile: %w", err)
		}
		fmt.Fprintf(e.stdout, "profiles: %s (read with: go tool pprof -top %s %s)\n", strings.Join(files, ", "), self, files[0])
		switch storeFile, storeErr := prof.storeProfile(); {
		case storeFile != "":
			fmt.Fprintf(e.stdout, "the database's CPU over the same span: %s (read with: go tool pprof -top %s)\n", storeFile, storeFile)
		case storeErr != nil:
			fmt.Fprintf(e.stdout, "the database gave no CPU profile: %v\n", storeErr)
		}
	}
	if len(steadyRate) > 0 && paced == 0 {
		min := steadyRate[0]
		for _, r := range steadyRate {
			min = minf(min, r)
		}
		fmt.Fprintf(e.stdout, "steady state: at least %.0f appliances per 60 s cycle with %d worker process(es)\n", min, *workers)
	}
	if *via != config.ViaDirect {
		fmt.Fprintf(e.stdout, "Orchestrator pass-through requests per job (unreachable appliances included): %s\n", strings.Join(relayedPer, ", "))
	}
	fmt.Fprintf(e.stdout, "connections per collected appliance (the TCP reachability check's included, reused for HTTPS): %s\n", strings.Join(connsPer, ", "))
	fmt.Fprintf(e.stdout, "appliance sessions, login to logout, s (median/90th percentile/longest): %s\n", strings.Join(sessionsPer, ", "))
	fmt.Fprintf(e.stdout, "worker job slots in use, mean over each cycle (jobs in flight of WORKER_CONCURRENCY, all workers): %s\n", strings.Join(slotsPer, ", "))
	fmt.Fprintf(e.stdout, "Redis memory (used_memory), MB: %s before the first cycle; when each cycle's jobs were done (peak in the cycle): %s\n", redisMem0, strings.Join(redisMemPer, ", "))
	fmt.Fprintf(e.stdout, "Redis per appliance queued (INFO stats; discovery, the workers and this process's own reads): %s\n", strings.Join(redisPer, ", "))
	fmt.Fprintf(e.stdout, "a job's write to the database, mean, waiting for a write slot and retries included: %s\n", strings.Join(writesPer, ", "))
	fmt.Fprintf(e.stdout, "a job's wait for a minute-stats slot, mean: %s\n", strings.Join(waitsPer, ", "))
	fmt.Fprintf(e.stdout, "minute-stats archives waiting for a slot or expected of the jobs downloading, MB, most in one sample: %s\n", strings.Join(archivesPer, ", "))
	fmt.Fprintf(e.stdout, "jobs held back before they started, for room for their archives: %s\n", strings.Join(roomPer, ", "))
	fmt.Fprintf(e.stdout, "worker garbage (Go's runtime; the bench's own reads of /metrics included): %s\n", strings.Join(garbagePer, ", "))
	werr.printSummary(e.stdout)
	fmt.Fprintf(e.stdout, "failed jobs: %d over %d cycles (%d unreachable appliances per cycle by design)\n", totalFailed, total, unreachable)
	for _, l := range lostNotes {
		fmt.Fprintln(e.stdout, l)
	}
	stored := "not checked (--check-stored=false)"
	if *check {
		count, again := influxQLCounts(cfg, 100), recount{}
		if *store == "victoriametrics" {
			count, again = metricsQLCounts(vmURL), vmRecount
		}
		want, diffs, waited, err := storedCheck(ctx, sim, count, firstMinute, lastMinute, firstContact, again)
		later := 0
		for _, m := range firstContact {
			if m > firstMinute {
				later++
			}
		}
		laterNote := ""
		if later > 0 {
			laterNote = fmt.Sprintf(" (%d appliances first collected in a later cycle: from their first contact)", later)
		}
		switch {
		case err != nil:
			stored = "check failed: " + err.Error()
		case len(diffs) == 0:
			stored = fmt.Sprintf("all %d minute-statistics points of minutes %s..%s found, field by field%s", want,
				time.Unix(firstMinute, 0).UTC().Format("15:04"), time.Unix(lastMinute, 0).UTC().Format("15:04"), laterNote)
			if waited > 0 {
				stored += fmt.Sprintf(" (some only when counted again, after %s of waits)", waited)
			}
		default:
			stored = fmt.Sprintf("MISSING: %d differences%s, first: %s", len(diffs), laterNote, strings.Join(diffs[:min(3, len(diffs))], "; "))
		}
	}
	printTargets(e.stdout, *n, rows, peakBefore, steadyPeak, stored, paced)
	return nil
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

func unknownPID(pid int, why string) string {
	if pid > 0 {
		return ""
	}
	return " " + why
}

func minf(a, b float64) float64 {
	if b < a {
		return b
	}
	return a
}

// vmRecount is how the stored-points check counts VictoriaMetrics' points
// of the measurements that fell short again: it makes new samples
// searchable within seconds of accepting them. In three of eight runs with
// 1,000 appliances the first count, right after a flush, missed a minute
// of some fields for every appliance; counted again, 5 s or some minutes
// later, every point was there. Points that are truly missing (a lost job's
// minutes) stay missing: counting stops when the differences no longer
// shrink.
var vmRecount = recount{times: 6, wait: 5 * time.Second}

// benchStall is how long a cycle may go without a job reporting before the
// jobs still missing count as lost: longer than a queued job's deadline
// (DISCOVERY_INTERVAL, 1 minute) plus a running job's JOB_TIMEOUT.
const benchStall = 3 * time.Minute

// waitAll waits until every job queued by the cycle has reported, or until
// the queue holds no task to run any more (jobs whose queue deadline
// passed were archived by asynq without running, so they never report),
// or until none has reported for stall. It returns the stats and when the
// last job reported.
func waitAll(ctx context.Context, c *tasks.RedisCycles, cycle int64, timeout, stall time.Duration, idle func(context.Context) bool) (tasks.CycleStats, time.Time, error) {
	deadline := time.Now().Add(timeout)
	var prev tasks.CycleStats
	last := time.Now()
	idleSeen := 0
	for {
		s, err := c.Get(ctx, cycle)
		now := time.Now()
		if err == nil && s.Collected+s.Failed != prev.Collected+prev.Failed {
			prev, last = s, now
		}
		enqueued := err == nil && s.Queued > 0 // discovery records the enqueue
		if enqueued && s.Collected+s.Failed > 0 && !s.Done() && idle(ctx) {
			idleSeen++ // twice in a row: a job reports before it leaves the active list
		} else {
			idleSeen = 0
		}
		if enqueued && (s.Done() || idleSeen >= 2 || (s.Collected+s.Failed > 0 && now.Sub(last) > stall)) {
			return s, last, nil
		}
		if now.After(deadline) {
			return s, last, fmt.Errorf("jobs not finished after %s: %+v", timeout, s)
		}
		select {
		case <-ctx.Done():
			return s, last, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// queueIdle reports whether asynq's queue holds no pending, active,
// scheduled or retried task.
func queueIdle(rdb redis.UniversalClient, queue string) func(context.Context) bool {
	return func(ctx context.Context) bool {
		d, err := metrics.QueueDepths(ctx, rdb, queue)
		return err == nil && d["pending"]+d["active"]+d["scheduled"]+d["retry"] == 0
	}
}

// procRSS returns the resident set size (VmRSS) and its peak (VmHWM) of a
// process, in bytes, from one read of /proc/<pid>/status.
func procRSS(pid int) (now, peak int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	found := 0
	sc := bufio.NewScanner(f)
	for found < 2 && sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/%d/status %s: %w", pid, k, err)
		}
		if k == "VmRSS" {
			now = kb * 1024
		} else {
			peak = kb * 1024
		}
		found++
	}
	if found < 2 {
		return 0, 0, fmt.Errorf("VmRSS or VmHWM not found in /proc/%d/status", pid)
	}
	return now, peak, nil
}

// resetPeakRSS sets the peak RSS (VmHWM) of the worker processes back to
// their current RSS, so that the next reading is the peak since then: "5"
// written to /proc/<pid>/clear_refs (Linux 4.0 and later; the process's
// owner may).
func resetPeakRSS(pids []int) error {
	for _, pid := range pids {
		if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0); err != nil {
			return fmt.Errorf("reset the peak RSS of worker %d: %w", pid, err)
		}
	}
	return nil
}

// workersRSS returns the largest current and the largest peak RSS of the
// worker processes, in bytes.
func workersRSS(pids []int) (now, peak int64, err error) {
	for _, pid := range pids {
		r, p, err := procRSS(pid)
		if err != nil {
			return 0, 0, err
		}
		now, peak = max(now, r), max(peak, p)
	}
	return now, peak, nil
}

// tailBuffer keeps the last max bytes written, for error messages, and
// counts the worker's JSON log lines by level and message (the bench runs
// it at LOG_LEVEL=WARN), keeping the first line of each.
type tailBuffer struct {
	mu      sync.Mutex
	b       []byte
	max     int
	partial []byte // an unfinished log line
	summary map[string]*logCount
}

// digits are replaced in log messages, so that messages naming a task or
// a count are counted together.
var digits = regexp.MustCompile(`[0-9]+`)

type logCount struct {
	n     int
	first string
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	t.partial = append(t.partial, p...)
	for {
		i := bytes.IndexByte(t.partial, '\n')
		if i < 0 {
			break
		}
		t.count(t.partial[:i])
		t.partial = t.partial[i+1:]
	}
	if len(t.partial) > 64<<10 { // not a log line: drop it
		t.partial = t.partial[:0]
	}
	return len(p), nil
}

func (t *tailBuffer) count(line []byte) {
	var l struct {
		Level   string `json:"level"`
		Message string `json:"message"`
	}
	if json.Unmarshal(line, &l) != nil || l.Message == "" {
		return
	}
	k := l.Level + ": " + digits.ReplaceAllString(l.Message, "N")
	if t.summary == nil {
		t.summary = map[string]*logCount{}
	}
	c := t.summary[k]
	if c == nil {
		c = &logCount{first: string(line[:min(len(line), 600)])}
		t.summary[k] = c
	}
	c.n++
}

// printSummary prints how often the worker logged each warning and error.
func (t *tailBuffer) printSummary(w io.Writer) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.summary) == 0 {
		fmt.Fprintln(w, "worker warnings and errors: none")
		return
	}
	fmt.Fprintln(w, "worker warnings and errors (count, message with numbers as N, first occurrence):")
	keys := slices.Sorted(maps.Keys(t.summary))
	sort.SliceStable(keys, func(i, j int) bool { return t.summary[keys[i]].n > t.summary[keys[j]].n })
	for i, k := range keys {
		if i == 10 {
			fmt.Fprintf(w, "  ... and %d more kinds\n", len(keys)-i)
			break
		}
		fmt.Fprintf(w, "  %6d  %s\n          %s\n", t.summary[k].n, k, t.summary[k].first)
	}
}

func (t *tailBuffer) String() string { t.mu.Lock(); defer t.mu.Unlock(); return string(t.b) }

// startOTLPSink serves OTLP/HTTP metrics on a loopback port for the bench's
// worker: it accepts every export and discards it, so the bench measures
// what the OTLP output costs the worker, not a receiver's work. It returns
// the endpoint for OTEL_EXPORTER_OTLP_ENDPOINT.
func startOTLPSink() (endpoint string, stop func(), err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("otlp sink: %w", err)
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		// An empty ExportMetricsServiceResponse is an empty protobuf message.
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	})}
	go func() { _ = srv.Serve(l) }()
	return "http://" + l.Addr().String(), func() { _ = srv.Close() }, nil
}

// passthroughRequests is how many pass-through requests the simulated
// Orchestrator has answered.
func passthroughRequests(sim *simulator.Simulator) int64 {
	st, _ := sim.Stats(simulator.OrchestratorID)
	return st.Requests[simulator.EndpointPassthrough]
}
