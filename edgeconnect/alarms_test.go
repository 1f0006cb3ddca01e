package edgeconnect

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	alarmSummaryJSON = `{"num_critical": 0, "num_major": 1, "num_minor": 2, "num_warning": 1, "num_cleared": 0,
  "num_outstanding": 4, "num_software_outstanding": 3, "num_equipment_outstanding": 1,
  "num_tca_outstanding": 0, "num_traffic_class_outstanding": 0, "num_tunnel_outstanding": 2, "num_raise_ignore": 0}`

	alarmsJSON = `{"summary": ` + alarmSummaryJSON + `,
 "outstanding": [{"severity": 3, "sequenceId": 812, "source": "System", "acknowledged": false, "clearable": false,
  "time": 1736500000000, "description": "Tunnel down", "type": "SW", "recommendation": "Check WAN", "serviceAffect": true,
  "typeId": 262150, "name": "tunnel_down", "occurrenceCount": 1, "active": true,
  "ackedBy": "", "ackedTime": 0, "clearedBy": "", "clearedTime": 0, "note": ""}]}`
)

func TestAlarms(t *testing.T) {
	f := setup(t)
	f.handleJSON("/alarm", source, alarmsJSON)
	got, err := f.client.Alarms(t.Context())
	if err != nil {
		t.Fatalf("Alarms() error = %v", err)
	}
	want := Alarms{
		Summary: AlarmSummary{Major: 1, Minor: 2, Warning: 1, Outstanding: 4, SoftwareOutstanding: 3, EquipmentOutstanding: 1, TunnelOutstanding: 2},
		Outstanding: []Alarm{{
			Severity: 3, SequenceID: 812, Source: "System", Time: ms(1736500000000), Description: "Tunnel down",
			Type: "SW", Recommendation: "Check WAN", ServiceAffect: true, TypeID: 262150, Name: "tunnel_down",
			OccurrenceCount: 1, Active: true,
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Alarms() mismatch (-want +got):\n%s", diff)
	}
}

func TestParseAlarms(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Alarms
		wantErr string
	}{
		{name: "docstring spelling occurenceCount", in: `{"summary": ` + alarmSummaryJSON + `, "outstanding": [{"occurenceCount": 5, "severity": "4"}]}`,
			want: Alarms{
				Summary:     AlarmSummary{Major: 1, Minor: 2, Warning: 1, Outstanding: 4, SoftwareOutstanding: 3, EquipmentOutstanding: 1, TunnelOutstanding: 2},
				Outstanding: []Alarm{{OccurrenceCount: 5, Severity: 4}},
			}},
		{name: "no outstanding", in: `{"summary": ` + alarmSummaryJSON + `}`,
			want: Alarms{
				Summary:     AlarmSummary{Major: 1, Minor: 2, Warning: 1, Outstanding: 4, SoftwareOutstanding: 3, EquipmentOutstanding: 1, TunnelOutstanding: 2},
				Outstanding: []Alarm{},
			}},
		{name: "only outstanding (integration fake)", in: `{"outstanding": []}`, wantErr: "missing or null keys: summary"},
		{name: "summary key missing", in: `{"summary": {"num_critical": 0}}`, wantErr: "summary: missing or null keys: num_major"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAlarms([]byte(tt.in))
			checkParse(t, "parseAlarms", tt.in, got, err, tt.want, tt.wantErr)
		})
	}
}

func FuzzParseAlarms(f *testing.F) {
	f.Add([]byte(alarmsJSON))
	f.Add([]byte(`{"summary":{}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseAlarms(b)
	})
}
