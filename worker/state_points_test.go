package worker

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ec-telemetry/ec-telemetry/edgeconnect"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// interface_state holds exactly what the appliance served on
// /networkInterfaces, with the label ids named from the Orchestrator's maps.
func TestInterfaceStateIsWhatTheApplianceServed(t *testing.T) {
	f := newFixture(t, 4, simulator.Faults{})
	for _, a := range reachable(t, f.sim) {
		p := f.polls[a.ID]
		rep := f.h.Collect(t.Context(), p)
		if rep.Outcome != OutcomeOK {
			t.Fatalf("%s: Outcome = %s (err %v, sources %v), want ok", a.ID, rep.Outcome, rep.Err, rep.SourceErrors)
		}
		served, err := f.sim.InterfaceStates(a.ID, f.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		var want []telemetry.Point
		for _, s := range served {
			tags := map[string]string{telemetry.TagApplianceID: a.ID, telemetry.TagHostname: a.Hostname, telemetry.TagInterfaceName: s.Name}
			if s.Label != "" {
				names := p.LANLabels
				if s.WAN {
					names = p.WANLabels
				}
				tags[telemetry.TagInterfaceLabel] = names[s.Label]
			}
			want = append(want, telemetry.Point{Measurement: telemetry.MeasInterfaceState, Tags: telemetry.TagsOf(tags), Time: f.clock.Now().Truncate(time.Second),
				Fields: telemetry.FieldsOf(map[string]any{telemetry.FieldAdminUp: s.AdminUp, telemetry.FieldOperUp: s.OperUp, telemetry.FieldSpeed: s.Speed,
					telemetry.FieldSpeedMbps: s.SpeedMbps, telemetry.FieldDuplex: s.Duplex, telemetry.FieldMTU: s.MTU})})
		}
		var got []telemetry.Point
		for _, pt := range f.sink.byMeasurement(telemetry.MeasInterfaceState) {
			if pt.Tags.Get(telemetry.TagApplianceID) == a.ID {
				got = append(got, pt)
			}
		}
		if len(want) < 3 {
			t.Fatalf("%s serves %d interfaces, want at least 3", a.ID, len(want))
		}
		if diff := cmp.Diff(lines(t, want), lines(t, got)); diff != "" {
			t.Errorf("%s interface_state (-simulator +stored):\n%s", a.ID, diff)
		}
	}
}

func TestInterfaceStatePoints(t *testing.T) {
	p := tasks.AppliancePoll{ApplianceID: "3.NE", Hostname: "BRANCH-EC-03",
		WANLabels: map[string]string{"1": "INET1", "5": "MPLS1"}, LANLabels: map[string]string{"1": "Data", "9": "Voice"}}
	ts := time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC)
	in := []edgeconnect.NetworkInterface{
		{Name: "wan0", AdminUp: true, AdminKnown: true, OperKnown: true, Speed: "1000Mb/s (auto)", SpeedMbps: 1000, SpeedKnown: true, Label: "1", WAN: true},
		{Name: "lan0", AdminUp: true, OperUp: true, AdminKnown: true, OperKnown: true, Speed: "auto", Label: "1", LAN: true},
		{Name: "lan1", AdminKnown: true, Label: "9"},
		{Name: "wan1", OperUp: true, OperKnown: true, Label: "7", Duplex: "full (auto)", MTU: 1500},
		{Name: "mgmt0", Label: "0"},
	}
	got := lines(t, pointer{applianceID: "3.NE", hostname: "BRANCH-EC-03"}.interfaceStatePoints(p, in, ts))
	want := []string{
		`interface_state,appliance_id=3.NE,hostname=BRANCH-EC-03,interface_label=Data,interface_name=lan0 admin_up=true,oper_up=true,speed="auto" 1796014800`,
		`interface_state,appliance_id=3.NE,hostname=BRANCH-EC-03,interface_label=INET1,interface_name=wan0 admin_up=true,oper_up=false,speed="1000Mb/s (auto)",speed_mbps=1000 1796014800`,
		`interface_state,appliance_id=3.NE,hostname=BRANCH-EC-03,interface_label=Voice,interface_name=lan1 admin_up=false 1796014800`,
		`interface_state,appliance_id=3.NE,hostname=BRANCH-EC-03,interface_label=unknown_7,interface_name=wan1 duplex="full (auto)",mtu=1500i,oper_up=true 1796014800`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("interfaceStatePoints (-want +got):\n%s", diff)
	}
}

