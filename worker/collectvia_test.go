package worker

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ec-telemetry/ec-telemetry/edgeconnect"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/sourceplan"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
	"github.com/ec-telemetry/ec-telemetry/orchestrator"
)

// viaOrchestrator returns a handler-options change that reads appliances
// through the simulated Orchestrator's pass-through, COLLECT_VIA via, with
// an Orchestrator client paced by lim (nil: unpaced).
func viaOrchestrator(t *testing.T, via string, minuteStats bool, lim *orchestrator.Limiter) func(*simulator.Simulator, *Options) {
	return func(sim *simulator.Simulator, o *Options) {
		oc, err := orchestrator.New(orchestrator.Options{URL: sim.OrchestratorURL(), APIKey: simulator.DefaultAPIKey,
			InsecureSkipVerify: true, Timeout: 5 * time.Second, Limiter: lim})
		if err != nil {
			t.Fatal(err)
		}
		o.CollectVia, o.PassthroughMinuteStats = via, minuteStats
		o.Relay = func(id string) (Appliance, error) {
			return edgeconnect.NewRelayed(edgeconnect.RelayOptions{Relay: oc.ApplianceRelay(id), ApplianceID: id,
				Timeout: 3 * time.Second, ArchiveTimeout: 5 * time.Second})
		}
	}
}

