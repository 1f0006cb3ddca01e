package edgeconnect

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

const deploymentJSON = `{
  "sysConfig": {"mode": "router", "inline": true, "maxBW": 1000000, "maxInBW": 1000000, "maxInBWEnabled": true},
  "modeIfs": [
    {"devNum": "rtr1", "ifName": "wan0", "applianceIPs": [
      {"ip": "198.51.100.2", "mask": 30, "wanNexthop": "198.51.100.1", "label": "2",
       "wanSide": true, "lanSide": false, "behindNAT": "none", "harden": 1,
       "maxBW": {"inbound": 500000, "outbound": 500000}, "zone": 0, "vrf": 0, "comment": ""}]},
    {"devNum": "rtr2", "ifName": "wan1", "applianceIPs": [
      {"ip": "192.0.2.2", "mask": 30, "label": "1", "vlan": "100", "wanSide": true, "lanSide": false,
       "maxBW": {"inbound": 100000, "outbound": 100000}}]},
    {"devNum": "rtr3", "ifName": "lan0", "applianceIPs": [
      {"ip": "10.10.1.1", "mask": 24, "label": "5", "wanSide": false, "lanSide": true}]}
  ]
}`

func i64(v int64) *int64 { return &v }

func TestDeployment(t *testing.T) {
	f := setup(t)
	f.handleJSON("/deployment", source, deploymentJSON)
	got, err := f.client.Deployment(t.Context())
	if err != nil {
		t.Fatalf("Deployment() error = %v", err)
	}
	want := Deployment{
		SysConfig: SysConfig{Mode: "router", MaxBW: i64(1000000), MaxInBW: i64(1000000), MaxInBWEnabled: true},
		ModeIfs: []ModeIf{
			{DevNum: "rtr1", IfName: "wan0", ApplianceIPs: []ApplianceIP{
				{IP: "198.51.100.2", Mask: 30, Label: "2", WANSide: true, MaxBW: &Bandwidth{Inbound: 500000, Outbound: 500000}}}},
			{DevNum: "rtr2", IfName: "wan1", ApplianceIPs: []ApplianceIP{
				{IP: "192.0.2.2", Mask: 30, Label: "1", VLAN: "100", WANSide: true, MaxBW: &Bandwidth{Inbound: 100000, Outbound: 100000}}}},
			{DevNum: "rtr3", IfName: "lan0", ApplianceIPs: []ApplianceIP{
				{IP: "10.10.1.1", Mask: 24, Label: "5", LANSide: true}}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Deployment() mismatch (-want +got):\n%s", diff)
	}
}

func TestParseDeploymentVLANAndLabels(t *testing.T) {
	tests := []struct {
		name      string
		ip        string
		wantVLAN  string
		wantLabel string
	}{
		{name: "vlan absent", ip: `{"wanSide": true}`},
		{name: "vlan null", ip: `{"wanSide": true, "vlan": null}`},
		{name: "vlan empty", ip: `{"wanSide": true, "vlan": ""}`},
		{name: "vlan number", ip: `{"wanSide": true, "vlan": 200, "label": 3}`, wantVLAN: "200", wantLabel: "3"},
		{name: "vlan string", ip: `{"wanSide": "true", "vlan": "300", "label": ""}`, wantVLAN: "300"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := `{"sysConfig": {}, "modeIfs": [{"ifName": "wan0", "applianceIPs": [` + tt.ip + `]}]}`
			got, err := parseDeployment([]byte(in))
			if err != nil {
				t.Fatalf("parseDeployment(%s) error = %v", in, err)
			}
			ip := got.ModeIfs[0].ApplianceIPs[0]
			if ip.VLAN != tt.wantVLAN || ip.Label != tt.wantLabel || !ip.WANSide {
				t.Errorf("parseDeployment(%s) ip = %+v, want vlan %q label %q wanSide", in, ip, tt.wantVLAN, tt.wantLabel)
			}
			if got.SysConfig.MaxBW != nil || got.SysConfig.MaxInBW != nil {
				t.Errorf("parseDeployment(%s) sysConfig = %+v, want nil bandwidths", in, got.SysConfig)
			}
		})
	}
}

func TestParseDeploymentErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{name: "no sysConfig", in: `{"modeIfs": []}`, wantErr: "missing or null keys: sysConfig"},
		{name: "half maxBW", in: `{"sysConfig": {}, "modeIfs": [{"applianceIPs": [{"maxBW": {"inbound": 1}}]}]}`, wantErr: "modeIfs[0].applianceIPs[0].maxBW: missing or null keys: outbound"},
		{name: "vlan object", in: `{"sysConfig": {}, "modeIfs": [{"applianceIPs": [{"vlan": {}}]}]}`, wantErr: "vlan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseDeployment([]byte(tt.in))
			checkParse(t, "parseDeployment", tt.in, got, err, Deployment{}, tt.wantErr)
		})
	}
}

func FuzzParseDeployment(f *testing.F) {
	f.Add([]byte(deploymentJSON))
	f.Add([]byte(`{"sysConfig":{"maxBW":"1"},"modeIfs":[{"applianceIPs":[{"vlan":1}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseDeployment(b)
	})
}
