package simulator

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// identity is a point's measurement and tag set, as InfluxDB keys it.
func identity(meas string, tags map[string]string) string {
	keys := slices.Sorted(mapsKeys(tags))
	var b strings.Builder
	b.WriteString(meas)
	for _, k := range keys {
		fmt.Fprintf(&b, ",%s=%s", k, tags[k])
	}
	return b.String()
}

// indexPoints checks that every point is valid, carries the minute as time
// and has a unique identity, and indexes them by identity.
func indexPoints(t *testing.T, pts []telemetry.Point, m int64) map[string]telemetry.Point {
	t.Helper()
	out := map[string]telemetry.Point{}
	for _, p := range pts {
		if err := telemetry.Validate(p); err != nil {
			t.Errorf("Validate(%s) = %v", identity(p.Measurement, p.Tags.Map()), err)
		}
		if !p.Time.Equal(time.Unix(m, 0)) {
			t.Errorf("%s time %v, want %d", identity(p.Measurement, p.Tags.Map()), p.Time, m)
		}
		id := identity(p.Measurement, p.Tags.Map())
		if _, dup := out[id]; dup {
			t.Errorf("two points share the identity %s", id)
		}
		out[id] = p
	}
	return out
}

// The test's own decoding tables (the demo's), written independently of
// expected.go.
var (
	tLabels   = map[string]string{"0": "None", "1": "MPLS1", "2": "INET1", "3": "LTE", "5": "Data", "6": "Voice"}
	tOverlays = map[string]string{"0": "underlay", "1": "RealTime", "2": "CriticalApps", "3": "BulkApps", "4": "DefaultOverlay"}
	tTraffic  = map[string]string{"1": "optimized_traffic", "2": "passthrough_shaped", "3": "passthrough_unshaped", "4": "all_traffic"}
	tDrops    = map[string]string{"8": "LAN Rx Queue Full", "18": "LAN Tx Queue Full", "19": "LAN Tx ZCI Queue Full",
		"31": "WAN Rx Queue Full", "53": "WAN Tx ZCI Queue Full"}
	tClasses = map[string]string{"1": "RealTime", "2": "Interactive", "3": "Default", "4": "BestEffort", "5": "5",
		"6": "6", "7": "7", "8": "8", "9": "9", "10": "10"}
)

