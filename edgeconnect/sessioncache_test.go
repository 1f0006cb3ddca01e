package edgeconnect

import (
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// handshake opens a TLS connection to addr with cfg, reads an answer (a
// TLS 1.3 ticket arrives after the handshake) and reports whether the
// session was resumed.
func handshake(tb testing.TB, addr string, cfg *tls.Config) bool {
	tb.Helper()
	return connect(tb, addr, cfg).DidResume
}

// connect opens a TLS connection to addr with cfg, sends one request, reads
// the answer and returns the connection's state.
func connect(tb testing.TB, addr string, cfg *tls.Config) tls.ConnectionState {
	tb.Helper()
	c, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET /rest/json/stats/minuteRange HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); err != nil {
		tb.Fatal(err)
	}
	if _, err := io.ReadAll(c); err != nil {
		tb.Fatal(err)
	}
	return c.ConnectionState()
}

// oneAppliance starts a simulator of one reachable appliance and returns
// its address.
func oneAppliance(tb testing.TB) string {
	tb.Helper()
	sim := testenv.StartSimulator(tb, simulator.Config{Appliances: 1, Seed: 1, ApplianceHosts: simulator.LoopbackHosts(1)})
	addrs := reachableAddrs(sim)
	if len(addrs) == 0 {
		tb.Fatal("no reachable appliance with this seed")
	}
	return addrs[0]
}

// reachableAddrs lists the addresses of sim's reachable appliances.
func reachableAddrs(sim *simulator.Simulator) []string {
	var addrs []string
	for _, a := range sim.Appliances() {
		if a.Reachable {
			addrs = append(addrs, a.Address)
		}
	}
	return addrs
}

// The cache resumes TLS 1.3 and TLS 1.2 sessions, keeps at most its
// capacity (the least recently used go first), and forgets a session the
// TLS client removes.
func TestSessionCache(t *testing.T) {
	sim := testenv.StartSimulator(t, simulator.Config{Appliances: 3, Seed: 1, ApplianceHosts: simulator.LoopbackHosts(3)})
	addrs := reachableAddrs(sim)
	if len(addrs) < 3 {
		t.Fatalf("%d reachable appliances with this seed, want 3", len(addrs))
	}
	for _, version := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			cache := newSessionCache(2, nil)
			cfg := &tls.Config{RootCAs: sim.RootCAs(), MaxVersion: version, ClientSessionCache: cache}
			for i, want := range []bool{false, true, true} {
				if got := handshake(t, addrs[0], cfg); got != want {
					t.Fatalf("connection %d to %s resumed %v, want %v", i+1, addrs[0], got, want)
				}
			}
			// Two more appliances: the first one's session goes.
			handshake(t, addrs[1], cfg)
			handshake(t, addrs[2], cfg)
			if n := cache.lru.Len(); n != 2 {
				t.Errorf("%d sessions kept, want 2", n)
			}
			if handshake(t, addrs[0], cfg) {
				t.Errorf("%s resumed a session the cache had to let go", addrs[0])
			}
			if !handshake(t, addrs[2], cfg) {
				t.Errorf("%s did not resume its session", addrs[2])
			}
			key := cache.lru.Keys()[0]
			if _, ok := cache.Get(key); !ok {
				t.Fatalf("no session for %q", key)
			}
			cache.Put(key, nil)
			if _, ok := cache.Get(key); ok {
				t.Errorf("session for %q kept after Put(nil)", key)
			}
		})
	}
}

// BenchmarkSessionCache measures what a worker's TLS session cache holds
// per appliance (B/session, heap after a collection) and what a
// resumption's Get costs a cycle later (ns/op, with a garbage collection
// between two), for this cache and crypto/tls's own LRU cache,
// with a session for each of 500 appliances on addresses of their own.
//
//	go test -run '^$' -bench SessionCache -benchtime 20x ./edgeconnect/
func BenchmarkSessionCache(b *testing.B) {
	const n = 500
	sim := testenv.StartSimulator(b, simulator.Config{Appliances: n, Seed: 1, ApplianceHosts: simulator.LoopbackHosts(n)})
	addrs := reachableAddrs(sim)
	for _, tc := range []struct {
		name string
		new  func() tls.ClientSessionCache
	}{
		{"bytes", func() tls.ClientSessionCache { return newSessionCache(DefaultSessionCache, nil) }},
		{"crypto-tls-lru", func() tls.ClientSessionCache { return tls.NewLRUClientSessionCache(DefaultSessionCache) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var ms runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms)
			before := ms.HeapAlloc
			cache := tc.new()
			cfg := &tls.Config{InsecureSkipVerify: true, ClientSessionCache: cache}
			for _, a := range addrs {
				handshake(b, a, cfg)
			}
			runtime.GC()
			runtime.ReadMemStats(&ms)
			held := float64(ms.HeapAlloc) - float64(before)
			key, _, _ := net.SplitHostPort(addrs[0]) // tls.Dial's server name, the cache's key
			if _, ok := cache.Get(key); !ok {
				b.Fatalf("no session for %s", key)
			}
			// A worker resumes an appliance's session a cycle after the last:
			// whatever was parsed for it then has been collected.
			for b.Loop() {
				b.StopTimer()
				runtime.GC()
				b.StartTimer()
				if _, ok := cache.Get(key); !ok {
					b.Fatal("session gone")
				}
			}
			b.ReportMetric(held/float64(len(addrs)), "B/session")
			runtime.KeepAlive(cache)
		})
	}
}

