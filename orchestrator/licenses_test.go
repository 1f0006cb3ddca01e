package orchestrator

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

const licensesJSON = `[
  {
    "applianceId": "3.NE", "id": "lic-0001", "enabled": true, "hostname": "HQ-EC-01",
    "isPortalLicensed": true, "model": "EC-S-P", "serial": "001BBC000001",
    "portalLicenseType": 2, "saasEnabled": false, "expirationDate": 1767225600,
    "licenses": {
      "fx": {
        "base": {"enable": false}, "mini": {"enable": false}, "plus": {"enable": false},
        "tier": {"display": "1 Gbps", "bandwidth": 1000000},
        "boost": {"enable": true, "bandwidth": 50}
      }
    }
  },
  {"applianceId": "7.NE", "hostname": "BRANCH-EC-07", "licenses": {"fx": {"base": {"enable": true}}}},
  {"applianceId": "9.NE", "licenses": null}
]`

func TestLicensedAppliances(t *testing.T) {
	f := setup(t)
	f.handleJSON("/license/portal/appliance", licensesJSON)
	got, err := f.client.LicensedAppliances(t.Context())
	if err != nil {
		t.Fatalf("LicensedAppliances() error = %v", err)
	}
	want := []License{
		{
			ApplianceID: "3.NE", ID: "lic-0001", Enabled: true, Hostname: "HQ-EC-01", IsPortalLicensed: true,
			Model: "EC-S-P", Serial: "001BBC000001", PortalLicenseType: 2, ExpirationDate: 1767225600,
			Licenses: Licenses{FX: FXLicense{
				Tier:  &LicenseTier{Display: "1 Gbps", Bandwidth: 1000000},
				Boost: &Boost{Enable: true, Bandwidth: 50},
			}},
		},
		{ApplianceID: "7.NE", Hostname: "BRANCH-EC-07", Licenses: Licenses{FX: FXLicense{Base: true}}},
		{ApplianceID: "9.NE"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LicensedAppliances() mismatch (-want +got):\n%s", diff)
	}
	tests := []struct {
		i      int
		want   LicenseTier
		wantOK bool
	}{
		{0, LicenseTier{Display: "1 Gbps", Bandwidth: 1000000}, true},
		{1, LicenseTier{}, false},
		{2, LicenseTier{}, false},
	}
	for _, tt := range tests {
		if tier, ok := got[tt.i].Tier(); tier != tt.want || ok != tt.wantOK {
			t.Errorf("License[%d].Tier() = %+v, %v, want %+v, %v", tt.i, tier, ok, tt.want, tt.wantOK)
		}
	}
}

func TestParseLicensesErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{name: "no appliance id", in: `[{"id": "x"}]`, wantErr: "license 0: missing or null keys: applianceId"},
		{name: "null entry", in: `[null]`, wantErr: "license 0 is null"},
		{name: "bad bandwidth", in: `[{"applianceId": "1.NE", "licenses": {"fx": {"tier": {"bandwidth": "lots"}}}}]`, wantErr: "bandwidth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseLicenses([]byte(tt.in))
			checkParse(t, "parseLicenses", tt.in, got, err, nil, tt.wantErr)
		})
	}
}

func FuzzParseLicenses(f *testing.F) {
	f.Add([]byte(licensesJSON))
	f.Add([]byte(`[{"applianceId": 3, "licenses": {"fx": {"tier": {}}}}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ls, err := parseLicenses(b)
		if err != nil {
			return
		}
		for _, l := range ls {
			if l.ApplianceID == "" {
				t.Fatalf("parseLicenses(%q) returned a license without applianceId", b)
			}
			if tier, ok := l.Tier(); !ok && tier != (LicenseTier{}) {
				t.Fatalf("Tier() = %+v without ok", tier)
			}
		}
	})
}
