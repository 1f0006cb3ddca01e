package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/ec-telemetry/ec-telemetry/edgeconnect"
	"github.com/ec-telemetry/ec-telemetry/influx"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// recordingSink stores written points in memory; fail makes Write fail.
type recordingSink struct {
	mu     sync.Mutex
	points []telemetry.Point
	fail   error
}

func (s *recordingSink) Write(_ context.Context, pts []telemetry.Point) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return 0, s.fail
	}
	for _, p := range pts {
		if err := telemetry.Validate(p); err != nil {
			return 0, fmt.Errorf("invalid point: %w", err)
		}
	}
	s.points = append(s.points, keepPoints(pts)...)
	return len(pts), nil
}

// keepPoints copies pts with their tags and fields, as a Sink must to keep
// points after Write returns: the worker reuses their storage.
func keepPoints(pts []telemetry.Point) []telemetry.Point {
	out := make([]telemetry.Point, len(pts))
	for i, p := range pts {
		out[i] = telemetry.Point{Measurement: p.Measurement, Tags: slices.Clone(p.Tags), Fields: slices.Clone(p.Fields), Time: p.Time}
	}
	return out
}

func (s *recordingSink) byMeasurement(m string) []telemetry.Point {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []telemetry.Point
	for _, p := range s.points {
		if p.Measurement == m {
			out = append(out, p)
		}
	}
	return out
}

// lines renders points as sorted line protocol for comparison.
func lines(t *testing.T, pts []telemetry.Point) []string {
	t.Helper()
	out := make([]string, 0, len(pts))
	for _, p := range pts {
		b, err := influx.AppendLine(nil, p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.TrimSuffix(string(b), "\n"))
	}
	sort.Strings(out)
	return out
}

type fixture struct {
	sim   *simulator.Simulator
	clock *simulator.Clock
	sink  *recordingSink
	wm    *RedisWatermarks
	h     *Handler
	polls map[string]tasks.AppliancePoll
}

func newFixture(t *testing.T, n int, faults simulator.Faults) *fixture {
	t.Helper()
	return newFixtureWith(t, simulator.Config{Appliances: n, Seed: 7, Faults: faults}, nil)
}

// newFixtureWith is newFixture with the simulator's configuration (its
// clock is the fixture's) and a change to the handler's options (mod may
// be nil; it runs before New and may use the started simulator).
func newFixtureWith(t testing.TB, cfg simulator.Config, mod func(*simulator.Simulator, *Options)) *fixture {
	t.Helper()
	clock := simulator.NewClock(time.Date(2026, 11, 23, 10, 0, 30, 0, time.UTC))
	cfg.Now = clock.Now
	sim := testenv.StartSimulator(t, cfg)
	rs := testenv.StartRedis(t)
	rdb := rs.Client(t)
	tr, err := edgeconnect.NewTransport(edgeconnect.TransportOptions{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{sim: sim, clock: clock, sink: &recordingSink{}, wm: &RedisWatermarks{Client: rdb}}
	reach, _ := NewReacher("tcp", 2*time.Second)
	o := Options{
		Dial: func(addr string) (Appliance, error) {
			return edgeconnect.New(edgeconnect.Options{Address: addr, User: simulator.DefaultECUser,
				Password: simulator.DefaultECPassword, Transport: tr, Timeout: 2 * time.Second, ArchiveTimeout: 5 * time.Second})
		},
		Sink: f.sink, Reacher: reach, Watermarks: f.wm, AlarmMemory: &RedisAlarmMemory{Client: rdb},
		StatusBoard: &tasks.RedisStatusBoard{Client: rdb}, Redis: rdb, Logger: zerolog.Nop(),
		JobTimeout: 20 * time.Second, SourceTimeout: 3 * time.Second, Now: clock.Now,
	}
	if mod != nil {
		mod(sim, &o)
	}
	f.h, err = New(o)
	if err != nil {
		t.Fatal(err)
	}
	f.polls = polls(t, sim, clock.Now())
	return f
}

// useInflux makes the fixture's handler write to a fresh real InfluxDB,
// which it returns.
func (f *fixture) useInflux(t *testing.T) *testenv.InfluxDB {
	t.Helper()
	db := testenv.StartInfluxDB(t)
	w, err := influx.NewWriter(influx.Options{URL: db.URL, Bucket: db.Bucket})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	f.h.o.Sink = w
	return db
}

// polls builds the payloads discovery would send, from the simulator's
// Orchestrator API (decoded here independently of the orchestrator client).
func polls(t testing.TB, sim *simulator.Simulator, now time.Time) map[string]tasks.AppliancePoll {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsInsecure()}}
	get := func(path string, v any) {
		req, _ := http.NewRequest("GET", sim.OrchestratorURL()+"/gms/rest"+path, nil)
		req.Header.Set("X-Auth-Token", simulator.DefaultAPIKey)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("decode %s: %v", path, err)
		}
	}
	var labels struct {
		WAN, LAN map[string]struct{ Name string }
	}
	get("/gms/interfaceLabels", &labels)
	var overlays []struct {
		ID   int
		Name string
	}
	get("/gms/overlays/config", &overlays)
	names := func(m map[string]struct{ Name string }) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = v.Name
		}
		return out
	}
	ov := map[string]string{}
	for _, o := range overlays {
		ov[fmt.Sprint(o.ID)] = o.Name
	}
	out := map[string]tasks.AppliancePoll{}
	for _, a := range sim.Appliances() {
		role := "0"
		if a.Hub {
			role = "1"
		}
		out[a.ID] = tasks.AppliancePoll{
			ApplianceID: a.ID, Hostname: a.Hostname, Address: a.Address, NetworkRole: role,
			Model: a.Model, Platform: a.Platform, SoftwareVersion: a.SoftwareVersion, State: a.State,
			ReachabilityChannel: a.ReachabilityChannel, Licensed: true, LicenseDisplay: a.LicenseDisplay,
			LicenseBW: a.LicenseBandwidth, WANLabels: names(labels.WAN), LANLabels: names(labels.LAN),
			Overlays: ov, DiscoveredAt: now.Unix(), Cycle: now.Unix() - now.Unix()%60,
		}
	}
	return out
}

