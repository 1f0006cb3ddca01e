package simulator

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// BenchmarkArchive measures generating and compressing one minute archive
// (no cache), for a branch and for a hub.
func BenchmarkArchive(b *testing.B) {
	now := time.Date(2026, 3, 25, 14, 6, 30, 0, time.UTC)
	s, err := New(Config{Appliances: 1000, Seed: 1, Now: func() time.Time { return now }, ArchiveCacheBytes: -1})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		hub  bool
	}{{"branch", false}, {"hub", true}} {
		var id string
		for _, a := range s.Appliances() {
			if a.Hub == bc.hub {
				id = a.ID
				break
			}
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var size int
			m := int64(1774447560)
			cpu0 := cpuTime()
			for i := 0; b.Loop(); i++ {
				data, err := s.Archive(id, m-int64(i%1440)*60)
				if err != nil {
					b.Fatal(err)
				}
				size = len(data)
			}
			b.ReportMetric(float64(size), "bytes/archive")
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkExpectedMinutePoints measures computing the expected points of a
// minute.
func BenchmarkExpectedMinutePoints(b *testing.B) {
	now := time.Date(2026, 3, 25, 14, 6, 30, 0, time.UTC)
	s, err := New(Config{Appliances: 100, Seed: 1, Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.ExpectedMinutePoints("1.NE", 1774447560); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPollFleet polls every appliance of a 1,000-appliance fleet once
// the way the demo's worker does (login, 3 archives, 19 point-in-time calls,
// logout) with 50 concurrent workers: one op is one whole-fleet poll, which
// must fit well inside a minute on 2 cores.
func BenchmarkPollFleet(b *testing.B) {
	clk := newClock(time.Date(2026, 3, 25, 14, 6, 30, 0, time.UTC))
	s := startSim(b, Config{Appliances: 1000, Seed: 1, Now: clk.Now})
	var addrs []string
	for _, a := range s.Appliances() {
		if a.Reachable {
			addrs = append(addrs, a.Address)
		}
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.RootCAs()}, MaxIdleConnsPerHost: 1,
		MaxIdleConns: 2000}
	defer tr.CloseIdleConnections()
	paths := []string{"/stats/minuteRange", "/deployment", "/memory", "/cpustat?time=0", "/subnets3/all", "/alarm",
		"/tunnelAllIDs", "/bondedTunnels/allIDs", "/thirdPartyTunnels/allIDs", "/tunnelAllIDs?state=Up",
		"/bondedTunnels/allIDs?state=Up", "/thirdPartyTunnels/allIDs?state=Up",
		"/tunnelAliases?limit=1000&state=Down", "/bondedTunnels/aliases?limit=1000&state=Down",
		"/thirdPartyTunnels/aliases?limit=1000&state=Down", "/diskUsage", "/systemInfo", "/trafficclass"}
	for b.Loop() {
		// Each op is the next minute: the newest archive is new, the two
		// older ones come from the cache, as in steady state.
		clk.Add(time.Minute)
		m, _ := s.Window()
		work := make(chan string)
		errs := make(chan error, 50)
		var wg sync.WaitGroup
		for w := 0; w < 50; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				jar, _ := cookiejar.New(nil)
				c := &http.Client{Transport: tr, Jar: jar, Timeout: time.Minute}
				gets := []string{fmt.Sprintf("/stats/minuteStats/st2-%d.tgz", m),
					fmt.Sprintf("/stats/minuteStats/st2-%d.tgz", m-60), fmt.Sprintf("/stats/minuteStats/st2-%d.tgz", m-120)}
				gets = append(gets, paths...)
				for addr := range work {
					if err := benchPoll(c, "https://"+addr+"/rest/json", gets); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		for _, a := range addrs {
			work <- a
		}
		close(work)
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(addrs)), "appliances")
}

// cyclePaths are the GET requests of one worker job after the minute
// archive, in the order the worker sends them (below /rest/json).
var cyclePaths = []string{"/trafficclass", "/deployment", "/memory", "/cpustat?time=0", "/subnets3/all", "/alarm",
	"/tunnelAllIDs", "/tunnelAllIDs?state=Up", "/tunnelAliases?limit=1000&state=Down",
	"/bondedTunnels/allIDs", "/bondedTunnels/allIDs?state=Up", "/bondedTunnels/aliases?limit=1000&state=Down",
	"/thirdPartyTunnels/allIDs", "/thirdPartyTunnels/allIDs?state=Up",
	"/thirdPartyTunnels/aliases?limit=1000&state=Down", "/diskUsage", "/systemInfo", "/networkInterfaces",
	"/nexthops"}

// BenchmarkApplianceCycle drives one appliance through the requests of one
// worker job (login, minuteRange, the newest archive, 19 point-in-time
// calls, realtime stats, logout: 24 requests); each op is the next minute,
// so the archive is new each time, as in steady state. Sub-benchmarks:
//
//   - https: over one keep-alive HTTPS connection; the CPU counted is the
//     simulator's and this client's together (the client only discards
//     bodies);
//   - https-newconn: the same with a new connection each cycle that resumes
//     the TLS session (the worker's idle connections time out between
//     cycles; its client keeps a session cache);
//   - handler: the handlers called in-process without TLS or sockets, the
//     simulator's own work only.
//
// ns/appliance-cycle is wall time per cycle, cpu-ns/appliance-cycle the
// process CPU time (user + system) per cycle.
func BenchmarkApplianceCycle(b *testing.B) {
	for _, bc := range []struct {
		name     string
		hub, tls bool
		newConn  bool
	}{{"https/branch", false, true, false}, {"https/hub", true, true, false},
		{"https-newconn/branch", false, true, true}, {"handler/branch", false, false, false},
		{"handler/hub", true, false, false}} {
		b.Run(bc.name, func(b *testing.B) { benchCycle(b, bc.hub, bc.tls, bc.newConn) })
	}
}

func benchCycle(b *testing.B, hub, useTLS, newConn bool) {
	clk := newClock(time.Date(2026, 3, 25, 14, 6, 30, 0, time.UTC))
	s := startSim(b, Config{Appliances: 1000, Seed: 1, Now: clk.Now})
	var app ApplianceInfo
	for _, a := range s.Appliances() {
		if a.Reachable && a.Hub == hub {
			app = a
			break
		}
	}
	var rt http.RoundTripper = handlerTransport{s, s.byID[app.ID]}
	closeIdle := func() {}
	if useTLS {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.RootCAs(),
			ClientSessionCache: tls.NewLRUClientSessionCache(4)}, MaxIdleConnsPerHost: 1}
		defer tr.CloseIdleConnections()
		rt = tr
		if newConn {
			closeIdle = tr.CloseIdleConnections
		}
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Transport: rt, Jar: jar, Timeout: time.Minute}
	base := "https://" + app.Address + "/rest/json"
	gets := append([]string{"/stats/minuteRange", ""}, cyclePaths...)
	cycle := func() error {
		m, _ := s.Window()
		gets[1] = fmt.Sprintf("/stats/minuteStats/st2-%d.tgz", m)
		return benchPoll(c, base, gets)
	}
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		clk.Add(time.Minute)
		closeIdle()
		if err := cycle(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/appliance-cycle")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/appliance-cycle")
	if st := s.byID[app.ID].counters; newConn && st.resumed.Load() < int64(b.N)-1 {
		b.Fatalf("%d of %d connections resumed a TLS session, want all but the first", st.resumed.Load(), b.N)
	}
}

// benchPoll polls one appliance below base (https://host:port/rest/json)
// as a worker job does: login, every GET of gets in order, realtime stats,
// logout. c must have a cookie jar; every answer must be 200.
func benchPoll(c *http.Client, base string, gets []string) error {
	var csrf string
	do := func(method, p, body string) error {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, _ := http.NewRequest(method, base+p, rd)
		if csrf != "" {
			req.Header.Set(headerXSRF, csrf)
		}
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s %s: %d", method, p, resp.StatusCode)
		}
		for _, ck := range resp.Cookies() {
			if ck.Name == ecCSRFCookie {
				csrf = ck.Value
			}
		}
		return nil
	}
	if err := do(http.MethodPost, "/login", `{"user":"admin","password":"sim-password"}`); err != nil {
		return err
	}
	for _, p := range gets {
		if err := do(http.MethodGet, p, ""); err != nil {
			return err
		}
	}
	if err := do(http.MethodPost, "/stats/realtimeStats", `{"type":"trafficType","name":"3","filter":""}`); err != nil {
		return err
	}
	return do(http.MethodGet, "/logout", "")
}

// handlerTransport serves a request with the simulator's handler in-process,
// as if it had come in on target t's listener.
type handlerTransport struct {
	s *Simulator
	t *target
}

func (h handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	h.s.serveHTTP(rec, req.WithContext(context.WithValue(req.Context(), ctxKey{}, h.t)))
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// cpuTime is the user plus system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEndpoint measures each GET of a worker job on its own, through
// the handler in-process (no TLS), on a branch, with a logged-in session.
func BenchmarkEndpoint(b *testing.B) {
	clk := newClock(time.Date(2026, 3, 25, 14, 6, 30, 0, time.UTC))
	s, err := New(Config{Appliances: 1000, Seed: 1, Now: clk.Now})
	if err != nil {
		b.Fatal(err)
	}
	t := s.apps[0]
	id, csrf := t.sessions.create(clk.Now(), time.Hour, true)
	h := handlerTransport{s, t}
	for _, p := range cyclePaths {
		b.Run(strings.TrimPrefix(p, "/"), func(b *testing.B) {
			b.ReportAllocs()
			var size int64
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, "https://sim/rest/json"+p, nil)
				req.Header.Set(ecSessionCookie, id)
				req.Header.Set(headerXSRF, csrf)
				resp, _ := h.RoundTrip(req)
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("GET %s = %d", p, resp.StatusCode)
				}
				size = resp.ContentLength
			}
			b.ReportMetric(float64(size), "bytes")
		})
	}
}
