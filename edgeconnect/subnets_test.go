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
	want := Subnets{Count: 3, Max: 60000, Listed: 3, V4: 2, V6: 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Subnets() mismatch (-want +got):\n%s", diff)
	}
	if v4, v6 := got.VersionCounts(); v4 != 2 || v6 != 1 {
		t.Errorf("VersionCounts() = %d, %d, want 2, 1", v4, v6)
	}
}

func TestParseSubnetsCounts(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Subnets
	}{
		{name: "no entries", in: `{"subnets": {"count": 0}}`, want: Subnets{}},
		{name: "versions as strings", in: `{"subnets": {"count": 2, "entries": [{"state": {"version": "4"}}, {"state": {"version": "6"}}]}}`,
			want: Subnets{Count: 2, Listed: 2, V4: 1, V6: 1}},
		{name: "other versions and no state", in: `{"subnets": {"count": 4, "max": "100", "entries": [{"state": {"version": 5}}, {}, {"state": {}}, {"state": {"version": 4}}]}}`,
			want: Subnets{Count: 4, Max: 100, Listed: 4, V4: 1}},
		{name: "count differs from the list", in: `{"subnets": {"count": 9, "entries": [{"state": {"version": 6}}]}}`,
			want: Subnets{Count: 9, Listed: 1, V6: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSubnets([]byte(tt.in))
			if err != nil {
				t.Fatalf("parseSubnets(%s) error = %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseSubnets(%s) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
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
		if v4, v6 := s.VersionCounts(); v4 < 0 || v6 < 0 || v4+v6 > s.Listed {
			t.Fatalf("VersionCounts() = %d, %d for %d entries", v4, v6, s.Listed)
		}
	})
}