func reachable(t *testing.T, sim *simulator.Simulator) []simulator.ApplianceInfo {
	var out []simulator.ApplianceInfo
	for _, a := range sim.Appliances() {
		if a.Reachable {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		t.Fatal("simulator has no reachable appliance")
	}
	return out
}

func expectedMinutes(t *testing.T, sim *simulator.Simulator, id string, first, last int64) []telemetry.Point {
	t.Helper()
	var out []telemetry.Point
	for m := first; m <= last; m += 60 {
		pts, err := sim.ExpectedMinutePoints(id, m)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, pts...)
	}
	return out
}

var minuteMeasurements = map[string]bool{
	telemetry.MeasInterfaceStats: true, telemetry.MeasTunnelStats: true, telemetry.MeasFlowStats: true,
	telemetry.MeasBoostStats: true, telemetry.MeasDropStats: true, telemetry.MeasInterfaceOverlayStats: true,
	telemetry.MeasTrafficClassStats: true, telemetry.MeasShaperStats: true, telemetry.MeasTunnelAvailability: true,
	telemetry.MeasTunnelPeakStats: true, telemetry.MeasProbeStats: true,
}

func (s *recordingSink) minutePoints() []telemetry.Point {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []telemetry.Point
	for _, p := range s.points {
		if minuteMeasurements[p.Measurement] {
			out = append(out, p)
		}
	}
	return out
}

