package minutestats

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

func TestDecodePeak(t *testing.T) {
	tests := []struct {
		name   string
		word   uint64
		want   float32
		wantAt int64
		wantOK bool
	}{
		{"README example 2.0", 4611686020201835422, 2.0, 1774447518, true},
		{"README example 5436.0", 5019789552060197773, 5436.0, 1774447501, true},
		{"jitter peak 14.0", 4710765212003986317, 14.0, 1774447501, true},
		{"zero word is no peak", 0, 0, 0, false},
		{"zero value at a time is a zero peak", 0x00000000_69C3EB9E, 0, 1774447518, true},
		{"negative value", 0xC0000000_69C3EB9E, -2.0, 1774447518, true},
		{"invalid-counter marker is NaN", math.MaxUint64, 0, 0, false},
		{"infinity", 0x7F800000_69C3EB9E, 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, at, ok := DecodePeak(tc.word)
			var gotAt int64
			if !at.IsZero() {
				gotAt = at.Unix()
			}
			if v != tc.want || gotAt != tc.wantAt || ok != tc.wantOK {
				t.Errorf("DecodePeak(%d) = %v, %d, %v, want %v, %d, %v", tc.word, v, gotAt, ok, tc.want, tc.wantAt, tc.wantOK)
			}
			if ok && at.Location() != time.UTC {
				t.Errorf("DecodePeak(%d) time location = %v, want UTC", tc.word, at.Location())
			}
		})
	}
}

func TestDropReason(t *testing.T) {
	tests := []struct {
		code int64
		want string
	}{
		{8, "LAN Rx Queue Full"},
		{18, "LAN Tx Queue Full"},
		{19, "LAN Tx ZCI Queue Full"},
		{31, "WAN Rx Queue Full"},
		{53, "WAN Tx ZCI Queue Full"},
		{0, "Other"},
		{2, "Other"},
		{9, "Other"},
		{54, "Other"},
	}
	for _, tc := range tests {
		if got := dropReason(tc.code); got != tc.want {
			t.Errorf("dropReason(%d) = %q, want %q", tc.code, got, tc.want)
		}
	}
}

func TestAvailabilityPct(t *testing.T) {
	tests := []struct {
		down int64
		want float64
	}{
		{0, 100}, {6, 90}, {30, 50}, {60, 0}, {61, 0}, {math.MaxInt64, 0}, {-5, 100},
	}
	for _, tc := range tests {
		if got := availabilityPct(tc.down); got != tc.want {
			t.Errorf("availabilityPct(%d) = %v, want %v", tc.down, got, tc.want)
		}
	}
}

func TestParseDigits(t *testing.T) {
	tests := []struct {
		in        string
		want      int64
		wantCanon string
		wantSt    cellStatus
	}{
		{"0", 0, "0", cellOK},
		{"000", 0, "0", cellOK},
		{"0042", 42, "42", cellOK},
		{" 7\t", 7, "7", cellOK},
		{"9223372036854775807", math.MaxInt64, "9223372036854775807", cellOK},
		{"9223372036854775808", 0, "", cellBad},
		{"99999999999999999999", 0, "", cellBad},
		{sentinel, 0, "", cellSentinel},
		{" " + sentinel, 0, "", cellSentinel},
		{"", 0, "", cellBad},
		{"  ", 0, "", cellBad},
		{"-1", 0, "", cellBad},
		{"+1", 0, "", cellBad},
		{"1.5", 0, "", cellBad},
		{"1e3", 0, "", cellBad},
		{"0x10", 0, "", cellBad},
	}
	for _, tc := range tests {
		v, canon, st := parseDigits(tc.in)
		if v != tc.want || canon != tc.wantCanon || st != tc.wantSt {
			t.Errorf("parseDigits(%q) = %d, %q, %d, want %d, %q, %d", tc.in, v, canon, st, tc.want, tc.wantCanon, tc.wantSt)
		}
	}
}

func TestParseWord(t *testing.T) {
	tests := []struct {
		in     string
		want   uint64
		wantSt cellStatus
	}{
		{"4611686020201835422", 4611686020201835422, cellOK},
		{"18446744073709551614", math.MaxUint64 - 1, cellOK},
		{sentinel, 0, cellSentinel},
		{"18446744073709551616", 0, cellBad},
		{"0", 0, cellOK},
		{"", 0, cellBad},
		{"x", 0, cellBad},
	}
	for _, tc := range tests {
		if v, st := parseWord(tc.in); v != tc.want || st != tc.wantSt {
			t.Errorf("parseWord(%q) = %d, %d, want %d, %d", tc.in, v, st, tc.want, tc.wantSt)
		}
	}
}

