package minutestats

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// findPoint returns the point of measurement meas whose tags include want.
func findPoint(t *testing.T, points []telemetry.Point, meas string, want map[string]string) telemetry.Point {
	t.Helper()
	var found []telemetry.Point
next:
	for _, p := range points {
		if p.Measurement != meas {
			continue
		}
		for k, v := range want {
			if p.Tags.Get(k) != v {
				continue next
			}
		}
		found = append(found, p)
	}
	if len(found) != 1 {
		t.Fatalf("%s points with tags %v: found %d, want 1", meas, want, len(found))
	}
	return found[0]
}

// subset returns the fields of p named in want.
func subset(p telemetry.Point, want map[string]any) map[string]any {
	got := make(map[string]any, len(want))
	for k := range want {
		if v, ok := p.Fields.Lookup(k); ok {
			got[k] = v
		}
	}
	return got
}

func TestRealCaptures(t *testing.T) {
	root := realCaptures(t)
	type check struct {
		meas   string
		tags   map[string]string
		fields map[string]any
	}
	tests := []struct {
		folder string
		minute int64
		files  map[string][3]int // name -> lines, points, skipped
		checks []check
	}{
		{
			folder: "st2-100000000",
			minute: 1774447560,
			files: map[string][3]int{
				FileProbe: {12, 12, 0}, FileTunnelAvail: {31, 31, 0},
				FileTunnel: {33, 33 + 23, 0}, // 33 tunnel_stats, 23 rows with a peak
			},
			checks: []check{
				{telemetry.MeasTunnelStats, map[string]string{telemetry.TagTunnelID: "bondedTunnel_15", telemetry.TagTunnelAlias: "to_NewYorkSP01_BulkApps", telemetry.TagOverlay: "BulkApps"}, map[string]any{
					telemetry.FieldSDWANTunnel: false, telemetry.FieldAverageLatency: int64(142), telemetry.FieldMinLatency: int64(142),
					telemetry.FieldPostFECMOSScore: int64(400), telemetry.FieldPreFECMOSScore: int64(400), telemetry.FieldJitterMs: int64(1400),
					telemetry.FieldBytesWanTx: int64(0),
				}},
				{telemetry.MeasTunnelStats, map[string]string{telemetry.TagTunnelID: "tunnel_18", telemetry.TagOverlay: "underlay"}, map[string]any{
					telemetry.FieldAverageLatency: int64(63), telemetry.FieldMinLatency: int64(53), telemetry.FieldJitterMs: int64(600),
					telemetry.FieldOverheadWanRxPackets: int64(12), telemetry.FieldOverheadWanTxPackets: int64(12),
					telemetry.FieldOverheadWanRxBytes: int64(4224), telemetry.FieldOverheadWanTxBytes: int64(4224),
				}},
				{telemetry.MeasTunnelStats, map[string]string{telemetry.TagTunnelID: "all traffic", telemetry.TagTunnelAlias: "all traffic"}, map[string]any{
					telemetry.FieldSDWANTunnel: true,
					telemetry.FieldBytesWanTx:  int64(37852), telemetry.FieldBytesWanRx: int64(42226), telemetry.FieldBytesLanTx: int64(42226), telemetry.FieldBytesLanRx: int64(37852),
					telemetry.FieldPacketsWanTx: int64(181), telemetry.FieldPacketsWanRx: int64(183), telemetry.FieldNonTCPFlowCount: int64(6),
					telemetry.FieldOverheadWanRxPackets: int64(78), telemetry.FieldOverheadWanTxBytes: int64(25904),
				}},
				{telemetry.MeasTunnelStats, map[string]string{telemetry.TagTunnelID: "passThrough_6", telemetry.TagOverlay: "CriticalApps"}, map[string]any{
					telemetry.FieldSDWANTunnel: true, telemetry.FieldBytesWanTx: int64(188), telemetry.FieldBytesWanRx: int64(416),
					telemetry.FieldFlowsCreatedTunnel: int64(2), telemetry.FieldFlowsDeletedTunnel: int64(12),
				}},
				// Packed peaks: 4611686020201835422 holds float32 2.0 in its upper 32 bits.
				{telemetry.MeasTunnelPeakStats, map[string]string{telemetry.TagTunnelID: "optimized traffic"}, map[string]any{
					telemetry.FieldPeakPacketsWanTx: 2.0, telemetry.FieldPeakPacketsWanRx: 2.0, telemetry.FieldPeakPacketsLanTx: 2.0, telemetry.FieldPeakPacketsLanRx: 2.0,
					telemetry.FieldPeakLatency: 153.0, telemetry.FieldPeakJitter: 14.0,
				}},
				{telemetry.MeasTunnelPeakStats, map[string]string{telemetry.TagTunnelID: "bondedTunnel_15"}, map[string]any{
					telemetry.FieldPeakLatency: 142.0, telemetry.FieldPeakJitter: 14.0,
				}},
				{telemetry.MeasTunnelAvailability, map[string]string{telemetry.TagTunnelID: "tunnel_12"}, map[string]any{
					telemetry.FieldDownSeconds: int64(0), telemetry.FieldAvailabilityPct: 100.0,
				}},
				{telemetry.MeasProbeStats, map[string]string{telemetry.TagProbeName: "om_passThrough_6", telemetry.TagProbeTarget: "sp-ipsla.silverpeak.cloud", telemetry.TagProbeType: "ip-monitor"}, map[string]any{
					telemetry.FieldProbeSampleSeconds: int64(300), "raw_01": int64(3717), "raw_02": int64(3064), "raw_07": int64(59), "raw_08": int64(59), "raw_16": int64(0),
				}},
			},
		},
		{
			folder: "st2-100000060",
			minute: 1772622540,
			files: map[string][3]int{
				FileProbe: {12, 12, 0}, FileTunnelAvail: {31, 31, 0},
			},
			checks: []check{
				{telemetry.MeasTunnelStats, map[string]string{telemetry.TagTunnelID: "all traffic"}, map[string]any{
					telemetry.FieldBytesWanTx: int64(38796), telemetry.FieldBytesWanRx: int64(42456),
					telemetry.FieldOverheadWanRxPackets: int64(106), telemetry.FieldOverheadWanTxPackets: int64(96),
					telemetry.FieldOverheadWanRxBytes: int64(29024), telemetry.FieldOverheadWanTxBytes: int64(28032),
				}},
				{telemetry.MeasTunnelStats, map[string]string{telemetry.TagTunnelID: "bondedTunnel_15", telemetry.TagOverlay: "BulkApps"}, map[string]any{
					telemetry.FieldAverageLatency: int64(138), telemetry.FieldJitterMs: int64(0), telemetry.FieldOverheadWanRxBytes: int64(224),
				}},
				{telemetry.MeasTunnelAvailability, map[string]string{telemetry.TagTunnelID: "bondedTunnel_15", telemetry.TagOverlay: "BulkApps", telemetry.TagInterfaceLabel: "none", telemetry.TagTunnelAlias: "to_NewYorkSP01_BulkApps"}, map[string]any{
					telemetry.FieldDownSeconds: int64(0), telemetry.FieldAvailabilityPct: 100.0,
				}},
				{telemetry.MeasTunnelAvailability, map[string]string{telemetry.TagTunnelID: "passThrough_1", telemetry.TagInterfaceLabel: "Data"}, map[string]any{
					telemetry.FieldDownSeconds: int64(0),
				}},
				{telemetry.MeasProbeStats, map[string]string{telemetry.TagProbeName: "om_passThrough_6", telemetry.TagProbeTarget: "8.8.8.8"}, map[string]any{
					telemetry.FieldProbeSampleSeconds: int64(300), "raw_01": int64(2071), "raw_02": int64(1970), "raw_07": int64(60),
				}},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.folder, func(t *testing.T) {
			dir := filepath.Join(root, tc.folder)
			opt := testOptions(realLookups)
			res, err := ParseDir(dir, opt)
			if err != nil {
				t.Fatalf("ParseDir error = %v, want nil", err)
			}
			if res.IssueCount != 0 {
				t.Errorf("IssueCount = %d, want 0; issues: %v", res.IssueCount, res.Issues)
			}
			wantMissing := []string{FileInterface, FileFlow, FileBoost, FileDrops, FileInterfaceOverlay, FileTrafficClass, FileShaper}
			if diff := cmp.Diff(wantMissing, res.Missing); diff != "" {
				t.Errorf("Missing mismatch (-want +got):\n%s", diff)
			}
			for _, f := range res.Files {
				want, ok := tc.files[f.Name]
				if !ok {
					continue
				}
				if got := [3]int{f.Lines, f.Points, f.Skipped}; got != want {
					t.Errorf("%s lines, points, skipped = %v, want %v", f.Name, got, want)
				}
			}
			minute := time.Unix(tc.minute, 0).UTC()
			for _, p := range res.Points {
				if !p.Time.Equal(minute) {
					t.Errorf("%s %v time = %v, want %v", p.Measurement, p.Tags.Map(), p.Time, minute)
				}
			}
			for _, c := range tc.checks {
				p := findPoint(t, res.Points, c.meas, c.tags)
				if diff := cmp.Diff(c.fields, subset(p, c.fields)); diff != "" {
					t.Errorf("%s %v fields mismatch (-want +got):\n%s", c.meas, c.tags, diff)
				}
			}
			lp := lineProtocol(t, res.Points) // validates every point

			tgz := makeTGZ(t, dirEntries(t, dir, tc.folder+"/")...)
			ares, err := ParseArchive(bytes.NewReader(tgz), opt)
			if err != nil {
				t.Fatalf("ParseArchive error = %v, want nil", err)
			}
			if diff := cmp.Diff(lp, lineProtocol(t, ares.Points)); diff != "" {
				t.Errorf("archive and folder differ (-dir +archive):\n%s", diff)
			}
		})
	}
}

// csvRows reads a header CSV of the captures into rows keyed by the first
// column; sep is "," or ", ".
func csvRows(t *testing.T, name, sep string) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	rows := map[string][]string{}
	for i, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if i == 0 {
			continue
		}
		cols := strings.Split(line, sep)
		rows[cols[0]] = cols
	}
	return rows
}

