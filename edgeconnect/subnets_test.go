package edgeconnect

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

const subnetsJSON = `{"subnets": {"count": 3, "max": 60000, "entries": [
  {"state": {"version": 4, "prefix": "10.10.1.0/24", "nextHop": "0.0.0.0", "metric": 50, "learned": false, "configured": false, "local": true, "state": "UP"}},
  {"state": {"version": 4, "prefix": "10.20.7.0/24", "nextHop": "10.20.7.10", "metric": 50, "learned": true, "state": "UP"}},
  {"state": {"version": 6, "prefix": "2001:db8:10::/64", "nextHop": "::", "metric": 50, "local": true, "state": "UP"}}
]}}`

func TestSubnets(t *testing.T) {
	f := setup(t)
	f.handleJSON("/subnets3/all", source, subnetsJSON)
	got, err := f.client.Subnets(t.Context())
	if err != nil {
		t.Fatalf("Subnets() error = %v", err)
	}
	want := Subnets{Count: 3, Max: 60000, Entries: []Subnet{
		{Version: 4, Prefix: "10.10.1.0/24", NextHop: "0.0.0.0", Metric: 50, State: "UP", Local: true},
		{Version: 4, Prefix: "10.20.7.0/24", NextHop: "10.20.7.10", Metric: 50, State: "UP", Learned: true},
		{Version: 6, Prefix: "2001:db8:10::/64", NextHop: "::", Metric: 50, State: "UP", Local: true},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Subnets() mismatch (-want +got):\n%s", diff)
	}
	if v4, v6 := got.VersionCounts(); v4 != 2 || v6 != 1 {
		t.Errorf("VersionCounts() = %d, %d, want 2, 1", v4, v6)
	}
}

func TestParseSubnetsErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{name: "no subnets", in: `{}`, wantErr: "missing or null keys: subnets"},
		{name: "no count", in: `{"subnets": {"entries": []}}`, wantErr: "missing or null keys: subnets.count"},
		{name: "bad version", in: `{"subnets": {"count": 1, "entries": [{"state": {"version": "v4"}}]}}`, wantErr: "version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSubnets([]byte(tt.in))
			checkParse(t, "parseSubnets", tt.in, got, err, Subnets{}, tt.wantErr)
		})
	}
}

func FuzzParseSubnets(f *testing.F) {
	f.Add([]byte(subnetsJSON))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseSubnets(b)
		if err != nil {
			return
		}
		if v4, v6 := s.VersionCounts(); v4+v6 > len(s.Entries) {
			t.Fatalf("VersionCounts() = %d, %d for %d entries", v4, v6, len(s.Entries))
		}
	})
}
