package simulator

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptrace"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestUnreachableAppliances(t *testing.T) {
	s := startSim(t, Config{Appliances: 40, Seed: 2, Faults: Faults{UnreachableFraction: 0.25}})
	var state2, extra, others int
	for _, a := range s.Appliances() {
		switch {
		case a.State == 2:
			state2++
			if a.Reachable {
				t.Errorf("%s has state 2 but is reachable", a.ID)
			}
		case !a.Reachable:
			extra++
		default:
			others++
		}
		if host, _, err := net.SplitHostPort(a.Address); err != nil || host != "127.0.0.1" {
			t.Errorf("%s address %q, want 127.0.0.1:port", a.ID, a.Address)
		}
		if a.Reachable {
			continue
		}
		c, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(t.Context(), "tcp", a.Address)
		if err == nil {
			c.Close()
			t.Errorf("%s at %s accepted a connection, want refused", a.ID, a.Address)
		}
	}
	if want := int(float64(extra+others)*0.25 + 0.5); extra != want {
		t.Errorf("unreachable besides state 2 = %d of %d, want %d", extra, extra+others, want)
	}
	if state2 == 0 {
		t.Error("no appliance with Orchestrator state 2 in 40")
	}
}

// The port of an unreachable appliance refuses connections and stays
// taken while the simulator runs, so that no server started after it (a
// worker's metrics endpoint on port 0) can answer in the appliance's name;
// Close gives it back.
func TestUnreachablePortsStayTaken(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the ports are held on Linux only")
	}
	for _, host := range []string{"127.0.0.1", "::1"} {
		t.Run(host, func(t *testing.T) {
			if l, err := net.Listen("tcp", net.JoinHostPort(host, "0")); err != nil {
				t.Skipf("no %s here: %v", host, err)
			} else {
				l.Close()
			}
			checkUnreachablePorts(t, host)
		})
	}
}

func checkUnreachablePorts(t *testing.T, host string) {
	s, err := New(Config{Appliances: 20, Seed: 2, ListenHost: host, Faults: Faults{UnreachableFraction: 0.3}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for _, a := range s.Appliances() {
		if !a.Reachable {
			addrs = append(addrs, a.Address)
		}
	}
	if len(addrs) == 0 {
		t.Fatal("no unreachable appliance")
	}
	for _, addr := range addrs {
		if c, err := net.DialTimeout("tcp", addr, 5*time.Second); err == nil {
			c.Close()
			t.Errorf("%s accepted a connection, want refused", addr)
		} else if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("dial %s: %v, want connection refused", addr, err)
		}
		if l, err := net.Listen("tcp", addr); err == nil {
			l.Close()
			t.Errorf("%s could be bound by another server while the simulator runs", addr)
		}
	}
	s.Close()
	for _, addr := range addrs {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Errorf("%s still taken after Close: %v", addr, err)
			continue
		}
		l.Close()
	}
}

func TestFaultBadCredentials(t *testing.T) {
	s := startSim(t, Config{Appliances: 3, Seed: 1})
	a := reachableAppliance(t, s)
	login := func() int {
		st, _, _ := doRequest(t, newClient(t, s), http.MethodPost, "https://"+a.Address+"/rest/json/login",
			[]byte(`{"user":"admin","password":"sim-password"}`), nil)
		return st
	}
	steps := []struct {
		fault Fault
		want  int
	}{{Fault{BadCredentials: true}, 401}, {Fault{}, 200}}
	for _, st := range steps {
		if err := s.SetFault(a.ID, st.fault); err != nil {
			t.Fatal(err)
		}
		if got := login(); got != st.want {
			t.Errorf("login with %+v = %d, want %d", st.fault, got, st.want)
		}
	}
	if err := s.SetFault(OrchestratorID, Fault{BadCredentials: true}); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := orchGet(t, s, newClient(t, s), "/appliance", map[string]string{"X-Auth-Token": DefaultAPIKey}); st != 401 {
		t.Errorf("Orchestrator with BadCredentials = %d, want 401", st)
	}
}