func TestCollectStoresExactlyWhatTheApplianceServed(t *testing.T) {
	f := newFixture(t, 4, simulator.Faults{})
	a := reachable(t, f.sim)[0]
	rep := f.h.Collect(t.Context(), f.polls[a.ID])
	if rep.Outcome != OutcomeOK {
		t.Fatalf("Outcome = %s (err %v, sources %v), want ok", rep.Outcome, rep.Err, rep.SourceErrors)
	}
	newest, _ := f.sim.Window()
	// First contact: the last three minutes, like the demo.
	if rep.MinutesStored != 3 || rep.MinutesFirst != newest-120 || rep.MinutesLast != newest {
		t.Errorf("minutes = %d [%d..%d], want 3 [%d..%d]", rep.MinutesStored, rep.MinutesFirst, rep.MinutesLast, newest-120, newest)
	}
	want := lines(t, expectedMinutes(t, f.sim, a.ID, newest-120, newest))
	if diff := cmp.Diff(want, lines(t, f.sink.minutePoints())); diff != "" {
		t.Errorf("minute points (-simulator +stored):\n%s", diff)
	}

	served, err := f.sim.LastServed(a.ID)
	if err != nil {
		t.Fatal(err)
	}
	mem := f.sink.byMeasurement(telemetry.MeasMemoryStats)
	if len(mem) != 1 || mem[0].Fields.Get(telemetry.FieldTotalMemory) != served.Memory.Total || mem[0].Fields.Get(telemetry.FieldSwapUsed) != served.Memory.SwapUsed {
		t.Errorf("memory_stats = %v, want total %d swap_used %d", mem, served.Memory.Total, served.Memory.SwapUsed)
	}
	if got, want := len(f.sink.byMeasurement(telemetry.MeasCPUStats)), len(served.CPU); got != want {
		t.Errorf("cpu_stats points = %d, want one per sample and CPU = %d", got, want)
	}
	alarms := f.sink.byMeasurement(telemetry.MeasAlarmStats)
	if len(alarms) != 1 || alarms[0].Fields.Get(telemetry.FieldMajorAlarms) != int64(served.Alarms.NumMajor) {
		t.Errorf("alarm_stats = %v, want major %d", alarms, served.Alarms.NumMajor)
	}
	routes := f.sink.byMeasurement(telemetry.MeasRouteTableStats)
	if len(routes) != 1 || routes[0].Fields.Get(telemetry.FieldTotalV4Routes) != int64(served.Routes.V4) {
		t.Errorf("route_table_stats = %v, want v4 %d", routes, served.Routes.V4)
	}
	disk := f.sink.byMeasurement(telemetry.MeasDiskStats)
	if len(disk) != len(served.Disk) {
		t.Errorf("disk_stats points = %d, want %d", len(disk), len(served.Disk))
	}
	for _, p := range disk {
		if want := served.Disk[p.Tags.Get(telemetry.TagDiskDir)]; p.Fields.Get(telemetry.FieldUsed) != want.Used {
			t.Errorf("disk %s used = %v, want %d", p.Tags.Get(telemetry.TagDiskDir), p.Fields.Get(telemetry.FieldUsed), want.Used)
		}
	}
	dep := f.sink.byMeasurement(telemetry.MeasDeploymentInfo)
	if len(dep) != len(served.Deployment) {
		t.Errorf("deployment_info points = %d, want %d", len(dep), len(served.Deployment))
	}
	for _, d := range served.Deployment {
		found := false
		for _, p := range dep {
			if p.Tags.Get(telemetry.TagInterfaceName) == d.InterfaceName && p.Tags.Get(telemetry.TagInterfaceLabel) == d.Label &&
				p.Fields.Get(telemetry.FieldWanInboundBW) == d.Inbound && p.Fields.Get(telemetry.FieldWanOutboundBW) == d.Outbound {
				found = true
			}
		}
		if !found {
			t.Errorf("deployment_info lacks %+v", d)
		}
	}
	rt := f.sink.byMeasurement(telemetry.MeasRealtime)
	var pps int64
	for _, k := range realtimeKeys {
		pps += served.Realtime[k][0][1]
	}
	if len(rt) != 1 || rt[0].Fields.Get(telemetry.FieldPps) != pps {
		t.Errorf("realtime = %v, want pps %d", rt, pps)
	}
	tc := f.sink.byMeasurement(telemetry.MeasTunnelCountStats)
	wantAll := served.Tunnels[simulator.TunnelQuery{Endpoint: simulator.EndpointTunnelIDs}]
	if len(tc) != 1 || tc[0].Fields.Get(telemetry.FieldUnderlaySDWANTunnels) != int64(len(wantAll)) {
		t.Errorf("tunnel_count_stats = %v, want underlay %d", tc, len(wantAll))
	}
	up := f.sink.byMeasurement(telemetry.MeasApplianceMetadata)
	var sawUptime, sawMeta bool
	for _, p := range up {
		if v, ok := p.Fields.Lookup(telemetry.FieldUptime); ok {
			sawUptime = v == *served.UptimeMs
		}
		if p.Fields.Get(telemetry.FieldReachable) == true && p.Fields.Get(telemetry.FieldModel) == a.Model {
			sawMeta = true
		}
	}
	if !sawUptime || !sawMeta {
		t.Errorf("appliance_metadata = %v, want uptime %d and metadata with model %s", up, *served.UptimeMs, a.Model)
	}
	st, _ := f.sim.Stats(a.ID)
	if st.Logins != 1 || st.Logouts != 1 || st.OpenSessions != 0 {
		t.Errorf("sessions: logins %d logouts %d open %d, want 1 1 0", st.Logins, st.Logouts, st.OpenSessions)
	}
}

