package influx

import (
	"strings"
	"testing"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// hostileTagValues are names an Orchestrator or an appliance may hand out
// that line protocol cannot carry as they are.
var hostileTagValues = []struct{ in, want string }{
	{"BRANCH-EC-07", "BRANCH-EC-07"},
	{"EC\x01BAD", "EC\uFFFDBAD"},
	{`EC-TRAILING\`, "EC-TRAILING\uFFFD"},
	{`two\\`, "two\\\uFFFD"},
	{"tab\there\nnewline", "tab\uFFFDhere\uFFFDnewline"},
	{"del\x7f", "del\uFFFD"},
	{"bad\xff\xfeutf8", "bad\uFFFDutf8"},
	{"spaces, commas=equals", "spaces, commas=equals"},
	{`inner\ backslash`, `inner\ backslash`},
	{"ÜMLAUT-Zürich", "ÜMLAUT-Zürich"},
}

// A hostile tag value never makes a point unwritable: every tag of every
// measurement goes through telemetry.TagValue, and the value read back from
// the line is exactly what TagValue made of it.
func TestAppendLineSanitisesTagValues(t *testing.T) {
	for _, tc := range hostileTagValues {
		t.Run(tc.in, func(t *testing.T) {
			if got := telemetry.TagValue(tc.in); got != tc.want {
				t.Errorf("telemetry.TagValue(%q) = %q, want %q", tc.in, got, tc.want)
			}
			checkTagRoundTrip(t, tc.in)
		})
	}
}

func FuzzTagValueRoundTrip(f *testing.F) {
	for _, tc := range hostileTagValues {
		f.Add(tc.in)
	}
	f.Add("")
	f.Add(`\`)
	f.Add("\\\\\\")
	f.Fuzz(checkTagRoundTrip)
}

// checkTagRoundTrip encodes a point whose hostname and another tag are v
// and decodes the line: the tags read back must be TagValue(v), which must
// be stable under TagValue and unchanged when v was already valid.
func checkTagRoundTrip(t *testing.T, v string) {
	want := telemetry.TagValue(v)
	if again := telemetry.TagValue(want); again != want {
		t.Fatalf("TagValue not idempotent: %q -> %q -> %q", v, want, again)
	}
	if telemetry.TagValueOK(v) && want != v {
		t.Fatalf("TagValue(%q) = %q, want it unchanged", v, want)
	}
	p := telemetry.Point{
		Measurement: telemetry.MeasApplianceMetadata,
		Tags:        telemetry.TagsOf(map[string]string{telemetry.TagApplianceID: "1.NE", telemetry.TagHostname: v, telemetry.TagInterfaceName: v}),
		Fields:      telemetry.FieldsOf(map[string]any{telemetry.FieldModel: "EC-XS"}),
		Time:        time.Unix(1736503200, 0),
	}
	line, err := AppendLine(nil, p)
	if err != nil {
		t.Fatalf("AppendLine with tag %q: %v", v, err)
	}
	dec := lineprotocol.NewDecoderWithBytes(line)
	if !dec.Next() {
		t.Fatalf("no line decoded from %q", line)
	}
	if _, err := dec.Measurement(); err != nil {
		t.Fatalf("decode %q: %v", line, err)
	}
	got := map[string]string{}
	for {
		k, val, err := dec.NextTag()
		if err != nil {
			t.Fatalf("decode tags of %q: %v", line, err)
		}
		if k == nil {
			break
		}
		got[string(k)] = string(val)
	}
	for _, k := range []string{telemetry.TagHostname, telemetry.TagInterfaceName} {
		if got[k] != want {
			t.Errorf("tag %s read back = %q, want %q (line %q)", k, got[k], want, line)
		}
	}
	if want == "" && strings.Contains(string(line), telemetry.TagHostname+"=") {
		t.Errorf("empty hostname written: %q", line)
	}
}
