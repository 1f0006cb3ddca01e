package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/procstat"
	"github.com/ec-telemetry/ec-telemetry/internal/redact"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
	"github.com/ec-telemetry/ec-telemetry/worker"
)

// The targets for one worker process on a 2-core machine, printed
// next to what the bench measured.
const (
	targetCycleSeconds   = 60.0  // every appliance collected within the cycle
	targetCPUPerCycle    = 0.005 // worker CPU s per appliance-cycle, steady state
	targetCPUPerPoint    = 5e-6  // worker CPU s per point written
	targetPeakRSSBytes   = 150e6 // worker peak RSS
	benchCPUNotAvailable = -1.0  // a process whose CPU cannot be read
	benchRSSUnknown      = int64(-1)
)

// benchProcs are the processes whose CPU the bench reports per cycle: the
// worker processes, this process (simulator and discovery), Redis and
// InfluxDB. A pid of 0 is unknown and reported as "-".
type benchProcs struct {
	workers     []int
	self, redis int
	store       int // influxd or victoria-metrics
}

// benchCPU is one reading of every process's CPU seconds.
type benchCPU struct {
	workers, self, redis, store float64
}

func (p benchProcs) read() (benchCPU, error) {
	var c benchCPU
	for _, pid := range p.workers {
		s, err := procstat.CPU(pid)
		if err != nil {
			return c, fmt.Errorf("worker process %d: %w", pid, err)
		}
		c.workers += s
	}
	c.self = optionalCPU(p.self)
	c.redis = optionalCPU(p.redis)
	c.store = optionalCPU(p.store)
	return c, nil
}

func (c benchCPU) sub(o benchCPU) benchCPU {
	d := func(a, b float64) float64 {
		if a < 0 || b < 0 {
			return benchCPUNotAvailable
		}
		return a - b
	}
	return benchCPU{workers: c.workers - o.workers, self: d(c.self, o.self), redis: d(c.redis, o.redis), store: d(c.store, o.store)}
}

// optionalCPU is the CPU of pid, or benchCPUNotAvailable.
func optionalCPU(pid int) float64 {
	if pid <= 0 {
		return benchCPUNotAvailable
	}
	s, err := procstat.CPU(pid)
	if err != nil {
		return benchCPUNotAvailable
	}
	return s
}

func fmtCPU(s float64) string {
	if s < 0 {
		return "-"
	}
	return strconv.FormatFloat(s, 'f', 1, 64)
}

// redisPID asks Redis for its process id (INFO server); 0 when Redis runs
// on another machine or does not say.
func redisPID(ctx context.Context, rdb redis.UniversalClient) int {
	v, err := infoField(ctx, rdb, "server", "process_id")
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(v)
	if _, err := os.Stat(fmt.Sprintf("/proc/%d/stat", pid)); err != nil {
		return 0
	}
	return pid
}

// infoField is the value of key in Redis's INFO section.
func infoField(ctx context.Context, rdb redis.UniversalClient, section, key string) (string, error) {
	v, err := infoFields(ctx, rdb, section, key)
	if err != nil {
		return "", err
	}
	return v[0], nil
}

// infoFields are the values of keys in Redis's INFO section, from one
// INFO.
func infoFields(ctx context.Context, rdb redis.UniversalClient, section string, keys ...string) ([]string, error) {
	info, err := rdb.Info(ctx, section).Result()
	if err != nil {
		return nil, err
	}
	out := make([]string, len(keys))
	found := 0
	for line := range strings.Lines(info) {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if i := slices.Index(keys, k); ok && i >= 0 && out[i] == "" {
			out[i], found = v, found+1
		}
	}
	if found < len(keys) {
		return nil, fmt.Errorf("INFO %s lacks one of %v", section, keys)
	}
	return out, nil
}

// redisTraffic is what Redis has served so far (INFO stats): the reads of
// client requests it processed, each one round trip (a pipeline's commands
// come in one), and the commands, those its Lua scripts call included.
type redisTraffic struct{ reads, commands int64 }

