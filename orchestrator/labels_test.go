package orchestrator

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

const labelsJSON = `{
  "wan": {"1": {"name": "MPLS1", "topology": 0, "active": true},
          "2": {"name": "INET1", "topology": 0, "active": true}},
  "lan": {"5": {"name": "Data", "topology": 0, "active": true},
          "6": {"name": "Voice", "topology": 0, "active": true}}
}`

func TestInterfaceLabels(t *testing.T) {
	f := setup(t)
	f.handleJSON("/gms/interfaceLabels", labelsJSON)
	got, err := f.client.InterfaceLabels(t.Context())
	if err != nil {
		t.Fatalf("InterfaceLabels() error = %v", err)
	}
	want := InterfaceLabels{
		WAN: map[string]InterfaceLabel{"1": {Name: "MPLS1", Active: true}, "2": {Name: "INET1", Active: true}},
		LAN: map[string]InterfaceLabel{"5": {Name: "Data", Active: true}, "6": {Name: "Voice", Active: true}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("InterfaceLabels() mismatch (-want +got):\n%s", diff)
	}
}

func TestParseInterfaceLabels(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    InterfaceLabels
		wantErr string
	}{
		{name: "same id on both sides stays apart", in: `{"wan": {"1": {"name": "INET"}}, "lan": {"1": {"name": "Data", "topology": "2"}}}`,
			want: InterfaceLabels{WAN: map[string]InterfaceLabel{"1": {Name: "INET"}}, LAN: map[string]InterfaceLabel{"1": {Name: "Data", Topology: 2}}}},
		{name: "missing side", in: `{"wan": {}}`, want: InterfaceLabels{WAN: map[string]InterfaceLabel{}, LAN: map[string]InterfaceLabel{}}},
		{name: "label without name", in: `{"wan": {"1": {}}}`, wantErr: `wan label "1" has no name`},
		{name: "null label", in: `{"lan": {"9": null}}`, wantErr: `lan label "9" has no name`},
		{name: "null", in: `null`, wantErr: "answer is null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseInterfaceLabels([]byte(tt.in))
			checkParse(t, "parseInterfaceLabels", tt.in, got, err, tt.want, tt.wantErr)
		})
	}
}

func FuzzParseInterfaceLabels(f *testing.F) {
	f.Add([]byte(labelsJSON))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := parseInterfaceLabels(b)
		if err == nil && (l.WAN == nil || l.LAN == nil) {
			t.Fatalf("parseInterfaceLabels(%q) returned a nil map", b)
		}
	})
}
