package simulator

import (
	"strconv"
	"strings"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// The demo's decodings of the enum columns, with its defects fixed.
var (
	trafficTypeNames = [5]string{"", "optimized_traffic", "passthrough_shaped", "passthrough_unshaped", "all_traffic"}
	flowTypeNames    = [4]string{"", "TCP Accelerated", "TCP Non-Accelerated", "Non-TCP"}
	directionNames   = [2]string{"outbound", "inbound"}
	dropReasonNames  = map[int]string{
		8:  "LAN Rx Queue Full",
		18: "LAN Tx Queue Full",
		19: "LAN Tx ZCI Queue Full",
		31: "WAN Rx Queue Full",
		53: "WAN Tx ZCI Queue Full",
	}
)

// dropReasonOther is the tag of every drop code without a name.
const dropReasonOther = "Other"

// setCounter stores a counter column as an integer field. The
// invalid-counter marker leaves the field out: it says "no value", and the
// demo's 0 would be a made-up value (internal/minutestats does the same).
func setCounter(f map[string]any, name string, v uint64) {
	if v != markerInvalid {
		f[name] = int64(v)
	}
}

// points maps the minute to the points a correct collector stores: the
// demo's mapping of the eight *_v2.txt files with its
// defects fixed, plus tunnel_availability, tunnel_peak_stats and
// probe_stats. It works on the model, never on rendered text.
func (d *minuteData) points() []telemetry.Point {
	a := d.a
	ts := time.Unix(d.m, 0).UTC()
	var out []telemetry.Point
	add := func(meas string, tags map[string]string, fields map[string]any) {
		if tags == nil {
			tags = make(map[string]string, 2)
		}
		tags[telemetry.TagApplianceID] = a.id
		tags[telemetry.TagHostname] = a.hostname
		out = append(out, telemetry.Point{Measurement: meas, Tags: telemetry.TagsOf(tags), Fields: telemetry.FieldsOf(fields), Time: ts})
	}
	ints := func(v []uint64, names ...string) map[string]any {
		f := make(map[string]any, len(names)+2)
		for i, n := range names {
			setCounter(f, n, v[i])
		}
		return f
	}

	for i := range d.ifaces {
		r := &d.ifaces[i]
		add(telemetry.MeasInterfaceStats, map[string]string{
			telemetry.TagInterfaceName:  r.it.name,
			telemetry.TagInterfaceLabel: labelTag(int(r.v[2])),
			telemetry.TagTrafficType:    trafficTypeNames[r.v[3]],
		}, ints(r.v[4:18],
			telemetry.FieldBytesTx, telemetry.FieldBytesRx, telemetry.FieldPacketsTx, telemetry.FieldPacketsRx,
			telemetry.FieldOverheadBytesTx, telemetry.FieldOverheadBytesRx, telemetry.FieldOverheadPacketsTx,
			telemetry.FieldOverheadPacketsRx, telemetry.FieldFirewallBytesTx, telemetry.FieldFirewallBytesRx,
			telemetry.FieldFirewallPacketsTx, telemetry.FieldFirewallPacketsRx, telemetry.FieldMaxBandwidthTx,
			telemetry.FieldMaxBandwidthRx))
	}

	for i := range d.tunnels {
		r := &d.tunnels[i]
		tags := func() map[string]string {
			return map[string]string{
				telemetry.TagTunnelID:    r.t.id,
				telemetry.TagTunnelAlias: r.t.alias,
				telemetry.TagOverlay:     overlayTag(int(r.v[3])),
			}
		}
		f := ints(r.v[6:35],
			telemetry.FieldBytesWanTx, telemetry.FieldBytesWanRx, telemetry.FieldBytesLanTx, telemetry.FieldBytesLanRx,
			telemetry.FieldPacketsWanTx, telemetry.FieldPacketsWanRx, telemetry.FieldPacketsLanTx,
			telemetry.FieldPacketsLanRx, telemetry.FieldAverageLatency, telemetry.FieldMinLatency,
			telemetry.FieldTCPFlowCount, telemetry.FieldTCPAcceleratedFlowCount, telemetry.FieldNonTCPFlowCount,
			telemetry.FieldFlowsCreatedTunnel, telemetry.FieldFlowsDeletedTunnel, telemetry.FieldLostPacketsPreFEC,
			telemetry.FieldLostPacketsPostFEC, telemetry.FieldLossPctPreFEC, telemetry.FieldLossPctPostFEC,
			telemetry.FieldOutOfOrderPacketsPrePOC, telemetry.FieldOutOfOrderPacketsPostPOC,
			telemetry.FieldOutOfOrderPctPrePOC, telemetry.FieldOutOfOrderPctPostPOC,
			telemetry.FieldOverheadWanRxPackets, telemetry.FieldOverheadWanTxPackets,
			telemetry.FieldOverheadWanRxBytes, telemetry.FieldOverheadWanTxBytes,
			telemetry.FieldOverheadHeaderWanRxBytes, telemetry.FieldOverheadHeaderWanTxBytes)
		f[telemetry.FieldSDWANTunnel] = r.v[4] != 0
		setCounter(f, telemetry.FieldPostFECMOSScore, r.v[65])
		setCounter(f, telemetry.FieldPreFECMOSScore, r.v[66])
		setCounter(f, telemetry.FieldJitterMs, r.v[69])
		add(telemetry.MeasTunnelStats, tags(), f)

		peaks := map[string]any{}
		peakNames := []string{telemetry.FieldPeakBytesWanTx, telemetry.FieldPeakBytesWanRx,
			telemetry.FieldPeakBytesLanTx, telemetry.FieldPeakBytesLanRx, telemetry.FieldPeakPacketsWanTx,
			telemetry.FieldPeakPacketsWanRx, telemetry.FieldPeakPacketsLanTx, telemetry.FieldPeakPacketsLanRx,
			telemetry.FieldPeakLatency}
		for k, n := range peakNames {
			if w := r.v[36+k]; w != 0 && w != markerInvalid {
				peaks[n] = unpack(w)
			}
		}
		if w := r.v[70]; w != 0 && w != markerInvalid {
			peaks[telemetry.FieldPeakJitter] = unpack(w)
		}
		if len(peaks) > 0 {
			add(telemetry.MeasTunnelPeakStats, tags(), peaks)
		}

		if r.t.kind != kindAggregate {
			t := tags()
			t[telemetry.TagInterfaceLabel] = r.t.availLabel
			add(telemetry.MeasTunnelAvailability, t, map[string]any{
				telemetry.FieldDownSeconds:     r.down,
				telemetry.FieldAvailabilityPct: float64(60-r.down) / 60 * 100,
			})
		}
	}

	for i := range d.flows {
		r := &d.flows[i]
		f := ints(r.v[3:6], telemetry.FieldFlowsCreated, telemetry.FieldFlowsDeleted, telemetry.FieldFlowsExist)
		for k, n := range []string{telemetry.FieldWanTxBytes, telemetry.FieldWanRxBytes, telemetry.FieldLanTxBytes,
			telemetry.FieldLanRxBytes, telemetry.FieldWanTxPackets, telemetry.FieldWanRxPackets,
			telemetry.FieldLanTxPackets, telemetry.FieldLanRxPackets} {
			setCounter(f, n, r.v[9+k])
		}
		add(telemetry.MeasFlowStats, map[string]string{
			telemetry.TagFlowType:    flowTypeNames[r.v[1]],
			telemetry.TagTrafficType: trafficTypeNames[r.v[2]],
		}, f)
	}

	add(telemetry.MeasBoostStats, nil, ints(d.boost[1:4], telemetry.FieldBoostConfiguredKbps,
		telemetry.FieldBoostBytes, telemetry.FieldSecondsNotBoostedInMinute))

	// Drops: one point per named reason, every other code summed into one
	// "Other" point (the demo kept only the last line's count).
	var other int64
	hasOther := false
	for _, r := range d.drops {
		if r.count == markerInvalid {
			continue // a drop row with no valid count carries nothing
		}
		if name, ok := dropReasonNames[r.code]; ok {
			add(telemetry.MeasDropStats, map[string]string{telemetry.TagDropReason: name},
				map[string]any{telemetry.FieldDropCount: int64(r.count)})
			continue
		}
		other += int64(r.count)
		hasOther = true
	}
	if hasOther {
		add(telemetry.MeasDropStats, map[string]string{telemetry.TagDropReason: dropReasonOther},
			map[string]any{telemetry.FieldDropCount: other})
	}

	for i := range d.overlays {
		r := &d.overlays[i]
		add(telemetry.MeasInterfaceOverlayStats, map[string]string{
			telemetry.TagInterfaceName:  r.it.name,
			telemetry.TagInterfaceLabel: labelTag(int(r.v[2])),
			telemetry.TagOverlay:        overlayTag(int(r.v[3])),
			telemetry.TagTunnelType:     strconv.FormatUint(r.v[4], 10),
		}, ints(r.v[5:15], telemetry.FieldBytesTx, telemetry.FieldBytesRx, telemetry.FieldPacketsTx,
			telemetry.FieldPacketsRx, telemetry.FieldOverheadBytesTx, telemetry.FieldOverheadBytesRx,
			telemetry.FieldOverheadPacketsTx, telemetry.FieldOverheadPacketsRx, telemetry.FieldMaxBWTx,
			telemetry.FieldMaxBWRx))
	}

	for i := range d.tclass {
		r := &d.tclass[i]
		f := ints(r.v[3:11], telemetry.FieldBytesWanTx, telemetry.FieldBytesWanRx, telemetry.FieldBytesLanTx,
			telemetry.FieldBytesLanRx, telemetry.FieldPacketsWanTx, telemetry.FieldPacketsWanRx,
			telemetry.FieldPacketsLanTx, telemetry.FieldPacketsLanRx)
		f[telemetry.FieldTrafficClassName] = trafficClassNames[r.v[1]]
		add(telemetry.MeasTrafficClassStats, map[string]string{
			telemetry.TagTrafficClass: strconv.FormatUint(r.v[1], 10),
			telemetry.TagTrafficType:  trafficTypeNames[r.v[2]],
		}, f)
	}

	for i := range d.shaper {
		r := &d.shaper[i]
		f := ints(r.v[3:10], telemetry.FieldTotalBytesShaped, telemetry.FieldTotalBytesUsedShaped,
			telemetry.FieldTotalPacketsUsedShaped, telemetry.FieldShaperWaitTime, telemetry.FieldShaperWaitCount,
			telemetry.FieldShaperDroppedExpiredPkts, telemetry.FieldShaperDroppedOther)
		f[telemetry.FieldTrafficClassName] = trafficClassNames[r.v[1]]
		add(telemetry.MeasShaperStats, map[string]string{
			telemetry.TagTrafficClass:    strconv.FormatUint(r.v[1], 10),
			telemetry.TagShaperDirection: directionNames[r.v[2]],
		}, f)
	}

	for i := range d.probes {
		r := &d.probes[i]
		f := make(map[string]any, 17)
		if n, ok := settingInt(r.p.settings, "sample-int"); ok {
			f[telemetry.FieldProbeSampleSeconds] = n
		}
		for k, n := range telemetry.ProbeRawFields {
			setCounter(f, n, r.v[k])
		}
		tags := map[string]string{telemetry.TagProbeName: r.p.name, telemetry.TagProbeTarget: r.p.target}
		if typ := setting(r.p.settings, "type"); typ != "" {
			tags[telemetry.TagProbeType] = typ
		}
		add(telemetry.MeasProbeStats, tags, f)
	}
	return out
}

// setting returns the value of key in a probe settings text
// ("k=v;k=v,k=v;..."; the stray comma is treated like ';').
func setting(s, key string) string {
	for _, kv := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' }) {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

func settingInt(s, key string) (int64, bool) {
	n, err := strconv.ParseInt(setting(s, key), 10, 64)
	return n, err == nil
}
