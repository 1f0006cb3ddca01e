package main

import (
	"strings"
	"testing"

	"github.com/ec-telemetry/ec-telemetry/orchestrator"
)

func TestDescribePathForm(t *testing.T) {
	for _, tc := range []struct{ release, want string }{
		{"9.4.2.40345", "query (release 9.3 or later)"},
		{"9.3.0.1", "query (release 9.3 or later)"},
		{"10.0.1", "query (release 9.3 or later)"},
		{"9.2.8.40110", "path (release before 9.3)"},
		{"8.10.1", "path (release before 9.3)"},
		{"", `release "" cannot be read: the path form`},
		{"dev-build", `release "dev-build" cannot be read: the path form`},
	} {
		if got := describePathForm(tc.release); !strings.HasPrefix(got, tc.want) {
			t.Errorf("describePathForm(%q) = %q, want it to start with %q", tc.release, got, tc.want)
		}
	}
}

func TestDescribeVersions(t *testing.T) {
	apps := func(vs ...string) []orchestrator.Appliance {
		var out []orchestrator.Appliance
		for _, v := range vs {
			out = append(out, orchestrator.Appliance{SoftwareVersion: v})
		}
		return out
	}
	for _, tc := range []struct {
		apps []orchestrator.Appliance
		want string
	}{
		{nil, "no appliance listed"},
		{apps("9.4.2.1"), "1 version: 9.4.2.1 (1)"},
		{apps("9.3.2.1", "9.4.2.1", "9.4.2.1", "", "9.1.0.3"), "4 versions: 9.4.2.1 (2), 9.1.0.3 (1), 9.3.2.1 (1), unknown (1)"},
	} {
		if got := describeVersions(tc.apps); got != tc.want {
			t.Errorf("describeVersions = %q, want %q", got, tc.want)
		}
	}
}
