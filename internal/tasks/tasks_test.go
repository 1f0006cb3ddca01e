package tasks

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"
)

func TestRoundTrip(t *testing.T) {
	in := AppliancePoll{
		ApplianceID: "3.NE", Hostname: "HQ-EC-01", Address: "127.0.0.1:9443", NetworkRole: "1",
		Model: "EC-S", Platform: "VMware", SoftwareVersion: "9.3.2.1_100012", State: 1,
		ReachabilityChannel: 2, Licensed: true, LicenseDisplay: "1 Gbps", LicenseBW: 1000000,
		WANLabels: map[string]string{"1": "MPLS1"}, LANLabels: map[string]string{"5": "Data"},
		Overlays: map[string]string{"1": "RealTime"}, DiscoveredAt: 1736503200, Cycle: 1736503200,
		Orchestrator: "emea", Scoped: true,
	}
	task, err := NewAppliancePollTask(in)
	if err != nil {
		t.Fatal(err)
	}
	if task.Type() != TypeAppliancePoll {
		t.Errorf("Type = %q, want %q", task.Type(), TypeAppliancePoll)
	}
	out, err := ParseAppliancePollPayload(task.Payload())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestParseRejectsBadPayloadsWithSkipRetry(t *testing.T) {
	for name, in := range map[string]string{
		"not json":       "{",
		"missing fields": `{"appliance_id": "1.NE"}`,
		"too large":      `{"x":"` + strings.Repeat("a", maxPayloadBytes) + `"}`,
	} {
		_, err := ParseAppliancePollPayload([]byte(in))
		if err == nil || !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("%s: ParseAppliancePollPayload = %v, want SkipRetry error", name, err)
		}
	}
	_, err := ParseAppliancePollPayload([]byte(`{"appliance_id": "1.NE"}`))
	for _, want := range []string{"hostname is empty", "address is empty", "discovered_at is not set"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestTaskID(t *testing.T) {
	if got := TaskID("3.NE"); got != "poll:3.NE" {
		t.Errorf("TaskID(3.NE) = %q, want poll:3.NE", got)
	}
}

// The Orchestrator of the ORCH_* variables (not scoped) keeps the keys of a
// single-Orchestrator deployment; scoped appliances are told apart by name.
func TestKey(t *testing.T) {
	for _, tc := range []struct {
		orchestrator string
		scoped       bool
		key, taskID  string
	}{
		{"", false, "3.NE", "poll:3.NE"},
		{"default", false, "3.NE", "poll:3.NE"},
		{"emea", true, "emea:3.NE", "poll:emea:3.NE"},
		{"amer", true, "amer:3.NE", "poll:amer:3.NE"},
	} {
		p := AppliancePoll{ApplianceID: "3.NE", Orchestrator: tc.orchestrator, Scoped: tc.scoped}
		if got := p.Key(); got != tc.key {
			t.Errorf("Key(%q, scoped %v) = %q, want %q", tc.orchestrator, tc.scoped, got, tc.key)
		}
		if got := TaskID(p.Key()); got != tc.taskID {
			t.Errorf("TaskID(%q) = %q, want %q", p.Key(), got, tc.taskID)
		}
	}
	base := `{"appliance_id":"3.NE","hostname":"h","address":"127.0.0.1:1","discovered_at":1`
	for in, want := range map[string]string{
		base + `,"scoped":true}`:                      "scoped without an orchestrator",
		base + `,"orchestrator":"a:b","scoped":true}`: "orchestrator holds a colon",
	} {
		if _, err := ParseAppliancePollPayload([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseAppliancePollPayload(%s) = %v, want %q", in, err, want)
		}
	}
}

func FuzzParseAppliancePollPayload(f *testing.F) {
	f.Add([]byte(`{"appliance_id":"3.NE","hostname":"h","address":"127.0.0.1:1","discovered_at":1}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseAppliancePollPayload(b)
		if err != nil {
			if !errors.Is(err, asynq.SkipRetry) {
				t.Errorf("error %v does not wrap SkipRetry", err)
			}
			return
		}
		if p.ApplianceID == "" || p.Hostname == "" || p.Address == "" {
			t.Errorf("accepted incomplete payload %+v", p)
		}
	})
}

func ExampleNewAppliancePollTask() {
	task, _ := NewAppliancePollTask(AppliancePoll{ApplianceID: "3.NE", Hostname: "HQ-EC-01", Address: "127.0.0.1:9443", DiscoveredAt: 1736503200})
	p, _ := ParseAppliancePollPayload(task.Payload())
	fmt.Println(task.Type(), p.Hostname, TaskID(p.ApplianceID))
	// Output: appliance:poll HQ-EC-01 poll:3.NE
}