func readRedisTraffic(ctx context.Context, rdb redis.UniversalClient) (redisTraffic, error) {
	keys := []string{"total_reads_processed", "total_commands_processed"}
	v, err := infoFields(ctx, rdb, "stats", keys...)
	if err != nil {
		return redisTraffic{}, err
	}
	var t redisTraffic
	for i, dst := range []*int64{&t.reads, &t.commands} {
		if *dst, err = strconv.ParseInt(v[i], 10, 64); err != nil {
			return redisTraffic{}, fmt.Errorf("INFO stats %s: %w", keys[i], err)
		}
	}
	return t, nil
}

// per formats the traffic from t0 to t, with Redis's CPU seconds over the
// same span, per one of n.
func (t redisTraffic) per(t0 redisTraffic, cpu, n float64) string {
	s := fmt.Sprintf("%.1f round trips, %.1f commands", float64(t.reads-t0.reads)/n, float64(t.commands-t0.commands)/n)
	if cpu >= 0 {
		s += fmt.Sprintf(", %.0f µs of CPU", cpu/n*1e6)
	}
	return s
}

// pingTime is the mean time of ten PINGs.
func pingTime(ctx context.Context, rdb redis.UniversalClient) (time.Duration, error) {
	const n = 10
	start := time.Now()
	for range n {
		if err := rdb.Ping(ctx).Err(); err != nil {
			return 0, err
		}
	}
	return time.Since(start) / n, nil
}

// usedMemory is the memory Redis holds (INFO memory's used_memory), in
// bytes.
func usedMemory(ctx context.Context, rdb redis.UniversalClient) (int64, error) {
	v, err := infoField(ctx, rdb, "memory", "used_memory")
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(v, 10, 64)
}

// redisMemory is the most memory Redis held over a cycle and what it held
// at its end, in bytes; samples 0: not measured.
type redisMemory struct {
	peak, end int64
	samples   int
}

func (m redisMemory) String() string {
	if m.samples == 0 {
		return "not measured"
	}
	return fmt.Sprintf("%.1f (%.1f)", float64(m.end)/1e6, float64(m.peak)/1e6)
}

// sampleRedisMemory reads Redis's memory every interval, and once more when
// ctx ends, until then.
func sampleRedisMemory(ctx context.Context, rdb redis.UniversalClient, every time.Duration) redisMemory {
	var m redisMemory
	read := func(ctx context.Context) {
		if v, err := usedMemory(ctx, rdb); err == nil {
			m.peak, m.end = max(m.peak, v), v
			m.samples++
		}
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		read(ctx)
		select {
		case <-ctx.Done():
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			read(rctx)
			cancel()
			return m
		case <-t.C:
		}
	}
}

// pidFromEnv reads the pid of a local process from an environment
// variable (scripts/services.sh exports EC_INFLUXD_PID and EC_VM_PID); 0
// when unset or not running.
func pidFromEnv(getenv func(string) string, name string) int {
	pid, _ := strconv.Atoi(getenv(name))
	if pid <= 0 {
		return 0
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d/stat", pid)); err != nil {
		return 0
	}
	return pid
}

// qlSeries is one series of an InfluxQL answer.
type qlSeries struct {
	Name    string            `json:"name"`
	Tags    map[string]string `json:"tags"`
	Columns []string          `json:"columns"`
	Values  [][]any           `json:"values"`
}

