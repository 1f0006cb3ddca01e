package simulator

import (
	"crypto/tls"
	"io"
	"net/http"
	"testing"
	"time"
)

// TestConnectionStats checks the per-target connection counters: a
// keep-alive client makes one connection for several requests, a new
// connection with a session cache resumes the TLS session, and a client
// without one does not.
func TestConnectionStats(t *testing.T) {
	for _, tc := range []struct {
		name       string
		maxVersion uint16
	}{{"tls1.3", tls.VersionTLS13}, {"tls1.2", tls.VersionTLS12}} {
		t.Run(tc.name, func(t *testing.T) {
			s := startSim(t, Config{Appliances: 3, Seed: 1})
			a := reachableAppliance(t, s)
			tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.RootCAs(), MaxVersion: tc.maxVersion,
				ClientSessionCache: tls.NewLRUClientSessionCache(8)}}
			t.Cleanup(tr.CloseIdleConnections)
			c := &http.Client{Transport: tr, Timeout: 20 * time.Second}
			want := func(conns, resumed int64) {
				t.Helper()
				st, err := s.Stats(a.ID)
				if err != nil {
					t.Fatal(err)
				}
				if st.Connections != conns || st.ResumedConnections != resumed {
					t.Errorf("Stats(%s) connections, resumed = %d, %d, want %d, %d", a.ID, st.Connections,
						st.ResumedConnections, conns, resumed)
				}
			}
			url := "https://" + a.Address + "/rest/json/stats/minuteRange"
			for range 5 {
				if st, b, _ := doRequest(t, c, http.MethodGet, url, nil, nil); st != http.StatusUnauthorized {
					t.Fatalf("GET minuteRange status = %d (%s), want 401", st, b)
				}
			}
			want(1, 0)
			if st, err := s.Stats(a.ID); err != nil || st.Requests[EndpointMinuteRange] != 5 {
				t.Fatalf("Stats(%s).Requests[minuteRange] = %v (%v), want 5", a.ID, st.Requests, err)
			}

			if st, _ := s.Stats(a.ID); st.OpenConnections != 1 {
				t.Errorf("Stats(%s).OpenConnections = %d with one keep-alive connection, want 1", a.ID, st.OpenConnections)
			}
			tr.CloseIdleConnections()
			waitOpen(t, s, a.ID, 0)
			for range 2 {
				doRequest(t, c, http.MethodGet, url, nil, nil)
			}
			want(2, 1)

			// A client without a session cache does a full handshake.
			doRequest(t, newClient(t, s), http.MethodGet, url, nil, nil)
			want(3, 1)

			// The Orchestrator counts its own connections.
			doRequest(t, newClient(t, s), http.MethodGet, s.OrchestratorURL()+string(EndpointBriefInfo), nil, nil)
			if st, err := s.Stats(OrchestratorID); err != nil || st.Connections != 1 || st.ResumedConnections != 0 {
				t.Errorf("Stats(orchestrator) connections, resumed = %d, %d (%v), want 1, 0", st.Connections,
					st.ResumedConnections, err)
			}
			if conns, resumed := s.ConnectionTotals(); conns != 4 || resumed != 1 {
				t.Errorf("ConnectionTotals() = %d, %d, want 4, 1", conns, resumed)
			}
		})
	}
}

// waitOpen waits until appliance id has n open connections: the server
// sees a close a little after the client made it.
func waitOpen(t *testing.T, s *Simulator, id string, n int64) {
	t.Helper()
	var st Stats
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var err error
		if st, err = s.Stats(id); err != nil {
			t.Fatal(err)
		}
		if st.OpenConnections == n {
			return
		}
	}
	t.Errorf("Stats(%s).OpenConnections = %d after 5 s, want %d", id, st.OpenConnections, n)
}

// TestHandshakeLatency: Fault.HandshakeLatency holds every new
// connection's TLS handshake, a resumed one included, and Close ends a
// held handshake at once.
func TestHandshakeLatency(t *testing.T) {
	const delay = 150 * time.Millisecond
	s := startSim(t, Config{Appliances: 2, Seed: 1, Faults: Faults{Appliances: Fault{HandshakeLatency: delay}}})
	a := reachableAppliance(t, s)
	cfg := &tls.Config{RootCAs: s.RootCAs(), ClientSessionCache: tls.NewLRUClientSessionCache(4)}
	handshake := func() (time.Duration, error) {
		start := time.Now()
		c, err := tls.Dial("tcp", a.Address, cfg)
		if err != nil {
			return 0, err
		}
		defer c.Close()
		// TLS 1.3 tickets come after the handshake: read them with a request.
		if _, err := c.Write([]byte("GET /rest/json/stats/minuteRange HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")); err != nil {
			return 0, err
		}
		_, _ = io.ReadAll(c)
		return time.Since(start), nil
	}
	for i := range 2 {
		el, err := handshake()
		if err != nil {
			t.Fatalf("connection %d: %v", i+1, err)
		}
		if el < delay {
			t.Errorf("connection %d answered after %v, want at least %v", i+1, el, delay)
		}
	}
	if st, err := s.Stats(a.ID); err != nil || st.Connections != 2 || st.ResumedConnections != 1 {
		t.Errorf("Stats(%s) connections, resumed = %d, %d (%v), want 2, 1", a.ID, st.Connections, st.ResumedConnections, err)
	}

	if err := s.SetFault(a.ID, Fault{HandshakeLatency: time.Hour}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := handshake()
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	s.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Error("a handshake held by the simulator's Close succeeded")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end a held handshake")
	}
	if err := s.SetFault(a.ID, Fault{HandshakeLatency: -1}); err == nil {
		t.Error("SetFault accepted a negative handshake latency")
	}
}
