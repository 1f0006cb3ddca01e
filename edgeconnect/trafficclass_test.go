package edgeconnect

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

const trafficClassJSON = `{"1": {"name": "RealTime"}, "2": {"name": "Interactive"}, "3": {"name": "Default"}, "4": {"name": "BestEffort"},
 "5": {"name": "5"}, "6": {"name": "6"}, "7": {"name": "7"}, "8": {"name": "8"}, "9": {"name": "9"}, "10": {"name": "10"}}`

func TestTrafficClasses(t *testing.T) {
	f := setup(t)
	f.handleJSON("/trafficclass", source, trafficClassJSON)
	got, err := f.client.TrafficClasses(t.Context())
	if err != nil {
		t.Fatalf("TrafficClasses() error = %v", err)
	}
	want := map[string]string{"1": "RealTime", "2": "Interactive", "3": "Default", "4": "BestEffort",
		"5": "5", "6": "6", "7": "7", "8": "8", "9": "9", "10": "10"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("TrafficClasses() mismatch (-want +got):\n%s", diff)
	}
}

func TestParseTrafficClassesErrors(t *testing.T) {
	tests := []struct {
		in      string
		wantErr string
	}{
		{in: `null`, wantErr: "answer is null"},
		{in: `{"1": null}`, wantErr: `traffic class "1" has no name`},
		{in: `{"1": {}}`, wantErr: `traffic class "1" has no name`},
		{in: `{"request": "[GET]", "status_code": 500}`, wantErr: "key request: got string, want an object"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseTrafficClasses([]byte(tt.in))
			checkParse(t, "parseTrafficClasses", tt.in, got, err, nil, tt.wantErr)
		})
	}
}

func FuzzParseTrafficClasses(f *testing.F) {
	f.Add([]byte(trafficClassJSON))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseTrafficClasses(b)
	})
}
