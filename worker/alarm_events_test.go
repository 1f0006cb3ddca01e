package worker

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/ec-telemetry/ec-telemetry/influx"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// An alarm raised, collected twice, cleared and collected twice more is
// stored in a real InfluxDB as exactly one raised and one cleared event;
// so is an alarm the appliance sends without a time, whose raised event
// keeps the time it was first seen.
func TestAlarmEventsRaisedOnceClearedOnce(t *testing.T) {
	f := newFixture(t, 3, simulator.Faults{})
	a := reachable(t, f.sim)[0]
	db := f.useInflux(t)

	raisedAt := time.Date(2026, 11, 23, 9, 41, 7, 0, time.UTC)
	alarms := []simulator.Alarm{
		{Severity: 4, SequenceID: 71, Name: "disk_health", Type: "HW", Source: "System", Description: "Disk health degraded", Time: raisedAt},
		{Severity: 1, SequenceID: 72, Name: "config_unsaved", Type: "SW", Source: "System", Description: "Configuration has unsaved changes", Clearable: true},
	}
	collect := func(alarms []simulator.Alarm) int64 {
		t.Helper()
		if err := f.sim.SetFault(a.ID, simulator.Fault{FixedAlarms: true, Alarms: alarms}); err != nil {
			t.Fatal(err)
		}
		at := f.clock.Now().Unix()
		rep := f.h.Collect(t.Context(), polls(t, f.sim, f.clock.Now())[a.ID])
		if rep.SourceErrors[SourceAlarms] != nil || rep.Err != nil {
			t.Fatalf("Collect: alarms %v, job %v", rep.SourceErrors[SourceAlarms], rep.Err)
		}
		f.clock.Add(time.Minute)
		return at
	}
	firstSeen := collect(alarms)
	collect(alarms)
	// Acknowledged on the appliance: the raised point is written again,
	// same series and time, with the new flag.
	acked := slices.Clone(alarms)
	acked[0].Acknowledged = true
	collect(acked)
	collect(acked)
	cleared := collect(nil)
	collect(nil)

	series, err := db.Query(t.Context(), fmt.Sprintf(`SELECT "event", "sequence_id", "active", "description", "acknowledged" FROM "alarm_events" WHERE "appliance_id" = '%s' GROUP BY "severity", "name", "type", "source"`, a.ID))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range series {
		for _, v := range s.Values {
			got = append(got, fmt.Sprintf("%v %s/%s/%s/%s %v seq=%v active=%v %q ack=%v", v[0], s.Tags["severity"], s.Tags["name"], s.Tags["type"], s.Tags["source"], v[1], v[2], v[3], v[4], v[5]))
		}
	}
	want := []string{
		fmt.Sprintf("%d critical/disk_health/HW/System raised seq=71 active=true %q ack=true", raisedAt.Unix(), "Disk health degraded"),
		fmt.Sprintf("%d critical/disk_health/HW/System cleared seq=71 active=false %q ack=true", cleared, "Disk health degraded"),
		fmt.Sprintf("%d warning/config_unsaved/SW/System raised seq=72 active=true %q ack=false", firstSeen, "Configuration has unsaved changes"),
		fmt.Sprintf("%d warning/config_unsaved/SW/System cleared seq=72 active=false %q ack=false", cleared, "Configuration has unsaved changes"),
	}
	sort.Strings(got)
	sort.Strings(want)
	if diff := cmp.Diff(strings.Join(want, "\n"), strings.Join(got, "\n")); diff != "" {
		t.Errorf("alarm_events (-want +got):\n%s", diff)
	}
}

func TestSeverityName(t *testing.T) {
	for in, want := range map[int64]string{-1: "info", 0: "info", 1: "warning", 2: "minor", 3: "major", 4: "critical", 9: "critical"} {
		if got := severityName(in); got != want {
			t.Errorf("severityName(%d) = %q, want %q", in, got, want)
		}
	}
}

// refuseEventsSink refuses for good every batch holding alarm_events with
// InfluxDB's reason (by default its refusal of points older than its
// retention period), and stores the others.
type refuseEventsSink struct {
	recordingSink
	reason string
}

func (s *refuseEventsSink) Write(ctx context.Context, pts []telemetry.Point) (int, error) {
	reason := s.reason
	if reason == "" {
		reason = "partial write: points beyond retention policy dropped=1"
	}
	for _, p := range pts {
		if p.Measurement == telemetry.MeasAlarmEvents {
			return 0, &influx.WriteError{StatusCode: 400, Message: reason, Points: 1, Permanent: true}
		}
	}
	return s.recordingSink.Write(ctx, pts)
}