// next_hop_state holds exactly what the appliance served on /nexthops.
func TestNextHopStateIsWhatTheApplianceServed(t *testing.T) {
	f := newFixture(t, 4, simulator.Faults{})
	a := reachable(t, f.sim)[0]
	if rep := f.h.Collect(t.Context(), f.polls[a.ID]); rep.Outcome != OutcomeOK {
		t.Fatalf("Outcome = %s (err %v, sources %v), want ok", rep.Outcome, rep.Err, rep.SourceErrors)
	}
	served, err := f.sim.NextHops(a.ID, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	var want []telemetry.Point
	for _, h := range served {
		st := "unreachable"
		if h.Reachable {
			st = "reachable"
		}
		want = append(want, telemetry.Point{Measurement: telemetry.MeasNextHopState, Time: f.clock.Now().Truncate(time.Second),
			Tags: telemetry.TagsOf(map[string]string{telemetry.TagApplianceID: a.ID, telemetry.TagHostname: a.Hostname,
				telemetry.TagInterfaceName: h.Interface, telemetry.TagNextHop: h.IP}),
			Fields: telemetry.FieldsOf(map[string]any{telemetry.FieldReachable: h.Reachable, telemetry.FieldNextHopState: st,
				telemetry.FieldNextHopUptimeMs: h.UptimeMs, telemetry.FieldNextHopSide: "WAN"})})
	}
	if len(want) < 2 {
		t.Fatalf("%s serves %d next hops, want at least 2", a.ID, len(want))
	}
	if diff := cmp.Diff(lines(t, want), lines(t, f.sink.byMeasurement(telemetry.MeasNextHopState))); diff != "" {
		t.Errorf("next_hop_state (-simulator +stored):\n%s", diff)
	}
}

func TestNextHopPoints(t *testing.T) {
	ts := time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC)
	in := []edgeconnect.NextHop{
		{IP: "203.0.113.254", Interface: "wan0", State: "unreachable"},
		{IP: "198.51.100.254", UptimeKnown: true, Uptime: 90 * time.Second},
		{IP: "192.0.2.254"},
	}
	got := lines(t, pointer{applianceID: "3.NE", hostname: "BRANCH-EC-03"}.nextHopPoints(in, ts))
	want := []string{
		`next_hop_state,appliance_id=3.NE,hostname=BRANCH-EC-03,interface_name=wan0,next_hop=203.0.113.254 reachable=false,state="unreachable" 1796014800`,
		`next_hop_state,appliance_id=3.NE,hostname=BRANCH-EC-03,next_hop=198.51.100.254 uptime_ms=90000i 1796014800`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("nextHopPoints (-want +got):\n%s", diff)
	}
}

// A broken answer fails only its own source, and the error names the
// appliance and the endpoint.
func TestMalformedStateAnswersNameApplianceAndSource(t *testing.T) {
	f := newFixture(t, 4, simulator.Faults{})
	a := reachable(t, f.sim)[0]
	if err := f.sim.SetFault(a.ID, simulator.Fault{MalformedJSON: []simulator.Endpoint{
		simulator.EndpointNetworkInterfaces, simulator.EndpointNextHops}}); err != nil {
		t.Fatal(err)
	}
	rep := f.h.Collect(t.Context(), f.polls[a.ID])
	if rep.Outcome != OutcomePartial || len(rep.SourceErrors) != 2 {
		t.Fatalf("Outcome = %s, SourceErrors = %v; want partial with interfaces and next_hops", rep.Outcome, rep.SourceErrors)
	}
	for src, path := range map[string]string{SourceInterfaces: "/networkInterfaces", SourceNextHops: "/nexthops"} {
		err := rep.SourceErrors[src]
		if err == nil {
			t.Errorf("SourceErrors[%s] = nil", src)
			continue
		}
		t.Logf("%s: %v", src, err)
		var de *edgeconnect.DecodeError
		if msg := err.Error(); !errors.As(err, &de) || !strings.Contains(msg, a.Address) || !strings.Contains(msg, path) {
			t.Errorf("SourceErrors[%s] = %q (%T), want a decode error naming %s and %s", src, msg, err, a.Address, path)
		}
	}
	if len(f.sink.byMeasurement(telemetry.MeasInterfaceState)) != 0 || len(f.sink.byMeasurement(telemetry.MeasMemoryStats)) != 1 {
		t.Error("want no interface_state point and the other sources' points")
	}
}
