package app

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ec-telemetry/ec-telemetry/edgeconnect"
	"github.com/ec-telemetry/ec-telemetry/internal/config"
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
		reach, _ := worker.NewReacher("tcp", 2*time.Second)
		h, err := worker.New(worker.Options{
			Dial: dial, Sink: &memSink{byHost: map[string]int{}}, Reacher: reach,
			Watermarks: &memWatermarks{m: map[string]int64{}}, Logger: zerolog.Nop(),
			JobTimeout: 20 * time.Second, SourceTimeout: 5 * time.Second,
		})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		return h.Collect(t.Context(), tasks.AppliancePoll{ApplianceID: a.ID, Hostname: a.Hostname, Address: a.Address,
			Model: a.Model, SoftwareVersion: a.SoftwareVersion, State: a.State, DiscoveredAt: now.Unix(), Cycle: now.Unix() - now.Unix()%60})
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

// The held connection answers the transport's first dial only; one never
// used is closed when another replaces it or at logout.
func TestFirstConnAnswersOneDial(t *testing.T) {
	var f firstConn
	held, dialled := &closeRecorder{}, &closeRecorder{}
	dials := 0
	dial := f.dial(func(context.Context, string, string) (net.Conn, error) { dials++; return dialled, nil })
	f.set(held)
	for i, want := range []net.Conn{held, dialled, dialled} {
		if got, err := dial(t.Context(), "tcp", "127.0.0.1:443"); err != nil || got != want {
			t.Errorf("dial %d = %v, %v; want %v", i+1, got, err, want)
		}
	}
	if dials != 2 || held.closed {
		t.Errorf("%d dials, held connection closed %v; want 2 dials after the held one, which stays open", dials, held.closed)
	}

	first, second := &closeRecorder{}, &closeRecorder{}
	f.set(first)
	f.set(second)
	if !first.closed || second.closed {
		t.Errorf("replaced connection closed %v, its replacement %v; want only the replaced one closed", first.closed, second.closed)
	}

	// A client that adopted a connection and never used it closes it when
	// it logs out, without a session to end.
	tr, err := edgeconnect.NewTransport(edgeconnect.TransportOptions{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := ApplianceDialer(config.ApplianceCredentials{DefaultUser: "u", DefaultPasswd: "p"},
		edgeconnect.Options{Transport: tr, Timeout: time.Second})("127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	unused := &closeRecorder{}
	c.(worker.ConnAdopter).Adopt(unused)
	if err := c.Logout(t.Context()); err != nil || !unused.closed {
		t.Errorf("Logout = %v, adopted connection closed %v; want nil, closed", err, unused.closed)
	}
}
