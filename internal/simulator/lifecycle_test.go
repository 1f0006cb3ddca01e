package simulator

import (
	"bufio"
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// rawGet sends one request over its own TLS connection and closes it, so
// that no client goroutine outlives the call.
func rawGet(t *testing.T, s *Simulator, addr, path string, hdr map[string]string) int {
	t.Helper()
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: &tls.Config{RootCAs: s.RootCAs()}}
	c, err := d.DialContext(t.Context(), "tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	req, _ := http.NewRequest(http.MethodGet, "https://"+addr+path, nil)
	req.Close = true
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if err := req.Write(c); err != nil {
		t.Fatalf("write request: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), req)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestStartStop200NoLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	s, err := New(Config{Appliances: 200, Seed: 8, Now: newClock(testNow).Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	orch := strings.TrimPrefix(s.OrchestratorURL(), "https://")
	if st := rawGet(t, s, orch, "/gms/rest/gmsserver/briefInfo", map[string]string{"X-Auth-Token": DefaultAPIKey}); st != 200 {
		t.Errorf("briefInfo = %d, want 200", st)
	}
	reachable := 0
	var last ApplianceInfo
	for _, a := range s.Appliances() {
		if !a.Reachable {
			continue
		}
		reachable++
		last = a
		if reachable%40 == 1 {
			if st := rawGet(t, s, a.Address, "/rest/json/memory", nil); st != 401 {
				t.Errorf("%s /memory without a session = %d, want 401", a.ID, st)
			}
		}
	}
	if reachable < 150 {
		t.Errorf("%d of 200 appliances reachable, want most", reachable)
	}
	// An idle keep-alive connection left open must not block Close.
	d := &tls.Dialer{Config: &tls.Config{RootCAs: s.RootCAs()}}
	idle, err := d.DialContext(t.Context(), "tcp", last.Address)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()

	if err := s.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close() = %v", err)
	}
	if after := runtime.NumGoroutine(); after > before+2 {
		buf := make([]byte, 1<<16)
		n := runtime.Stack(buf, true)
		t.Errorf("goroutines: %d before, %d after Close\n%s", before, after, buf[:n])
	}
	if c, err := net.Dial("tcp", last.Address); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after Close", last.Address)
	}
	if err := s.Start(context.Background()); err == nil {
		t.Error("Start after Close = nil, want an error")
	}
}

func TestStartTwiceAndContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	s, err := New(Config{Appliances: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err == nil {
		t.Error("second Start = nil, want an error")
	}
	addr := strings.TrimPrefix(s.OrchestratorURL(), "https://")
	cancel()
	// Close waits for the close that the cancellation started.
	if err := s.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Errorf("orchestrator %s still accepts connections after cancel", addr)
	}
	if got := s.OrchestratorURL(); !strings.HasPrefix(got, "https://127.0.0.1:") {
		t.Errorf("OrchestratorURL() = %q", got)
	}
}
