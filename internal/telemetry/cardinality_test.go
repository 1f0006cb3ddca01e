package telemetry

import (
	"strings"
	"testing"
)

// TestEveryTagHasABound fails when a tag key of the schema has no declared
// bound, so a new unbounded tag cannot ship unnoticed.
func TestEveryTagHasABound(t *testing.T) {
	for _, k := range TagKeys() {
		switch b := BoundOf(k); b {
		case BoundFixed, BoundFleet, BoundConfig, BoundUser:
		default:
			t.Errorf("tag %q has bound %s; declare it in TagBounds (fixed, fleet, configuration or user-defined) or make it a field", k, b)
		}
	}
	used := map[string]bool{}
	for _, k := range TagKeys() {
		used[k] = true
	}
	seen := map[string]bool{}
	for _, b := range TagBounds {
		if seen[b.Key] {
			t.Errorf("TagBounds declares %q twice", b.Key)
		}
		seen[b.Key] = true
		if !used[b.Key] {
			t.Errorf("TagBounds declares %q, which no measurement uses", b.Key)
		}
		if strings.TrimSpace(b.Values) == "" {
			t.Errorf("TagBounds: %q does not say what its values are", b.Key)
		}
	}
}

func TestBoundOfUnknownTag(t *testing.T) {
	if got := BoundOf("flow_id"); got != 0 {
		t.Errorf("BoundOf(flow_id) = %v, want 0", got)
	}
	if got := Bound(0).String(); got != "unbounded" {
		t.Errorf("Bound(0).String() = %q, want unbounded", got)
	}
}
