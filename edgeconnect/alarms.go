package edgeconnect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/apijson"
)

// AlarmSummary counts the appliance's alarms (the summary of GET /alarm).
type AlarmSummary struct {
	Critical                int64 // num_critical
	Major                   int64 // num_major
	Minor                   int64 // num_minor
	Warning                 int64 // num_warning
	Cleared                 int64 // num_cleared
	Outstanding             int64 // num_outstanding
	SoftwareOutstanding     int64 // num_software_outstanding
	EquipmentOutstanding    int64 // num_equipment_outstanding
	TCAOutstanding          int64 // num_tca_outstanding
	TrafficClassOutstanding int64 // num_traffic_class_outstanding
	TunnelOutstanding       int64 // num_tunnel_outstanding
	RaiseIgnore             int64 // num_raise_ignore
}

// Alarm is one outstanding alarm.
type Alarm struct {
	Severity        int64 // 0 info, 1 warning, 2 minor, 3 major, 4 critical
	SequenceID      int64
	Source          string
	Acknowledged    bool
	Clearable       bool
	Time            time.Time // raised; zero when not sent
	Description     string
	Type            string // "HW" or "SW"
	Recommendation  string
	ServiceAffect   bool
	TypeID          int64
	Name            string
	OccurrenceCount int64 // occurrenceCount, or the docstring's occurenceCount
	Active          bool
	AckedBy         string
	AckedTime       time.Time
	ClearedBy       string
	ClearedTime     time.Time
	Note            string
}

// Alarms is the answer of GET /alarm.
type Alarms struct {
	Summary     AlarmSummary
	Outstanding []Alarm
}

// Alarms returns the alarm summary and the outstanding alarms: GET /alarm.
// All twelve summary keys are required.
func (c *Client) Alarms(ctx context.Context) (Alarms, error) {
	return getJSON(ctx, c, call{method: http.MethodGet, path: "/alarm"}, parseAlarms)
}

type alarmSummaryWire struct {
	Critical                apijson.Int `json:"num_critical"`
	Major                   apijson.Int `json:"num_major"`
	Minor                   apijson.Int `json:"num_minor"`
	Warning                 apijson.Int `json:"num_warning"`
	Cleared                 apijson.Int `json:"num_cleared"`
	Outstanding             apijson.Int `json:"num_outstanding"`
	SoftwareOutstanding     apijson.Int `json:"num_software_outstanding"`
	EquipmentOutstanding    apijson.Int `json:"num_equipment_outstanding"`
	TCAOutstanding          apijson.Int `json:"num_tca_outstanding"`
	TrafficClassOutstanding apijson.Int `json:"num_traffic_class_outstanding"`
	TunnelOutstanding       apijson.Int `json:"num_tunnel_outstanding"`
	RaiseIgnore             apijson.Int `json:"num_raise_ignore"`
}

func (w *alarmSummaryWire) summary() (AlarmSummary, error) {
	var chk apijson.Checker
	s := AlarmSummary{
		Critical:                chk.Int("num_critical", w.Critical),
		Major:                   chk.Int("num_major", w.Major),
		Minor:                   chk.Int("num_minor", w.Minor),
		Warning:                 chk.Int("num_warning", w.Warning),
		Cleared:                 chk.Int("num_cleared", w.Cleared),
		Outstanding:             chk.Int("num_outstanding", w.Outstanding),
		SoftwareOutstanding:     chk.Int("num_software_outstanding", w.SoftwareOutstanding),
		EquipmentOutstanding:    chk.Int("num_equipment_outstanding", w.EquipmentOutstanding),
		TCAOutstanding:          chk.Int("num_tca_outstanding", w.TCAOutstanding),
		TrafficClassOutstanding: chk.Int("num_traffic_class_outstanding", w.TrafficClassOutstanding),
		TunnelOutstanding:       chk.Int("num_tunnel_outstanding", w.TunnelOutstanding),
		RaiseIgnore:             chk.Int("num_raise_ignore", w.RaiseIgnore),
	}
	return s, chk.Err()
}

type alarmWire struct {
	Severity        apijson.Int    `json:"severity"`
	SequenceID      apijson.Int    `json:"sequenceId"`
	Source          apijson.String `json:"source"`
	Acknowledged    apijson.Bool   `json:"acknowledged"`
	Clearable       apijson.Bool   `json:"clearable"`
	Time            apijson.Int    `json:"time"`
	Description     apijson.String `json:"description"`
	Type            apijson.String `json:"type"`
	Recommendation  apijson.String `json:"recommendation"`
	ServiceAffect   apijson.Bool   `json:"serviceAffect"`
	TypeID          apijson.Int    `json:"typeId"`
	Name            apijson.String `json:"name"`
	OccurrenceCount apijson.Int    `json:"occurrenceCount"`
	OccurenceCount  apijson.Int    `json:"occurenceCount"`
	Active          apijson.Bool   `json:"active"`
	AckedBy         apijson.String `json:"ackedBy"`
	AckedTime       apijson.Int    `json:"ackedTime"`
	ClearedBy       apijson.String `json:"clearedBy"`
	ClearedTime     apijson.Int    `json:"clearedTime"`
	Note            apijson.String `json:"note"`
}

func parseAlarms(b []byte) (Alarms, error) {
	var w struct {
		Summary     *alarmSummaryWire `json:"summary"`
		Outstanding []alarmWire       `json:"outstanding"`
	}
	if err := unmarshal(b, &w); err != nil {
		return Alarms{}, err
	}
	if w.Summary == nil {
		return Alarms{}, errors.New("missing or null keys: summary")
	}
	s, err := w.Summary.summary()
	if err != nil {
		return Alarms{}, fmt.Errorf("summary: %w", err)
	}
	out := Alarms{Summary: s, Outstanding: make([]Alarm, 0, len(w.Outstanding))}
	for _, a := range w.Outstanding {
		count := a.OccurrenceCount
		if !count.Valid {
			count = a.OccurenceCount
		}
		out.Outstanding = append(out.Outstanding, Alarm{
			Severity:        a.Severity.Value,
			SequenceID:      a.SequenceID.Value,
			Source:          a.Source.Value,
			Acknowledged:    a.Acknowledged.Value,
			Clearable:       a.Clearable.Value,
			Time:            millis(a.Time),
			Description:     a.Description.Value,
			Type:            a.Type.Value,
			Recommendation:  a.Recommendation.Value,
			ServiceAffect:   a.ServiceAffect.Value,
			TypeID:          a.TypeID.Value,
			Name:            a.Name.Value,
			OccurrenceCount: count.Value,
			Active:          a.Active.Value,
			AckedBy:         a.AckedBy.Value,
			AckedTime:       millis(a.AckedTime),
			ClearedBy:       a.ClearedBy.Value,
			ClearedTime:     millis(a.ClearedTime),
			Note:            a.Note.Value,
		})
	}
	return out, nil
}
