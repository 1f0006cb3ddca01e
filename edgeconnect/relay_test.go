package edgeconnect

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeRelay is a hand-written Relay: it records each request and answers
// from a table by path.
type fakeRelay struct {
	mu      sync.Mutex
	calls   []string // "METHOD path?query accept identity timeout"
	bodies  [][]byte
	answers map[string]fakeAnswer
	err     error
}

type fakeAnswer struct {
	status int
	ctype  string
	body   []byte
}

const relaySecret = "orch-key-Q7w2"

func (r *fakeRelay) Relay(ctx context.Context, method, path, query string, body []byte, h http.Header, timeout time.Duration) (*http.Response, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := ""
	if h.Get("Accept-Encoding") == "identity" {
		id = " identity"
	}
	r.calls = append(r.calls, method+" "+path+"?"+query+" "+h.Get("Accept")+id+" "+timeout.String())
	r.bodies = append(r.bodies, body)
	if r.err != nil {
		return nil, r.err
	}
	a, ok := r.answers[path]
	if !ok {
		a = fakeAnswer{status: http.StatusNotFound, body: []byte("no such path")}
	}
	hdr := http.Header{}
	if a.ctype != "" {
		hdr.Set("Content-Type", a.ctype)
	}
	return &http.Response{StatusCode: a.status, Header: hdr, Body: io.NopCloser(bytes.NewReader(a.body)), ContentLength: int64(len(a.body))}, nil
}

func (r *fakeRelay) Name() string      { return "3.NE via orch:443" }
func (r *fakeRelay) Secrets() []string { return []string{relaySecret} }

// TestRelayedClient: a relayed client sends every method through the
// relay with the ECOS path, query, body and headers, never logs in or
// out, keeps the direct client's errors (404 → ErrNotFound, a decode
// error) naming the relay, and redacts the relay's secrets.
func TestRelayedClient(t *testing.T) {
	gz := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0}
	r := &fakeRelay{answers: map[string]fakeAnswer{
		"memory":                        {status: 200, ctype: "application/json", body: []byte(memoryJSON)},
		"cpustat":                       {status: 400, body: []byte("appliance unreachable, key " + relaySecret)},
		"stats/realtimeStats":           {status: 200, ctype: "application/json", body: []byte(`{}`)},
		"stats/minuteStats/st2-120.tgz": {status: 200, ctype: "application/gzip", body: gz},
		"stats/minuteRange":             {status: 200, ctype: "text/html", body: []byte("<html>login</html>")},
		"bondedTunnels/aliases":         {status: 200, ctype: "application/json", body: []byte(`[]`)},
	}}
	c, err := NewRelayed(RelayOptions{Relay: r, ApplianceID: "3.NE", Timeout: 4 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Relayed() {
		t.Error("Relayed() = false")
	}
	ctx := t.Context()
	if err := c.Login(ctx); err != nil {
		t.Errorf("Login() = %v, want nil (no appliance session)", err)
	}
	m, err := c.Memory(ctx)
	if err != nil || m.Total != 3945080 {
		t.Errorf("Memory() = %+v, %v", m, err)
	}
	_, err = c.CPUStat(ctx)
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 400 || ae.Host != "3.NE via orch:443" || strings.Contains(err.Error(), relaySecret) {
		t.Errorf("CPUStat() error = %v, want a redacted 400 *APIError naming the relay", err)
	}
	if _, err := c.RealtimeStats(ctx, "trafficType", "3", ""); err != nil {
		t.Errorf("RealtimeStats() = %v", err)
	}
	if _, err := c.TunnelAliases(ctx, TunnelOverlay, 1000, "", "Down"); err != nil {
		t.Errorf("TunnelAliases() = %v", err)
	}
	rc, err := c.MinuteStats(ctx, 120)
	if err != nil {
		t.Fatalf("MinuteStats(120) = %v", err)
	}
	rc.Close()
	if _, err := c.MinuteStats(ctx, 180); !errors.Is(err, ErrNotFound) {
		t.Errorf("MinuteStats(180) = %v, want ErrNotFound", err)
	}
	var de *DecodeError
	if _, err := c.MinuteRange(ctx); !errors.As(err, &de) {
		t.Errorf("MinuteRange() with an HTML answer = %v, want a *DecodeError", err)
	}
	if err := c.Logout(ctx); err != nil {
		t.Errorf("Logout() = %v", err)
	}
	r.err = errors.New("dial orchestrator: refused")
	if _, err := c.Memory(ctx); err == nil || !strings.Contains(err.Error(), "edgeconnect 3.NE via orch:443: get /memory: dial orchestrator: refused") {
		t.Errorf("Memory() with a failing relay = %v", err)
	}
	want := []string{
		"GET memory? application/json 4s",
		"GET cpustat?time=0 application/json 4s",
		"POST stats/realtimeStats? application/json 4s",
		"GET bondedTunnels/aliases?limit=1000&state=Down application/json 4s",
		"GET stats/minuteStats/st2-120.tgz? application/gzip, application/octet-stream, */* identity 1m0s",
		"GET stats/minuteStats/st2-180.tgz? application/gzip, application/octet-stream, */* identity 1m0s",
		"GET stats/minuteRange? application/json 4s",
		"GET memory? application/json 4s",
	}
	if strings.Join(r.calls, "\n") != strings.Join(want, "\n") {
		t.Errorf("relayed calls:\n%s\nwant:\n%s", strings.Join(r.calls, "\n"), strings.Join(want, "\n"))
	}
	if !bytes.Contains(r.bodies[2], []byte(`"trafficType"`)) {
		t.Errorf("realtime stats body = %s", r.bodies[2])
	}
}

func TestNewRelayedNeedsRelayAndID(t *testing.T) {
	if _, err := NewRelayed(RelayOptions{ApplianceID: "3.NE"}); err == nil {
		t.Error("NewRelayed without a relay = nil error")
	}
	if _, err := NewRelayed(RelayOptions{Relay: &fakeRelay{}}); err == nil {
		t.Error("NewRelayed without an appliance id = nil error")
	}
}
