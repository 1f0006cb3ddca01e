package orchestrator

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const appliancesJSON = `[
  {
    "id": "3.NE", "nePk": "3.NE", "uuid": "8f0c5a52-1d0e-4c0a-9d55-2f1f4f0b9a11",
    "hostName": "HQ-EC-01", "ip": "10.10.1.10", "IP": "10.10.1.10",
    "networkRole": "1", "site": "HQ", "sitePriority": 0, "groupId": "10.Network",
    "model": "EC-S-P", "platform": "Silver Peak EC-S-P", "softwareVersion": "9.3.2.1_100012",
    "mode": "router", "bypass": false, "serial": "001BBC000001",
    "state": 1, "reachabilityChannel": 2, "discoveredFrom": 2,
    "webProtocolType": 2, "webProtocol": "HTTPS", "systemBandwidth": 1000000,
    "hasUnsavedChanges": false, "rebootRequired": false, "startupTime": 1735000000,
    "applianceId": "101", "portalObjectId": "65a0f0c1d2e3f4a5b6c7d8e9",
    "dynamicUuid": "0b6f7e9a-7a55-4c0e-8e3f-5b0e1d2c3f4a", "hardwareRevision": "200900-001 Rev A",
    "userName": "admin", "password": null,
    "zoneList": {"zones": []}, "interfaceList": {"interfaceLabels": ["1", "2"]}, "tagsList": []
  },
  {
    "id": "7.NE", "nePk": "7.NE", "hostName": "BRANCH-EC-07", "ip": "10.20.7.10", "IP": "10.20.7.10",
    "networkRole": "0", "model": "EC-XS", "platform": "Silver Peak EC-XS",
    "softwareVersion": "9.3.2.1_100012", "state": 2, "reachabilityChannel": 4
  }
]`

func TestAppliances(t *testing.T) {
	f := setup(t)
	f.handleJSON("/appliance", appliancesJSON)
	got, err := f.client.Appliances(t.Context())
	if err != nil {
		t.Fatalf("Appliances() error = %v", err)
	}
	want := []Appliance{
		{
			ID: "3.NE", UUID: "8f0c5a52-1d0e-4c0a-9d55-2f1f4f0b9a11", HostName: "HQ-EC-01", IP: "10.10.1.10",
			NetworkRole: "1", Site: "HQ", GroupID: "10.Network", Model: "EC-S-P", Platform: "Silver Peak EC-S-P",
			SoftwareVersion: "9.3.2.1_100012", Mode: "router", Serial: "001BBC000001", State: 1, ReachabilityChannel: 2,
			DiscoveredFrom: 2, WebProtocolType: 2, WebProtocol: "HTTPS", SystemBandwidth: 1000000, StartupTime: 1735000000,
			ApplianceID: "101", PortalObjectID: "65a0f0c1d2e3f4a5b6c7d8e9", DynamicUUID: "0b6f7e9a-7a55-4c0e-8e3f-5b0e1d2c3f4a",
			HardwareRevision: "200900-001 Rev A", UserName: "admin",
		},
		{
			ID: "7.NE", HostName: "BRANCH-EC-07", IP: "10.20.7.10", NetworkRole: "0", Model: "EC-XS",
			Platform: "Silver Peak EC-XS", SoftwareVersion: "9.3.2.1_100012", State: 2, ReachabilityChannel: 4,
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Appliances() mismatch (-want +got):\n%s", diff)
	}
	if !got[0].IsHub() || got[1].IsHub() {
		t.Errorf("IsHub() = %v, %v, want true, false", got[0].IsHub(), got[1].IsHub())
	}
}

func TestParseAppliancesLenient(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Appliance
		wantErr string
	}{
		{name: "networkRole as number", in: `[{"id": "1.NE", "networkRole": 1}]`, want: []Appliance{{ID: "1.NE", NetworkRole: "1"}}},
		{name: "networkRole as string", in: `[{"id": "1.NE", "networkRole": "2"}]`, want: []Appliance{{ID: "1.NE", NetworkRole: "2"}}},
		{name: "state as string", in: `[{"id": "1.NE", "state": "1", "reachabilityChannel": "6"}]`, want: []Appliance{{ID: "1.NE", State: 1, ReachabilityChannel: 6}}},
		{name: "nePk and IP only (integration fake)", in: `[{"nePk": "1.NE", "IP": "192.0.2.1", "applianceId": 17, "startupTime": null}]`,
			want: []Appliance{{ID: "1.NE", IP: "192.0.2.1", ApplianceID: "17"}}},
		{name: "empty list", in: `[]`, want: []Appliance{}},
		{name: "no id", in: `[{"hostName": "x"}]`, wantErr: "appliance 0: missing or null keys: id"},
		{name: "null entry", in: `[null]`, wantErr: "appliance 0 is null"},
		{name: "null", in: `null`, wantErr: "answer is null"},
		{name: "pyedgeconnect error dict", in: `{"request": "[GET]", "api_path": "/appliance", "status_code": 401, "text": ""}`, wantErr: "answer: got object, want an array"},
		{name: "networkRole bool", in: `[{"id": "1.NE", "networkRole": true}]`, wantErr: "networkRole"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAppliances([]byte(tt.in))
			checkParse(t, "parseAppliances", tt.in, got, err, tt.want, tt.wantErr)
		})
	}
}

// checkParse compares a parser result or its error text.
func checkParse[T any](t *testing.T, fn, in string, got T, err error, want T, wantErr string) {
	t.Helper()
	if wantErr != "" {
		if err == nil {
			t.Fatalf("%s(%s) = %+v, want error containing %q", fn, in, got, wantErr)
		}
		if !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("%s(%s) error = %q, want it to contain %q", fn, in, err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatalf("%s(%s) error = %v", fn, in, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s(%s) mismatch (-want +got):\n%s", fn, in, diff)
	}
}

func FuzzParseAppliances(f *testing.F) {
	f.Add([]byte(appliancesJSON))
	f.Add([]byte(`[{"nePk": 1, "networkRole": 1}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		as, err := parseAppliances(b)
		if err != nil {
			return
		}
		for _, a := range as {
			if a.ID == "" {
				t.Fatalf("parseAppliances(%q) returned an appliance without id", b)
			}
		}
	})
}