// collectAllOf runs one job per appliance, at most par at once, and
// returns the reports by appliance id.
func collectAllOf(t *testing.T, f *fixture, h *Handler, apps []simulator.ApplianceInfo, par int) map[string]Report {
	t.Helper()
	var mu sync.Mutex
	out := map[string]Report{}
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for _, a := range apps {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			rep := h.Collect(t.Context(), f.polls[a.ID])
			mu.Lock()
			out[a.ID] = rep
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

// checkOnce fails when any series has two points at one time.
func checkOnce(t *testing.T, pts []telemetry.Point) {
	t.Helper()
	seen := map[string]bool{}
	for _, p := range pts {
		tags := make([]string, 0, len(p.Tags))
		for k, v := range p.Tags.All() {
			tags = append(tags, k+"="+v)
		}
		slices.Sort(tags)
		k := fmt.Sprintf("%s %q %d", p.Measurement, tags, p.Time.UnixNano())
		if isJobMetadata(p) {
			k += " job" // the uptime point of /systemInfo is another writer's
		}
		if seen[k] {
			t.Errorf("stored twice: %s", k)
		}
		seen[k] = true
	}
}

// isJobMetadata reports whether p is the appliance_metadata point a job
// writes from the task (not the uptime from /systemInfo): its
// reachability and collected_via fields differ by design between the ways
// of reading.
func isJobMetadata(p telemetry.Point) bool {
	_, ok := p.Fields.Lookup(telemetry.FieldCollectedVia)
	return p.Measurement == telemetry.MeasApplianceMetadata && ok
}

// withoutMetadata drops the job's appliance_metadata and appliance_status
// points, which say how the job went rather than what the appliance
// served (the status's data age depends on the minute statistics, which
// the Orchestrator mode here does not read), and alarm_events, which
// depend on what the appliance's previous job saw.
func withoutMetadata(pts []telemetry.Point) []telemetry.Point {
	var out []telemetry.Point
	for _, p := range pts {
		if !isJobMetadata(p) && p.Measurement != telemetry.MeasApplianceStatus && p.Measurement != telemetry.MeasAlarmEvents {
			out = append(out, p)
		}
	}
	return out
}

func metadataOf(t *testing.T, s *recordingSink, id string) telemetry.Point {
	t.Helper()
	var got []telemetry.Point
	for _, p := range s.byMeasurement(telemetry.MeasApplianceMetadata) {
		if p.Tags.Get(telemetry.TagApplianceID) == id && isJobMetadata(p) {
			got = append(got, p)
		}
	}
	if len(got) != 1 {
		t.Fatalf("%s: %d appliance_metadata points, want 1", id, len(got))
	}
	return got[0]
}

// TestOrchestratorModeStoresWhatDirectModeStores: through the
// Orchestrator (both URL forms) every pass-through source is collected
// with no appliance login and stores the same values as direct
// collection; minute statistics are reported unavailable, not missing.
func TestOrchestratorModeStoresWhatDirectModeStores(t *testing.T) {
	for _, release := range []string{"9.2.8.12345", "9.4.2.40345"} {
		t.Run(release, func(t *testing.T) {
			f := newFixtureWith(t, simulator.Config{Appliances: 3, Seed: 7, OrchestratorRelease: release},
				viaOrchestrator(t, CollectOrchestrator, false, nil))
			apps := reachable(t, f.sim)
			orchSink := f.sink
			reps := collectAllOf(t, f, f.h, apps, 4)
			for _, a := range apps {
				rep := reps[a.ID]
				if rep.Outcome != OutcomeOK || rep.CollectedVia != telemetry.ViaOrchestrator {
					t.Fatalf("%s: outcome %s via %s (err %v, sources %v), want ok via orchestrator", a.ID, rep.Outcome, rep.CollectedVia, rep.Err, rep.SourceErrors)
				}
				if !slices.Equal(rep.SourcesUnavailable, []string{SourceMinuteStats}) || !slices.Contains(rep.SourcesSkipped, SourceTrafficClass) {
					t.Errorf("%s: unavailable %v skipped %v, want minute_stats unavailable and traffic_class skipped", a.ID, rep.SourcesUnavailable, rep.SourcesSkipped)
				}
				st, _ := f.sim.Stats(a.ID)
				if st.Logins != 0 || st.Requests[simulator.EndpointLogin] != 0 || st.Requests[simulator.EndpointLogout] != 0 ||
					st.Requests[simulator.EndpointMinuteStats] != 0 || st.Requests[simulator.EndpointMemory] != 1 {
					t.Errorf("%s appliance saw %+v, want no login or logout, no archive, one memory read", a.ID, st)
				}
				md := metadataOf(t, orchSink, a.ID)
				if _, rtt := md.Fields.Lookup(telemetry.FieldReachabilityRTTMs); rtt || md.Fields.Get(telemetry.FieldCollectedVia) != telemetry.ViaOrchestrator ||
					md.Fields.Get(telemetry.FieldReachabilityMethod) != MethodOrchestrator || md.Fields.Get(telemetry.FieldReachable) != true {
					t.Errorf("%s metadata = %v, want collected_via and reachability_method orchestrator, reachable, no rtt", a.ID, md.Fields.Map())
				}
			}
			if n := len(orchSink.minutePoints()); n != 0 {
				t.Errorf("%d minute-stats points stored through the Orchestrator with PASSTHROUGH_MINUTE_STATS off", n)
			}
			orch, _ := f.sim.Stats(simulator.OrchestratorID)
			relayed := orch.Requests[simulator.EndpointPassthrough]
			t.Logf("Orchestrator %s: %d pass-through requests for %d appliances: %.1f per appliance-cycle (minute stats off)",
				release, relayed, len(apps), float64(relayed)/float64(len(apps)))
			if relayed < int64(len(apps))*10 {
				t.Errorf("%d pass-through requests for %d appliances, want every source relayed", relayed, len(apps))
			}
			checkOnce(t, orchSink.points)

			// The same appliances read directly, at the same simulated time.
			direct := &recordingSink{}
			o := f.h.o
			o.CollectVia, o.Relay, o.Sink = CollectDirect, nil, direct
			o.Sources = sourceplan.Plan{}
			dh, err := New(o)
			if err != nil {
				t.Fatal(err)
			}
			collectAllOf(t, f, dh, apps, 4)
			var directPIT []telemetry.Point
			for _, p := range direct.points {
				if !minuteMeasurements[p.Measurement] {
					directPIT = append(directPIT, p)
				}
			}
			if diff := cmp.Diff(lines(t, withoutMetadata(directPIT)), lines(t, withoutMetadata(orchSink.points))); diff != "" {
				t.Errorf("point-in-time values (-direct +orchestrator):\n%s", diff)
			}
			for _, a := range apps {
				if st, _ := f.sim.Stats(a.ID); st.Logins != 1 {
					t.Errorf("%s: %d logins after one direct job, want 1", a.ID, st.Logins)
				}
			}
		})
	}
}

// TestAutoModeReadsUnreachableAppliancesThroughTheOrchestrator: with
// COLLECT_VIA=auto, appliances that refuse direct connections, and one
// whose login is refused, are read through the Orchestrator (minute
// statistics too, with PASSTHROUGH_MINUTE_STATS); the others directly;
// those the Orchestrator reports unreachable are not asked at all. Every
// value is stored exactly once and the minute statistics are the ones the
// appliance holds.
func TestAutoModeReadsUnreachableAppliancesThroughTheOrchestrator(t *testing.T) {
	cfg := simulator.Config{Appliances: 16, Seed: 2, Faults: simulator.Faults{UnreachableFraction: 0.3}}
	var badLogin string
	{
		probe, err := simulator.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		// Ids and states come from the seed; the pick is the same at Start.
		for _, a := range probe.Appliances() {
			if a.State != 2 && a.Reachable && badLogin == "" {
				badLogin = a.ID
			}
		}
	}
	cfg.Faults.PerAppliance = map[string]simulator.Fault{badLogin: {BadCredentials: true}}
	f := newFixtureWith(t, cfg, viaOrchestrator(t, CollectAuto, true, nil))
	apps := f.sim.Appliances()
	reps := collectAllOf(t, f, f.h, apps, 8)
	var relayed, direct, down int
	for _, a := range apps {
		rep := reps[a.ID]
		st, _ := f.sim.Stats(a.ID)
		md := metadataOf(t, f.sink, a.ID)
		switch {
		case a.State == 2:
			down++
			if rep.Outcome != OutcomeUnreachable || len(st.Requests) != 0 {
				t.Errorf("%s (state 2): outcome %s, appliance saw %v; want unreachable and no request", a.ID, rep.Outcome, st.Requests)
			}
		case !a.Reachable || a.ID == badLogin:
			relayed++
			if rep.Outcome != OutcomeOK || rep.CollectedVia != telemetry.ViaOrchestrator || st.Logins != 0 {
				t.Errorf("%s: outcome %s via %s, %d logins (err %v, sources %v); want ok via orchestrator without login",
					a.ID, rep.Outcome, rep.CollectedVia, st.Logins, rep.Err, rep.SourceErrors)
			}
			if a.ID == badLogin && st.FailedLogins != 1 {
				t.Errorf("%s: %d refused logins, want the one direct attempt", a.ID, st.FailedLogins)
			}
			if md.Fields.Get(telemetry.FieldCollectedVia) != telemetry.ViaOrchestrator || md.Fields.Get(telemetry.FieldReachable) != (a.ID == badLogin) {
				t.Errorf("%s metadata = %v, want collected_via orchestrator, reachable %v", a.ID, md.Fields.Map(), a.ID == badLogin)
			}
		default:
			direct++
			if rep.Outcome != OutcomeOK || rep.CollectedVia != telemetry.ViaDirect || st.Logins != 1 {
				t.Errorf("%s: outcome %s via %s, %d logins; want ok, direct, one login", a.ID, rep.Outcome, rep.CollectedVia, st.Logins)
			}
			if md.Fields.Get(telemetry.FieldCollectedVia) != telemetry.ViaDirect {
				t.Errorf("%s metadata = %v, want collected_via direct", a.ID, md.Fields.Map())
			}
		}
		// The verdict follows the way the appliance was read: online when
		// the Orchestrator relayed it, whatever the direct attempt said.
		wantStatus := StatusOnline
		if a.State == 2 {
			wantStatus = StatusOffline
		}
		if rep.Status != wantStatus {
			t.Errorf("%s: status %s (%q), want %s", a.ID, rep.Status, rep.StatusReason, wantStatus)
		}
		if a.State == 2 {
			continue
		}
		if rep.MinutesStored != 3 {
			t.Errorf("%s: %d minutes stored, want 3 (first contact)", a.ID, rep.MinutesStored)
			continue
		}
		want := lines(t, expectedMinutes(t, f.sim, a.ID, rep.MinutesFirst, rep.MinutesLast))
		var got []telemetry.Point
		for _, p := range f.sink.minutePoints() {
			if p.Tags.Get(telemetry.TagApplianceID) == a.ID {
				got = append(got, p)
			}
		}
		if diff := cmp.Diff(want, lines(t, got)); diff != "" {
			t.Errorf("%s minute points (-simulator +stored):\n%s", a.ID, diff)
		}
	}
	if relayed < 3 || direct == 0 || down == 0 {
		t.Fatalf("fleet: %d relayed, %d direct, %d down; want some of each", relayed, direct, down)
	}
	checkOnce(t, f.sink.points)
}

// TestOrchestratorRateLimitHoldsFor500Appliances: 500 appliances read
// through the Orchestrator by 64 concurrent jobs never start more
// Orchestrator requests in one second than ORCH_RATE_LIMIT (plus a slack of
// three: the limiter's burst of one, and requests sent at the end of one
// second that arrive in the next), and the simulated Orchestrator, which
// refuses requests beyond a somewhat higher rate, refuses none.
func TestOrchestratorRateLimitHoldsFor500Appliances(t *testing.T) {
	if testing.Short() {
		t.Skip("500 appliances")
	}
	const limit = 100
	var waits sync.Map
	lim, err := orchestrator.NewLimiter(orchestrator.LimiterOptions{Rate: limit, MaxConcurrency: 16,
		OnWait: func(d time.Duration) { waits.Store(d > 5*time.Millisecond, true) }})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixtureWith(t, simulator.Config{Appliances: 500, Seed: 11, Passthrough: simulator.Passthrough{RateLimit: limit + 10, Latency: 2 * time.Millisecond}},
		func(sim *simulator.Simulator, o *Options) {
			viaOrchestrator(t, CollectOrchestrator, false, lim)(sim, o)
			// Two reads per appliance keep the run short; the pacing is the
			// same for every source.
			pl, err := sourceplan.Parse("minute_stats,traffic_class,deployment,cpu,routes,alarms,tunnels,disk,realtime,interfaces,next_hops", "")
			if err != nil {
				t.Fatal(err)
			}
			o.Sources, o.JobTimeout, o.SourceTimeout = pl, 60*time.Second, 60*time.Second
		})
	reps := collectAllOf(t, f, f.h, f.sim.Appliances(), 64)
	var ok int
	for id, rep := range reps {
		switch {
		case rep.Outcome == OutcomeOK:
			ok++
		case f.polls[id].State == 2 && rep.Outcome == OutcomeUnreachable:
		default:
			t.Errorf("%s: outcome %s (err %v, sources %v)", id, rep.Outcome, rep.Err, rep.SourceErrors)
		}
	}
	perSec := f.sim.PassthroughPerSecond()
	var most, total int64
	for _, n := range perSec {
		most, total = max(most, n), total+n
	}
	t.Logf("%d appliances collected, %d pass-through requests in %d seconds, at most %d in one second (limit %d)", ok, total, len(perSec), most, limit)
	if most > limit+3 {
		t.Errorf("%d pass-through requests in one second, want at most %d (ORCH_RATE_LIMIT %d)", most, limit+3, limit)
	}
	if total != int64(2*ok) {
		t.Errorf("%d pass-through requests, want 2 per collected appliance (%d)", total, 2*ok)
	}
	if _, queued := waits.Load(true); !queued {
		t.Error("no request ever waited for its turn: the run did not load the limiter")
	}
	if ok < 400 {
		t.Errorf("%d of 500 appliances collected", ok)
	}
	// No appliance was logged in to.
	for _, a := range f.sim.Appliances()[:20] {
		if st, _ := f.sim.Stats(a.ID); st.Logins != 0 {
			t.Errorf("%s: %d logins", a.ID, st.Logins)
		}
	}
}

// TestOrchestratorModeStoresInInfluxDB: two cycles of one appliance read
// through the Orchestrator, minute statistics included
// (PASSTHROUGH_MINUTE_STATS), store in a real InfluxDB every minute the
// appliance holds exactly once, the served memory values, and
// collected_via.
func TestOrchestratorModeStoresInInfluxDB(t *testing.T) {
	f := newFixtureWith(t, simulator.Config{Appliances: 3, Seed: 7}, viaOrchestrator(t, CollectOrchestrator, true, nil))
	db := f.useInflux(t)
	a := reachable(t, f.sim)[0]
	var minutes int
	relayed := func() int64 {
		st, _ := f.sim.Stats(simulator.OrchestratorID)
		return st.Requests[simulator.EndpointPassthrough]
	}
	for cycle := range 2 {
		if cycle > 0 {
			f.clock.Add(time.Minute)
		}
		poll := polls(t, f.sim, f.clock.Now())[a.ID]
		before := relayed()
		rep := f.h.Collect(t.Context(), poll)
		// Steady state: 19 point-in-time reads, the traffic-class names,
		// the minute range and the one new archive.
		if n := relayed() - before; cycle > 0 && n != 22 {
			t.Errorf("cycle %d: %d pass-through requests, want 22", cycle, n)
		} else {
			t.Logf("cycle %d: %d pass-through requests with minute statistics (%d minutes)", cycle, n, rep.MinutesStored)
		}
		if rep.Outcome != OutcomeOK || rep.CollectedVia != telemetry.ViaOrchestrator || len(rep.SourcesUnavailable) != 0 {
			t.Fatalf("cycle %d: outcome %s via %s, unavailable %v (err %v, sources %v)", cycle, rep.Outcome, rep.CollectedVia, rep.SourcesUnavailable, rep.Err, rep.SourceErrors)
		}
		minutes += rep.MinutesStored
	}
	if st, _ := f.sim.Stats(a.ID); st.Logins != 0 || minutes != 4 {
		t.Fatalf("%d logins, %d minutes stored; want 0 and 4 (3 on first contact, then 1)", st.Logins, minutes)
	}
	newest, _ := f.sim.Window()
	perMeas := map[string]int{}
	for _, p := range expectedMinutes(t, f.sim, a.ID, newest-180, newest) {
		perMeas[p.Measurement]++
	}
	for m, n := range perMeas {
		if got := storedPoints(t, db, fmt.Sprintf(`SELECT * FROM %q WHERE appliance_id = '%s'`, m, a.ID)); got != n {
			t.Errorf("%s: %d points stored, want %d", m, got, n)
		}
	}
	served, _ := f.sim.LastServed(a.ID)
	v, err := db.QueryValue(t.Context(), fmt.Sprintf(`SELECT last(%q) FROM %q WHERE appliance_id = '%s'`, telemetry.FieldTotalMemory, telemetry.MeasMemoryStats, a.ID))
	if err != nil || fmt.Sprint(v) != fmt.Sprint(served.Memory.Total) {
		t.Errorf("memory_stats total = %v (%v), want the served %d", v, err, served.Memory.Total)
	}
	v, err = db.QueryValue(t.Context(), fmt.Sprintf(`SELECT last(%q) FROM %q WHERE appliance_id = '%s'`, telemetry.FieldCollectedVia, telemetry.MeasApplianceMetadata, a.ID))
	if err != nil || v != telemetry.ViaOrchestrator {
		t.Errorf("appliance_metadata collected_via = %v (%v), want %q", v, err, telemetry.ViaOrchestrator)
	}
}

// storedPoints returns how many points an InfluxQL SELECT finds.
func storedPoints(t *testing.T, db *testenv.InfluxDB, q string) int {
	t.Helper()
	series, err := db.Query(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for _, s := range series {
		got += len(s.Values)
	}
	return got
}
