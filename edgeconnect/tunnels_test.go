package edgeconnect

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	tunnelIDsJSON     = `["tunnel_12", "tunnel_13", "tunnel_18", "default", "pass-through", "pass-through-unshaped"]`
	tunnelAliasesJSON = `[{"id": "tunnel_18", "alias": "to_BRANCH-EC-07_INET1-INET1"}, {"id": "tunnel_19", "alias": "to_BRANCH-EC-07_MPLS1-MPLS1"}]`
)

func TestTunnelIDs(t *testing.T) {
	tests := []struct {
		family    TunnelFamily
		state     string
		wantPath  string
		wantQuery string
	}{
		{family: TunnelUnderlay, wantPath: "/tunnelAllIDs", wantQuery: source},
		{family: TunnelOverlay, wantPath: "/bondedTunnels/allIDs", wantQuery: source},
		{family: TunnelThirdParty, wantPath: "/thirdPartyTunnels/allIDs", wantQuery: source},
		{family: TunnelUnderlay, state: "Up", wantPath: "/tunnelAllIDs", wantQuery: "state=Up&" + source},
		{family: TunnelOverlay, state: "Up", wantPath: "/bondedTunnels/allIDs", wantQuery: "state=Up&" + source},
		{family: TunnelThirdParty, state: "Up", wantPath: "/thirdPartyTunnels/allIDs", wantQuery: "state=Up&" + source},
		{family: TunnelUnderlay, state: "Up - Idle|Down", wantPath: "/tunnelAllIDs", wantQuery: "state=Up+-+Idle%7CDown&" + source},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %q", tt.family, tt.state), func(t *testing.T) {
			f := setup(t)
			f.handleJSON(tt.wantPath, tt.wantQuery, tunnelIDsJSON)
			got, err := f.client.TunnelIDs(t.Context(), tt.family, tt.state)
			if err != nil {
				t.Fatalf("TunnelIDs(%s, %q) error = %v", tt.family, tt.state, err)
			}
			want := []string{"tunnel_12", "tunnel_13", "tunnel_18", "default", "pass-through", "pass-through-unshaped"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("TunnelIDs(%s, %q) mismatch (-want +got):\n%s", tt.family, tt.state, diff)
			}
		})
	}
}

func TestTunnelAliases(t *testing.T) {
	tests := []struct {
		family    TunnelFamily
		limit     int
		matching  string
		state     string
		wantPath  string
		wantQuery string
	}{
		{family: TunnelUnderlay, limit: 1000, state: "Down", wantPath: "/tunnelAliases", wantQuery: "limit=1000&state=Down&" + source},
		{family: TunnelOverlay, limit: 1000, state: "Down", wantPath: "/bondedTunnels/aliases", wantQuery: "limit=1000&state=Down&" + source},
		{family: TunnelThirdParty, limit: 1000, state: "Down", wantPath: "/thirdPartyTunnels/aliases", wantQuery: "limit=1000&state=Down&" + source},
		{family: TunnelUnderlay, limit: 5, matching: "to_BRANCH", state: "Up", wantPath: "/tunnelAliases", wantQuery: "limit=5&matchingAlias=to_BRANCH&state=Up&" + source},
		{family: TunnelOverlay, matching: "a b", wantPath: "/bondedTunnels/aliases", wantQuery: "matchingAlias=a+b&" + source},
		{family: TunnelThirdParty, wantPath: "/thirdPartyTunnels/aliases", wantQuery: source},
	}
	for _, tt := range tests {
		t.Run(tt.wantQuery, func(t *testing.T) {
			f := setup(t)
			f.handleJSON(tt.wantPath, tt.wantQuery, tunnelAliasesJSON)
			got, err := f.client.TunnelAliases(t.Context(), tt.family, tt.limit, tt.matching, tt.state)
			if err != nil {
				t.Fatalf("TunnelAliases() error = %v", err)
			}
			want := []TunnelAlias{{ID: "tunnel_18", Alias: "to_BRANCH-EC-07_INET1-INET1"}, {ID: "tunnel_19", Alias: "to_BRANCH-EC-07_MPLS1-MPLS1"}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("TunnelAliases() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTunnelUnknownFamily(t *testing.T) {
	f := setup(t)
	if _, err := f.client.TunnelIDs(t.Context(), "bogus", ""); err == nil {
		t.Error(`TunnelIDs("bogus") succeeded, want an error`)
	}
	if _, err := f.client.TunnelAliases(t.Context(), "bogus", 1, "", ""); err == nil {
		t.Error(`TunnelAliases("bogus") succeeded, want an error`)
	}
	if got := f.logins.Load(); got != 0 {
		t.Errorf("login calls = %d, want 0 (no request for a bad family)", got)
	}
}

// TestTunnelErrorDictIsNotACount: the demo counted pyedgeconnect's 4-key
// error dict as 4 tunnels. Here a non-array answer is a decode error and an
// HTTP error an *APIError.
func TestTunnelErrorDictIsNotACount(t *testing.T) {
	f := setup(t)
	f.mux.HandleFunc("/tunnelAllIDs", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"request": "[GET]", "api_path": "/tunnelAllIDs", "status_code": 500, "text": ""}`)
	})
	if got, err := f.client.TunnelIDs(t.Context(), TunnelUnderlay, ""); err == nil {
		t.Errorf("TunnelIDs() = %v, want a decode error", got)
	}
}

func TestParseTunnelErrors(t *testing.T) {
	for _, in := range []string{`null`, `[null]`, `[true]`, `{}`} {
		if _, err := parseTunnelIDs([]byte(in)); err == nil {
			t.Errorf("parseTunnelIDs(%s) succeeded, want an error", in)
		}
	}
	for _, in := range []string{`null`, `[null]`, `[{"alias": "x"}]`, `["tunnel_1"]`} {
		if _, err := parseTunnelAliases([]byte(in)); err == nil {
			t.Errorf("parseTunnelAliases(%s) succeeded, want an error", in)
		}
	}
	got, err := parseTunnelIDs([]byte(`[]`))
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("parseTunnelIDs([]) = %#v, %v, want an empty slice", got, err)
	}
}

func FuzzParseTunnelIDs(f *testing.F) {
	f.Add([]byte(tunnelIDsJSON))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseTunnelIDs(b)
	})
}

func FuzzParseTunnelAliases(f *testing.F) {
	f.Add([]byte(tunnelAliasesJSON))
	f.Fuzz(func(t *testing.T, b []byte) {
		as, err := parseTunnelAliases(b)
		if err != nil {
			return
		}
		// Re-encoding in the vendor's shape must decode to the same list.
		type wire struct {
			ID    string `json:"id"`
			Alias string `json:"alias"`
		}
		ws := make([]wire, 0, len(as))
		for _, a := range as {
			ws = append(ws, wire(a))
		}
		enc, err := json.Marshal(ws)
		if err != nil {
			t.Fatal(err)
		}
		back, err := parseTunnelAliases(enc)
		if err != nil {
			t.Fatalf("parseTunnelAliases(%s) error = %v", enc, err)
		}
		if diff := cmp.Diff(as, back); diff != "" {
			t.Fatalf("round trip mismatch (-first +second):\n%s", diff)
		}
	})
}