// The raised event of an alarm older than InfluxDB's retention is refused
// for good: the job still succeeds and stores everything else.
func TestAlarmEventsRefusedDoNotFailTheJob(t *testing.T) {
	f := newFixture(t, 3, simulator.Faults{})
	a := reachable(t, f.sim)[0]
	sink := &refuseEventsSink{}
	f.h.o.Sink = sink
	old := f.clock.Now().AddDate(0, 0, -30)
	if err := f.sim.SetFault(a.ID, simulator.Fault{FixedAlarms: true, Alarms: []simulator.Alarm{{Severity: 3, SequenceID: 5, Name: "disk_health", Type: "HW", Source: "System", Time: old}}}); err != nil {
		t.Fatal(err)
	}
	rep := f.h.Collect(t.Context(), f.polls[a.ID])
	if rep.Outcome != OutcomeOK || rep.Err != nil {
		t.Errorf("Collect = %s (err %v), want ok", rep.Outcome, rep.Err)
	}
	for _, m := range []string{telemetry.MeasAlarmStats, telemetry.MeasApplianceStatus, telemetry.MeasMemoryStats} {
		if n := len(sink.byMeasurement(m)); n != 1 {
			t.Errorf("%s: %d points stored, want 1", m, n)
		}
	}
}

// The memory keeps at most Max alarms (the lowest keys), expires, and an
// empty list removes the key.
func TestRedisAlarmMemoryBounds(t *testing.T) {
	rs := testenv.StartRedis(t)
	rdb := rs.Client(t)
	m := &RedisAlarmMemory{Client: rdb, Max: 2, TTL: time.Hour}
	ctx := t.Context()
	in := map[string]KnownAlarm{"seq:1": {Severity: "major", SequenceID: 1}, "seq:2": {SequenceID: 2}, "seq:3": {SequenceID: 3}}
	if err := m.Store(ctx, "1.NE", in); err != nil {
		t.Fatal(err)
	}
	got, err := m.Load(ctx, "1.NE")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]KnownAlarm{"seq:1": in["seq:1"], "seq:2": in["seq:2"]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load after storing 3 with Max 2 (-want +got):\n%s", diff)
	}
	if ttl := rdb.TTL(ctx, "ectelemetry:alarms:1.NE").Val(); ttl <= 0 || ttl > time.Hour {
		t.Errorf("TTL = %v, want within (0, 1h]", ttl)
	}
	if err := m.Store(ctx, "1.NE", nil); err != nil {
		t.Fatal(err)
	}
	if n := rdb.Exists(ctx, "ectelemetry:alarms:1.NE").Val(); n != 0 {
		t.Errorf("key exists after storing no alarm")
	}
}

// The warning for refused alarm events blames the retention period only
// when InfluxDB says so: a series limit is named by InfluxDB's own reason.
func TestAlarmEventsRefusalSaysWhy(t *testing.T) {
	for _, tc := range []struct{ reason, want, notWant string }{
		{"partial write: points beyond retention policy dropped=1", "raised before the retention period", ""},
		{"partial write: max-series-per-database limit exceeded: (1000000) dropped=1", "max-series-per-database limit exceeded", "retention"},
	} {
		f := newFixture(t, 3, simulator.Faults{})
		a := reachable(t, f.sim)[0]
		var logs bytes.Buffer
		f.h.o.Sink = &refuseEventsSink{reason: tc.reason}
		f.h.o.Logger = zerolog.New(zerolog.SyncWriter(&logs))
		if err := f.sim.SetFault(a.ID, simulator.Fault{FixedAlarms: true, Alarms: []simulator.Alarm{{Severity: 3, SequenceID: 5, Name: "disk_health", Type: "HW", Source: "System", Time: f.clock.Now().Add(-time.Hour)}}}); err != nil {
			t.Fatal(err)
		}
		if rep := f.h.Collect(t.Context(), f.polls[a.ID]); rep.Outcome != OutcomeOK {
			t.Errorf("%s: Collect = %s (err %v), want ok", tc.reason, rep.Outcome, rep.Err)
		}
		var line string
		for l := range strings.SplitSeq(logs.String(), "\n") {
			if strings.Contains(l, "alarm events refused") {
				line = l
			}
		}
		if !strings.Contains(line, tc.want) || (tc.notWant != "" && strings.Contains(line, tc.notWant)) {
			t.Errorf("%s: warning %q, want it to say %q and not %q", tc.reason, line, tc.want, tc.notWant)
		}
	}
}