func TestUnsafePath(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"st2-1/tunnel_v2.txt", ""},
		{"tunnel_v2.txt", ""},
		{"./st2-1/tunnel_v2.txt", ""},
		{"a..b/tunnel_v2.txt", ""},
		{"", "empty path"},
		{"/etc/tunnel_v2.txt", "absolute path"},
		{`\windows\tunnel_v2.txt`, "absolute path"},
		{`C:\tunnel_v2.txt`, "absolute path"},
		{"../tunnel_v2.txt", `path contains ".."`},
		{"st2-1/../../tunnel_v2.txt", `path contains ".."`},
		{`st2-1\..\tunnel_v2.txt`, `path contains ".."`},
		{"st2-1/tunnel_v2.txt\x00", "path contains a NUL byte"},
	}
	for _, tc := range tests {
		if got := unsafePath(tc.in); got != tc.want {
			t.Errorf("unsafePath(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestProbeSettings(t *testing.T) {
	tests := []struct {
		in           string
		wantType     string
		wantInterval string
		wantHas      bool
	}{
		{"type=ip-monitor;tunnel-name=;src-port-label=2,proxyAddress=;sample-int=300;metric-combination=or", "ip-monitor", "300", true},
		{"sample-int=60,type=http", "http", "60", true},
		{"ka=1", "", "", false},
		{"", "", "", false},
		{"type=a;type=b;sample-int=1;sample-int=2", "a", "1", true},
		{"mytype=x;not-sample-int=5", "", "", false},
		{"type=;sample-int=", "", "", true},
	}
	for _, tc := range tests {
		typ, interval, has := probeSettings(tc.in)
		if typ != tc.wantType || interval != tc.wantInterval || has != tc.wantHas {
			t.Errorf("probeSettings(%q) = %q, %q, %v, want %q, %q, %v", tc.in, typ, interval, has, tc.wantType, tc.wantInterval, tc.wantHas)
		}
	}
}

// parseOne parses body as the member base with lookups l.
func parseOne(t *testing.T, base, body string, l Lookups) *Result {
	t.Helper()
	p, err := newParser(testOptions(l))
	if err != nil {
		t.Fatal(err)
	}
	p.parseMember("st2-1/"+base, body)
	p.finish()
	return p.res
}

func TestLabelResolution(t *testing.T) {
	line := func(iface, label string) string {
		return fmt.Sprintf("3.NE,%s,%s,4,1,1,1,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1736503200\n", iface, label)
	}
	both := Lookups{
		WANLabels: map[string]string{"1": "MPLS1", "7": "WAN-7", "8": "bad\\"},
		LANLabels: map[string]string{"5": "Data", "7": "LAN-7"},
	}
	tests := []struct {
		name, iface, label, want, wantIssue string
	}{
		{"zero is None", "wan0", "0", "None", ""},
		{"zero with leading zeros", "wan0", "00", "None", ""},
		{"WAN only", "wan0", "1", "MPLS1", ""},
		{"LAN only, even on a wan interface", "wan0", "5", "Data", ""},
		{"in both maps, lan interface", "lan1", "7", "LAN-7", ""},
		{"in both maps, LAN in capitals", "LAN1", "7", "LAN-7", ""},
		{"in both maps, wan interface", "wan1", "7", "WAN-7", ""},
		{"in both maps, other interface", "blan0", "7", "WAN-7", ""},
		{"unknown id", "wan0", "3", "unknown_3", "column 2: unknown interface label id 3, tagged unknown_3"},
		{"name line protocol cannot carry", "wan0", "8", "bad\uFFFD", `column 2: interface label id 8 has a name line protocol cannot carry ("bad\\"), written as "bad�"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := parseOne(t, FileInterface, line(tc.iface, tc.label), both)
			if len(res.Points) != 1 {
				t.Fatalf("got %d points, want 1; issues %v", len(res.Points), res.Issues)
			}
			if got := res.Points[0].Tags.Get(telemetry.TagInterfaceLabel); got != tc.want {
				t.Errorf("interface_label = %q, want %q", got, tc.want)
			}
			var gotIssue string
			if len(res.Issues) > 0 {
				gotIssue = res.Issues[0].Reason
			}
			if gotIssue != tc.wantIssue {
				t.Errorf("issue = %q, want %q", gotIssue, tc.wantIssue)
			}
		})
	}
}

func TestMergeTunnelRows(t *testing.T) {
	row := func(bytes, avg, minLat, mos, jitter int, flag string) string {
		c := make([]string, 72)
		for i := range c {
			c[i] = "0"
		}
		c[0], c[1], c[2], c[3], c[4], c[5] = "3.NE", "tunnel_1", "to_HQ", "0", flag, "ab"
		c[6] = fmt.Sprint(bytes)
		c[14], c[15] = fmt.Sprint(avg), fmt.Sprint(minLat)
		c[65], c[66] = fmt.Sprint(mos), fmt.Sprint(mos)
		c[69] = fmt.Sprint(jitter)
		c[36] = fmt.Sprint(uint64(math.Float32bits(float32(bytes)))<<32 | 1736503190)
		c[71] = "1736503200"
		return strings.Join(c, ",") + "\n"
	}
	res := parseOne(t, FileTunnel, row(100, 50, 40, 440, 3, "0")+row(11, 70, 20, 400, 9, "1"), Lookups{})
	if len(res.Points) != 2 {
		t.Fatalf("got %d points, want 2 (tunnel_stats, tunnel_peak_stats)", len(res.Points))
	}
	want := map[string]any{
		telemetry.FieldBytesWanTx:      int64(111), // counters add up
		telemetry.FieldAverageLatency:  int64(70),  // worst case
		telemetry.FieldMinLatency:      int64(20),
		telemetry.FieldPostFECMOSScore: int64(400),
		telemetry.FieldPreFECMOSScore:  int64(400),
		telemetry.FieldJitterMs:        int64(9),
		telemetry.FieldSDWANTunnel:     false, // first row wins
	}
	if diff := cmp.Diff(want, subset(res.Points[0], want)); diff != "" {
		t.Errorf("merged tunnel_stats mismatch (-want +got):\n%s", diff)
	}
	if got := res.Points[1].Fields.Get(telemetry.FieldPeakBytesWanTx); got != 100.0 {
		t.Errorf("merged peak_bytes_wan_tx = %v, want 100 (the larger peak)", got)
	}
	if f := res.Files[0]; f.Points != 2 || f.Merged != 2 || f.Lines != 2 || f.Skipped != 0 {
		t.Errorf("summary = %+v, want 2 points, 2 merged, 2 lines, 0 skipped", f)
	}
}

// TestMergeAddingAFieldLeavesOtherPointsAlone merges a field into a point
// whose fields were cut from the parser's storage right before the next
// point's: the merge must copy them, not write over the neighbour.
func TestMergeAddingAFieldLeavesOtherPointsAlone(t *testing.T) {
	row := func(tunnel, flag string, bytes int) string {
		c := make([]string, 72)
		for i := range c {
			c[i] = "0"
		}
		c[0], c[1], c[2], c[3], c[4], c[5] = "3.NE", tunnel, "alias_"+tunnel, "0", flag, "ab"
		c[6] = fmt.Sprint(bytes)
		c[71] = "1736503200"
		return strings.Join(c, ",") + "\n"
	}
	body := row("tunnel_1", sentinel, 5) + row("tunnel_2", "0", 7) + row("tunnel_1", "1", 6)
	res := parseOne(t, FileTunnel, body, Lookups{})
	if len(res.Points) != 2 {
		t.Fatalf("got %d points, want 2 tunnel_stats", len(res.Points))
	}
	first, second := res.Points[0], res.Points[1]
	if got := first.Fields.Get(telemetry.FieldSDWANTunnel); got != true {
		t.Errorf("tunnel_1 %s = %v, want true from the merged row", telemetry.FieldSDWANTunnel, got)
	}
	if got := first.Fields.Get(telemetry.FieldBytesWanTx); got != int64(11) {
		t.Errorf("tunnel_1 %s = %v, want 11", telemetry.FieldBytesWanTx, got)
	}
	if got := second.Tags.Get(telemetry.TagTunnelID); got != "tunnel_2" {
		t.Fatalf("second point is %q, want tunnel_2", got)
	}
	if len(second.Fields) != len(tunnelInts)+1 || second.Fields[0].Key != slices.MinFunc(second.Fields, func(a, b telemetry.Field) int { return strings.Compare(a.Key, b.Key) }).Key {
		t.Errorf("tunnel_2 has %d fields starting with %q, want %d in key order", len(second.Fields), second.Fields[0].Key, len(tunnelInts)+1)
	}
	if got := second.Fields.Get(telemetry.FieldSDWANTunnel); got != false {
		t.Errorf("tunnel_2 %s = %v, want false (its own row)", telemetry.FieldSDWANTunnel, got)
	}
	if got := second.Fields.Get(telemetry.FieldBytesWanTx); got != int64(7) {
		t.Errorf("tunnel_2 %s = %v, want 7", telemetry.FieldBytesWanTx, got)
	}
}

// TestPointsComeInKeyOrder checks that parsed points carry their fields in
// key order, which lets the line encoder skip sorting them.
func TestPointsComeInKeyOrder(t *testing.T) {
	cases, err := filepath.Glob("testdata/cases/*")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no cases under testdata/cases: %v", err)
	}
	n := 0
	for _, dir := range cases {
		res, err := ParseDir(dir, testOptions(readLookups(t, dir)))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range res.Points {
			n++
			if !slices.IsSortedFunc(p.Fields, func(a, b telemetry.Field) int { return strings.Compare(a.Key, b.Key) }) {
				t.Errorf("%s: %s fields not in key order: %v", dir, p.Measurement, p.Fields)
			}
		}
	}
	if n < 20 {
		t.Errorf("only %d points checked", n)
	}
}

func TestMergeOverflowSaturates(t *testing.T) {
	body := "3.NE,31,9223372036854775807,1736503200\n3.NE,31,5,1736503200\n"
	res := parseOne(t, FileDrops, body, Lookups{})
	if len(res.Points) != 1 {
		t.Fatalf("got %d points, want 1", len(res.Points))
	}
	if got := res.Points[0].Fields.Get(telemetry.FieldDropCount); got != int64(math.MaxInt64) {
		t.Errorf("drop_count = %v, want %d", got, int64(math.MaxInt64))
	}
	want := []Issue{{File: "st2-1/drops_v2.txt", Line: 2, Reason: "sum of merged drop_count overflows int64, capped"}}
	if diff := cmp.Diff(want, res.Issues); diff != "" {
		t.Errorf("issues mismatch (-want +got):\n%s", diff)
	}
}

func TestIssuesAreCapped(t *testing.T) {
	body := strings.Repeat("3.NE,x,1,1736503200\n", MaxIssues+50) + "3.NE,8,1,1736503200"
	res := parseOne(t, FileDrops, body, Lookups{})
	if len(res.Issues) != MaxIssues || res.IssueCount != MaxIssues+50 {
		t.Errorf("len(Issues), IssueCount = %d, %d, want %d, %d", len(res.Issues), res.IssueCount, MaxIssues, MaxIssues+50)
	}
	if len(res.Points) != 1 || res.Files[0].Skipped != MaxIssues+50 || res.Files[0].Lines != MaxIssues+51 {
		t.Errorf("points, skipped, lines = %d, %d, %d, want 1, %d, %d", len(res.Points), res.Files[0].Skipped, res.Files[0].Lines, MaxIssues+50, MaxIssues+51)
	}
}

func TestLineEndings(t *testing.T) {
	want := "boost_stats,appliance_id=3.NE,hostname=BRANCH-EC-07 boost_bytes=2i,boost_configured_kbps=1i,seconds_not_boosted_in_minute=3i 1736503200\n"
	for name, body := range map[string]string{
		"LF":                 "3.NE,1,2,3,0,1736503200\n",
		"CRLF":               "3.NE,1,2,3,0,1736503200\r\n",
		"no final newline":   "3.NE,1,2,3,0,1736503200",
		"CR at end, no LF":   "3.NE,1,2,3,0,1736503200\r",
		"blanks around time": "3.NE,1,2,3,0, 1736503200 \r\n",
	} {
		res := parseOne(t, FileBoost, body, Lookups{})
		if got := lineProtocol(t, res.Points); got != want || res.IssueCount != 0 {
			t.Errorf("%s: got %q with %d issues, want %q and none", name, got, res.IssueCount, want)
		}
	}
}

func TestTimestampsAreUTC(t *testing.T) {
	res := parseOne(t, FileBoost, "3.NE,1,2,3,0,1736503200\n", Lookups{})
	if len(res.Points) != 1 {
		t.Fatalf("got %d points, want 1", len(res.Points))
	}
	got := res.Points[0].Time
	if want := time.Date(2025, 1, 10, 10, 0, 0, 0, time.UTC); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("time = %v, want %v", got, want)
	}
}