// influxQL runs one InfluxQL statement against the database of cfg
// (/query, served by InfluxDB 1.8, 2.x and 3) and returns its series.
func influxQL(ctx context.Context, cfg config.Config, q string) ([]qlSeries, error) {
	db := strings.SplitN(cfg.DBBucket, "/", 2)[0]
	v := url.Values{"db": {db}, "q": {q}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(cfg.DBURL, "/")+"/query?"+v.Encode(), nil)
	if err != nil {
		return nil, err
	}
	if cfg.DBToken != "" {
		req.Header.Set("Authorization", "Token "+cfg.DBToken)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Results []struct {
			Series []qlSeries `json:"series"`
			Error  string     `json:"error"`
		} `json:"results"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&body); err != nil || len(body.Results) == 0 {
		return nil, fmt.Errorf("query answered status %d", resp.StatusCode)
	}
	if e := body.Results[0].Error; e != "" {
		return nil, fmt.Errorf("query error: %s", e)
	}
	return body.Results[0].Series, nil
}

// storedCounter returns, for one measurement, the given fields and
// appliances, how many values of each field the database holds per
// appliance for the minutes first to last.
type storedCounter func(ctx context.Context, measurement string, fields, apps []string, first, last int64) (map[string]map[string]int64, error)

// storedCheck compares, appliance by appliance and field by field, the
// minute-statistics points the simulator says a correct collector stores
// for every reachable appliance and every minute from first to last with
// what the database holds for those minutes. An appliance in from is
// expected from its minute there when that is later than first (its first
// contact came in a later cycle). It returns the expected number of points
// and a description of every difference (none: every point is stored).
// With again, the measurements whose counts fell short are counted again,
// again.wait after the last pass, at most again.times times and while the
// differences shrink; waited is the time waited between the passes when a
// later pass found every point (zero when the first did, or when
// differences remain).
func storedCheck(ctx context.Context, sim *simulator.Simulator, count storedCounter, first, last int64, from map[string]int64, again recount) (points int, diffs []string, waited time.Duration, err error) {
	want, points, err := expectedCounts(sim, first, last, from)
	if err != nil {
		return 0, nil, 0, err
	}
	fields := map[string][]string{} // measurement -> every field it has
	for m, byApp := range want {
		set := map[string]bool{}
		for _, f := range byApp {
			for k := range f {
				set[k] = true
			}
		}
		fields[m] = slices.Sorted(maps.Keys(set))
	}
	byM := map[string][]string{} // measurement -> its differences
	pending := slices.Sorted(maps.Keys(want))
	prev := 0
	for try := 0; ; try++ {
		total := 0
		for _, m := range pending {
			got, err := count(ctx, m, fields[m], slices.Sorted(maps.Keys(want[m])), first, last)
			if err != nil {
				return points, nil, waited, fmt.Errorf("%s: %w", m, err)
			}
			byM[m] = differences(m, want[m], got)
			total += len(byM[m])
		}
		if total == 0 && try > 0 {
			waited = time.Duration(try) * again.wait
		}
		if total == 0 || try == again.times || (try > 0 && total >= prev) {
			break
		}
		// Count again, after a wait, what fell short.
		pending = slices.DeleteFunc(pending, func(m string) bool { return len(byM[m]) == 0 })
		prev = total
		select {
		case <-ctx.Done():
			return points, nil, waited, ctx.Err()
		case <-time.After(again.wait):
		}
	}
	for _, m := range slices.Sorted(maps.Keys(byM)) {
		diffs = append(diffs, byM[m]...)
	}
	return points, diffs, waited, nil
}

// expectedCounts tallies the minute-statistics values the simulator says a
// correct collector stores for every reachable appliance and every minute
// from first (or its minute in from, when later) to last: measurement ->
// appliance -> field -> values, and the number of points.
func expectedCounts(sim *simulator.Simulator, first, last int64, from map[string]int64) (map[string]map[string]map[string]int64, int, error) {
	want := map[string]map[string]map[string]int64{}
	points := 0
	for _, a := range sim.Appliances() {
		if !a.Reachable {
			continue
		}
		for m := max(first, from[a.ID]); m <= last; m += 60 {
			pts, err := sim.ExpectedMinutePoints(a.ID, m)
			if err != nil {
				return nil, 0, err
			}
			points += len(pts)
			for _, p := range pts {
				byApp := want[p.Measurement]
				if byApp == nil {
					byApp = map[string]map[string]int64{}
					want[p.Measurement] = byApp
				}
				f := byApp[a.ID]
				if f == nil {
					f = map[string]int64{}
					byApp[a.ID] = f
				}
				for k := range p.Fields.All() {
					f[k]++
				}
			}
		}
	}
	return want, points, nil
}

// differences names every field of measurement m whose stored count (got)
// is not the expected one (want), appliance by appliance.
func differences(m string, want, got map[string]map[string]int64) []string {
	var out []string
	for _, app := range slices.Sorted(maps.Keys(want)) {
		for _, f := range slices.Sorted(maps.Keys(want[app])) {
			if w, g := want[app][f], got[app][f]; g != w {
				out = append(out, fmt.Sprintf("%s %s.%s: %d expected, %d stored", app, m, f, w, g))
			}
		}
	}
	return out
}

// recount is how often, and how far apart, storedCheck counts a
// measurement again whose counts fell short: for a database that makes
// what it accepted searchable only within seconds. The zero value counts
// once.
type recount struct {
	times int
	wait  time.Duration
}

// noteFirstContacts records in seen, for every reachable appliance that
// has a minute-statistics watermark and is not in seen yet, start: the
// first minute the cycle that just ended fetched on first contact. The
// bench's Orchestrator comes from the ORCH_* variables, so watermarks are
// keyed by the bare appliance id (tasks.AppliancePoll.Key).
func noteFirstContacts(ctx context.Context, wm *worker.RedisWatermarks, sim *simulator.Simulator, seen map[string]int64, start int64) error {
	for _, a := range sim.Appliances() {
		if _, ok := seen[a.ID]; ok || !a.Reachable {
			continue
		}
		_, ok, err := wm.Get(ctx, a.ID)
		if err != nil {
			return fmt.Errorf("watermark of %s: %w", a.ID, err)
		}
		if ok {
			seen[a.ID] = start
		}
	}
	return nil
}

// influxQLCounts counts with InfluxQL (count(*) per appliance), batch
// appliances a query: one query over every appliance of a large fleet made
// InfluxDB 1.8 hold all their series at once (20 GB of RSS at 5,000).
func influxQLCounts(cfg config.Config, batch int) storedCounter {
	return func(ctx context.Context, m string, _, apps []string, first, last int64) (map[string]map[string]int64, error) {
		got := map[string]map[string]int64{}
		for part := range slices.Chunk(apps, max(batch, 1)) {
			var or []string
			for _, id := range part {
				or = append(or, fmt.Sprintf(`%q = '%s'`, telemetry.TagApplianceID, strings.ReplaceAll(id, `'`, `\'`)))
			}
			q := fmt.Sprintf(`SELECT count(*) FROM %q WHERE (%s) AND time >= %ds AND time <= %ds GROUP BY %q`,
				m, strings.Join(or, " OR "), first, last, telemetry.TagApplianceID)
			if err := countSeries(ctx, cfg, q, got); err != nil {
				return nil, err
			}
		}
		return got, nil
	}
}