func TestBackfillFillsAGapExactlyOnce(t *testing.T) {
	f := newFixture(t, 3, simulator.Faults{})
	a := reachable(t, f.sim)[0]
	if rep := f.h.Collect(t.Context(), f.polls[a.ID]); rep.Outcome != OutcomeOK {
		t.Fatalf("first job: %s %v %v", rep.Outcome, rep.Err, rep.SourceErrors)
	}
	first, _ := f.sim.Window()
	f.clock.Add(7 * time.Minute) // the worker was away for seven minutes
	rep := f.h.Collect(t.Context(), f.polls[a.ID])
	newest, _ := f.sim.Window()
	if rep.MinutesStored != 7 || rep.MinutesFirst != first+60 || rep.MinutesLast != newest {
		t.Errorf("backfill = %d minutes [%d..%d], want 7 [%d..%d]", rep.MinutesStored, rep.MinutesFirst, rep.MinutesLast, first+60, newest)
	}
	f.h.Collect(t.Context(), f.polls[a.ID]) // nothing new: stores no minute again
	want := lines(t, expectedMinutes(t, f.sim, a.ID, first-120, newest))
	if diff := cmp.Diff(want, lines(t, f.sink.minutePoints())); diff != "" {
		t.Errorf("minute points after backfill (-want +got):\n%s", diff)
	}
	if wm, _, _ := f.wm.Get(t.Context(), a.ID); wm != newest {
		t.Errorf("watermark = %d, want %d", wm, newest)
	}
}

func TestFailedWriteDoesNotAdvanceTheWatermark(t *testing.T) {
	f := newFixture(t, 3, simulator.Faults{})
	a := reachable(t, f.sim)[0]
	f.sink.fail = errors.New("influxdb down")
	rep := f.h.Collect(t.Context(), f.polls[a.ID])
	if rep.Outcome != OutcomeFailed || rep.Err == nil {
		t.Errorf("Outcome = %s, err %v; want failed with the write error", rep.Outcome, rep.Err)
	}
	if _, ok, _ := f.wm.Get(t.Context(), a.ID); ok {
		t.Error("watermark set although nothing was written")
	}
	f.sink.fail = nil
	f.clock.Add(time.Minute)
	rep = f.h.Collect(t.Context(), f.polls[a.ID])
	if rep.MinutesStored != 3 {
		t.Errorf("after recovery stored %d minutes, want 3 (first contact again)", rep.MinutesStored)
	}
}

func TestFailuresNameTheApplianceAndKeepMetadata(t *testing.T) {
	f := newFixture(t, 6, simulator.Faults{})
	apps := reachable(t, f.sim)
	if len(apps) < 4 {
		t.Skipf("need 4 reachable appliances, have %d", len(apps))
	}
	bad, corrupt, slow := apps[1], apps[2], apps[3]
	f.sim.SetFault(bad.ID, simulator.Fault{BadCredentials: true})
	f.sim.SetFault(corrupt.ID, simulator.Fault{CorruptArchive: true})
	f.sim.SetFault(slow.ID, simulator.Fault{SlowEndpoints: []simulator.Endpoint{simulator.EndpointMemory}})

	unreach := f.polls[bad.ID]
	unreach.ApplianceID, unreach.Hostname, unreach.Address = "99.NE", "GONE-EC-99", testenv.ClosedPort(t)

	tests := []struct {
		name        string
		poll        tasks.AppliancePoll
		want        Outcome
		failed      string
		wantLogouts int64
	}{
		{"unreachable", unreach, OutcomeUnreachable, "", 0},
		{"wrong credentials", f.polls[bad.ID], OutcomeLoginFailed, "", 0},
		{"corrupt archive", f.polls[corrupt.ID], OutcomePartial, SourceMinuteStats, 1},
		{"slow endpoint", f.polls[slow.ID], OutcomePartial, SourceMemory, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(f.sink.byMeasurement(telemetry.MeasApplianceMetadata))
			rep := f.h.Collect(t.Context(), tc.poll)
			if rep.Outcome != tc.want {
				t.Fatalf("Outcome = %s (err %v, sources %v), want %s", rep.Outcome, rep.Err, rep.SourceErrors, tc.want)
			}
			if tc.failed != "" {
				if _, ok := rep.SourceErrors[tc.failed]; !ok || len(rep.SourceErrors) != 1 {
					t.Errorf("SourceErrors = %v, want only %s", rep.SourceErrors, tc.failed)
				}
			}
			if after := len(f.sink.byMeasurement(telemetry.MeasApplianceMetadata)); after <= before {
				t.Error("appliance_metadata not written")
			}
			if tc.want == OutcomeUnreachable {
				if rep.Err == nil || !strings.Contains(rep.Err.Error(), tc.poll.Address) {
					t.Errorf("Err = %v, want it to name %s", rep.Err, tc.poll.Address)
				}
				return
			}
			st, _ := f.sim.Stats(tc.poll.ApplianceID)
			if st.Logouts != tc.wantLogouts || st.OpenSessions != 0 {
				t.Errorf("logouts %d open %d, want %d 0", st.Logouts, st.OpenSessions, tc.wantLogouts)
			}
		})
	}
	// The unreachable appliance's metadata says so.
	for _, p := range f.sink.byMeasurement(telemetry.MeasApplianceMetadata) {
		if p.Tags.Get(telemetry.TagHostname) == "GONE-EC-99" && p.Fields.Get(telemetry.FieldReachable) != false {
			t.Errorf("metadata of the unreachable appliance = %v, want reachable=false", p.Fields.Map())
		}
	}
}

