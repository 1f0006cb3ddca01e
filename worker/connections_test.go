package worker

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ec-telemetry/ec-telemetry/edgeconnect"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// A job opens at most TransportOptions.MaxConnsPerHost (default 2)
// connections to its appliance, whatever its parallel sources, and the
// next cycle's handshakes resume the TLS sessions of the last one.
func TestJobsUseFewConnectionsAndResumeTLSSessions(t *testing.T) {
	var dials, full, resumed atomic.Int64
	tr, err := edgeconnect.NewTransport(edgeconnect.TransportOptions{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return dial(ctx, network, addr)
	}
	tr.TLSClientConfig.VerifyConnection = func(cs tls.ConnectionState) error {
		if cs.DidResume {
			resumed.Add(1)
		} else {
			full.Add(1)
		}
		return nil
	}
	f := newFixtureWith(t, simulator.Config{Appliances: 4, Seed: 7}, func(_ *simulator.Simulator, o *Options) {
		o.Parallel = 6
		o.Dial = func(addr string) (Appliance, error) {
			return edgeconnect.New(edgeconnect.Options{Address: addr, User: simulator.DefaultECUser,
				Password: simulator.DefaultECPassword, Transport: tr})
		}
	})
	for round := 1; round <= 2; round++ {
		dials.Store(0)
		full.Store(0)
		resumed.Store(0)
		jobs := int64(0)
		for _, p := range f.polls {
			if rep := f.h.Collect(t.Context(), p); rep.Outcome == OutcomeOK {
				jobs++
			}
		}
		if jobs < 2 {
			t.Fatalf("round %d: %d jobs collected, want at least 2", round, jobs)
		}
		t.Logf("round %d: %d jobs, %d connections, %d full and %d resumed handshakes", round, jobs, dials.Load(), full.Load(), resumed.Load())
		if d := dials.Load(); d > 2*jobs {
			t.Errorf("round %d: %d connections for %d jobs, want at most 2 per job", round, d, jobs)
		}
		if round == 2 && full.Load() != 0 {
			t.Errorf("round 2: %d full handshakes, want every one resumed", full.Load())
		}
		tr.CloseIdleConnections() // as the idle timeout does between cycles
		f.clock.Add(60e9)
	}
}

// logoutProbeSink is a Sink whose writes of minute statistics wait, up to
// a while, for the appliance to be logged out, and note whether it was.
// A job that logged out only after its minute statistics were written
// would keep each of them waiting the whole while and noted as before.
type logoutProbeSink struct {
	sim     *simulator.Simulator
	id      string
	wait    time.Duration
	writes  atomic.Int64 // writes of minute statistics
	afterLO atomic.Int64 // ... of which after the logout
}

func (s *logoutProbeSink) Write(ctx context.Context, pts []telemetry.Point) (int, error) {
	for _, p := range pts {
		if p.Measurement == telemetry.MeasInterfaceStats {
			s.writes.Add(1)
			for deadline := time.Now().Add(s.wait); ; {
				if st, err := s.sim.Stats(s.id); err == nil && st.Logouts == 1 && st.OpenSessions == 0 {
					s.afterLO.Add(1)
					break
				}
				if time.Now().After(deadline) || ctx.Err() != nil {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			break
		}
	}
	return len(pts), nil
}

// A job logs out as soon as its sources are read and its archives
// downloaded, without waiting for them to be parsed and written (a parse
// may start earlier, while other sources are still being read): a job
// waiting for a minute-stats slot or for the database holds no session on
// the appliance.
func TestJobLogsOutBeforeWritingMinuteStats(t *testing.T) {
	var sink *logoutProbeSink
	f := newFixtureWith(t, simulator.Config{Appliances: 3, Seed: 7}, func(sim *simulator.Simulator, o *Options) {
		for _, a := range sim.Appliances() {
			if a.Reachable {
				sink = &logoutProbeSink{sim: sim, id: a.ID, wait: 10 * time.Second}
				break
			}
		}
		o.Sink = sink
	})
	for _, p := range f.polls {
		if p.ApplianceID != sink.id {
			continue
		}
		if rep := f.h.Collect(t.Context(), p); rep.Outcome != OutcomeOK || rep.MinutesStored == 0 {
			t.Fatalf("job of %s: outcome %s (%v), %d minutes; want ok with minutes", p.ApplianceID, rep.Outcome, rep.Err, rep.MinutesStored)
		}
	}
	if w, after := sink.writes.Load(), sink.afterLO.Load(); w == 0 || after != w {
		t.Errorf("%d minute-statistics writes, %d of them after the logout; want all after", w, after)
	}
	st, err := f.sim.Stats(sink.id)
	if err != nil {
		t.Fatal(err)
	}
	if st.Logins != 1 || st.Logouts != 1 {
		t.Errorf("logins %d, logouts %d; want 1 and 1", st.Logins, st.Logouts)
	}
}

// inFlight is a RoundTripper that records the most requests other than
// minute statistics it carried at once.
type inFlight struct {
	rt       http.RoundTripper
	counts   func(path string) bool // which requests are counted
	now, max atomic.Int64
}

func (f *inFlight) RoundTrip(req *http.Request) (*http.Response, error) {
	if f.counts(req.URL.Path) {
		n := f.now.Add(1)
		defer f.now.Add(-1)
		noteMax(&f.max, n)
	}
	return f.rt.RoundTrip(req)
}

// noteMax raises m to n if n is larger.
func noteMax(m *atomic.Int64, n int64) {
	for old := m.Load(); n > old && !m.CompareAndSwap(old, n); old = m.Load() {
	}
}

// A direct job reads its point-in-time sources on no more goroutines than
// it has connections (Options.Connections): the others would only wait.
func TestDirectJobReadsSourcesOnItsConnections(t *testing.T) {
	for _, tc := range []struct {
		connections int
		wantMax     func(int64) bool
		want        string
	}{
		{1, func(m int64) bool { return m == 1 }, "1"},
		{0, func(m int64) bool { return m > 1 }, "more than 1 (Parallel alone bounds them)"},
	} {
		// The minute statistics and the traffic-class names they use are
		// read on a goroutine of their own.
		f, rt := countingFixture(t, 6, tc.connections, func(path string) bool {
			return !strings.Contains(path, "/stats/minute") && !strings.HasSuffix(path, "/trafficclass")
		})
		if collectEach(t, f) == 0 {
			t.Fatalf("Connections %d: no job collected", tc.connections)
		}
		if m := rt.max.Load(); !tc.wantMax(m) {
			t.Errorf("Connections %d: at most %d point-in-time requests at once, want %s", tc.connections, m, tc.want)
		}
	}
}

// countingFixture is a fixture of three appliances answering 5 ms late,
// read with the given Parallel (0: the default) and Connections through a
// transport that counts the requests in flight whose path counts accepts.
func countingFixture(t *testing.T, parallel, connections int, counts func(path string) bool) (*fixture, *inFlight) {
	t.Helper()
	tr, err := edgeconnect.NewTransport(edgeconnect.TransportOptions{InsecureSkipVerify: true, MaxConnsPerHost: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.CloseIdleConnections)
	rt := &inFlight{rt: tr, counts: counts}
	f := newFixtureWith(t, simulator.Config{Appliances: 3, Seed: 7, Faults: simulator.Faults{Appliances: simulator.Fault{Latency: 5 * time.Millisecond}}}, func(_ *simulator.Simulator, o *Options) {
		if parallel > 0 {
			o.Parallel = parallel
		}
		o.Connections = connections
		o.Dial = func(addr string) (Appliance, error) {
			return edgeconnect.New(edgeconnect.Options{Address: addr, User: simulator.DefaultECUser,
				Password: simulator.DefaultECPassword, Transport: rt})
		}
	})
	return f, rt
}

// collectEach runs a job for every appliance of f and returns how many
// were collected without error.
func collectEach(t *testing.T, f *fixture) int {
	collected := 0
	for _, p := range f.polls {
		if rep := f.h.Collect(t.Context(), p); rep.Outcome == OutcomeOK {
			collected++
		}
	}
	return collected
}

// The nine tunnel calls of a job run on as many goroutines as it has
// connections, not one after another, and count what one after another
// counts.
func TestTunnelCallsRunOnTheJobsConnections(t *testing.T) {
	counts := map[int][]string{} // tunnel_count_stats lines by connections
	for _, connections := range []int{1, 2} {
		f, rt := countingFixture(t, 0, connections, func(path string) bool {
			return strings.Contains(path, "unnelAllIDs") || strings.Contains(path, "unnels/allIDs") ||
				strings.Contains(path, "unnelAliases") || strings.Contains(path, "unnels/aliases")
		})
		collected := collectEach(t, f)
		pts := f.sink.byMeasurement(telemetry.MeasTunnelCountStats)
		if collected == 0 || len(pts) != collected {
			t.Fatalf("Connections %d: %d jobs collected, %d tunnel count points; want some, one each", connections, collected, len(pts))
		}
		for _, p := range pts {
			if len(p.Fields) != 4*len(tunnelFields) {
				t.Errorf("Connections %d: tunnel count point %v, want every family's all, up, down and down list", connections, p)
			}
		}
		counts[connections] = lines(t, pts)
		if m := rt.max.Load(); m != int64(connections) {
			t.Errorf("Connections %d: at most %d tunnel requests at once, want %d", connections, m, connections)
		}
	}
	if diff := cmp.Diff(counts[1], counts[2]); diff != "" {
		t.Errorf("tunnel counts read on two goroutines differ from those read on one (-one +two):\n%s", diff)
	}
}

// runAll runs every function once, on at most par goroutines, and raises
// a panic of one on the caller's goroutine after the others ran.
func TestRunAll(t *testing.T) {
	var ran [7]atomic.Int32
	var now, most atomic.Int64
	fns := make([]func(), len(ran))
	for i := range fns {
		fns[i] = func() {
			noteMax(&most, now.Add(1))
			defer now.Add(-1)
			time.Sleep(2 * time.Millisecond)
			ran[i].Add(1)
			if i == 2 {
				panic("source two")
			}
		}
	}
	got := func() (p any) {
		defer func() { p = recover() }()
		runAll(fns, 3)
		return nil
	}()
	if got != "source two" {
		t.Errorf("runAll raised %v, want the panic of the third function", got)
	}
	for i := range ran {
		if n := ran[i].Load(); n != 1 {
			t.Errorf("function %d ran %d times, want once", i, n)
		}
	}
	if m := most.Load(); m < 2 || m > 3 {
		t.Errorf("at most %d functions at once, want 2 or 3 (par 3)", m)
	}
	runAll(nil, 4) // nothing to run: returns
}

// BenchmarkJob times a steady job (one archive) of an appliance whose
// every answer comes 100 ms late, as over a WAN, on the job's two
// connections, new ones each job with their TLS sessions resumed, as in a
// worker: go test -run '^$' -bench Job -benchtime 5x ./worker/
// ns/op is the job's wall time; requests/op what it asked of the appliance.
func BenchmarkJob(b *testing.B) {
	tr, err := edgeconnect.NewTransport(edgeconnect.TransportOptions{InsecureSkipVerify: true})
	if err != nil {
		b.Fatal(err)
	}
	f := newFixtureWith(b, simulator.Config{Appliances: 3, Seed: 7, Faults: simulator.Faults{Appliances: simulator.Fault{Latency: 100 * time.Millisecond}}}, func(_ *simulator.Simulator, o *Options) {
		o.Connections = 2
		o.Dial = func(addr string) (Appliance, error) {
			return edgeconnect.New(edgeconnect.Options{Address: addr, User: simulator.DefaultECUser,
				Password: simulator.DefaultECPassword, Transport: tr})
		}
	})
	var poll tasks.AppliancePoll
	for _, p := range f.polls {
		if poll.ApplianceID == "" || p.ApplianceID < poll.ApplianceID {
			poll = p
		}
	}
	collect := func() {
		tr.CloseIdleConnections() // a job's connections close when it ends
		if rep := f.h.Collect(b.Context(), poll); rep.Outcome != OutcomeOK {
			b.Fatalf("%s: outcome %s (%v), want ok", poll.ApplianceID, rep.Outcome, rep.Err)
		}
	}
	collect() // first contact: three archives
	requests := func() int64 {
		st, err := f.sim.Stats(poll.ApplianceID)
		if err != nil {
			b.Fatal(err)
		}
		var n int64
		for _, c := range st.Requests {
			n += c
		}
		return n
	}
	before := requests()
	for b.Loop() {
		f.clock.Add(time.Minute)
		collect()
	}
	b.ReportMetric(float64(requests()-before)/float64(b.N), "requests/op")
}

// A failing tunnel endpoint costs only the counts it gives: the other
// families' counts and the failing family's down list are written, and
// the source's error names the endpoint.
func TestFailedTunnelCallKeepsTheOtherCounts(t *testing.T) {
	f := newFixture(t, 4, simulator.Faults{})
	a := reachable(t, f.sim)[0]
	if err := f.sim.SetFault(a.ID, simulator.Fault{ErrorRate: map[simulator.Endpoint]float64{simulator.EndpointBondedTunnelIDs: 1}}); err != nil {
		t.Fatal(err)
	}
	rep := f.h.Collect(t.Context(), f.polls[a.ID])
	if err := rep.SourceErrors[SourceTunnels]; rep.Outcome != OutcomePartial || err == nil || !strings.Contains(err.Error(), "bondedTunnels/allIDs") {
		t.Fatalf("outcome %s, tunnels error %v; want partial, naming bondedTunnels/allIDs", rep.Outcome, err)
	}
	pts := f.sink.byMeasurement(telemetry.MeasTunnelCountStats)
	if len(pts) != 1 {
		t.Fatalf("%d tunnel count points, want 1", len(pts))
	}
	var got []string
	for _, fl := range pts[0].Fields {
		got = append(got, fl.Key)
	}
	var want []string
	for i, tf := range tunnelFields {
		if i != 1 { // the bonded family's id lists failed
			want = append(want, tf.all, tf.up)
		}
		want = append(want, tf.down, tf.downList)
	}
	if tunnelFields[1].family != edgeconnect.TunnelOverlay {
		t.Fatalf("tunnelFields[1] is %v, want the bonded (overlay) family", tunnelFields[1].family)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tunnel count fields (-want +got):\n%s", diff)
	}
}
