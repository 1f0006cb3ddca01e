package simulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestFaultMinutesFrozen(t *testing.T) {
	clk := newClock(time.Date(2026, 11, 23, 10, 0, 30, 0, time.UTC))
	s := startSim(t, Config{Appliances: 3, Seed: 1, Now: clk.Now})
	a := reachableAppliance(t, s)
	frozen := time.Date(2026, 11, 23, 9, 52, 40, 0, time.UTC)
	if err := s.SetFault(a.ID, Fault{MinutesFrozenAt: frozen}); err != nil {
		t.Fatal(err)
	}
	e := ecLogin(t, s, a.Address)
	var rng struct{ Newest, Oldest json.Number }
	e.getJSON("/stats/minuteRange", &rng)
	want := time.Date(2026, 11, 23, 9, 52, 0, 0, time.UTC).Unix()
	if got, _ := rng.Newest.Int64(); got != want {
		t.Errorf("minuteRange newest = %d, want the frozen minute %d", got, want)
	}
	clk.Add(10 * time.Minute)
	e.getJSON("/stats/minuteRange", &rng)
	if got, _ := rng.Newest.Int64(); got != want {
		t.Errorf("10 minutes later minuteRange newest = %d, want still %d", got, want)
	}
	for _, tc := range []struct {
		minute int64
		want   int
	}{{want, 200}, {want + 60, 404}} {
		if st, _ := e.do(http.MethodGet, fmt.Sprintf("/stats/minuteStats/st2-%d.tgz", tc.minute), nil); st != tc.want {
			t.Errorf("GET st2-%d.tgz = %d, want %d", tc.minute, st, tc.want)
		}
	}
}

func TestFaultFixedTunnels(t *testing.T) {
	s := startSim(t, Config{Appliances: 3, Seed: 1})
	a := reachableAppliance(t, s)
	e := ecLogin(t, s, a.Address)
	count := func(path string) int {
		var ids []string
		e.getJSON(path, &ids)
		return len(ids)
	}
	aliases := func(path string) int {
		var l []struct{ ID, Alias string }
		e.getJSON(path, &l)
		return len(l)
	}
	eps := []string{"/tunnelAllIDs", "/bondedTunnels/allIDs", "/thirdPartyTunnels/allIDs"}
	downEps := []string{"/tunnelAliases?limit=1000&state=Down", "/bondedTunnels/aliases?limit=1000&state=Down", "/thirdPartyTunnels/aliases?limit=1000&state=Down"}
	for _, down := range []int{0, 3} {
		if err := s.SetFault(a.ID, Fault{FixedTunnels: true, TunnelsDown: down}); err != nil {
			t.Fatal(err)
		}
		var all, up, gotDown int
		for i := range eps {
			all += count(eps[i])
			up += count(eps[i] + "?state=Up")
			gotDown += aliases(downEps[i])
		}
		if gotDown != down || up != all-down {
			t.Errorf("TunnelsDown %d: %d of %d tunnels down, %d up; want %d down, %d up", down, gotDown, all, up, down, all-down)
		}
	}
	if err := s.SetFault(a.ID, Fault{TunnelsDown: 2}); err == nil || !strings.Contains(err.Error(), "tunnels down") {
		t.Errorf("SetFault(TunnelsDown without FixedTunnels) = %v, want an error", err)
	}
}

func TestFaultFixedAlarms(t *testing.T) {
	s := startSim(t, Config{Appliances: 3, Seed: 1})
	a := reachableAppliance(t, s)
	e := ecLogin(t, s, a.Address)
	raised := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	type out struct {
		Summary     map[string]int
		Outstanding []struct {
			Severity   int
			SequenceID int64 `json:"sequenceId"`
			Name, Type string
			Time       int64
			Clearable  bool
		}
	}
	steps := []struct {
		alarms []Alarm
		want   []int64 // sequence ids
	}{
		{[]Alarm{{Severity: 4, SequenceID: 7, Name: "disk_health", Type: "HW", Source: "System", Time: raised},
			{Severity: 1, SequenceID: 9, Name: "config_unsaved", Type: "SW", Source: "System", Clearable: true}}, []int64{7, 9}},
		{nil, nil},
	}
	for _, st := range steps {
		if err := s.SetFault(a.ID, Fault{FixedAlarms: true, Alarms: st.alarms}); err != nil {
			t.Fatal(err)
		}
		var o out
		e.getJSON("/alarm", &o)
		var got []int64
		for _, al := range o.Outstanding {
			got = append(got, al.SequenceID)
		}
		if fmt.Sprint(got) != fmt.Sprint(st.want) || o.Summary["num_outstanding"] != len(st.want) {
			t.Errorf("alarms %v: outstanding %v (summary %d), want %v", st.alarms, got, o.Summary["num_outstanding"], st.want)
		}
		if len(o.Outstanding) == 2 {
			if o.Outstanding[0].Time != raised.UnixMilli() || o.Outstanding[1].Time != 0 || o.Summary["num_critical"] != 1 || o.Summary["num_equipment_outstanding"] != 1 {
				t.Errorf("served %+v, want the first raised at %d, the second without time, one critical HW", o, raised.UnixMilli())
			}
		}
	}
}