type recordingSpool struct {
	mu     sync.Mutex
	points []telemetry.Point
}

func (s *recordingSpool) Push(_ context.Context, pts []telemetry.Point) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.points = append(s.points, keepPoints(pts)...)
	return len(pts), nil
}

func (s *recordingSpool) measurements() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for _, p := range s.points {
		out[p.Measurement]++
	}
	return out
}

// While InfluxDB cannot take points, the point-in-time ones go to the spool
// (they cannot be fetched again); minute stats do not (the watermark fetches
// them again), and a permanent refusal is an error, not spooled.
func TestPointInTimePointsAreSpooledWhileInfluxDBIsDown(t *testing.T) {
	f := newFixture(t, 3, simulator.Faults{})
	sp := &recordingSpool{}
	f.h.o.Spool = sp
	a := reachable(t, f.sim)[0]

	f.sink.fail = &influx.WriteError{StatusCode: 503, Message: "service unavailable", Points: 1}
	rep := f.h.Collect(t.Context(), f.polls[a.ID])
	if rep.Err != nil || rep.Outcome != OutcomePartial {
		t.Errorf("Outcome = %s, err %v; want partial (minute stats not stored) without a job error", rep.Outcome, rep.Err)
	}
	if _, ok := rep.SourceErrors[SourceMinuteStats]; !ok || len(rep.SourceErrors) != 1 {
		t.Errorf("SourceErrors = %v, want only %s", rep.SourceErrors, SourceMinuteStats)
	}
	got := sp.measurements()
	if rep.Spooled == 0 || rep.Spooled != len(sp.points) || rep.Points != 0 {
		t.Errorf("Spooled %d, Points %d, spool holds %d; want every point-in-time point spooled, none written", rep.Spooled, rep.Points, len(sp.points))
	}
	for _, m := range []string{telemetry.MeasApplianceMetadata, telemetry.MeasCPUStats, telemetry.MeasMemoryStats, telemetry.MeasTunnelCountStats} {
		if got[m] == 0 {
			t.Errorf("spool lacks %s: %v", m, got)
		}
	}
	for m := range got {
		if minuteMeasurements[m] {
			t.Errorf("minute-stats measurement %s was spooled", m)
		}
	}
	if _, ok, _ := f.wm.Get(t.Context(), a.ID); ok {
		t.Error("watermark advanced although the minute stats were not written")
	}

	// A permanent refusal cannot succeed later: reported, not spooled.
	before := len(sp.points)
	f.sink.fail = &influx.WriteError{StatusCode: 400, Permanent: true, Message: "bad request", Points: 1}
	f.clock.Add(time.Minute)
	rep = f.h.Collect(t.Context(), f.polls[a.ID])
	if rep.Outcome != OutcomeFailed || rep.Err == nil || !strings.Contains(rep.Err.Error(), "bad request") || len(sp.points) != before {
		t.Errorf("permanent failure: Outcome %s err %v, spool %d -> %d; want failed, the reason, nothing spooled",
			rep.Outcome, rep.Err, before, len(sp.points))
	}
}