func TestFaultCorruptArchive(t *testing.T) {
	a0 := "1.NE"
	s := startSim(t, Config{Appliances: 3, Seed: 1, Faults: Faults{PerAppliance: map[string]Fault{a0: {CorruptArchive: true}}}})
	var info ApplianceInfo
	for _, a := range s.Appliances() {
		if a.ID == a0 {
			info = a
		}
	}
	if !info.Reachable {
		t.Skip("1.NE is unreachable with this seed")
	}
	e := ecLogin(t, s, info.Address)
	data := fetchArchive(t, e, testNewest)
	if _, err := untar(data); err == nil {
		t.Fatal("corrupt archive untars without error")
	}
	if err := s.SetFault(a0, Fault{}); err != nil {
		t.Fatal(err)
	}
	if _, err := untar(fetchArchive(t, e, testNewest)); err != nil {
		t.Errorf("archive after clearing the fault: %v", err)
	}
}

func TestFaultSlowEndpoint(t *testing.T) {
	s := startSim(t, Config{Appliances: 2, Seed: 1})
	a := reachableAppliance(t, s)
	e := ecLogin(t, s, a.Address)
	if err := s.SetFault(a.ID, Fault{SlowEndpoints: []Endpoint{EndpointMemory}}); err != nil {
		t.Fatal(err)
	}
	fast := *e.c
	fast.Timeout = 300 * time.Millisecond
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, e.base+"/memory", nil)
	req.Header.Set("X-XSRF-TOKEN", e.csrf)
	start := time.Now()
	resp, err := fast.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("slow /memory answered %d within the client timeout", resp.StatusCode)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("client waited %v", el)
	}
	// Other endpoints are not slowed.
	if st, _ := e.do(http.MethodGet, "/diskUsage", nil); st != 200 {
		t.Errorf("/diskUsage = %d, want 200", st)
	}

	// A stalled request ends when the simulator closes.
	wrote := make(chan struct{})
	var wroteOnce sync.Once
	done := make(chan error, 1)
	go func() {
		// net/http writes a GET again on a new connection when a reused one
		// turns out closed, and reports each write.
		ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
			WroteRequest: func(httptrace.WroteRequestInfo) { wroteOnce.Do(func() { close(wrote) }) },
		})
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.base+"/memory", nil)
		req.Header.Set("X-XSRF-TOKEN", e.csrf)
		resp, err := e.c.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	<-wrote
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close() = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close() still blocked by a stalled request after 10 s")
	}
	if err := <-done; err == nil {
		t.Error("stalled request succeeded after Close")
	}
}

func TestFaultErrorRate(t *testing.T) {
	statuses := func(seed int64, f Fault) []int {
		s := startSim(t, Config{Appliances: 2, Seed: seed})
		a := reachableAppliance(t, s)
		e := ecLogin(t, s, a.Address)
		if err := s.SetFault(a.ID, f); err != nil {
			t.Fatal(err)
		}
		var out []int
		for i := 0; i < 40; i++ {
			st, _ := e.do(http.MethodGet, "/memory", nil)
			out = append(out, st)
		}
		return out
	}
	count := func(sts []int, code int) int {
		n := 0
		for _, s := range sts {
			if s == code {
				n++
			}
		}
		return n
	}
	tests := []struct {
		name    string
		fault   Fault
		code    int
		lo, hi  int
		checkOK bool
	}{
		{"always", Fault{ErrorRate: map[Endpoint]float64{EndpointMemory: 1}}, 500, 40, 40, false},
		{"other endpoint", Fault{ErrorRate: map[Endpoint]float64{EndpointAlarm: 1}}, 500, 0, 0, true},
		{"half of all, 503", Fault{ErrorRate: map[Endpoint]float64{EndpointAll: 0.5}, ErrorStatus: 503}, 503, 8, 32, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := statuses(4, tc.fault)
			if n := count(got, tc.code); n < tc.lo || n > tc.hi {
				t.Errorf("%d of 40 answers were %d, want %d..%d (%v)", n, tc.code, tc.lo, tc.hi, got)
			}
			if tc.checkOK && count(got, 200)+count(got, tc.code) != 40 {
				t.Errorf("unexpected statuses %v", got)
			}
			if again := statuses(4, tc.fault); !slices.Equal(got, again) {
				t.Errorf("error draws differ between two simulators with the same seed:\n%v\n%v", got, again)
			}
		})
	}
}