func TestExpectedMinutePointsAgreeWithArchive(t *testing.T) {
	s := startSim(t, Config{Appliances: 20, Seed: 9})
	sawMarker := false
	for _, info := range s.Appliances() {
		for _, m := range []int64{testNewest, testNewest - 660} {
			name := fmt.Sprintf("%s st2-%d", info.ID, m)
			pts, err := s.ExpectedMinutePoints(info.ID, m)
			if err != nil {
				t.Fatal(err)
			}
			idx := indexPoints(t, pts, m)
			data, err := s.Archive(info.ID, m)
			if err != nil {
				t.Fatal(err)
			}
			files := readArchive(t, data, m)
			common := func(tags map[string]string) map[string]string {
				tags["appliance_id"], tags["hostname"] = info.ID, info.Hostname
				return tags
			}
			count := map[string]int{}
			for _, p := range pts {
				count[p.Measurement]++
			}
			want := map[string]int{}
			check := func(meas string, tags map[string]string, field string, v any) {
				t.Helper()
				id := identity(meas, common(tags))
				p, ok := idx[id]
				if !ok {
					t.Errorf("%s: no expected point %s", name, id)
					return
				}
				if v == nil {
					if got, present := p.Fields.Lookup(field); present {
						t.Errorf("%s: %s %s = %v, want absent (invalid-counter marker)", name, id, field, got)
					}
					return
				}
				if got := p.Fields.Get(field); got != v {
					t.Errorf("%s: %s %s = %v (%T), archive says %v (%T)", name, id, field, got, got, v, v)
				}
			}
			split := func(f string) [][]string {
				var out [][]string
				for _, ln := range lines(t, f, files[f]) {
					out = append(out, strings.Split(ln, ","))
				}
				return out
			}
			n64 := func(s string) int64 { return int64(num(t, s)) }

			for _, c := range split("interface_v2.txt") {
				want[telemetry.MeasInterfaceStats]++
				tags := map[string]string{"interface_name": c[1], "interface_label": tLabels[c[2]], "traffic_type": tTraffic[c[3]]}
				check(telemetry.MeasInterfaceStats, tags, "bytes_tx", n64(c[4]))
				if c[14] == maxU64 {
					check(telemetry.MeasInterfaceStats, tags, "firewall_packets_tx", nil)
				} else {
					check(telemetry.MeasInterfaceStats, tags, "firewall_packets_tx", n64(c[14]))
				}
				check(telemetry.MeasInterfaceStats, tags, "max_bandwidth_rx", n64(c[17]))
				if c[14] == maxU64 {
					sawMarker = true
				}
			}
			for _, c := range split("tunnel_v2.txt") {
				want[telemetry.MeasTunnelStats]++
				tags := func() map[string]string {
					return map[string]string{"tunnel_id": c[1], "tunnel_alias": c[2], "overlay": tOverlays[c[3]]}
				}
				check(telemetry.MeasTunnelStats, tags(), "sdwan_tunnel", c[4] != "0")
				check(telemetry.MeasTunnelStats, tags(), "bytes_wan_tx", n64(c[6]))
				check(telemetry.MeasTunnelStats, tags(), "average_latency", n64(c[14]))
				check(telemetry.MeasTunnelStats, tags(), "Loss_Pct_pre-FEC", n64(c[23]))
				check(telemetry.MeasTunnelStats, tags(), "Post_FEC_MOS_Score_(*100)", n64(c[65]))
				check(telemetry.MeasTunnelStats, tags(), "Jitter_(ms)", n64(c[69]))
				peaks := 0
				for k, f := range []string{"peak_bytes_wan_tx", "peak_bytes_wan_rx", "peak_bytes_lan_tx", "peak_bytes_lan_rx",
					"peak_packets_wan_tx", "peak_packets_wan_rx", "peak_packets_lan_tx", "peak_packets_lan_rx", "peak_latency"} {
					if c[36+k] != "0" {
						v, _ := decodePeak(t, c[36+k])
						check(telemetry.MeasTunnelPeakStats, tags(), f, v)
						peaks++
					}
				}
				if c[70] != "0" {
					v, _ := decodePeak(t, c[70])
					check(telemetry.MeasTunnelPeakStats, tags(), "peak_jitter", v)
					peaks++
				}
				if p, ok := idx[identity(telemetry.MeasTunnelPeakStats, common(tags()))]; ok && len(p.Fields) != peaks {
					t.Errorf("%s: tunnel_peak_stats %s has %d fields, archive has %d non-zero words", name, c[1], len(p.Fields), peaks)
				}
				if peaks > 0 {
					want[telemetry.MeasTunnelPeakStats]++
				}
			}
			for _, c := range split("tunnel_availability_v2.txt") {
				want[telemetry.MeasTunnelAvailability]++
				tags := map[string]string{"tunnel_id": c[1], "tunnel_alias": c[2], "overlay": tOverlays[c[3]], "interface_label": c[12]}
				down := n64(c[8])
				check(telemetry.MeasTunnelAvailability, tags, "down_seconds", down)
				check(telemetry.MeasTunnelAvailability, tags, "availability_pct", float64(60-down)/60*100)
			}
			drops := map[string]int64{}
			for _, c := range split("drops_v2.txt") {
				reason, ok := tDrops[c[1]]
				if !ok {
					reason = "Other"
				}
				drops[reason] += n64(c[2])
			}
			for reason, n := range drops {
				want[telemetry.MeasDropStats]++
				check(telemetry.MeasDropStats, map[string]string{"drop_reason": reason}, "drop_count", n)
			}
			for _, c := range split("tclass_v2.txt") {
				want[telemetry.MeasTrafficClassStats]++
				tags := func() map[string]string {
					return map[string]string{"traffic_class": c[1], "traffic_type": tTraffic[c[2]]}
				}
				check(telemetry.MeasTrafficClassStats, tags(), "traffic_class_name", tClasses[c[1]])
				check(telemetry.MeasTrafficClassStats, tags(), "bytes_wan_rx", n64(c[4]))
			}
			for _, c := range split("shaper_v2.txt") {
				want[telemetry.MeasShaperStats]++
				dir := map[string]string{"0": "outbound", "1": "inbound"}[c[2]]
				check(telemetry.MeasShaperStats, map[string]string{"traffic_class": c[1], "shaper_direction": dir},
					"shaper_dropped_expired_packets", n64(c[8]))
			}
			for _, c := range split("flow_v2.txt") {
				want[telemetry.MeasFlowStats]++
				ft := map[string]string{"1": "TCP Accelerated", "2": "TCP Non-Accelerated", "3": "Non-TCP"}[c[1]]
				check(telemetry.MeasFlowStats, map[string]string{"flow_type": ft, "traffic_type": tTraffic[c[2]]}, "flows_exist", n64(c[5]))
			}
			for _, c := range split("interface_overlay_v2.txt") {
				want[telemetry.MeasInterfaceOverlayStats]++
				check(telemetry.MeasInterfaceOverlayStats, map[string]string{"interface_name": c[1],
					"interface_label": tLabels[c[2]], "overlay": tOverlays[c[3]], "tunnel_type": c[4]}, "bytes_rx", n64(c[6]))
			}
			for _, c := range split("boost_v2.txt") {
				want[telemetry.MeasBoostStats]++
				check(telemetry.MeasBoostStats, map[string]string{}, "boost_configured_kbps", n64(c[1]))
			}
			for _, c := range split("probe_v2.txt") {
				want[telemetry.MeasProbeStats]++
				settings := c[4] + "," + c[5] // rejoin the unescaped comma
				kv := map[string]string{}
				for _, part := range strings.FieldsFunc(settings, func(r rune) bool { return r == ';' || r == ',' }) {
					k, v, _ := strings.Cut(part, "=")
					kv[k] = v
				}
				tags := func() map[string]string {
					return map[string]string{"probe_name": c[2], "probe_target": c[3], "probe_type": kv["type"]}
				}
				si, _ := strconv.ParseInt(kv["sample-int"], 10, 64)
				check(telemetry.MeasProbeStats, tags(), "sample_interval_seconds", si)
				check(telemetry.MeasProbeStats, tags(), "raw_01", n64(c[6]))
				check(telemetry.MeasProbeStats, tags(), "raw_07", n64(c[12]))
				check(telemetry.MeasProbeStats, tags(), "raw_16", n64(c[21]))
			}
			for meas, n := range want {
				if count[meas] != n {
					t.Errorf("%s: %d %s points, archive gives %d", name, count[meas], meas, n)
				}
			}
			if len(count) != len(want) {
				t.Errorf("%s: measurements %v, archive gives %v", name, slices.Sorted(mapsKeys(count)), slices.Sorted(mapsKeys(want)))
			}
		}
	}
	if !sawMarker {
		t.Log("no invalid-counter marker in a read column in these minutes")
	}
}