// TestRealPeaksMatchCSV proves DecodePeak: every packed word of tunnel_v2.txt
// columns 36-44 and 70 must decode to the value and time that
// tunnel_peak.csv and jitter.csv give for the same tunnel, and the
// tunnel_peak_stats points must carry those values.
func TestRealPeaksMatchCSV(t *testing.T) {
	root := realCaptures(t)
	for _, folder := range []string{"st2-100000000", "st2-100000060"} {
		t.Run(folder, func(t *testing.T) {
			dir := filepath.Join(root, folder)
			peaks := csvRows(t, filepath.Join(dir, "tunnel_peak.csv"), ",")
			jitter := csvRows(t, filepath.Join(dir, "jitter.csv"), ", ")
			res, err := ParseDir(dir, testOptions(realLookups))
			if err != nil {
				t.Fatalf("ParseDir error = %v", err)
			}
			b, err := os.ReadFile(filepath.Join(dir, FileTunnel))
			if err != nil {
				t.Fatal(err)
			}
			type ref struct {
				col      int
				field    string
				row      map[string][]string
				valueCol int // ts is valueCol+1
			}
			var refs []ref
			for i := range 8 {
				refs = append(refs, ref{36 + i, tunnelPeaks[i].name, peaks, 1 + 2*i})
			}
			refs = append(refs,
				ref{44, telemetry.FieldPeakLatency, peaks, 25}, // latency_s, latency_s_ts
				ref{70, telemetry.FieldPeakJitter, jitter, 2},  // peak_jitter, timestamp
			)
			checked, nonZero := 0, 0
			for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
				cols := strings.Split(line, ",")
				tunnel := cols[1]
				var point *telemetry.Point
				for i := range res.Points {
					if p := &res.Points[i]; p.Measurement == telemetry.MeasTunnelPeakStats && p.Tags.Get(telemetry.TagTunnelID) == tunnel {
						point = p
					}
				}
				for _, r := range refs {
					csv, ok := r.row[tunnel]
					if !ok {
						continue
					}
					word, err := strconv.ParseUint(cols[r.col], 10, 64)
					if err != nil {
						t.Fatalf("%s column %d: %v", tunnel, r.col, err)
					}
					wantV, _ := strconv.ParseFloat(csv[r.valueCol], 64)
					wantTS, _ := strconv.ParseInt(csv[r.valueCol+1], 10, 64)
					v, at, ok := DecodePeak(word)
					checked++
					if word == 0 {
						if ok || wantV != 0 || wantTS != 0 {
							t.Errorf("%s %s: word 0 gives ok=%v; csv has %v at %d, want 0 at 0", tunnel, r.field, ok, wantV, wantTS)
						}
						continue
					}
					nonZero++
					if !ok || float64(v) != wantV || at.Unix() != wantTS {
						t.Errorf("DecodePeak(%d) [%s %s] = %v at %d (ok=%v), want %v at %d", word, tunnel, r.field, v, at.Unix(), ok, wantV, wantTS)
					}
					if point == nil || point.Fields.Get(r.field) != wantV {
						t.Errorf("%s %s point field = %v, want %v", tunnel, r.field, fieldOf(point, r.field), wantV)
					}
				}
			}
			if checked < 300 || nonZero < 30 {
				t.Errorf("checked %d peak words (%d non-zero), want at least 300 (30)", checked, nonZero)
			}
		})
	}
}

func fieldOf(p *telemetry.Point, k string) any {
	if p == nil {
		return nil
	}
	return p.Fields.Get(k)
}
