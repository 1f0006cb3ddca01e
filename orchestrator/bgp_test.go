package orchestrator

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// bgpAllVRFsJSON is keyed by segment id; segment 0 lists its neighbours as
// an object keyed by index, segment 2 as an array.
const bgpAllVRFsJSON = `{
 "0": {"summary": {"bgp_state": 9, "bgp_state_str": "Active", "local_asn": 65001, "rtr_id": "10.10.1.1"},
       "neighbor": {"neighborCount": 2, "neighborState": {
         "1": {"peer_ip": "10.10.1.253", "asn": 65002, "peer_state": 3, "peer_state_str": "Active"},
         "0": {"peer_ip": "10.10.1.254", "asn": 65000, "peer_state": 6, "peer_state_str": "Established",
               "time_established": 86400, "rcvd_pfxs": 12, "sent_pfxs": 3}}}},
 "2": {"summary": {"bgp_state": 9, "bgp_state_str": "Active"},
       "neighbor": {"neighborCount": 1, "neighborState": [
         {"peer_ip": "172.16.0.1", "asn": "65010", "peer_state_str": "Established", "rcvd_pfxs": 0}]}}
}`

func i64(v int64) *int64 { return &v }

var bgpAllVRFsWant = []BGPVRF{
	{VRF: "0", ProcessState: "Active", ProcessStateCode: i64(9), Neighbors: []BGPNeighbor{
		{PeerIP: "10.10.1.253", ASN: i64(65002), State: "Active", StateCode: i64(3)},
		{PeerIP: "10.10.1.254", ASN: i64(65000), State: "Established", StateCode: i64(6), TimeEstablished: i64(86400),
			PrefixesReceived: i64(12), PrefixesSent: i64(3)},
	}},
	{VRF: "2", ProcessState: "Active", ProcessStateCode: i64(9), Neighbors: []BGPNeighbor{
		{PeerIP: "172.16.0.1", ASN: i64(65010), State: "Established", PrefixesReceived: i64(0)},
	}},
}

func TestBGPStateAllVRFs(t *testing.T) {
	tests := []struct {
		name      string
		form      PathForm
		path      string
		wantQuery string
	}{
		{"9.3+ query form", FormQuery, "/bgp/state/allVrfs", "nePk=3.NE&" + source},
		{"pre-9.3 path form", FormPath, "/bgp/state/allVrfs/3.NE", source},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			f.mux.HandleFunc(tt.path, func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, http.MethodGet)
				testQuery(t, r, tt.wantQuery)
				f.checkAuth(r)
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, bgpAllVRFsJSON)
			})
			got, err := f.client.BGPStateAllVRFs(t.Context(), "3.NE", tt.form)
			if err != nil {
				t.Fatalf("BGPStateAllVRFs() error = %v", err)
			}
			if diff := cmp.Diff(bgpAllVRFsWant, got); diff != "" {
				t.Errorf("BGPStateAllVRFs() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseBGPStateSingleSegment(t *testing.T) {
	in := `{"summary": {"bgp_state": 9, "bgp_state_str": "Active"}, "neighbor": {"neighborCount": 1,
	  "neighborState": {"0": {"peer_ip": "10.10.1.254", "asn": 65000, "peer_state": 6, "peer_state_str": "Established"}}}}`
	got, err := parseBGPStateAllVRFs([]byte(in))
	want := []BGPVRF{{VRF: "0", ProcessState: "Active", ProcessStateCode: i64(9), Neighbors: []BGPNeighbor{
		{PeerIP: "10.10.1.254", ASN: i64(65000), State: "Established", StateCode: i64(6)}}}}
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if !got[0].Neighbors[0].Established() {
		t.Error("Established() = false for peer_state_str Established")
	}
	// BGP not enabled: a summary and no neighbours.
	got, err = parseBGPStateAllVRFs([]byte(`{"summary": {"bgp_state": 0, "bgp_state_str": "Not Enabled"}}`))
	if err != nil || len(got) != 1 || len(got[0].Neighbors) != 0 || got[0].ProcessState != "Not Enabled" {
		t.Errorf("not enabled = %+v, %v", got, err)
	}
}

func TestParseBGPStateErrors(t *testing.T) {
	tests := []struct{ name, in, wantErr string }{
		{"array", `[]`, "got array, want an object"},
		{"null", `null`, "answer is null"},
		{"segment not an object", `{"0": 5}`, `segment "0"`},
		{"segment null", `{"0": null}`, `segment "0": state is null`},
		{"neighbour without address", `{"0": {"neighbor": {"neighborState": [{"asn": 1}]}}}`, `segment "0": neighborState entry 0: missing peer_ip`},
		{"neighborState text", `{"neighbor": {"neighborState": "x"}}`, `segment "0": neighborState`},
		{"bad asn", `{"neighbor": {"neighborState": [{"peer_ip": "a", "asn": "big"}]}}`, "asn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseBGPStateAllVRFs([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseBGPStateAllVRFs(%s) = %+v, %v, want error containing %q", tt.in, got, err, tt.wantErr)
			}
		})
	}
}

// A malformed answer names the Orchestrator and the endpoint.
func TestBGPStateMalformedNamesOrchestratorAndPath(t *testing.T) {
	f := setup(t)
	f.mux.HandleFunc("/bgp/state/allVrfs", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"0": {"neighbor": `)
	})
	_, err := f.client.BGPStateAllVRFs(t.Context(), "3.NE", FormQuery)
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("BGPStateAllVRFs() error = %v (%T), want *DecodeError", err, err)
	}
	if de.Path != "/bgp/state/allVrfs" || de.Host != f.client.Host() {
		t.Errorf("DecodeError = %+v, want path /bgp/state/allVrfs on %s", de, f.client.Host())
	}
}

func TestBriefInfoPathForm(t *testing.T) {
	for release, want := range map[string]PathForm{"9.3.0.1": FormQuery, "9.7.1": FormQuery, "10.0": FormQuery,
		"9.2.9": FormPath, "8.10.1": FormPath, "": FormPath} {
		if got := (BriefInfo{Release: release}).PathForm(); got != want {
			t.Errorf("PathForm(%q) = %v, want %v", release, got, want)
		}
	}
}

func FuzzParseBGPStateAllVRFs(f *testing.F) {
	f.Add([]byte(bgpAllVRFsJSON))
	f.Add([]byte(`{"summary": {"bgp_state": 9}, "neighbor": {"neighborState": {"0": {"peer_ip": "a"}}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		vrfs, err := parseBGPStateAllVRFs(b)
		if err != nil {
			return
		}
		for _, v := range vrfs {
			for _, n := range v.Neighbors {
				if n.PeerIP == "" {
					t.Fatalf("neighbour without address in segment %q", v.VRF)
				}
			}
		}
	})
}
