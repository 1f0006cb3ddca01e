package main

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// TestBenchRunsEndToEnd runs 'ectelemetry bench' as 'make bench' does, with
// two worker processes and a delay on every appliance answer, against a
// real Redis and InfluxDB: every cycle collects every reachable appliance,
// the stored-points check finds every point, and the targets are printed.
func TestBenchRunsEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds ectelemetry and runs it with redis-server and influxd")
	}
	s := benchOutput(t, nil, "--appliances", "12", "--cycles", "2", "--workers", "2", "--latency", "20ms",
		"--worker-env", "EC_CONNECTIONS=1")
	m := regexp.MustCompile(`bench: 12 appliances \((\d+) unreachable by design\), 2 worker process`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no header naming 12 appliances and 2 workers:\n%s", s)
	}
	reachable := 12 - atoi(t, m[1])
	points := map[string]int{}
	for _, cycle := range []string{"1\\s+first", "2\\s+steady", "3\\s+catch-up"} {
		row := regexp.MustCompile(`(?m)^\s+` + cycle + `\s+(\d+)\s+(\d+)\s+(\d+)`).FindStringSubmatch(s)
		if row == nil || atoi(t, row[1]) != reachable || atoi(t, row[3]) == 0 {
			t.Errorf("cycle %q: row %v, want %d collected and some points:\n%s", cycle, row, reachable, s)
			continue
		}
		points[cycle[:1]] = atoi(t, row[3])
	}
	// The catch-up cycle's jobs fetch six archives each (--catch-up-minutes
	// 6), the steady cycle's one: more points, though not six times as
	// many (the point-in-time sources write as many).
	if points["3"] <= 2*points["2"] {
		t.Errorf("catch-up cycle wrote %d points, steady %d; want more than twice as many", points["3"], points["2"])
	}
	for _, want := range []string{
		"worker peak RSS: ", "(the largest of the worker processes)", "worker peak RSS before the catch-up cycle: ",
		"12 appliances collected per cycle", "0 lost  met",
		"worker CPU per appliance-cycle", "worker CPU per point (marginal, catch-up cycle vs steady)",
		"for comparison: cycle 1 vs steady",
		"every point stored                                   all            all ",
		"for comparison: in the steady cycles alone",
		"connections per collected appliance",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	// EC_CONNECTIONS=1 reached the workers: on first contact, one
	// connection per job, the TCP reachability check's, which then carries
	// the job's HTTPS requests (two with the default of two; a connection
	// redialled after a timeout may add a little).
	if !strings.Contains(s, "worker environment: EC_CONNECTIONS=1") {
		t.Errorf("output does not show the worker environment:\n%s", s)
	}
	c := regexp.MustCompile(`(\d+\.\d+), \d+% resumed \(cycle 1\)`).FindStringSubmatch(s)
	if c == nil {
		t.Errorf("no connections per appliance for cycle 1:\n%s", s)
	} else if v, err := strconv.ParseFloat(c[1], 64); err != nil || v < 1 || v >= 1.5 {
		t.Errorf("cycle 1: %s connections per appliance, want about 1 with EC_CONNECTIONS=1:\n%s", c[1], s)
	}
	// Every collected appliance's session, from its login to its logout, in
	// each of the 3 cycles.
	if !regexp.MustCompile(`appliance sessions, login to logout, s \(median/90th percentile/longest\): (\d+\.\d\d/\d+\.\d\d/\d+\.\d\d \(cycle \d\)(, |\n)){3}`).MatchString(s) {
		t.Errorf("want the appliance sessions' lengths of each of the 3 cycles:\n%s", s)
	}
	if !regexp.MustCompile(`worker RSS at the end of each cycle, MB \(peak in the cycle\): [1-9]\d* \([1-9]\d*\), [1-9]\d* \([1-9]\d*\), [1-9]\d* \([1-9]\d*\)\n`).MatchString(s) {
		t.Errorf("want the workers' RSS after each of the 3 cycles (2 and the catch-up one):\n%s", s)
	}
	// The two workers' 256 job slots each, read from their /metrics while
	// the cycles ran (the first cycle may end before the workers serve it).
	if !regexp.MustCompile(`worker job slots in use, mean over each cycle \(jobs in flight of WORKER_CONCURRENCY, all workers\): (not measured|\d+ of 512, \d+%) \(cycle 1\), \d+ of 512, \d+% \(cycle 2\), \d+ of 512, \d+% \(cycle 3\)\n`).MatchString(s) {
		t.Errorf("want the workers' job slots in use in cycles 2 and 3, of 2 × 256:\n%s", s)
	}
	// Redis's memory before the first cycle, and at the end of each cycle
	// with its peak, which is no less.
	if m := regexp.MustCompile(`Redis memory \(used_memory\), MB: (\d+\.\d) before the first cycle; when each cycle's jobs were done \(peak in the cycle\): (\d+\.\d) \((\d+\.\d)\) \(cycle 1\), (\d+\.\d) \((\d+\.\d)\) \(cycle 2\), (\d+\.\d) \((\d+\.\d)\) \(cycle 3\)\n`).FindStringSubmatch(s); m == nil {
		t.Errorf("want Redis's memory before and in each of the 3 cycles:\n%s", s)
	} else {
		for i := 2; i < len(m); i += 2 {
			end, _ := strconv.ParseFloat(m[i], 64)
			peak, _ := strconv.ParseFloat(m[i+1], 64)
			if end <= 0 || peak < end {
				t.Errorf("Redis memory in cycle %d: %s MB at the end, peak %s MB; want a peak no less than the end", i/2, m[i], m[i+1])
			}
		}
	}
	// Redis's round trips, commands and CPU per appliance queued in each
	// cycle: its job takes at least asynq's dequeue and completion and
	// discovery's enqueue, and a Lua script's commands count beside it.
	if m := regexp.MustCompile(`Redis per appliance queued \(INFO stats; discovery, the workers and this process's own reads\): ((\d+\.\d) round trips, (\d+\.\d) commands, \d+ µs of CPU \(cycle \d\)(, |\n)){3}`).FindStringSubmatch(s); m == nil {
		t.Errorf("want Redis's round trips, commands and CPU per job of each of the 3 cycles:\n%s", s)
	} else {
		for _, c := range regexp.MustCompile(`(\d+\.\d) round trips, (\d+\.\d) commands`).FindAllStringSubmatch(m[0], -1) {
			rt, _ := strconv.ParseFloat(c[1], 64)
			cmds, _ := strconv.ParseFloat(c[2], 64)
			if rt < 3 || cmds <= rt {
				t.Errorf("Redis per appliance queued: %s round trips, %s commands; want at least 3 round trips and more commands than round trips", c[1], c[2])
			}
		}
	}
	// Every cycle's jobs wrote to InfluxDB and waited for minute-stats
	// slots, the first perhaps before the workers served their metrics.
	if !regexp.MustCompile(`a job's write to the database, mean, waiting for a write slot and retries included: (not measured|\d+ ms) \(cycle 1\), \d+ ms \(cycle 2\), \d+ ms \(cycle 3\)\n`).MatchString(s) ||
		!regexp.MustCompile(`a job's wait for a minute-stats slot, mean: (not measured|\d+ ms) \(cycle 1\), \d+ ms \(cycle 2\), \d+ ms \(cycle 3\)\n`).MatchString(s) {
		t.Errorf("want the mean write and minute-stats slot wait of cycles 2 and 3:\n%s", s)
	}
	// And what their Go runtimes allocated per job and collected: a job
	// allocates tens of kilobytes at least (its answers, archives and
	// request bodies). Twelve jobs may fit in a heap without a collection,
	// so only the bytes have a floor.
	if m := regexp.MustCompile(`worker garbage \(Go's runtime; the bench's own reads of /metrics included\): (not measured|\d+ KB allocated per job, \d+ collections) \(cycle 1\), (\d+) KB allocated per job, (\d+) collections \(cycle 2\), (\d+) KB allocated per job, (\d+) collections \(cycle 3\)\n`).FindStringSubmatch(s); m == nil {
		t.Errorf("want the bytes allocated per job and the collections of each of the 3 cycles:\n%s", s)
	} else {
		for _, kb := range []string{m[2], m[4]} {
			if atoi(t, kb) < 20 {
				t.Errorf("worker garbage: %s KB allocated per job, want at least 20", kb)
			}
		}
	}
	if strings.Contains(s, "MISSING") {
		t.Errorf("stored-points check found missing points:\n%s", s)
	}
}