// NewTransport reports every handshake, full or resumed, and every session
// its cache lets go for room.
func TestTransportReportsHandshakesAndEvictions(t *testing.T) {
	sim := testenv.StartSimulator(t, simulator.Config{Appliances: 3, Seed: 1, ApplianceHosts: simulator.LoopbackHosts(3)})
	addrs := reachableAddrs(sim)
	var mu sync.Mutex
	var full, resumed, evicted int
	tr, err := NewTransport(TransportOptions{InsecureSkipVerify: true, SessionCache: 2,
		OnHandshake: func(r bool, _ tls.CurveID) {
			mu.Lock()
			defer mu.Unlock()
			if r {
				resumed++
			} else {
				full++
			}
		},
		OnSessionEvicted: func() { mu.Lock(); evicted++; mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: tr}
	get := func(addr string) {
		t.Helper()
		resp, err := c.Get("https://" + addr + "/rest/json/stats/minuteRange")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		tr.CloseIdleConnections() // the next request needs a new connection
	}
	// Two connections to each appliance in turn: the second resumes; the
	// third appliance's session pushes the first's out of the cache.
	for _, a := range addrs[:3] {
		get(a)
		get(a)
	}
	mu.Lock()
	defer mu.Unlock()
	if full != 3 || resumed != 3 || evicted != 1 {
		t.Errorf("full handshakes %d, resumed %d, sessions evicted %d; want 3, 3, 1", full, resumed, evicted)
	}
}

// The transport offers the key exchanges of TransportOptions.Curves, in
// their order, in full and resumed handshakes alike; without them it keeps
// crypto/tls's defaults, whose first choice is the hybrid post-quantum one.
func TestTransportCurves(t *testing.T) {
	addr := oneAppliance(t)
	for _, tc := range []struct {
		name   string
		curves []tls.CurveID
		want   tls.CurveID
	}{
		{"default", nil, tls.X25519MLKEM768},
		{"P-256", []tls.CurveID{tls.CurveP256}, tls.CurveP256},
		{"X25519 then P-256", []tls.CurveID{tls.X25519, tls.CurveP256}, tls.X25519},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := NewTransport(TransportOptions{InsecureSkipVerify: true, Curves: tc.curves})
			if err != nil {
				t.Fatal(err)
			}
			for i, resumed := range []bool{false, true} {
				st := connect(t, addr, tr.TLSClientConfig)
				if st.DidResume != resumed || st.CurveID != tc.want {
					t.Errorf("connection %d: resumed %v with %v, want resumed %v with %v", i+1, st.DidResume, st.CurveID, resumed, tc.want)
				}
			}
		})
	}
}

// An appliance that supports none of the key exchanges offered refuses the
// handshake; the login fails with an error that names the appliance and
// says why.
func TestTransportCurvesNoneShared(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.TLS = &tls.Config{CurvePreferences: []tls.CurveID{tls.CurveP384}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	srv.StartTLS()
	defer srv.Close()
	tr, err := NewTransport(TransportOptions{InsecureSkipVerify: true, Curves: []tls.CurveID{tls.X25519}})
	if err != nil {
		t.Fatal(err)
	}
	addr := srv.Listener.Addr().String()
	c, err := New(Options{Address: addr, User: "admin", Password: "pw-secret", Transport: tr, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Login(t.Context())
	if err == nil {
		t.Fatal("login succeeded without a shared key exchange")
	}
	for _, want := range []string{addr, "handshake failure"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("login error %q does not say %q", err, want)
		}
	}
}

// BenchmarkResumedHandshake measures a connection with a resumed TLS
// handshake and one request, for each choice of key exchanges: crypto/tls's
// defaults (the hybrid X25519MLKEM768), X25519 and P-256. cpu-ns/op is the
// CPU of both ends (the simulator's appliance is the server, in this
// process). A job makes two such connections.
//
//	go test -run '^$' -bench ResumedHandshake -count 5 ./edgeconnect/
func BenchmarkResumedHandshake(b *testing.B) {
	addr := oneAppliance(b)
	for _, tc := range []struct {
		name   string
		curves []tls.CurveID
	}{
		{"default", nil},
		{"X25519", []tls.CurveID{tls.X25519}},
		{"P-256", []tls.CurveID{tls.CurveP256}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			tr, err := NewTransport(TransportOptions{InsecureSkipVerify: true, Curves: tc.curves})
			if err != nil {
				b.Fatal(err)
			}
			connect(b, addr, tr.TLSClientConfig) // the session to resume
			cpu0, cpuOK := testenv.ProcessCPU()
			for b.Loop() {
				if !connect(b, addr, tr.TLSClientConfig).DidResume {
					b.Fatal("not resumed")
				}
			}
			if cpu1, ok := testenv.ProcessCPU(); ok && cpuOK {
				b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
			}
		})
	}
}
