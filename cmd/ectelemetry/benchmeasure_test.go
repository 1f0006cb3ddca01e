package main

import (
	"context"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ec-telemetry/ec-telemetry/influx"
	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
	"github.com/ec-telemetry/ec-telemetry/worker"
)

func TestMarginalCPUPerPoint(t *testing.T) {
	rows := []benchRow{
		{kind: kindFirst, jobs: 10, points: 3000, cpu: benchCPU{workers: 10}},
		{kind: kindSteady, jobs: 10, points: 1000, cpu: benchCPU{workers: 5}},
		{kind: kindSteady, jobs: 10, points: 1000, cpu: benchCPU{workers: 7}},
	}
	// (10 - 6) CPU s over (3000 - 1000) points.
	if got, which, ok := marginalCPUPerPoint(rows); !ok || got != 0.002 || which != "cycle 1 vs steady" {
		t.Errorf("marginalCPUPerPoint = %v, %q, %v; want 0.002, cycle 1 vs steady, true", got, which, ok)
	}
	// A catch-up cycle of 8 jobs (one appliance failed): per job, 0.9 CPU
	// s and 190 points against 0.6 and 100.
	catchUp := append(rows, benchRow{kind: kindCatchUp, jobs: 8, points: 1520, cpu: benchCPU{workers: 7.2}})
	if got, which, ok := marginalCPUPerPoint(catchUp); !ok || got < 0.0033333 || got > 0.0033334 || which != "catch-up cycle vs steady" {
		t.Errorf("marginalCPUPerPoint with a catch-up cycle = %v, %q, %v; want 0.3/90, catch-up cycle vs steady, true", got, which, ok)
	}
	if _, _, ok := marginalCPUPerPoint(rows[:1]); ok {
		t.Error("one cycle gave a marginal cost")
	}
	if _, _, ok := marginalCPUPerPoint([]benchRow{{kind: kindFirst, jobs: 1, points: 10}, {kind: kindSteady, jobs: 1, points: 10}}); ok {
		t.Error("no extra points gave a marginal cost")
	}
}