// countSeries runs an InfluxQL count(*) query grouped by appliance and adds
// its counts to got (appliance → field → values).
func countSeries(ctx context.Context, cfg config.Config, q string, got map[string]map[string]int64) error {
	series, err := influxQL(ctx, cfg, q)
	if err != nil {
		return err
	}
	for _, s := range series {
		f := map[string]int64{}
		got[s.Tags[telemetry.TagApplianceID]] = f
		for i, c := range s.Columns {
			field, ok := strings.CutPrefix(c, "count_")
			if !ok || len(s.Values) == 0 || i >= len(s.Values[0]) {
				continue
			}
			if n, ok := s.Values[0][i].(float64); ok {
				f[field] = int64(n)
			}
		}
	}
	return nil
}

// metricsQLCounts counts in VictoriaMetrics, where each field is the series
// <measurement>_<field>: count_over_time over the minutes, per appliance,
// one query per field. What VictoriaMetrics buffers is flushed before the
// queries of each measurement.
func metricsQLCounts(vmURL string) storedCounter {
	return func(ctx context.Context, m string, fields, _ []string, first, last int64) (map[string]map[string]int64, error) {
		if _, err := httpGet(ctx, vmURL+"/internal/force_flush"); err != nil {
			return nil, err
		}
		got := map[string]map[string]int64{}
		for _, f := range fields {
			q := fmt.Sprintf(`sum by (%s) (count_over_time({__name__=%q}[%ds]))`, telemetry.TagApplianceID, m+"_"+f, last-first+60)
			body, err := httpGet(ctx, vmURL+"/api/v1/query?"+url.Values{"query": {q}, "time": {strconv.FormatInt(last, 10)}}.Encode())
			if err != nil {
				return nil, err
			}
			var res struct {
				Data struct {
					Result []struct {
						Metric map[string]string `json:"metric"`
						Value  [2]any            `json:"value"`
					} `json:"result"`
				} `json:"data"`
			}
			if err := json.Unmarshal(body, &res); err != nil {
				return nil, fmt.Errorf("query %s: %w", q, err)
			}
			for _, r := range res.Data.Result {
				s, _ := r.Value[1].(string)
				n, err := strconv.ParseFloat(s, 64)
				if err != nil {
					return nil, fmt.Errorf("query %s: value %v", q, r.Value[1])
				}
				app := r.Metric[telemetry.TagApplianceID]
				if got[app] == nil {
					got[app] = map[string]int64{}
				}
				got[app][f] = int64(n)
			}
		}
		return got, nil
	}
}

