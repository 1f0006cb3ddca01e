package telemetry

import (
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	ts := time.Unix(1736503200, 0)
	common := func(extra map[string]string) Tags {
		m := map[string]string{TagApplianceID: "3.NE", TagHostname: "HQ-EC-01"}
		for k, v := range extra {
			m[k] = v
		}
		return TagsOf(m)
	}
	tests := []struct {
		name    string
		p       Point
		wantErr []string // substrings; empty means valid
	}{
		{"valid", Point{MeasDropStats, common(map[string]string{TagDropReason: "Other"}), FieldsOf(map[string]any{FieldDropCount: int64(3)}), ts}, nil},
		{"unknown measurement", Point{"nope", common(nil), FieldsOf(map[string]any{"x": int64(1)}), ts}, []string{`unknown measurement "nope"`}},
		{"missing common tag", Point{MeasRealtime, Tags{{TagHostname, "h"}}, Fields{IntField(FieldPps, 1)}, ts}, []string{`missing tag "appliance_id"`}},
		{"wrong type and unknown tag and field", Point{MeasRealtime, common(map[string]string{"x": "y"}), FieldsOf(map[string]any{FieldPps: 1.5, "bogus": int64(1)}), ts},
			[]string{`unknown tag "x"`, `field "pps" is float, want integer`, `unknown field "bogus"`}},
		{"no fields zero time", Point{MeasRealtime, common(nil), nil, time.Time{}}, []string{"no fields", "zero timestamp"}},
		{"orchestrator scope", Point{MeasOrchestratorHealth, Tags{{TagOrchestrator, "orch.example"}}, Fields{BoolField(FieldAPIUp, true)}, ts}, nil},
		{"orchestrator scope without its tag", Point{MeasOrchestratorHealth, common(nil), FieldsOf(map[string]any{FieldAPIUp: true}), ts},
			[]string{`missing tag "orchestrator"`, `unknown tag "appliance_id"`, `unknown tag "hostname"`}},
		{"a key twice", Point{MeasRealtime, append(common(nil), Tag{TagHostname, "h2"}), Fields{IntField(FieldPps, 1), IntField(FieldPps, 2)}, ts},
			[]string{`tag "hostname" given twice`, `field "pps" given twice`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(tc.p)
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate = nil, want errors %q", tc.wantErr)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}
