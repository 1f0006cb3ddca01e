package worker

import (
	"net"
	"strings"
	"testing"
	"time"
)

func listenLoopback(t *testing.T) string {
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
			c.Close()
		}
	}()
	return ln.Addr().String()
}

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
	open := listenLoopback(t)
	if got := r.Check(t.Context(), open); !got.Reachable || got.Method != MethodTCP || got.Err != nil {
		t.Errorf("Check(open %s) = %+v, want reachable by tcp", open, got)
	}
	closed := closedLoopbackPort(t)
	got := r.Check(t.Context(), closed)
	if got.Reachable || got.Err == nil || !strings.Contains(got.Err.Error(), "tcp connect to "+closed) {
		t.Errorf("Check(closed %s) = %+v, want unreachable naming the address", closed, got)
	}
}

// TestICMPReacherFallsBackToTCP covers every path the host allows: where
// ICMP works the loopback answers; where no ICMP socket can be opened the
// check must still decide by TCP.
func TestICMPReacher(t *testing.T) {
	r, err := NewReacher("icmp", 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	open := listenLoopback(t)
	got := r.Check(t.Context(), open)
	if !got.Reachable || (got.Method != MethodICMP && got.Method != MethodTCP) {
		t.Errorf("Check(%s) = %+v, want reachable", open, got)
	}
	t.Logf("loopback reachable by %s (rtt %s)", got.Method, got.RTT)
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