// TestMinuteDynamics walks 24 hours of one appliance and checks that the
// generated minutes behave like a network: tunnels go down and up, a fully
// down tunnel carries nothing, flows evolve, traffic follows a daily curve
// and drop rows exercise the Other merge.
func TestMinuteDynamics(t *testing.T) {
	s, err := New(Config{Appliances: 12, Seed: 21, Now: newClock(testNow).Now})
	if err != nil {
		t.Fatal(err)
	}
	var fullDown, partialDown, otherMerged, named8or18 int
	flows := map[int64]bool{}
	var minTraffic, maxTraffic int64 = math.MaxInt64, 0
	for _, id := range []string{"1.NE", "2.NE"} {
		for m := testNewest - 86400 + 60; m <= testNewest; m += 120 {
			// The same model ExpectedMinutePoints maps; the drops are
			// inspected before the merge.
			d := s.fleet.generate(s.byID[id].def, m)
			pts := d.points()
			bytesOf := map[string]int64{}
			var traffic int64
			for _, p := range pts {
				switch p.Measurement {
				case telemetry.MeasTunnelStats:
					bytesOf[p.Tags.Get("tunnel_id")] = p.Fields.Get("bytes_wan_tx").(int64) + p.Fields.Get("bytes_lan_rx").(int64)
				case telemetry.MeasInterfaceStats:
					if p.Tags.Get("traffic_type") == "all_traffic" && strings.HasPrefix(p.Tags.Get("interface_name"), "lan") {
						traffic += p.Fields.Get("bytes_rx").(int64)
					}
				case telemetry.MeasFlowStats:
					if id == "1.NE" && p.Tags.Get("flow_type") == "TCP Accelerated" && p.Tags.Get("traffic_type") == "optimized_traffic" {
						flows[p.Fields.Get("flows_exist").(int64)] = true
					}
				case telemetry.MeasDropStats:
					if r := p.Tags.Get("drop_reason"); r == "LAN Rx Queue Full" || r == "LAN Tx Queue Full" {
						named8or18++
					}
				}
			}
			for _, p := range pts {
				if p.Measurement != telemetry.MeasTunnelAvailability {
					continue
				}
				switch d := p.Fields.Get("down_seconds").(int64); {
				case d == 60:
					fullDown++
					if b := bytesOf[p.Tags.Get("tunnel_id")]; b != 0 {
						t.Errorf("%s st2-%d: %s down all minute but carried %d bytes", id, m, p.Tags.Get("tunnel_id"), b)
					}
				case d > 0:
					partialDown++
				}
			}
			if id == "1.NE" {
				minTraffic, maxTraffic = min(minTraffic, traffic), max(maxTraffic, traffic)
			}
			var others []int64
			for _, r := range d.drops {
				if _, named := tDrops[strconv.Itoa(r.code)]; !named {
					others = append(others, int64(r.count))
				}
			}
			if len(others) >= 2 {
				otherMerged++
			}
		}
	}
	if fullDown == 0 || partialDown == 0 {
		t.Errorf("tunnels fully down in %d tunnel-minutes and partly down in %d, want both", fullDown, partialDown)
	}
	if len(flows) < 20 {
		t.Errorf("flows_exist took %d distinct values in 24 h, want it to evolve", len(flows))
	}
	if minTraffic*3 > maxTraffic {
		t.Errorf("LAN traffic ranges %d..%d over the day, want a daily curve", minTraffic, maxTraffic)
	}
	if otherMerged == 0 || named8or18 == 0 {
		t.Errorf("minutes with several Other codes %d, with codes 8/18 %d; want both", otherMerged, named8or18)
	}
}

func TestExpectedMinutePointsErrors(t *testing.T) {
	s, err := New(Config{Appliances: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id     string
		minute int64
	}{
		{"9.NE", testNewest},
		{"1.NE", testNewest + 1},
		{"1.NE", 0},
	}
	for _, tc := range tests {
		if _, err := s.ExpectedMinutePoints(tc.id, tc.minute); err == nil {
			t.Errorf("ExpectedMinutePoints(%q, %d) = nil error, want one", tc.id, tc.minute)
		}
	}
	ids := []string{}
	for _, a := range s.Appliances() {
		ids = append(ids, a.ID)
	}
	sort.Strings(ids)
	if len(ids) != 2 {
		t.Errorf("Appliances() = %v", ids)
	}
}
