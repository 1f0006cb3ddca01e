package discovery

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ec-telemetry/ec-telemetry/internal/config"
)

func hostnames(apps []Appliance) []string {
	var out []string
	for _, a := range apps {
		out = append(out, a.Hostname)
	}
	return out
}

func TestSelect(t *testing.T) {
	fleet := []Appliance{
		{Hostname: "A", State: 2}, {Hostname: "B", State: 1}, {Hostname: "C", State: 1}, {Hostname: "D", State: 0},
		{Hostname: "E", State: 1}, {Hostname: "F", State: 1}, {Hostname: "G", State: 1},
	}
	tests := []struct {
		name       string
		subset     []string
		collectAll bool
		want       []string
		unknown    []string
		picked     []string
	}{
		{"collect all", nil, true, []string{"A", "B", "C", "D", "E", "F", "G"}, nil, nil},
		{"listed, orchestrator order, any state", []string{"G", "A", "ZZ"}, false, []string{"A", "G"}, []string{"ZZ"}, nil},
		{"empty list picks first four normal", []string{}, false, []string{"B", "C", "E", "F"}, nil, []string{"B", "C", "E", "F"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Select(fleet, config.LimitFile{ApplianceSubset: tc.subset}, tc.collectAll)
			if diff := cmp.Diff(tc.want, hostnames(s.Appliances)); diff != "" {
				t.Errorf("selected (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.unknown, s.Unknown); diff != "" {
				t.Errorf("unknown (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.picked, s.AutoPicked); diff != "" {
				t.Errorf("auto-picked (-want +got):\n%s", diff)
			}
		})
	}
	if s := Select([]Appliance{{Hostname: "X", State: 2}}, config.LimitFile{}, false); len(s.Appliances) != 0 || len(s.AutoPicked) != 0 {
		t.Errorf("no normal appliance: selected %v, want none", hostnames(s.Appliances))
	}
}
