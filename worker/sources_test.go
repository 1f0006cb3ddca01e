package worker

import (
	"slices"
	"testing"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/sourceplan"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// withPlan returns a handler like f.h that follows the plan parsed from
// SOURCES_DISABLED and SOURCE_INTERVALS values, its interval records in
// the fixture's Redis. Two calls give two handlers sharing those records,
// as two worker replicas do.
func (f *fixture) withPlan(t *testing.T, disabled, intervals string) *Handler {
	t.Helper()
	pl, err := sourceplan.Parse(disabled, intervals)
	if err != nil {
		t.Fatal(err)
	}
	o := f.h.o
	o.Sources, o.SourceTimes = pl, &RedisSourceTimes{Client: f.wm.Client}
	h, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// requests returns the simulator's request count of each endpoint of the
// appliance.
func requests(t *testing.T, sim *simulator.Simulator, id string) map[simulator.Endpoint]int64 {
	t.Helper()
	st, err := sim.Stats(id)
	if err != nil {
		t.Fatal(err)
	}
	return st.Requests
}

func TestDisabledSourcesAreNeverRequested(t *testing.T) {
	f := newFixture(t, 4, simulator.Faults{})
	a := reachable(t, f.sim)[0]
	h := f.withPlan(t, "disk,realtime", "")
	for job := 1; job <= 2; job++ {
		rep := h.Collect(t.Context(), f.polls[a.ID])
		if rep.Outcome != OutcomeOK {
			t.Fatalf("job %d: outcome %s (err %v, sources %v), want ok", job, rep.Outcome, rep.Err, rep.SourceErrors)
		}
		if want := []string{SourceDisk, SourceRealtime}; !slices.Equal(rep.SourcesSkipped, want) {
			t.Errorf("job %d: skipped %v, want %v", job, rep.SourcesSkipped, want)
		}
		f.clock.Add(time.Minute)
	}
	req := requests(t, f.sim, a.ID)
	for _, ep := range []simulator.Endpoint{simulator.EndpointDiskUsage, simulator.EndpointRealtimeStats} {
		if req[ep] != 0 {
			t.Errorf("%s requested %d times, want never", ep, req[ep])
		}
	}
	for _, ep := range []simulator.Endpoint{simulator.EndpointMemory, simulator.EndpointSystemInfo, simulator.EndpointDeployment,
		simulator.EndpointTrafficClass, simulator.EndpointMinuteRange} {
		if req[ep] != 2 {
			t.Errorf("%s requested %d times, want once per job = 2", ep, req[ep])
		}
	}
	for meas, want := range map[string]int{telemetry.MeasDiskStats: 0, telemetry.MeasRealtime: 0,
		telemetry.MeasMemoryStats: 2, telemetry.MeasAlarmStats: 2} {
		if got := len(f.sink.byMeasurement(meas)); got != want {
			t.Errorf("%s points = %d, want %d", meas, got, want)
		}
	}
	if len(f.sink.minutePoints()) == 0 {
		t.Error("no minute-stats points: minute_stats is enabled")
	}
}

func TestSourceIntervalHonouredAcrossReplicas(t *testing.T) {
	f := newFixture(t, 4, simulator.Faults{})
	a := reachable(t, f.sim)[0]
	replicas := []*Handler{f.withPlan(t, "", "disk=15m"), f.withPlan(t, "", "disk=15m")}
	steps := []struct {
		advance    time.Duration // before the job
		disk, mem  int64         // requests so far
		diskPoints bool          // this job wrote disk_stats
	}{
		{0, 1, 1, true},
		{time.Minute, 1, 2, false},      // +1m
		{13 * time.Minute, 1, 3, false}, // +14m
		{time.Minute, 2, 4, true},       // +15m
		{time.Minute, 2, 5, false},      // +16m
	}
	for i, s := range steps {
		f.clock.Add(s.advance)
		before := len(f.sink.byMeasurement(telemetry.MeasDiskStats))
		rep := replicas[i%2].Collect(t.Context(), f.polls[a.ID])
		if rep.Outcome != OutcomeOK {
			t.Fatalf("job %d: outcome %s (err %v, sources %v), want ok", i+1, rep.Outcome, rep.Err, rep.SourceErrors)
		}
		req := requests(t, f.sim, a.ID)
		if req[simulator.EndpointDiskUsage] != s.disk || req[simulator.EndpointMemory] != s.mem {
			t.Errorf("job %d: disk requested %d times, memory %d; want %d and %d",
				i+1, req[simulator.EndpointDiskUsage], req[simulator.EndpointMemory], s.disk, s.mem)
		}
		if wrote := len(f.sink.byMeasurement(telemetry.MeasDiskStats)) > before; wrote != s.diskPoints {
			t.Errorf("job %d: disk_stats written = %v, want %v", i+1, wrote, s.diskPoints)
		}
	}
}

func TestFailedIntervalSourceIsRetriedNextJob(t *testing.T) {
	f := newFixture(t, 4, simulator.Faults{})
	a := reachable(t, f.sim)[0]
	h := f.withPlan(t, "", "disk=15m")
	if err := f.sim.SetFault(a.ID, simulator.Fault{ErrorRate: map[simulator.Endpoint]float64{simulator.EndpointDiskUsage: 1}}); err != nil {
		t.Fatal(err)
	}
	if rep := h.Collect(t.Context(), f.polls[a.ID]); rep.SourceErrors[SourceDisk] == nil {
		t.Fatalf("job 1: disk did not fail (outcome %s)", rep.Outcome)
	}
	if err := f.sim.SetFault(a.ID, simulator.Fault{}); err != nil {
		t.Fatal(err)
	}
	failed := requests(t, f.sim, a.ID)[simulator.EndpointDiskUsage]
	f.clock.Add(time.Minute)
	if rep := h.Collect(t.Context(), f.polls[a.ID]); rep.Outcome != OutcomeOK {
		t.Fatalf("job 2: outcome %s (sources %v), want ok", rep.Outcome, rep.SourceErrors)
	}
	if got := requests(t, f.sim, a.ID)[simulator.EndpointDiskUsage]; got != failed+1 {
		t.Errorf("disk requested %d times after job 2, want %d: a failed collection must be retried on the next job", got, failed+1)
	}
	if len(f.sink.byMeasurement(telemetry.MeasDiskStats)) == 0 {
		t.Error("no disk_stats after the retry")
	}
}

func TestMinuteStatsDisabledLeavesWatermark(t *testing.T) {
	f := newFixture(t, 4, simulator.Faults{})
	a := reachable(t, f.sim)[0]
	rep := f.withPlan(t, "minute_stats", "").Collect(t.Context(), f.polls[a.ID])
	if rep.Outcome != OutcomeOK {
		t.Fatalf("outcome %s (err %v, sources %v), want ok", rep.Outcome, rep.Err, rep.SourceErrors)
	}
	req := requests(t, f.sim, a.ID)
	for _, ep := range []simulator.Endpoint{simulator.EndpointMinuteRange, simulator.EndpointMinuteStats, simulator.EndpointTrafficClass} {
		if req[ep] != 0 {
			t.Errorf("%s requested %d times, want never (traffic classes only label minute stats)", ep, req[ep])
		}
	}
	if _, ok, err := f.wm.Get(t.Context(), a.ID); err != nil || ok {
		t.Errorf("watermark set = %v (err %v), want untouched", ok, err)
	}
	if len(f.sink.byMeasurement(telemetry.MeasMemoryStats)) != 1 {
		t.Error("memory_stats not written")
	}
}

func TestNothingDueNeedsNoLogin(t *testing.T) {
	f := newFixture(t, 4, simulator.Faults{})
	a := reachable(t, f.sim)[0]
	rep := f.withPlan(t, "minute_stats,deployment,memory,cpu,routes,alarms,tunnels,disk,system_info,realtime,interfaces,next_hops", "").
		Collect(t.Context(), f.polls[a.ID])
	if rep.Outcome != OutcomeOK || len(rep.SourcesSkipped) != len(sourceplan.Names) {
		t.Fatalf("outcome %s, skipped %v; want ok with every source skipped", rep.Outcome, rep.SourcesSkipped)
	}
	st, err := f.sim.Stats(a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Logins != 0 || len(st.Requests) != 0 {
		t.Errorf("logins %d, requests %v; want none", st.Logins, st.Requests)
	}
	if len(f.sink.byMeasurement(telemetry.MeasApplianceMetadata)) != 1 {
		t.Error("the metadata point is always written")
	}
}

func TestIntervalsNeedSourceTimes(t *testing.T) {
	f := newFixture(t, 1, simulator.Faults{})
	o := f.h.o
	o.Sources, _ = sourceplan.Parse("", "disk=15m")
	if _, err := New(o); err == nil || err.Error() != "worker: SourceTimes is required when sources have their own interval" {
		t.Errorf("New = %v, want the SourceTimes error", err)
	}
}

func TestRedisSourceTimes(t *testing.T) {
	f := newFixture(t, 1, simulator.Faults{})
	st := &RedisSourceTimes{Client: f.wm.Client}
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	if err := st.Collected(t.Context(), "7.NE", SourceDisk, at, time.Hour); err != nil {
		t.Fatal(err)
	}
	// A damaged value counts as never collected.
	if err := f.wm.Client.HSet(t.Context(), "ectelemetry:source-last:7.NE", SourceMemory, "junk").Err(); err != nil {
		t.Fatal(err)
	}
	got, err := st.Last(t.Context(), "7.NE")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !got[SourceDisk].Equal(at) {
		t.Errorf("Last = %v, want only disk at %v", got, at)
	}
	if ttl := f.wm.Client.TTL(t.Context(), "ectelemetry:source-last:7.NE").Val(); ttl <= 0 || ttl > time.Hour {
		t.Errorf("TTL = %v, want at most 1h", ttl)
	}
}