// An appliance whose archive moved back in time (clock set back, or
// replaced under the same nePk) is collected again at once, not after its
// clock has caught up with the old watermark.
func TestWatermarkAheadOfTheApplianceStartsAfresh(t *testing.T) {
	f := newFixture(t, 3, simulator.Faults{})
	var logs bytes.Buffer
	f.h.o.Logger = zerolog.New(&logs)
	a := reachable(t, f.sim)[0]
	newest, _ := f.sim.Window()
	ahead := newest + 6*3600
	if err := f.wm.Advance(t.Context(), a.ID, ahead); err != nil {
		t.Fatal(err)
	}
	rep := f.h.Collect(t.Context(), f.polls[a.ID])
	if rep.Outcome != OutcomeOK || rep.MinutesStored != 3 || rep.MinutesLast != newest {
		t.Errorf("job = %s, %d minutes up to %d (err %v %v); want ok, the 3 newest up to %d",
			rep.Outcome, rep.MinutesStored, rep.MinutesLast, rep.Err, rep.SourceErrors, newest)
	}
	if wm, ok, _ := f.wm.Get(t.Context(), a.ID); !ok || wm != newest {
		t.Errorf("watermark = %d (%v), want %d", wm, ok, newest)
	}
	if !strings.Contains(logs.String(), "starting afresh") || !strings.Contains(logs.String(), a.Hostname) {
		t.Errorf("no warning naming %s:\n%s", a.Hostname, logs.String())
	}
	// A watermark equal to the newest minute is the normal "nothing new".
	rep = f.h.Collect(t.Context(), f.polls[a.ID])
	if rep.MinutesStored != 0 {
		t.Errorf("second job stored %d minutes, want 0", rep.MinutesStored)
	}
}

type failingWatermarks struct{ err error }

func (f failingWatermarks) Get(context.Context, string) (int64, bool, error) { return 0, false, f.err }
func (f failingWatermarks) Advance(context.Context, string, int64) error     { return f.err }
func (f failingWatermarks) Reset(context.Context, string) error              { return f.err }

// With Redis down the watermarks cannot be read: minute stats fail with an
// error naming the appliance and the source, the point-in-time sources are
// still written, and nothing crashes.
func TestWatermarkStoreDownKeepsTheOtherSources(t *testing.T) {
	f := newFixture(t, 3, simulator.Faults{})
	a := reachable(t, f.sim)[0]
	var logs bytes.Buffer
	f.h.o.Logger = zerolog.New(&logs)
	f.h.o.Watermarks = failingWatermarks{err: errors.New("read watermark of " + a.ID + ": dial tcp: connection refused")}
	rep := f.h.Collect(t.Context(), f.polls[a.ID])
	if rep.Outcome != OutcomePartial || len(rep.SourceErrors) != 1 || rep.SourceErrors[SourceMinuteStats] == nil {
		t.Fatalf("Outcome %s, sources %v, err %v; want partial with only minute_stats failed", rep.Outcome, rep.SourceErrors, rep.Err)
	}
	if len(f.sink.minutePoints()) != 0 || len(f.sink.byMeasurement(telemetry.MeasMemoryStats)) != 1 {
		t.Errorf("stored %d minute points and %d memory points; want 0 and 1", len(f.sink.minutePoints()),
			len(f.sink.byMeasurement(telemetry.MeasMemoryStats)))
	}
	line := grepLine(logs.String(), "appliance collected with failed sources")
	for _, want := range []string{a.Hostname, SourceMinuteStats, "connection refused"} {
		if !strings.Contains(line, want) {
			t.Errorf("log line lacks %q: %s", want, line)
		}
	}
}

func grepLine(logs, s string) string {
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// After Redis lost the watermarks, discovery marks the payload: the first
// job backfills every minute the appliance holds within BackfillMax instead
// of the first-contact minutes.
func TestBackfillAllWithoutWatermarkTakesTheAppliancesRange(t *testing.T) {
	f := newFixture(t, 3, simulator.Faults{})
	f.h.o.BackfillMax = 10 * time.Minute
	a := reachable(t, f.sim)[0]
	p := f.polls[a.ID]
	p.BackfillAll = true
	rep := f.h.Collect(t.Context(), p)
	newest, _ := f.sim.Window()
	if rep.Outcome != OutcomeOK || rep.MinutesStored != 10 || rep.MinutesFirst != newest-540 || rep.MinutesLast != newest {
		t.Errorf("job = %s, %d minutes [%d..%d], want ok, 10 [%d..%d]", rep.Outcome, rep.MinutesStored, rep.MinutesFirst, rep.MinutesLast, newest-540, newest)
	}
	// With a watermark the flag changes nothing.
	f.clock.Add(2 * time.Minute)
	rep = f.h.Collect(t.Context(), p)
	if rep.MinutesStored != 2 || rep.MinutesFirst != newest+60 {
		t.Errorf("next job = %d minutes from %d, want 2 from %d", rep.MinutesStored, rep.MinutesFirst, newest+60)
	}
}
