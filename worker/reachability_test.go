package worker

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	probing "github.com/prometheus-community/pro-bing"
)

func closedLoopbackPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestTCPReacher(t *testing.T) {
	r, err := NewReacher("tcp", 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	open := echoLoopback(t)
	got := r.Check(t.Context(), open)
	if !got.Reachable || got.Method != MethodTCP || got.Err != nil || got.Conn == nil {
		t.Fatalf("Check(open %s) = %+v, want reachable by tcp with its connection", open, got)
	}
	// The check's connection comes back open, for the login to use.
	if _, err := got.Conn.Write([]byte("hello")); err != nil {
		t.Fatalf("write on the check's connection: %v", err)
	}
	buf := make([]byte, 5)
	got.Conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.ReadFull(got.Conn, buf); err != nil || string(buf) != "hello" {
		t.Errorf("echo on the check's connection = %q, %v; want hello", buf, err)
	}
	got.Conn.Close()

	closed := closedLoopbackPort(t)
	got = r.Check(t.Context(), closed)
	if got.Reachable || got.Err == nil || !strings.Contains(got.Err.Error(), "tcp connect to "+closed) || got.Conn != nil {
		t.Errorf("Check(closed %s) = %+v, want unreachable naming the address, no connection", closed, got)
	}
}

// echoLoopback listens on a loopback port and echoes what each connection
// sends.
func echoLoopback(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// TestICMPReacherFallsBackToTCP covers every path the host allows: where
// ICMP works the loopback answers; where no ICMP socket can be opened the
// check must still decide by TCP.
func TestICMPReacher(t *testing.T) {
	r, err := NewReacher("icmp", 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	open := echoLoopback(t)
	got := r.Check(t.Context(), open)
	if !got.Reachable || (got.Method != MethodICMP && got.Method != MethodTCP) {
		t.Errorf("Check(%s) = %+v, want reachable", open, got)
	}
	if (got.Method == MethodTCP) != (got.Conn != nil) {
		t.Errorf("Check(%s) by %s returned connection %v: want one after a TCP check only", open, got.Method, got.Conn)
	}
	if got.Conn != nil {
		got.Conn.Close()
	}
	t.Logf("loopback reachable by %s (rtt %s)", got.Method, got.RTT)
}

// The ICMP check stops at the first reply instead of waiting for three.
func TestPingerStopsAtTheFirstReply(t *testing.T) {
	r := &icmpReacher{timeout: 2 * time.Second}
	var stats *probing.Statistics
	for _, privileged := range []bool{false, true} {
		p, err := r.pinger("127.0.0.1", privileged)
		if err != nil {
			t.Fatal(err)
		}
		p.OnFinish = func(s *probing.Statistics) { stats = s }
		if err := p.RunWithContext(t.Context()); err != nil {
			t.Logf("ICMP (privileged %v) cannot be used here: %v", privileged, err)
			stats = nil
			continue
		}
		break
	}
	if stats == nil {
		t.Skip("no ICMP socket can be opened on this host: the TCP check covers it (TestICMPReacher)")
	}
	if stats.PacketsRecv != 1 || stats.PacketsSent != 1 {
		t.Errorf("pinging the loopback sent %d echo requests and got %d replies, want 1 and 1", stats.PacketsSent, stats.PacketsRecv)
	}
}

func TestNoneReacher(t *testing.T) {
	r, _ := NewReacher("none", time.Second)
	if got := r.Check(t.Context(), closedLoopbackPort(t)); !got.Reachable || got.Method != MethodNone {
		t.Errorf("Check = %+v, want reachable without probe", got)
	}
	if _, err := NewReacher("smoke", time.Second); err == nil {
		t.Error("NewReacher(smoke) = nil error, want error")
	}
}

func TestHostPort(t *testing.T) {
	for in, want := range map[string]string{
		"10.1.1.1":       "10.1.1.1:443",
		"127.0.0.1:9443": "127.0.0.1:9443",
		"::1":            "[::1]:443",
		"[::1]":          "[::1]:443",
		"[::1]:8443":     "[::1]:8443",
		"appliance.lan":  "appliance.lan:443",
	} {
		if got := HostPort(in); got != want {
			t.Errorf("HostPort(%q) = %q, want %q", in, got, want)
		}
	}
}

// closeRecorder is a connection that only records being closed.
type closeRecorder struct {
	net.Conn
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

// adopter is an appliance client that takes the check's connection.
type adopter struct {
	Appliance
	got net.Conn
}

func (a *adopter) Adopt(conn net.Conn) { a.got = conn }

// The job gives the check's connection to a client that can use it while
// it is fresh, and closes it in every other case.
func TestHandOnGivesTheCheckConnectionOrClosesIt(t *testing.T) {
	fresh, stale := time.Now(), time.Now().Add(-adoptWithin-time.Second)
	for _, tc := range []struct {
		name    string
		client  Appliance
		checked time.Time
		adopted bool
	}{
		{"adopter, fresh", &adopter{}, fresh, true},
		{"adopter, older than adoptWithin", &adopter{}, stale, false},
		{"client that cannot adopt", struct{ Appliance }{}, fresh, false},
		{"no client", nil, fresh, false},
	} {
		conn := &closeRecorder{}
		handOn(tc.client, conn, tc.checked)
		a, _ := tc.client.(*adopter)
		if got := a != nil && a.got == conn; got != tc.adopted || conn.closed == tc.adopted {
			t.Errorf("%s: adopted %v, closed %v; want adopted %v, closed %v", tc.name, got, conn.closed, tc.adopted, !tc.adopted)
		}
	}
	handOn(&adopter{}, nil, fresh) // no connection: nothing to do, no panic
}

// BenchmarkReachabilityCheck times one check of a loopback appliance by
// each method: go test -run '^$' -bench ReachabilityCheck ./worker/
func BenchmarkReachabilityCheck(b *testing.B) {
	for _, mode := range []string{MethodICMP, MethodTCP} {
		b.Run(mode, func(b *testing.B) {
			r, err := NewReacher(mode, 2*time.Second)
			if err != nil {
				b.Fatal(err)
			}
			addr := echoLoopback(b)
			check := func() {
				got := r.Check(b.Context(), addr)
				if !got.Reachable {
					b.Fatalf("Check(%s) = %+v, want reachable", addr, got)
				}
				if got.Method != mode {
					b.Skipf("no %s here: the check answered by %s", mode, got.Method)
				}
				if got.Conn != nil {
					got.Conn.Close()
				}
			}
			check()
			for b.Loop() {
				check()
			}
		})
	}
}