// TestBenchPacedEndToEnd runs the bench as a deployment queues its jobs,
// each appliance at its own offset in the interval (--spread): every cycle
// collects every reachable appliance over about the interval, none is
// lost, and every point is stored.
func TestBenchPacedEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds ectelemetry and runs it with redis-server and influxd")
	}
	// As deployed: paced, and Redis on another host (1 ms each way).
	s := benchOutput(t, []string{"DISCOVERY_INTERVAL=10s"}, "--appliances", "12", "--cycles", "2", "--catch-up-minutes", "0",
		"--latency", "20ms", "--spread", "--redis-delay", "1ms")
	if m := regexp.MustCompile(`Redis reached through a proxy holding each message 1ms each way: a PING takes (\d+\.\d) ms\n`).FindStringSubmatch(s); m == nil {
		t.Errorf("no line on the Redis delay proxy:\n%s", s)
	} else if ms, _ := strconv.ParseFloat(m[1], 64); ms < 2 {
		t.Errorf("a PING through the delay proxy took %s ms, want at least the 2 ms of its holds", m[1])
	}
	m := regexp.MustCompile(`bench: 12 appliances \((\d+) unreachable by design\)`).FindStringSubmatch(s)
	if m == nil || !strings.Contains(s, "each pacing the appliances over 10s (DISCOVERY_SPREAD=true, as deployed)") {
		t.Fatalf("no header naming 12 appliances paced over 10s:\n%s", s)
	}
	reachable := 12 - atoi(t, m[1])
	for _, cycle := range []string{"1\\s+first", "2\\s+steady"} {
		row := regexp.MustCompile(`(?m)^\s+` + cycle + `\s+(\d+)\s+\d+\s+\d+\s+(\d+\.\d+)`).FindStringSubmatch(s)
		if row == nil || atoi(t, row[1]) != reachable {
			t.Errorf("cycle %q: row %v, want %d collected:\n%s", cycle, row, reachable, s)
			continue
		}
		// Paced over 10 s: the last appliances are queued late in it.
		if secs, _ := strconv.ParseFloat(row[2], 64); secs < 5 || secs > 30 {
			t.Errorf("cycle %q took %s s, want about the 10 s interval:\n%s", cycle, row[2], s)
		}
	}
	for _, want := range []string{
		"12 appliances collected, paced over 10s", "0 lost, slowest cycle",
		"every point stored                                   all            all ",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "steady state: at least") {
		t.Errorf("a paced bench claims a rate per 60 s:\n%s", s)
	}
}

// benchOutput runs 'ectelemetry bench' with args, and env on top of this
// process's environment, against a fresh Redis and InfluxDB, and returns
// its output.
func benchOutput(t *testing.T, env []string, args ...string) string {
	t.Helper()
	_, bin := buildEctelemetry(t)
	rs := testenv.StartRedis(t)
	db := testenv.StartInfluxDB(t)
	cmd := exec.CommandContext(t.Context(), bin, append([]string{"bench"}, args...)...)
	cmd.Env = append(append(os.Environ(), "REDIS_ADDR="+rs.Addr, "DB_URL="+db.URL, "DB_BUCKET="+db.Database, "DB_ORG=", "DB_TOKEN="), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out)
	}
	return string(out)
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
