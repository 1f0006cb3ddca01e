package worker

import (
	"testing"

	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

func TestMetadataPointSiteGroupSerial(t *testing.T) {
	b := pointer{applianceID: "3.NE", hostname: "HQ-EC-01"}
	tests := []struct {
		name string
		poll tasks.AppliancePoll
		want map[string]any // fields site, group_id, serial; nil value = absent
	}{
		{"all set", tasks.AppliancePoll{Site: "HQ", GroupID: "10.Network", Serial: "001BBC0A0B0C"},
			map[string]any{telemetry.FieldSite: "HQ", telemetry.FieldGroupID: "10.Network", telemetry.FieldSerial: "001BBC0A0B0C"}},
		{"none", tasks.AppliancePoll{}, map[string]any{telemetry.FieldSite: nil, telemetry.FieldGroupID: nil, telemetry.FieldSerial: nil}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.poll.DiscoveredAt = 1736503200
			p := b.metadataPoint(tc.poll, Reachability{Method: MethodNone})
			if err := telemetry.Validate(p); err != nil {
				t.Fatalf("Validate(metadataPoint) = %v", err)
			}
			if len(p.Tags) != 2 {
				t.Errorf("metadataPoint tags = %v, want only the common tags", p.Tags.Map())
			}
			for k, want := range tc.want {
				got, ok := p.Fields.Lookup(k)
				if want == nil && ok {
					t.Errorf("field %s = %v, want absent", k, got)
				}
				if want != nil && got != want {
					t.Errorf("field %s = %v, want %v", k, got, want)
				}
			}
		})
	}
}
