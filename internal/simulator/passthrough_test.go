package simulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestPassthroughForms: the Orchestrator relays appliance reads in the URL
// form of its release (the other form is 404), answers 400 for an
// appliance it reports unreachable (state 2), serves appliances that
// refuse direct connections, and no appliance login happens.
func TestPassthroughForms(t *testing.T) {
	for _, tc := range []struct {
		release  string
		pathForm bool
	}{
		{"9.2.8.12345", true},
		{"9.3.0.40001", false},
		{"", false}, // the default release
	} {
		t.Run(tc.release, func(t *testing.T) {
			s := startSim(t, Config{Appliances: 40, Seed: 2, OrchestratorRelease: tc.release,
				Faults: Faults{UnreachableFraction: 0.25}})
			c := newClient(t, s)
			key := map[string]string{headerAuthToken: DefaultAPIKey}
			get := func(nePk, path string, pathForm bool) (int, []byte) {
				var u string
				if pathForm {
					p, q, _ := strings.Cut(path, "?")
					u = s.OrchestratorURL() + "/gms/rest/appliance/rest/" + nePk + "/" + p + "?"
					if q != "" {
						u += q + "&"
					}
					u += "source=menu_rest_apis_id"
				} else {
					u = s.OrchestratorURL() + "/gms/rest/appliance/rest?nePk=" + url.QueryEscape(nePk) +
						"&url=" + url.QueryEscape(path) + "&source=menu_rest_apis_id"
				}
				st, b, _ := doRequest(t, c, http.MethodGet, u, nil, key)
				return st, b
			}
			var relayedOnly, down int
			for _, a := range s.Appliances() {
				st, b := get(a.ID, "memory", tc.pathForm)
				if a.State == 2 {
					down++
					if st != http.StatusBadRequest {
						t.Errorf("%s (state 2): status %d, want 400", a.ID, st)
					}
					continue
				}
				if !a.Reachable {
					relayedOnly++
				}
				var m Memory
				if st != http.StatusOK || json.Unmarshal(b, &m) != nil {
					t.Fatalf("%s memory: status %d body %.100s", a.ID, st, b)
				}
				served, _ := s.LastServed(a.ID)
				if served.Memory == nil || *served.Memory != m {
					t.Errorf("%s memory = %+v, want what the appliance recorded %+v", a.ID, m, served.Memory)
				}
				// The appliance query string reaches the appliance.
				st, b = get(a.ID, "tunnelAliases?limit=1&state=Down", tc.pathForm)
				if st != http.StatusOK {
					t.Errorf("%s tunnelAliases: status %d %s", a.ID, st, b)
				}
				sv, _ := s.LastServed(a.ID)
				q := TunnelQuery{Endpoint: EndpointTunnelAliases, State: "Down", Limit: 1}
				if _, ok := sv.Tunnels[q]; !ok {
					t.Errorf("%s: appliance did not see the query limit=1&state=Down: %v", a.ID, sv.Tunnels)
				}
				if st, _ := get(a.ID, "memory", !tc.pathForm); st != http.StatusNotFound {
					t.Errorf("%s: the other URL form answered %d, want 404", a.ID, st)
				}
				stats, _ := s.Stats(a.ID)
				if stats.Logins != 0 || stats.Requests[EndpointMemory] != 1 {
					t.Errorf("%s stats = %+v, want no login and 1 memory request", a.ID, stats)
				}
			}
			if relayedOnly == 0 || down == 0 {
				t.Fatalf("fleet has %d directly unreachable and %d state-2 appliances, want some of each", relayedOnly, down)
			}
			if st, _ := get("999.NE", "memory", tc.pathForm); st != http.StatusNotFound {
				t.Errorf("unknown appliance: status %d, want 404", st)
			}
			a := reachableAppliance(t, s)
			if st, _, _ := doRequest(t, c, http.MethodGet, s.OrchestratorURL()+"/gms/rest/appliance/rest?nePk="+a.ID+"&url=memory", nil, nil); st != http.StatusUnauthorized {
				t.Errorf("without credentials: status %d, want 401", st)
			}
			var perSec int64
			for _, n := range s.PassthroughPerSecond() {
				perSec += n
			}
			orch, _ := s.Stats(OrchestratorID)
			// Every request is counted per second but the refused one.
			if perSec != orch.Requests[EndpointPassthrough]-1 || perSec == 0 {
				t.Errorf("per-second counts sum to %d, endpoint counted %d (one without credentials)", perSec, orch.Requests[EndpointPassthrough])
			}
		})
	}
}

// TestPassthroughRateLimitAndLatency: requests beyond the per-second limit
// answer 429 with Retry-After, and the pass-through's own latency applies.
func TestPassthroughRateLimitAndLatency(t *testing.T) {
	const latency = 30 * time.Millisecond
	s := startSim(t, Config{Appliances: 2, Seed: 3, Passthrough: Passthrough{RateLimit: 3, Latency: latency}})
	c := newClient(t, s)
	a := reachableAppliance(t, s)
	u := s.OrchestratorURL() + "/gms/rest/appliance/rest?nePk=" + a.ID + "&url=memory"
	key := map[string]string{headerAuthToken: DefaultAPIKey}
	start := time.Now()
	st, _, _ := doRequest(t, c, http.MethodGet, u, nil, key)
	if st != http.StatusOK {
		t.Fatalf("first request: status %d", st)
	}
	if d := time.Since(start); d < latency {
		t.Errorf("answered after %v, want at least the latency %v", d, latency)
	}
	var limited int
	for i := 0; i < 12 && limited == 0; i++ {
		st, _, resp := doRequest(t, c, http.MethodGet, u, nil, key)
		if st == http.StatusTooManyRequests {
			limited++
			if resp.Header.Get("Retry-After") != "1" {
				t.Errorf("429 without Retry-After: 1: %v", resp.Header)
			}
		}
	}
	if limited == 0 {
		t.Error("no request was refused with 429 beyond 3 per second")
	}
	var most int64
	for _, n := range s.PassthroughPerSecond() {
		most = max(most, n)
	}
	if most < 4 {
		t.Errorf("most per second = %d, want the refused requests counted too (>= 4)", most)
	}
}