// httpGet returns the body of a 2xx answer to a GET of u.
func httpGet(ctx context.Context, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("GET %s: status %d: %s", redact.URL(u), resp.StatusCode, strings.TrimSpace(string(b[:min(len(b), 300)])))
	}
	return b, nil
}

// Kinds of bench cycle.
const (
	kindFirst   = "first"    // first contact: FIRST_CONTACT_MINUTES archives per appliance
	kindSteady  = "steady"   // one new minute per appliance
	kindBacklog = "backlog"  // after a cycle that lost jobs: their appliances fetch what they missed
	kindCatchUp = "catch-up" // several new minutes per appliance, to measure the cost of a point
)

// cycleKind is the kind of cycle i (from 0) of a bench of cycles cycles
// and a catch-up cycle after them; prevLost is how many jobs the cycle
// before lost. The appliances of lost jobs fetch every minute they missed,
// or their first contact, in the next cycle: that cycle is no steady one.
func cycleKind(i, cycles int, prevLost int64) string {
	switch {
	case i == 0:
		return kindFirst
	case i == cycles:
		return kindCatchUp
	case prevLost > 0:
		return kindBacklog
	}
	return kindSteady
}

// marginalCPUPerPoint is the worker CPU each extra point costs: the
// catch-up cycle (several archives per job) against the mean steady cycle
// (one), per job, over the points per job between them. Both cycles reach
// the same appliances with the same requests but the extra archives, so
// the difference is what grows with the points: downloading, unpacking and
// parsing the archives, building, encoding and writing their points.
// Without a catch-up cycle it is cycle 1 (first contact) against the
// steady ones, which also counts what only a first contact costs (full TLS
// handshakes, the watermarks, the heap that grows from nothing). which
// says which. ok is false without a steady cycle or when the other wrote
// no more points.
func marginalCPUPerPoint(rows []benchRow) (perPoint float64, which string, ok bool) {
	var sCPU, sPts, sJobs float64
	var other *benchRow
	for i, r := range rows {
		switch r.kind {
		case kindSteady:
			sCPU += r.cpu.workers
			sPts += float64(r.points)
			sJobs += float64(r.jobs)
		case kindCatchUp:
			other = &rows[i]
		}
	}
	which = "catch-up cycle vs steady"
	if other == nil && len(rows) > 0 && rows[0].kind == kindFirst {
		other, which = &rows[0], "cycle 1 vs steady"
	}
	if other == nil || sJobs == 0 || other.jobs == 0 {
		return 0, which, false
	}
	oJobs := float64(other.jobs)
	dp := float64(other.points)/oJobs - sPts/sJobs
	if dp <= 0 {
		return 0, which, false
	}
	return (other.cpu.workers/oJobs - sCPU/sJobs) / dp, which, true
}

// benchRow is what one cycle measured.
type benchRow struct {
	kind         string
	jobs, points int64
	seconds      float64
	cpu          benchCPU
	lost         int64
}

// verdict is "met" or "NOT met".
func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

