package app

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"github.com/ec-telemetry/ec-telemetry/edgeconnect"
	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/metrics"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
	"github.com/ec-telemetry/ec-telemetry/worker"
)

// A job's connections to its appliance are closed when the job ends, after
// a collection and after a refused login, instead of idling for the shared
// transport's IdleConnTimeout; the next job still resumes the TLS session.
func TestApplianceDialerClosesAJobsConnections(t *testing.T) {
	sim := testenv.StartSimulator(t, simulator.Config{Appliances: 1, Seed: 2})
	a := sim.Appliances()[0]
	if !a.Reachable {
		t.Fatalf("appliance %s is unreachable with this seed", a.ID)
	}
	tr, err := edgeconnect.NewTransport(edgeconnect.TransportOptions{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.CloseIdleConnections)
	open := func() int64 {
		st, err := sim.Stats(a.ID)
		if err != nil {
			t.Fatal(err)
		}
		return st.OpenConnections
	}
	// openAfter waits up to d for the appliance's connections to close.
	openAfter := func(d time.Duration) int64 {
		n := open()
		for deadline := time.Now().Add(d); n != 0 && time.Now().Before(deadline); n = open() {
			time.Sleep(10 * time.Millisecond)
		}
		return n
	}
	collect := func(dial worker.Dialer) worker.Report {
		return testHandler(t, dial, time.Now).Collect(t.Context(), pollOf(a, time.Now()))
	}
	base := edgeconnect.Options{Transport: tr, Timeout: 5 * time.Second, ArchiveTimeout: 5 * time.Second}
	good := config.ApplianceCredentials{DefaultUser: simulator.DefaultECUser, DefaultPasswd: simulator.DefaultECPassword}

	// Without a transport of its own, the job leaves its connections idle.
	shared := func(addr string) (worker.Appliance, error) {
		o := base
		o.Address, o.User, o.Password = addr, good.DefaultUser, good.DefaultPasswd
		return edgeconnect.New(o)
	}
	if r := collect(shared); r.Outcome != worker.OutcomeOK {
		t.Fatalf("job on the shared transport: outcome %s (%v), want ok", r.Outcome, r.Err)
	}
	if n := openAfter(300 * time.Millisecond); n == 0 {
		t.Fatal("the shared transport closed the job's connections: this test cannot tell")
	}
	tr.CloseIdleConnections()
	if n := openAfter(5 * time.Second); n != 0 {
		t.Fatalf("%d connections open after CloseIdleConnections", n)
	}

	before, err := sim.Stats(a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r := collect(ApplianceDialer(good, base)); r.Outcome != worker.OutcomeOK {
		t.Fatalf("job: outcome %s (%v), want ok", r.Outcome, r.Err)
	}
	if n := openAfter(5 * time.Second); n != 0 {
		t.Errorf("%d connections of a finished job still open", n)
	}
	after, err := sim.Stats(a.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The TCP reachability check's connection carries the first TLS
	// handshake: every connection of the job is a resumed TLS connection,
	// none was made for the check alone.
	if conns, resumed := after.Connections-before.Connections, after.ResumedConnections-before.ResumedConnections; conns < 1 || resumed != conns {
		t.Errorf("job made %d connections, %d resumed; want every one a resumed TLS connection (the check's adopted, the clone sharing the session cache)", conns, resumed)
	}

	bad := good
	bad.DefaultPasswd = "wrong"
	if r := collect(ApplianceDialer(bad, base)); r.Outcome != worker.OutcomeLoginFailed {
		t.Fatalf("job with a wrong password: outcome %s (%v), want %s", r.Outcome, r.Err, worker.OutcomeLoginFailed)
	}
	if n := openAfter(5 * time.Second); n != 0 {
		t.Errorf("%d connections of a job whose login was refused still open", n)
	}
}

// closeRecorder is a connection that only records being closed.
type closeRecorder struct {
	net.Conn
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

// The first dial of a job's transport (the login's) opens the job's other
// connection in the background: it is open before the job asks for it,
// and the job opens no more. The login's handshake runs on the adopted
// connection when there is one. Logging out closes them all, the one
// opened ahead and never used included.
func TestJobOpensItsOtherConnectionDuringTheLogin(t *testing.T) {
	sim := testenv.StartSimulator(t, simulator.Config{Appliances: 1, Seed: 2,
		Faults: simulator.Faults{Appliances: simulator.Fault{HandshakeLatency: 100 * time.Millisecond}}})
	a := sim.Appliances()[0]
	if !a.Reachable {
		t.Fatalf("appliance %s is unreachable with this seed", a.ID)
	}
	stats := func() simulator.Stats {
		st, err := sim.Stats(a.ID)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	// waitFor waits up to 5 s for the appliance's open connections to be n.
	waitFor := func(n int64) int64 {
		got := stats().OpenConnections
		for deadline := time.Now().Add(5 * time.Second); got != n && time.Now().Before(deadline); got = stats().OpenConnections {
			time.Sleep(10 * time.Millisecond)
		}
		return got
	}
	good := config.ApplianceCredentials{DefaultUser: simulator.DefaultECUser, DefaultPasswd: simulator.DefaultECPassword}
	for _, tc := range []struct {
		name        string
		connections int
		adopt       bool
		requests    int // in parallel after the login
	}{
		{name: "two connections", connections: 2, requests: 2},
		{name: "two connections, the check's adopted", connections: 2, adopt: true, requests: 2},
		{name: "two connections, one used", connections: 2, adopt: true, requests: 0},
		{name: "one connection", connections: 1, adopt: true, requests: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := edgeconnect.NewTransport(edgeconnect.TransportOptions{InsecureSkipVerify: true, MaxConnsPerHost: tc.connections})
			if err != nil {
				t.Fatal(err)
			}
			before := stats().Connections
			c, err := ApplianceDialer(good, edgeconnect.Options{Transport: tr, Timeout: 5 * time.Second})(a.Address)
			if err != nil {
				t.Fatal(err)
			}
			if tc.adopt {
				conn, err := net.Dial("tcp", a.Address)
				if err != nil {
					t.Fatal(err)
				}
				c.(worker.ConnAdopter).Adopt(conn)
			}
			if err := c.Login(t.Context()); err != nil {
				t.Fatal(err)
			}
			if got := waitFor(int64(tc.connections)); got != int64(tc.connections) {
				t.Errorf("%d connections open after the login alone, want %d", got, tc.connections)
			}
			var wg sync.WaitGroup
			errs := make(chan error, tc.requests)
			for range tc.requests {
				wg.Go(func() {
					_, err := c.Memory(t.Context())
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Errorf("request after the login: %v", err)
				}
			}
			if err := c.Logout(t.Context()); err != nil {
				t.Errorf("Logout: %v", err)
			}
			if n := waitFor(0); n != 0 {
				t.Errorf("%d connections open after the logout", n)
			}
			// The adopted connection carried the login: no other was made.
			if n := stats().Connections - before; n != int64(tc.connections) {
				t.Errorf("the job made %d connections, want %d", n, tc.connections)
			}
		})
	}
}

// A connection that failed to open ahead is opened again when the
// transport asks for it; one never asked for is closed with the others.
func TestJobConnsRetryAFailedConnectionAndCloseTheRest(t *testing.T) {
	sim := testenv.StartSimulator(t, simulator.Config{Appliances: 1, Seed: 2})
	addr := sim.Appliances()[0].Address
	var mu sync.Mutex
	var opened []*closeCounter
	j := &jobConns{cfg: &tls.Config{InsecureSkipVerify: true}, want: 1,
		dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			c := &closeCounter{Conn: conn}
			mu.Lock()
			opened = append(opened, c)
			mu.Unlock()
			return c, nil
		}}
	refused := &aheadConn{done: make(chan struct{}), err: errors.New("refused")}
	close(refused.done)
	j.ahead = []*aheadConn{refused, j.openAhead(t.Context(), "tcp", addr)}
	conn, err := j.dialTLS(t.Context(), "tcp", addr)
	if err != nil {
		t.Fatalf("dial after a connection failed ahead: %v", err)
	}
	defer conn.Close()
	used := conn.(*tls.Conn).NetConn().(*closeCounter)
	j.close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(opened)
		mu.Unlock()
		if n == 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(opened) != 2 {
		t.Fatalf("%d connections opened, want 2: one again for the refused one, one ahead", len(opened))
	}
	unused := opened[0]
	if unused == used {
		unused = opened[1]
	}
	for unused.closes.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if u, n := used.closes.Load(), unused.closes.Load(); u != 0 || n != 1 {
		t.Errorf("closes of the connection handed over and of the one opened ahead and never used = %d, %d; want 0, 1", u, n)
	}
}

// closeCounter counts the closes of a connection.
type closeCounter struct {
	net.Conn
	closes atomic.Int32
}

func (c *closeCounter) Close() error { c.closes.Add(1); return c.Conn.Close() }

// A client that adopted a connection and never used it closes it when it
// logs out, without a session to end; one it adopts instead of another
// closes the other.
func TestUnusedAdoptedConnectionClosesAtLogout(t *testing.T) {
	tr, err := edgeconnect.NewTransport(edgeconnect.TransportOptions{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := ApplianceDialer(config.ApplianceCredentials{DefaultUser: "u", DefaultPasswd: "p"},
		edgeconnect.Options{Transport: tr, Timeout: time.Second})("127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	replaced, unused := &closeRecorder{}, &closeRecorder{}
	c.(worker.ConnAdopter).Adopt(replaced)
	c.(worker.ConnAdopter).Adopt(unused)
	if !replaced.closed || unused.closed {
		t.Errorf("replaced connection closed %v, its replacement %v; want only the replaced one closed", replaced.closed, unused.closed)
	}
	if err := c.Logout(t.Context()); err != nil || !unused.closed {
		t.Errorf("Logout = %v, adopted connection closed %v; want nil, closed", err, unused.closed)
	}
}

// testHandler returns a worker handler that checks reachability over TCP,
// reads appliances with dial and keeps what it writes in memory; now is
// its clock.
func testHandler(tb testing.TB, dial worker.Dialer, now func() time.Time) *worker.Handler {
	tb.Helper()
	reach, err := worker.NewReacher("tcp", 2*time.Second)
	if err != nil {
		tb.Fatal(err)
	}
	h, err := worker.New(worker.Options{
		Dial: dial, Sink: &memSink{byHost: map[string]int{}}, Reacher: reach,
		Watermarks: &memWatermarks{m: map[string]int64{}}, Logger: zerolog.Nop(), Connections: 2,
		JobTimeout: 20 * time.Second, SourceTimeout: 5 * time.Second, Now: now,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// pollOf is the job discovery would queue for appliance a at now.
func pollOf(a simulator.ApplianceInfo, now time.Time) tasks.AppliancePoll {
	return tasks.AppliancePoll{ApplianceID: a.ID, Hostname: a.Hostname, Address: a.Address, Model: a.Model,
		SoftwareVersion: a.SoftwareVersion, State: a.State, DiscoveredAt: now.Unix(), Cycle: now.Unix() - now.Unix()%60}
}

// A worker counts its jobs' TLS handshakes, full at first contact and
// resumed after, and the sessions its cache lets go.
func TestJobHandshakesAreCounted(t *testing.T) {
	sim := testenv.StartSimulator(t, simulator.Config{Appliances: 3, Seed: 2,
		ApplianceHosts: simulator.LoopbackHosts(3)})
	var apps []simulator.ApplianceInfo
	for _, a := range sim.Appliances() {
		if a.Reachable {
			apps = append(apps, a)
		}
	}
	if len(apps) < 2 {
		t.Fatalf("%d reachable appliances with this seed, want 2", len(apps))
	}
	m := metrics.New()
	// One connection per job: with two, how many handshakes a job counts
	// depends on timing. Its second connection opens in the background and
	// is stopped if the job ends first; and it resumes the session its
	// first connection just received when it starts after that ticket.
	tr, err := edgeconnect.NewTransport(edgeconnect.TransportOptions{InsecureSkipVerify: true, SessionCache: 1,
		MaxConnsPerHost: 1, OnHandshake: tlsHandshakeCounter(m), OnSessionEvicted: tlsEvictionCounter(m)})
	if err != nil {
		t.Fatal(err)
	}
	good := config.ApplianceCredentials{DefaultUser: simulator.DefaultECUser, DefaultPasswd: simulator.DefaultECPassword}
	h := testHandler(t, ApplianceDialer(good, edgeconnect.Options{Transport: tr, Timeout: 5 * time.Second}), time.Now)
	want := func(step string, full, resumed, evicted float64) {
		t.Helper()
		// The simulator's appliances choose crypto/tls's first default.
		f, r := testutil.ToFloat64(m.TLSHandshakes.WithLabelValues("full", "X25519MLKEM768")), testutil.ToFloat64(m.TLSHandshakes.WithLabelValues("resumed", "X25519MLKEM768"))
		if e := testutil.ToFloat64(m.TLSEvictions); f != full || r != resumed || e != evicted {
			t.Errorf("%s: full handshakes %v, resumed %v, sessions evicted %v; want %v, %v, %v", step, f, r, e, full, resumed, evicted)
		}
	}
	collect := func(a simulator.ApplianceInfo) {
		t.Helper()
		if r := h.Collect(t.Context(), pollOf(a, time.Now())); r.Outcome != worker.OutcomeOK {
			t.Fatalf("%s: outcome %s (%v), want ok", a.ID, r.Outcome, r.Err)
		}
	}
	collect(apps[0])
	want("first contact", 1, 0, 0)
	collect(apps[0])
	want("next job", 1, 1, 0)
	collect(apps[1]) // its session takes the cache's one place
	want("another appliance", 2, 1, 1)
}

// A handshake the appliance never answers ends at the transport's
// TLSHandshakeTimeout with an error that says so, a timeout but not the
// request's deadline.
func TestJobConnsHandshakeTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // accepts, reads, never answers
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	j := &jobConns{cfg: &tls.Config{InsecureSkipVerify: true}, dial: (&net.Dialer{}).DialContext,
		timeout: 100 * time.Millisecond, want: 1}
	_, err = j.dialTLS(t.Context(), "tcp", ln.Addr().String())
	var ne net.Error
	if err == nil || !strings.Contains(err.Error(), "TLS handshake timeout") || !errors.As(err, &ne) || !ne.Timeout() ||
		errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("dial of a silent server = %v; want a TLS handshake timeout, not the request's deadline", err)
	}
}