func TestSessionSummary(t *testing.T) {
	var d []time.Duration
	for i := 10; i >= 1; i-- { // 1.0 s to 10.0 s, unsorted
		d = append(d, time.Duration(i)*time.Second)
	}
	for _, tc := range []struct {
		in   []time.Duration
		want string
	}{
		{d, "6.00/10.00/10.00"},
		{[]time.Duration{1500 * time.Millisecond}, "1.50/1.50/1.50"},
		{nil, "none"},
	} {
		if got := sessionSummary(tc.in); got != tc.want {
			t.Errorf("sessionSummary(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCycleKind(t *testing.T) {
	// Three cycles and a catch-up one; the first two lost jobs.
	lost := []int64{5, 2, 0, 7}
	var got []string
	for i := range 4 {
		var prev int64
		if i > 0 {
			prev = lost[i-1]
		}
		got = append(got, cycleKind(i, 3, prev))
	}
	if want := []string{kindFirst, kindBacklog, kindBacklog, kindCatchUp}; !cmp.Equal(got, want) {
		t.Errorf("kinds = %v, want %v", got, want)
	}
	if k := cycleKind(2, 4, 0); k != kindSteady {
		t.Errorf("cycle after one without lost jobs is %q, want steady", k)
	}
}

// The targets leave out the backlog cycles that follow lost jobs, and
// judge every cycle when none was steady.
func TestPrintTargetsLeavesOutBacklog(t *testing.T) {
	rows := []benchRow{
		{kind: kindFirst, jobs: 100, points: 30000, seconds: 90, lost: 60, cpu: benchCPU{workers: 1}},
		{kind: kindBacklog, jobs: 100, points: 20000, seconds: 80, lost: 10, cpu: benchCPU{workers: 0.9}},
		{kind: kindBacklog, jobs: 100, points: 12000, seconds: 62, cpu: benchCPU{workers: 0.7}},
		{kind: kindSteady, jobs: 100, points: 10000, seconds: 40, cpu: benchCPU{workers: 0.4}},
		{kind: kindSteady, jobs: 100, points: 10000, seconds: 44, cpu: benchCPU{workers: 0.6}},
	}
	var b strings.Builder
	printTargets(&b, 100, rows, 160e6, 120e6, "all", 0)
	out := b.String()
	for _, want := range []string{
		"targets (steady cycles; 2 backlog cycles after lost jobs left out)",
		"slowest cycle 44.0 s, 0 lost met",
		"5.00 ms",
		"160.0 MB                     NOT met",
		"for comparison: in the steady cycles alone", "120.0 MB",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("targets lack %q:\n%s", want, out)
		}
	}
	b.Reset()
	printTargets(&b, 100, rows[:2], 100e6, 0, "all", 0)
	out = b.String()
	for _, want := range []string{"targets (every cycle: none was steady)", "slowest cycle 90.0 s, 70 lost NOT met", "9.50 ms", "no steady cycle to compare with", "100.0 MB                     met"} {
		if !strings.Contains(out, want) {
			t.Errorf("targets without a steady cycle lack %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "steady cycles alone") {
		t.Errorf("targets without a steady cycle print a steady peak RSS:\n%s", out)
	}
}

// A paced cycle lasts its interval by design: its target is that no job
// was lost, whatever its length.
func TestPrintTargetsPaced(t *testing.T) {
	rows := []benchRow{
		{kind: kindFirst, jobs: 100, points: 30000, seconds: 61, cpu: benchCPU{workers: 1}},
		{kind: kindSteady, jobs: 100, points: 10000, seconds: 61.5, cpu: benchCPU{workers: 0.4}},
	}
	var b strings.Builder
	printTargets(&b, 100, rows, 100e6, 90e6, "all", time.Minute)
	if out := b.String(); !strings.Contains(out, "100 appliances collected, paced over 1m0s") || !strings.Contains(out, "0 lost, slowest cycle 61.5 s met") {
		t.Errorf("paced targets:\n%s", out)
	}
	rows[1].lost = 3
	b.Reset()
	printTargets(&b, 100, rows, 100e6, 90e6, "all", time.Minute)
	if out := b.String(); !strings.Contains(out, "3 lost, slowest cycle 61.5 s NOT met") {
		t.Errorf("paced targets with lost jobs:\n%s", out)
	}
}

// resetPeakRSS sets the peak RSS back to the current RSS: after 64 MiB
// were touched and given back, the peak read again is far below the peak
// that held them.
func TestResetPeakRSS(t *testing.T) {
	pid := os.Getpid()
	b := make([]byte, 64<<20)
	for i := range b {
		b[i] = byte(i)
	}
	_, high, err := procRSS(pid)
	if err != nil {
		t.Fatal(err)
	}
	runtime.KeepAlive(b)
	b = nil
	debug.FreeOSMemory()
	if err := resetPeakRSS([]int{pid}); err != nil {
		t.Fatal(err)
	}
	now, peak, err := procRSS(pid)
	if err != nil {
		t.Fatal(err)
	}
	if peak > high-32<<20 || peak < now {
		t.Errorf("after the reset: peak %d, RSS %d; the peak holding 64 MiB was %d", peak, now, high)
	}
}

func TestTailBufferCountsWorkerWarnings(t *testing.T) {
	b := &tailBuffer{max: 64}
	log := `{"level":"warn","message":"Retry exhausted for task id=poll:12.NE"}` + "\n" +
		`{"level":"warn","message":"Retry exhausted for task id=poll:13.NE"}` + "\n" +
		`not json` + "\n" + `{"level":"error","message":"appliance unreachable"}` + "\n"
	// Split mid-line, as pipes deliver it.
	for _, part := range []string{log[:30], log[30:100], log[100:]} {
		b.Write([]byte(part))
	}
	var out strings.Builder
	b.printSummary(&out)
	for _, want := range []string{"2  warn: Retry exhausted for task id=poll:N.NE", "1  error: appliance unreachable", `poll:12.NE`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
	if len(b.String()) > 64 {
		t.Errorf("tail kept %d bytes, want at most 64", len(b.String()))
	}
}

// A store that shows new points only after a while (VictoriaMetrics) is
// counted again while its counts fall short; points truly missing are
// named after one more count that finds no more of them.
func TestStoredCheckCountsAgain(t *testing.T) {
	sim, err := simulator.New(simulator.Config{Appliances: 2, Seed: 5, Now: func() time.Time { return time.Date(2026, 11, 30, 9, 0, 30, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	last, _ := sim.Window()
	first := last - 60
	exact, _, err := expectedCounts(sim, first, last, nil)
	if err != nil {
		t.Fatal(err)
	}
	// counter answers the first short[m] counts of measurement m with one
	// value fewer per field, and later ones exactly; always short when
	// short[m] is negative.
	counter := func(short map[string]int, calls map[string]int) storedCounter {
		return func(_ context.Context, m string, _, _ []string, _, _ int64) (map[string]map[string]int64, error) {
			calls[m]++
			got := map[string]map[string]int64{}
			for app, fields := range exact[m] {
				got[app] = map[string]int64{}
				for f, n := range fields {
					if short[m] < 0 || calls[m] <= short[m] {
						n--
					}
					got[app][f] = n
				}
			}
			return got, nil
		}
	}
	const a, b = "interface_stats", "tunnel_stats"
	if exact[a] == nil || exact[b] == nil {
		t.Fatalf("the simulator's minutes lack %s or %s", a, b)
	}
	ctx := context.Background()
	again := recount{times: 3, wait: time.Millisecond}

	// a shows its points at the second count, b at the third: each pass
	// leaves fewer differences.
	calls := map[string]int{}
	_, diffs, waited, err := storedCheck(ctx, sim, counter(map[string]int{a: 1, b: 2}, calls), first, last, nil, again)
	if err != nil || len(diffs) != 0 || waited != 2*time.Millisecond {
		t.Errorf("points shown late: differences %v, waited %v, error %v; want none, 2ms, nil", diffs, waited, err)
	}
	for m, n := range calls {
		if want := map[string]int{a: 2, b: 3}[m]; (want == 0 && n != 1) || (want > 0 && n != want) {
			t.Errorf("%s counted %d times", m, n)
		}
	}

	// b never shows one point: one more count finds nothing more.
	calls = map[string]int{}
	_, diffs, waited, err = storedCheck(ctx, sim, counter(map[string]int{b: -1}, calls), first, last, nil, again)
	if err != nil || len(diffs) == 0 || waited != 0 || !strings.Contains(diffs[0], " "+b+".") {
		t.Errorf("points never shown: differences %v, waited %v, error %v; want those of %s, 0, nil", diffs, waited, err, b)
	}
	if calls[b] != 2 || calls[a] != 1 {
		t.Errorf("counts while nothing more showed: %s %d, %s %d; want 2 and 1", b, calls[b], a, calls[a])
	}

	calls = map[string]int{}
	if _, diffs, _, _ = storedCheck(ctx, sim, counter(map[string]int{a: 1}, calls), first, last, nil, recount{}); len(diffs) == 0 || calls[a] != 1 {
		t.Errorf("without counting again: %d differences, %s counted %d times; want some and 1", len(diffs), a, calls[a])
	}
}

// storedCheck finds every expected minute-statistics point in a real
// InfluxDB that holds them, and names what is missing when one minute of
// one appliance was not written.
func TestStoredCheckAgainstInfluxDB(t *testing.T) {
	db := testenv.StartInfluxDB(t)
	sim, err := simulator.New(simulator.Config{Appliances: 3, Seed: 5, Now: func() time.Time { return time.Date(2026, 11, 30, 9, 0, 30, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	w, err := influx.NewWriter(influx.Options{URL: db.URL, Bucket: db.Bucket})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	last, _ := sim.Window()
	first := last - 120
	var skipped, late string
	for _, a := range sim.Appliances() {
		if !a.Reachable {
			continue
		}
		for m := first; m <= last; m += 60 {
			if skipped == "" && m == last {
				skipped = a.ID // this appliance's newest minute is never written
				continue
			}
			if skipped != "" && skipped != a.ID && (late == "" || late == a.ID) && m == first {
				late = a.ID // first contacted a cycle later: its first minute is never fetched
				continue
			}
			pts, err := sim.ExpectedMinutePoints(a.ID, m)
			if err != nil {
				t.Fatal(err)
			}
			if n, err := w.Write(t.Context(), pts); err != nil || n != len(pts) {
				t.Fatalf("write: %d of %d, %v", n, len(pts), err)
			}
		}
	}
	cfg := config.Config{DBURL: db.URL, DBBucket: db.Database}
	ctx := context.Background()
	if late == "" {
		t.Fatal("the simulator has fewer than two reachable appliances")
	}
	from := map[string]int64{late: first + 60}
	want, diffs, _, err := storedCheck(ctx, sim, influxQLCounts(cfg, 1), first, last-60, from, recount{})
	if err != nil || len(diffs) != 0 || want == 0 {
		t.Fatalf("minutes all written: %d points expected, differences %v, error %v", want, diffs, err)
	}
	namesOnly := func(diffs []string, app string) {
		t.Helper()
		if len(diffs) == 0 {
			t.Fatalf("a minute of %s never written was not reported", app)
		}
		for _, d := range diffs {
			if !strings.HasPrefix(d, app+" ") || !strings.Contains(d, "expected") {
				t.Errorf("difference %q does not name appliance %s", d, app)
			}
		}
	}
	// Without its first contact, the late appliance's first minute is due.
	_, diffs, _, err = storedCheck(ctx, sim, influxQLCounts(cfg, 2), first, last-60, nil, recount{})
	if err != nil {
		t.Fatal(err)
	}
	namesOnly(diffs, late)
	_, diffs, _, err = storedCheck(ctx, sim, influxQLCounts(cfg, 100), first, last, from, recount{})
	if err != nil {
		t.Fatal(err)
	}
	namesOnly(diffs, skipped)
}

// noteFirstContacts records an appliance once, at the first cycle that
// leaves it a watermark.
func TestNoteFirstContacts(t *testing.T) {
	rs := testenv.StartRedis(t)
	rdb := rs.Client(t)
	sim, err := simulator.New(simulator.Config{Appliances: 4, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	var reachable []string
	for _, a := range sim.Appliances() {
		if a.Reachable {
			reachable = append(reachable, a.ID)
		}
	}
	if len(reachable) < 2 {
		t.Fatalf("reachable appliances %v, want two", reachable)
	}
	ctx := t.Context()
	wm := &worker.RedisWatermarks{Client: rdb}
	seen := map[string]int64{}
	if err := wm.Advance(ctx, reachable[0], 1000); err != nil {
		t.Fatal(err)
	}
	if err := noteFirstContacts(ctx, wm, sim, seen, 900); err != nil {
		t.Fatal(err)
	}
	if err := wm.Advance(ctx, reachable[1], 1060); err != nil {
		t.Fatal(err)
	}
	if err := noteFirstContacts(ctx, wm, sim, seen, 960); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int64{reachable[0]: 900, reachable[1]: 960}, seen); diff != "" {
		t.Errorf("first contacts (-want +got):\n%s", diff)
	}
}