// printTargets prints the targets against the steady cycles:
// cycle 2 on, but for the catch-up cycle and the backlog cycles after a
// cycle that lost jobs. Without a steady cycle (cycle 1 the only one, or
// jobs lost in every cycle) it takes every cycle but the catch-up one.
// steadyRSS, the steady cycles' own peak RSS, is printed beside the run's
// when known (not 0). paced is the interval the enqueue was spread over
// (0: the fleet at once): a paced cycle lasts about that long by design, so
// its target is that no job is lost.
func printTargets(w io.Writer, n int, rows []benchRow, peakRSS, steadyRSS int64, stored string, paced time.Duration) {
	var steady []benchRow
	backlog := 0
	for _, r := range rows {
		switch r.kind {
		case kindSteady:
			steady = append(steady, r)
		case kindBacklog:
			backlog++
		}
	}
	heading := "steady cycles"
	if len(steady) == 0 {
		steady = slices.DeleteFunc(slices.Clone(rows), func(r benchRow) bool { return r.kind == kindCatchUp })
		heading = "every cycle: none was steady"
	} else if backlog > 0 {
		heading = fmt.Sprintf("steady cycles; %d backlog cycles after lost jobs left out", backlog)
	}
	var worst, cpuPer, cpuJobs float64
	var lost int64
	for _, r := range steady {
		worst = max(worst, r.seconds)
		cpuPer += r.cpu.workers
		cpuJobs += float64(r.jobs)
		lost += r.lost
	}
	cpuPer /= cpuJobs
	fmt.Fprintf(w, "\ntargets (%s):\n", heading)
	fmt.Fprintf(w, "  %-52s %-14s %-28s %s\n", "", "target", "measured", "")
	if paced > 0 {
		fmt.Fprintf(w, "  %-52s %-14s %-28s %s\n", fmt.Sprintf("%d appliances collected, paced over %s", n, paced), "none lost", fmt.Sprintf("%d lost, slowest cycle %.1f s", lost, worst), verdict(lost == 0))
	} else {
		fmt.Fprintf(w, "  %-52s %-14s %-28s %s\n", fmt.Sprintf("%d appliances collected per cycle", n), "<= 60 s", fmt.Sprintf("slowest cycle %.1f s, %d lost", worst, lost), verdict(worst <= targetCycleSeconds && lost == 0))
	}
	fmt.Fprintf(w, "  %-52s %-14s %-28s %s\n", "worker CPU per appliance-cycle", "<= 5.0 ms", fmt.Sprintf("%.2f ms", cpuPer*1e3), verdict(cpuPer <= targetCPUPerCycle))
	per, which, ok := marginalCPUPerPoint(rows)
	if ok {
		fmt.Fprintf(w, "  %-52s %-14s %-28s %s\n", "worker CPU per point (marginal, "+which+")", "<= 5.0 us", fmt.Sprintf("%.2f us", per*1e6), verdict(per <= targetCPUPerPoint))
	} else {
		why := "needs --cycles 2 or more"
		if len(rows) > 1 {
			why = "no steady cycle to compare with"
		}
		fmt.Fprintf(w, "  %-52s %-14s %-28s\n", "worker CPU per point (marginal)", "<= 5.0 us", why)
	}
	if ok && which != "cycle 1 vs steady" {
		firstOnly := slices.DeleteFunc(slices.Clone(rows), func(r benchRow) bool { return r.kind == kindCatchUp })
		if per, which, ok := marginalCPUPerPoint(firstOnly); ok {
			fmt.Fprintf(w, "  %-52s %-14s %-28s\n", "  for comparison: "+which, "", fmt.Sprintf("%.2f us", per*1e6))
		}
	}
	fmt.Fprintf(w, "  %-52s %-14s %-28s %s\n", "worker peak RSS (catch-up cycle excluded)", "<= 150 MB", fmt.Sprintf("%.1f MB", float64(peakRSS)/1e6), verdict(float64(peakRSS) <= targetPeakRSSBytes))
	if steadyRSS > 0 {
		fmt.Fprintf(w, "  %-52s %-14s %-28s\n", "  for comparison: in the steady cycles alone", "", fmt.Sprintf("%.1f MB", float64(steadyRSS)/1e6))
	}
	fmt.Fprintf(w, "  %-52s %-14s %s\n", "every point stored", "all", stored)
}

// sessionTimes returns how long the session of every appliance that logged
// out since logouts was taken lasted (its last one), and brings logouts
// (appliance id to its logouts so far) up to date.
func sessionTimes(sim *simulator.Simulator, logouts map[string]int64) ([]time.Duration, error) {
	var out []time.Duration
	for _, a := range sim.Appliances() {
		st, err := sim.Stats(a.ID)
		if err != nil {
			return nil, err
		}
		if st.Logouts > logouts[a.ID] {
			out = append(out, st.LastSession)
		}
		logouts[a.ID] = st.Logouts
	}
	return out, nil
}

// sessionSummary formats the median, the 90th percentile and the longest
// of d in seconds ("1.31/1.45/2.10"), or "none". It sorts d.
func sessionSummary(d []time.Duration) string {
	if len(d) == 0 {
		return "none"
	}
	slices.Sort(d)
	at := func(q float64) float64 { return d[min(len(d)-1, int(q*float64(len(d))))].Seconds() }
	return fmt.Sprintf("%.2f/%.2f/%.2f", at(0.5), at(0.9), d[len(d)-1].Seconds())
}
