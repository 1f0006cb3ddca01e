package orchestrator

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

const overlaysJSON = `[
  {"id": 1, "name": "RealTime", "trafficClass": "1"},
  {"id": 2, "name": "CriticalApps", "trafficClass": "2"},
  {"id": 3, "name": "BulkApps", "trafficClass": "3"},
  {"id": 4, "name": "DefaultOverlay", "trafficClass": "4"}
]`

func TestOverlays(t *testing.T) {
	f := setup(t)
	f.handleJSON("/gms/overlays/config", overlaysJSON)
	got, err := f.client.Overlays(t.Context())
	if err != nil {
		t.Fatalf("Overlays() error = %v", err)
	}
	want := []Overlay{
		{ID: 1, Name: "RealTime", TrafficClass: "1"},
		{ID: 2, Name: "CriticalApps", TrafficClass: "2"},
		{ID: 3, Name: "BulkApps", TrafficClass: "3"},
		{ID: 4, Name: "DefaultOverlay", TrafficClass: "4"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Overlays() mismatch (-want +got):\n%s", diff)
	}
}

func TestParseOverlays(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Overlay
		wantErr string
	}{
		{name: "id as string, class as number", in: `[{"id": "7", "name": "X", "trafficClass": 5}]`, want: []Overlay{{ID: 7, Name: "X", TrafficClass: "5"}}},
		{name: "no traffic class", in: `[{"id": 1, "name": "X"}]`, want: []Overlay{{ID: 1, Name: "X"}}},
		{name: "no id", in: `[{"name": "X"}]`, wantErr: "overlay 0: missing or null keys: id"},
		{name: "fractional id", in: `[{"id": 1.5}]`, wantErr: "key 0.id: got number (not an integer)"},
		{name: "null", in: `null`, wantErr: "answer is null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseOverlays([]byte(tt.in))
			checkParse(t, "parseOverlays", tt.in, got, err, tt.want, tt.wantErr)
		})
	}
}

func FuzzParseOverlays(f *testing.F) {
	f.Add([]byte(overlaysJSON))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseOverlays(b)
	})
}
