package edgeconnect

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const nextHopsJSON = `[
  {"nhop_ip": "203.0.113.254", "nhop_ipver": "ipv4", "nhop_ifname": "wan0", "source": "WAN", "nhop_state": "reachable", "nhop_uptime": 86400000},
  {"nhop_ip": "2001:db8::1", "nhop_ipver": "ipv6", "nhop_ifname": "wan1", "nhop_state": "unreachable"}
]`

func TestNextHops(t *testing.T) {
	f := setup(t)
	f.handleJSON("/nexthops", source, nextHopsJSON)
	got, err := f.client.NextHops(t.Context())
	if err != nil {
		t.Fatalf("NextHops() error = %v", err)
	}
	want := []NextHop{
		{IP: "203.0.113.254", IPVersion: "ipv4", Interface: "wan0", Side: "WAN", State: "reachable", Uptime: 24 * time.Hour, UptimeKnown: true},
		{IP: "2001:db8::1", IPVersion: "ipv6", Interface: "wan1", State: "unreachable"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("NextHops() mismatch (-want +got):\n%s", diff)
	}
	if !got[0].Reachable() || got[1].Reachable() {
		t.Errorf("Reachable() = %v, %v, want true, false", got[0].Reachable(), got[1].Reachable())
	}
}

func TestParseNextHopsErrors(t *testing.T) {
	tests := []struct{ name, in, wantErr string }{
		{"object", `{}`, "got object, want an array"},
		{"null entry", `[null]`, "entry 0: missing nhop_ip"},
		{"no address", `[{"nhop_state": "reachable"}]`, "entry 0: missing nhop_ip"},
		{"negative uptime", `[{"nhop_ip": "a", "nhop_uptime": -1}]`, "entry 0 (a): nhop_uptime -1 ms is out of range"},
		{"uptime text", `[{"nhop_ip": "a", "nhop_uptime": "long"}]`, "nhop_uptime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseNextHops([]byte(tt.in))
			checkParse(t, "parseNextHops", tt.in, got, err, nil, tt.wantErr)
		})
	}
}

func TestNextHopsMalformedNamesApplianceAndPath(t *testing.T) {
	f := setup(t)
	f.mux.HandleFunc("/nexthops", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `[{"nhop_ip": `)
	})
	_, err := f.client.NextHops(t.Context())
	var de *DecodeError
	if !errors.As(err, &de) || de.Path != "/nexthops" || de.Host != f.client.Address() {
		t.Fatalf("NextHops() error = %v (%T), want a *DecodeError for /nexthops on %s", err, err, f.client.Address())
	}
}

func FuzzParseNextHops(f *testing.F) {
	f.Add([]byte(nextHopsJSON))
	f.Fuzz(func(t *testing.T, b []byte) {
		hops, err := parseNextHops(b)
		if err != nil {
			return
		}
		for _, h := range hops {
			if h.IP == "" || h.Uptime < 0 {
				t.Fatalf("bad next hop %+v", h)
			}
		}
	})
}
