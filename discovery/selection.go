package discovery

import (
	"github.com/ec-telemetry/ec-telemetry/internal/config"
)

// autoPickCount is how many appliances the demo picks when the limit file's
// list is empty.
const autoPickCount = 4

// Selection is the outcome of applying the limit file.
type Selection struct {
	Appliances []Appliance
	Unknown    []string // listed hostnames the Orchestrator does not know
	AutoPicked []string // hostnames picked because the list was empty; to be written back
}

// Select applies the demo's rules: with collectAll every appliance; with a
// non-empty appliance_subset the appliances with those hostnames, in the
// Orchestrator's order, whatever their state; with an empty list the first
// four appliances in state 1 (normal), which the caller writes back to the
// file so the choice sticks, as the demo does.
func Select(apps []Appliance, lf config.LimitFile, collectAll bool) Selection {
	if collectAll {
		return Selection{Appliances: apps}
	}
	var s Selection
	if len(lf.ApplianceSubset) == 0 {
		for _, a := range apps {
			if a.State == 1 && len(s.Appliances) < autoPickCount {
				s.Appliances = append(s.Appliances, a)
				s.AutoPicked = append(s.AutoPicked, a.Hostname)
			}
		}
		return s
	}
	want := make(map[string]bool, len(lf.ApplianceSubset))
	for _, h := range lf.ApplianceSubset {
		want[h] = true
	}
	found := map[string]bool{}
	for _, a := range apps {
		if want[a.Hostname] {
			s.Appliances = append(s.Appliances, a)
			found[a.Hostname] = true
		}
	}
	for _, h := range lf.ApplianceSubset {
		if !found[h] {
			s.Unknown = append(s.Unknown, h)
		}
	}
	return s
}
