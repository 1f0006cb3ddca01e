package simulator

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestFaultHostileHostnameAndHugeArchive(t *testing.T) {
	const hostile = "EC-\x01BAD\\"
	s := startSim(t, Config{Appliances: 3, Seed: 1})
	a := reachableAppliance(t, s)
	e := ecLogin(t, s, a.Address)
	before, err := untar(fetchArchive(t, e, testNewest))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetFault(a.ID, Fault{Hostname: hostile, ExtraInterfaceRows: 1000}); err != nil {
		t.Fatal(err)
	}

	st, body, _ := orchGet(t, s, newClient(t, s), "/appliance", map[string]string{"X-Auth-Token": DefaultAPIKey})
	var list []struct{ ID, HostName string }
	if err := json.Unmarshal(body, &list); st != 200 || err != nil {
		t.Fatalf("GET /appliance = %d, %v", st, err)
	}
	for _, x := range list {
		if x.ID == a.ID && x.HostName != hostile {
			t.Errorf("Orchestrator hostName of %s = %q, want %q", a.ID, x.HostName, hostile)
		}
	}
	var sys struct{ HostName string }
	e.getJSON("/systemInfo", &sys)
	if sys.HostName != hostile {
		t.Errorf("/systemInfo hostName = %q, want %q", sys.HostName, hostile)
	}
	for _, info := range s.Appliances() {
		if info.ID == a.ID && info.Hostname != hostile {
			t.Errorf("ApplianceInfo.Hostname = %q, want %q", info.Hostname, hostile)
		}
	}
	pts, err := s.ExpectedMinutePoints(a.ID, testNewest)
	if err != nil || len(pts) == 0 {
		t.Fatalf("ExpectedMinutePoints = %d points, %v", len(pts), err)
	}
	if got := pts[0].Tags.Get("hostname"); got != "EC-\uFFFDBAD\uFFFD" {
		t.Errorf("expected hostname tag = %q, want the sanitised name", got)
	}

	after, err := untar(fetchArchive(t, e, testNewest))
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("st2-%d/%s", testNewest, fileInterface)
	got := strings.Split(strings.TrimSuffix(string(after[name]), "\n"), "\n")
	want := strings.Split(strings.TrimSuffix(string(before[name]), "\n"), "\n")
	if len(got) != len(want)+1000 {
		t.Fatalf("%s has %d lines, want %d + 1000", name, len(got), len(want))
	}
	last := strings.Split(got[len(got)-1], ",")
	if len(last) != colsInterface || last[1] != "xif000999" || last[colsInterface-1] != fmt.Sprint(testNewest) {
		t.Errorf("last extra row = %q, want %d columns, interface xif000999, the minute last", got[len(got)-1], colsInterface)
	}
}
