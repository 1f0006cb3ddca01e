package simulator

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"testing"
	"time"
)

// testNow is 2026-03-25 14:06:30 UTC: the window's newest minute is
// 1774447560 (14:06:00), the minute of the first real capture.
var testNow = time.Date(2026, 3, 25, 14, 6, 30, 0, time.UTC)

const testNewest = int64(1774447560)

// clock is a settable clock for Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// startSim builds and starts a simulator that is closed at the end of the
// test or benchmark.
func startSim(t testing.TB, cfg Config) *Simulator {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = newClock(testNow).Now
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	if err := s.Start(t.Context()); err != nil {
		t.Fatalf("Start() = %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
	})
	return s
}

// newClient returns a client that verifies the simulator's certificate.
func newClient(t *testing.T, s *Simulator) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.RootCAs()}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Jar: jar, Timeout: 20 * time.Second}
}

// reachableAppliance returns the first reachable appliance.
func reachableAppliance(t *testing.T, s *Simulator) ApplianceInfo {
	t.Helper()
	for _, a := range s.Appliances() {
		if a.Reachable {
			return a
		}
	}
	t.Fatal("no reachable appliance")
	return ApplianceInfo{}
}

// ecSession is a logged-in appliance client.
type ecSession struct {
	t    *testing.T
	c    *http.Client
	base string
	csrf string
}

func doRequest(t *testing.T, c *http.Client, method, url string, body []byte, hdr map[string]string) (int, []byte, *http.Response) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return resp.StatusCode, b, resp
}

// ecLogin logs in to the appliance at addr with the default credentials.
func ecLogin(t *testing.T, s *Simulator, addr string) *ecSession {
	t.Helper()
	c := newClient(t, s)
	base := "https://" + addr + "/rest/json"
	st, body, resp := doRequest(t, c, http.MethodPost, base+"/login?source=menu_rest_apis_id",
		[]byte(`{"user":"admin","password":"sim-password"}`), nil)
	if st != http.StatusOK {
		t.Fatalf("login status = %d (%s), want 200", st, body)
	}
	e := &ecSession{t: t, c: c, base: base}
	for _, ck := range resp.Cookies() {
		if ck.Name == "edgeosCsrfToken" {
			e.csrf = ck.Value
		}
	}
	if e.csrf == "" {
		t.Fatal("login set no edgeosCsrfToken cookie")
	}
	return e
}

func (e *ecSession) do(method, path string, body []byte) (int, []byte) {
	e.t.Helper()
	st, b, _ := doRequest(e.t, e.c, method, e.base+path, body, map[string]string{"X-XSRF-TOKEN": e.csrf})
	return st, b
}

// getJSON GETs path (with the source marker) and decodes a 200 answer.
func (e *ecSession) getJSON(path string, v any) {
	e.t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	st, b := e.do(http.MethodGet, path+sep+"source=menu_rest_apis_id", nil)
	if st != http.StatusOK {
		e.t.Fatalf("GET %s status = %d (%s), want 200", path, st, b)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		e.t.Fatalf("GET %s: decode %s: %v", path, b, err)
	}
}

// lines splits a file into lines, failing on blank lines and missing final
// newline.
func lines(t *testing.T, name string, data []byte) []string {
	t.Helper()
	if len(data) == 0 || data[len(data)-1] != '\n' {
		t.Fatalf("%s does not end with a newline", name)
	}
	if bytes.ContainsRune(data, '\r') {
		t.Fatalf("%s contains CR", name)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if sc.Text() == "" {
			t.Fatalf("%s has a blank line", name)
		}
		out = append(out, sc.Text())
	}
	return out
}
