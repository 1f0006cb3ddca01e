package edgeconnect

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// networkInterfacesJSON follows the documented ifInfo[] entry: booleans as
// true/false or 0/1, speed as text with a unit.
const networkInterfacesJSON = `{"ifInfo": [
  {"ifname": "wan0", "admin": true, "oper": true, "speed": "1000Mb/s (auto)", "duplex": "full (auto)", "mtu": 1500,
   "mac": "00:1b:bc:00:00:01", "wan-if": true, "lan-if": false, "label": "2", "publicIp": "198.51.100.2"},
  {"ifname": "lan0", "admin": 1, "oper": 0, "ifSpeed": "auto", "ifDuplex": "auto", "lan-if": true},
  {"ifname": "wan1", "admin": "true", "speed": 10000000000}
]}`

func TestNetworkInterfaces(t *testing.T) {
	f := setup(t)
	f.handleJSON("/networkInterfaces", source, networkInterfacesJSON)
	got, err := f.client.NetworkInterfaces(t.Context())
	if err != nil {
		t.Fatalf("NetworkInterfaces() error = %v", err)
	}
	want := []NetworkInterface{
		{Name: "wan0", AdminUp: true, OperUp: true, AdminKnown: true, OperKnown: true, Speed: "1000Mb/s (auto)",
			SpeedMbps: 1000, SpeedKnown: true, Duplex: "full (auto)", MTU: 1500, Label: "2", WAN: true},
		{Name: "lan0", AdminUp: true, AdminKnown: true, OperKnown: true, Speed: "auto", Duplex: "auto", LAN: true},
		{Name: "wan1", AdminUp: true, AdminKnown: true, Speed: "10000000000", SpeedMbps: 10000, SpeedKnown: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("NetworkInterfaces() mismatch (-want +got):\n%s", diff)
	}
}

func TestParseNetworkInterfacesErrors(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
	}{
		{"no ifInfo", `{}`, "missing or null keys: ifInfo"},
		{"null entry", `{"ifInfo": [null]}`, "ifInfo[0]: missing ifname"},
		{"no ifname", `{"ifInfo": [{"admin": true}]}`, "ifInfo[0]: missing ifname"},
		{"speed object", `{"ifInfo": [{"ifname": "wan0", "speed": {}}]}`, "ifInfo[0] (wan0): speed: want a number or a string"},
		{"negative speed", `{"ifInfo": [{"ifname": "wan0", "speed": -1}]}`, "want a non-negative number"},
		{"admin text", `{"ifInfo": [{"ifname": "wan0", "admin": "up"}]}`, "admin"},
		{"array", `[]`, "got array, want an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseNetworkInterfaces([]byte(tt.in))
			checkParse(t, "parseNetworkInterfaces", tt.in, got, err, nil, tt.wantErr)
		})
	}
}

func TestSpeedText(t *testing.T) {
	tests := []struct {
		in    string
		want  float64
		known bool
	}{
		{"1000Mb/s (auto)", 1000, true},
		{"10Gb/s", 10000, true},
		{"100 Mbps", 100, true},
		{"1000", 0, false},
		{"auto", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		if got, known := speedText(tt.in); got != tt.want || known != tt.known {
			t.Errorf("speedText(%q) = %v, %v, want %v, %v", tt.in, got, known, tt.want, tt.known)
		}
	}
}

// A malformed answer names the appliance and the endpoint.
func TestNetworkInterfacesMalformedNamesApplianceAndPath(t *testing.T) {
	f := setup(t)
	f.mux.HandleFunc("/networkInterfaces", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ifInfo": [`)
	})
	_, err := f.client.NetworkInterfaces(t.Context())
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("NetworkInterfaces() error = %v (%T), want *DecodeError", err, err)
	}
	if de.Path != "/networkInterfaces" || de.Host != f.client.Address() {
		t.Errorf("DecodeError = %+v, want path /networkInterfaces, host %s", de, f.client.Address())
	}
	if msg := err.Error(); !strings.Contains(msg, f.client.Address()) || !strings.Contains(msg, "/networkInterfaces") {
		t.Errorf("error %q does not name the appliance and /networkInterfaces", msg)
	}
}

func FuzzParseNetworkInterfaces(f *testing.F) {
	f.Add([]byte(networkInterfacesJSON))
	f.Add([]byte(`{"ifInfo": [{"ifname": "x", "speed": 1e300}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ifs, err := parseNetworkInterfaces(b)
		if err != nil {
			return
		}
		for _, i := range ifs {
			if i.Name == "" {
				t.Fatalf("interface without a name: %+v", i)
			}
			if i.SpeedMbps < 0 || (!i.SpeedKnown && i.SpeedMbps != 0) {
				t.Fatalf("speed %v (known %v) from %q", i.SpeedMbps, i.SpeedKnown, i.Speed)
			}
		}
	})
}