func TestFaultLatency(t *testing.T) {
	s := startSim(t, Config{Appliances: 2, Seed: 1, Faults: Faults{Appliances: Fault{Latency: 150 * time.Millisecond}}})
	e := ecLogin(t, s, reachableAppliance(t, s).Address)
	start := time.Now()
	if st, _ := e.do(http.MethodGet, "/memory", nil); st != 200 {
		t.Fatalf("/memory = %d", st)
	}
	if el := time.Since(start); el < 150*time.Millisecond {
		t.Errorf("/memory answered after %v, want at least 150ms", el)
	}
}

// TestSetFaultConcurrent changes faults while requests are served; run with
// -race.
func TestSetFaultConcurrent(t *testing.T) {
	s := startSim(t, Config{Appliances: 3, Seed: 1})
	a := reachableAppliance(t, s)
	e := ecLogin(t, s, a.Address)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				path := []string{"/memory", "/stats/minuteStats/st2-1774447560.tgz", "/alarm"}[i%3]
				req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, e.base+path, nil)
				req.Header.Set("X-XSRF-TOKEN", e.csrf)
				resp, err := e.c.Do(req)
				if err != nil {
					errs <- err
					return
				}
				resp.Body.Close()
				if resp.StatusCode != 200 && resp.StatusCode != 500 {
					errs <- errors.New(resp.Status)
					return
				}
			}
		}()
	}
	for i := 0; i < 200; i++ {
		f := Fault{}
		if i%2 == 0 {
			f = Fault{ErrorRate: map[Endpoint]float64{EndpointAll: 0.3}, CorruptArchive: true}
		}
		if err := s.SetFault(a.ID, f); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("request during SetFault: %v", err)
	}
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no appliances", Config{}, "appliances must be at least 1"},
		{"fraction", Config{Appliances: 1, Faults: Faults{UnreachableFraction: 2}}, "unreachable fraction"},
		{"rate", Config{Appliances: 1, Faults: Faults{Appliances: Fault{ErrorRate: map[Endpoint]float64{EndpointAll: -1}}}}, "error rate"},
		{"status", Config{Appliances: 1, Faults: Faults{Orchestrator: Fault{ErrorStatus: 200}}}, "error status"},
		{"orchestrator host", Config{Appliances: 1, OrchestratorAddr: "10.0.0.1:0"}, "differs from listen host"},
		{"orchestrator port", Config{Appliances: 1, OrchestratorAddr: "127.0.0.1:x"}, "not a port number"},
		{"monitor", Config{Appliances: 1, ECMonitorUser: "m"}, "monitor user and password"},
		{"unknown appliance fault", Config{Appliances: 1, Faults: Faults{PerAppliance: map[string]Fault{"7.NE": {}}}}, "unknown appliance"},
	}
	for _, tc := range tests {
		if _, err := New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: New() = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	s, err := New(Config{Appliances: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetFault("5.NE", Fault{}); err == nil {
		t.Error("SetFault(unknown) = nil, want an error")
	}
	if err := s.SetFault("1.NE", Fault{Latency: -1}); err == nil {
		t.Error("SetFault(negative latency) = nil, want an error")
	}
}

func TestFaultStringMinuteRange(t *testing.T) {
	s := startSim(t, Config{Appliances: 2, Seed: 1})
	a := reachableAppliance(t, s)
	e := ecLogin(t, s, a.Address)
	tests := []struct {
		fault Fault
		want  string
	}{
		{Fault{}, `{"newest":1774447560,"oldest":1774361220}`},
		{Fault{StringMinuteRange: true}, `{"newest":"1774447560","oldest":"1774361220"}`},
	}
	for _, tc := range tests {
		if err := s.SetFault(a.ID, tc.fault); err != nil {
			t.Fatal(err)
		}
		if st, b := e.do(http.MethodGet, "/stats/minuteRange?source=menu_rest_apis_id", nil); st != 200 || string(b) != tc.want {
			t.Errorf("minuteRange with %+v = %d %s, want %s", tc.fault, st, b, tc.want)
		}
	}
}
