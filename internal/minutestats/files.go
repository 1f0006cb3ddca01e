package minutestats

import (
	"fmt"
	"strings"

	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// lineFunc parses the line held in p.cols (line is the same text unsplit).
// It emits its points and returns "" or, when the line is unusable, the
// reason it was skipped; a skipped line emits nothing.
type lineFunc func(p *parser, line string) string

// lineParser returns the parser of a member base name, nil for members this
// package does not read.
func lineParser(base string) lineFunc {
	switch base {
	case FileInterface:
		return interfaceLayout.parse
	case FileTunnel:
		return parseTunnel
	case FileFlow:
		return flowLayout.parse
	case FileBoost:
		return boostLayout.parse
	case FileDrops:
		return dropsLayout.parse
	case FileInterfaceOverlay:
		return interfaceOverlayLayout.parse
	case FileTrafficClass:
		return trafficClassLayout.parse
	case FileShaper:
		return shaperLayout.parse
	case FileTunnelAvail:
		return availabilityLayout.parse
	case FileProbe:
		return parseProbe
	}
	return nil
}

// layout describes a file with fixed columns: one point per line, integer
// fields taken from fixed columns (the demo's column maps).
type layout struct {
	meas    string
	minCols int // highest column read + 1
	tsCol   int
	tags    func(p *parser) string // appends to p.tags in a fixed order
	fields  []fieldCol
	extra   func(p *parser, fields *telemetry.Fields) // optional derived fields, one at most
}

type fieldCol struct {
	col  int
	name string
}

// run returns consecutive columns starting at first.
func run(first int, names ...string) []fieldCol {
	out := make([]fieldCol, len(names))
	for i, n := range names {
		out[i] = fieldCol{first + i, n}
	}
	return out
}

func cat(parts ...[]fieldCol) []fieldCol {
	var out []fieldCol
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// firstReason returns the first non-empty reason.
func firstReason(reasons ...string) string {
	for _, r := range reasons {
		if r != "" {
			return r
		}
	}
	return ""
}

func shortLine(have, want int) string {
	return fmt.Sprintf("short line: %d columns, want at least %d", have, want)
}

func (l *layout) parse(p *parser, _ string) string {
	if len(p.cols) < l.minCols {
		return shortLine(len(p.cols), l.minCols)
	}
	ts, r := p.timestamp(l.tsCol)
	if r != "" {
		return r
	}
	p.tags = p.tags[:0]
	if l.tags != nil {
		if r := l.tags(p); r != "" {
			return r
		}
	}
	p.row = p.row[:0]
	for _, f := range l.fields {
		if r := p.intField(&p.row, f.col, f.name); r != "" {
			return r
		}
	}
	if l.extra != nil {
		l.extra(p, &p.row)
	}
	if len(p.row) == 0 {
		return "no usable fields"
	}
	p.emit(l.meas, p.row, ts)
	return ""
}

// interface_v2.txt.
var interfaceLayout = &layout{
	meas: telemetry.MeasInterfaceStats, minCols: 31, tsCol: 30,
	tags: func(p *parser) string {
		return firstReason(
			p.textTag(1, telemetry.TagInterfaceName, true),
			p.labelTag(2, p.cols[1]),
			p.enumTag(3, telemetry.TagTrafficType, trafficTypes),
		)
	},
	fields: run(4,
		telemetry.FieldBytesTx, telemetry.FieldBytesRx, telemetry.FieldPacketsTx, telemetry.FieldPacketsRx,
		telemetry.FieldOverheadBytesTx, telemetry.FieldOverheadBytesRx,
		telemetry.FieldOverheadPacketsTx, telemetry.FieldOverheadPacketsRx,
		telemetry.FieldFirewallBytesTx, telemetry.FieldFirewallBytesRx,
		telemetry.FieldFirewallPacketsTx, telemetry.FieldFirewallPacketsRx,
		telemetry.FieldMaxBandwidthTx, telemetry.FieldMaxBandwidthRx),
}

// flow_v2.txt.
var flowLayout = &layout{
	meas: telemetry.MeasFlowStats, minCols: 26, tsCol: 25,
	tags: func(p *parser) string {
		return firstReason(
			p.enumTag(1, telemetry.TagFlowType, flowTypes),
			p.enumTag(2, telemetry.TagTrafficType, trafficTypes),
		)
	},
	fields: cat(
		run(3, telemetry.FieldFlowsCreated, telemetry.FieldFlowsDeleted, telemetry.FieldFlowsExist),
		run(9, telemetry.FieldWanTxBytes, telemetry.FieldWanRxBytes, telemetry.FieldLanTxBytes, telemetry.FieldLanRxBytes,
			telemetry.FieldWanTxPackets, telemetry.FieldWanRxPackets, telemetry.FieldLanTxPackets, telemetry.FieldLanRxPackets),
	),
}

// boost_v2.txt. No tags: several lines of one minute merge.
var boostLayout = &layout{
	meas: telemetry.MeasBoostStats, minCols: 6, tsCol: 5,
	fields: run(1, telemetry.FieldBoostConfiguredKbps, telemetry.FieldBoostBytes, telemetry.FieldSecondsNotBoostedInMinute),
}

// drops_v2.txt.
var dropsLayout = &layout{
	meas: telemetry.MeasDropStats, minCols: 4, tsCol: 3,
	tags: func(p *parser) string {
		code, _, r := p.idCell(1, telemetry.TagDropReason)
		if r != "" {
			return r
		}
		p.tags = append(p.tags, kv{telemetry.TagDropReason, dropReason(code)})
		return ""
	},
	fields: run(2, telemetry.FieldDropCount),
}

// dropReason names the queue-full drop codes; every other code is "Other"
// (the demo meant this but, through a broken if/elif chain, also named 8
// and 18 "Other").
func dropReason(code int64) string {
	switch code {
	case 8:
		return "LAN Rx Queue Full"
	case 18:
		return "LAN Tx Queue Full"
	case 19:
		return "LAN Tx ZCI Queue Full"
	case 31:
		return "WAN Rx Queue Full"
	case 53:
		return "WAN Tx ZCI Queue Full"
	}
	return "Other"
}

// interface_overlay_v2.txt.
var interfaceOverlayLayout = &layout{
	meas: telemetry.MeasInterfaceOverlayStats, minCols: 24, tsCol: 23,
	tags: func(p *parser) string {
		return firstReason(
			p.textTag(1, telemetry.TagInterfaceName, true),
			p.labelTag(2, p.cols[1]),
			p.overlayTag(3),
			p.numTag(4, telemetry.TagTunnelType),
		)
	},
	fields: run(5,
		telemetry.FieldBytesTx, telemetry.FieldBytesRx, telemetry.FieldPacketsTx, telemetry.FieldPacketsRx,
		telemetry.FieldOverheadBytesTx, telemetry.FieldOverheadBytesRx,
		telemetry.FieldOverheadPacketsTx, telemetry.FieldOverheadPacketsRx,
		telemetry.FieldMaxBWTx, telemetry.FieldMaxBWRx),
}

// tclass_v2.txt. The traffic class id is the tag; its name
// is a string field.
var trafficClassLayout = &layout{
	meas: telemetry.MeasTrafficClassStats, minCols: 20, tsCol: 19,
	tags: func(p *parser) string {
		return firstReason(
			p.numTag(1, telemetry.TagTrafficClass),
			p.enumTag(2, telemetry.TagTrafficType, trafficTypes),
		)
	},
	fields: run(3,
		telemetry.FieldBytesWanTx, telemetry.FieldBytesWanRx, telemetry.FieldBytesLanTx, telemetry.FieldBytesLanRx,
		telemetry.FieldPacketsWanTx, telemetry.FieldPacketsWanRx, telemetry.FieldPacketsLanTx, telemetry.FieldPacketsLanRx),
	extra: func(p *parser, fields *telemetry.Fields) { p.trafficClassName(fields, 1, p.tags[0].v) },
}

// shaper_v2.txt.
var shaperLayout = &layout{
	meas: telemetry.MeasShaperStats, minCols: 11, tsCol: 10,
	tags: func(p *parser) string {
		return firstReason(
			p.numTag(1, telemetry.TagTrafficClass),
			p.enumTag(2, telemetry.TagShaperDirection, directions),
		)
	},
	fields: run(3,
		telemetry.FieldTotalBytesShaped, telemetry.FieldTotalBytesUsedShaped, telemetry.FieldTotalPacketsUsedShaped,
		telemetry.FieldShaperWaitTime, telemetry.FieldShaperWaitCount,
		telemetry.FieldShaperDroppedExpiredPkts, telemetry.FieldShaperDroppedOther),
	extra: func(p *parser, fields *telemetry.Fields) { p.trafficClassName(fields, 1, p.tags[0].v) },
}

// tunnel_availability_v2.txt (as real captures show): column 8 is the
// seconds the tunnel was down in the minute, column 12 the interface label
// as text.
var availabilityLayout = &layout{
	meas: telemetry.MeasTunnelAvailability, minCols: 29, tsCol: 28,
	tags: func(p *parser) string {
		return firstReason(
			p.textTag(1, telemetry.TagTunnelID, true),
			p.textTag(2, telemetry.TagTunnelAlias, false),
			p.overlayTag(3),
			p.textTag(12, telemetry.TagInterfaceLabel, false),
		)
	},
	fields: run(8, telemetry.FieldDownSeconds),
	extra: func(_ *parser, fields *telemetry.Fields) {
		if down, ok := fields.Value(telemetry.FieldDownSeconds); ok {
			*fields = append(*fields, telemetry.FloatField(telemetry.FieldAvailabilityPct, availabilityPct(down.Int())))
		}
	},
}

// availabilityPct is (60 - down) / 60 * 100, clamped to 0..100.
func availabilityPct(down int64) float64 {
	if down >= 60 {
		return 0
	}
	return float64(60-max(down, 0)) / 60 * 100
}

// tunnelInts are the integer fields of tunnel_stats from column 6 on.
var tunnelInts = cat(
	run(6,
		telemetry.FieldBytesWanTx, telemetry.FieldBytesWanRx, telemetry.FieldBytesLanTx, telemetry.FieldBytesLanRx,
		telemetry.FieldPacketsWanTx, telemetry.FieldPacketsWanRx, telemetry.FieldPacketsLanTx, telemetry.FieldPacketsLanRx,
		telemetry.FieldAverageLatency, telemetry.FieldMinLatency,
		telemetry.FieldTCPFlowCount, telemetry.FieldTCPAcceleratedFlowCount, telemetry.FieldNonTCPFlowCount,
		telemetry.FieldFlowsCreatedTunnel, telemetry.FieldFlowsDeletedTunnel,
		telemetry.FieldLostPacketsPreFEC, telemetry.FieldLostPacketsPostFEC,
		telemetry.FieldLossPctPreFEC, telemetry.FieldLossPctPostFEC,
		telemetry.FieldOutOfOrderPacketsPrePOC, telemetry.FieldOutOfOrderPacketsPostPOC,
		telemetry.FieldOutOfOrderPctPrePOC, telemetry.FieldOutOfOrderPctPostPOC,
		telemetry.FieldOverheadWanRxPackets, telemetry.FieldOverheadWanTxPackets,
		telemetry.FieldOverheadWanRxBytes, telemetry.FieldOverheadWanTxBytes,
		telemetry.FieldOverheadHeaderWanRxBytes, telemetry.FieldOverheadHeaderWanTxBytes),
	run(65, telemetry.FieldPostFECMOSScore, telemetry.FieldPreFECMOSScore),
	run(69, telemetry.FieldJitterMs),
)

// tunnelPeaks are the packed peak columns of tunnel_v2.txt (real-minute-
// stats README, verified against tunnel_peak.csv and jitter.csv).
var tunnelPeaks = cat(
	run(36,
		telemetry.FieldPeakBytesWanTx, telemetry.FieldPeakBytesWanRx, telemetry.FieldPeakBytesLanTx, telemetry.FieldPeakBytesLanRx,
		telemetry.FieldPeakPacketsWanTx, telemetry.FieldPeakPacketsWanRx, telemetry.FieldPeakPacketsLanTx, telemetry.FieldPeakPacketsLanRx,
		telemetry.FieldPeakLatency),
	run(70, telemetry.FieldPeakJitter),
)

// parseTunnel parses a tunnel_v2.txt line into tunnel_stats
// and, when any packed peak is set, tunnel_peak_stats. A bad cell in a
// column the demo read skips the line; a bad peak cell only omits that
// peak, so the demo's data is never lost to a column it did not read.
func parseTunnel(p *parser, _ string) string {
	const minCols, tsCol = 72, 71
	if len(p.cols) < minCols {
		return shortLine(len(p.cols), minCols)
	}
	ts, r := p.timestamp(tsCol)
	if r != "" {
		return r
	}
	p.tags = p.tags[:0]
	if r := firstReason(
		p.textTag(1, telemetry.TagTunnelID, true),
		p.textTag(2, telemetry.TagTunnelAlias, false),
		p.overlayTag(3),
	); r != "" {
		return r
	}
	p.row = p.row[:0] // tunnel_stats
	// The demo's mapping: "0" is false, anything else true. Real captures
	// suggest the name is inverted; kept for compatibility.
	switch flag := trimSpace(p.cols[4]); flag {
	case sentinel:
		p.note(fmt.Sprintf("column 4 (%s): invalid-counter marker, field omitted", telemetry.FieldSDWANTunnel))
	default:
		p.row = append(p.row, telemetry.BoolField(telemetry.FieldSDWANTunnel, flag != "0"))
	}
	for _, f := range tunnelInts {
		if r := p.intField(&p.row, f.col, f.name); r != "" {
			return r
		}
	}
	p.row2 = p.row2[:0] // tunnel_peak_stats
	for _, f := range tunnelPeaks {
		word, st := parseWord(p.cols[f.col])
		switch st {
		case cellSentinel:
			p.note(fmt.Sprintf("column %d (%s): invalid-counter marker, field omitted", f.col, f.name))
			continue
		case cellBad:
			p.note(fmt.Sprintf("column %d (%s): not a packed peak: %s, field omitted", f.col, f.name, quote(p.cols[f.col])))
			continue
		}
		v, _, ok := DecodePeak(word)
		if !ok {
			if word != 0 {
				p.note(fmt.Sprintf("column %d (%s): packed peak %d is not a finite number, field omitted", f.col, f.name, word))
			}
			continue
		}
		p.row2 = append(p.row2, telemetry.FloatField(f.name, float64(v)))
	}
	stats, peaks := p.row, p.row2
	if len(stats) == 0 && len(peaks) == 0 {
		return "no usable fields"
	}
	if len(stats) > 0 {
		p.emit(telemetry.MeasTunnelStats, stats, ts)
	}
	if len(peaks) > 0 {
		p.emit(telemetry.MeasTunnelPeakStats, peaks, ts)
	}
	return ""
}

// Probe lines: 4 leading fields (appliance, row, name, target), then the
// settings, which may contain unescaped commas, then 16 numeric fields and
// the timestamp. They are parsed from both ends.
const (
	probeLead   = 4
	probeRaw    = len(telemetry.ProbeRawFields)
	probeTail   = probeRaw + 1
	probeMinCol = probeLead + 1 + probeTail
)

func parseProbe(p *parser, line string) string {
	n := len(p.cols)
	if n < probeMinCol {
		return shortLine(n, probeMinCol)
	}
	ts, r := p.timestamp(n - 1)
	if r != "" {
		return r
	}
	p.tags = p.tags[:0]
	if r := firstReason(
		p.textTag(2, telemetry.TagProbeName, true),
		p.textTag(3, telemetry.TagProbeTarget, false),
	); r != "" {
		return r
	}
	p.row = p.row[:0]
	rawFirst := n - probeTail
	for i, name := range telemetry.ProbeRawFields {
		if r := p.intField(&p.row, rawFirst+i, name); r != "" {
			return r
		}
	}

	// The settings are the text between the fourth and the 17th-last comma.
	start := 0
	for _, c := range p.cols[:probeLead] {
		start += len(c) + 1
	}
	end := len(line)
	for _, c := range p.cols[rawFirst:] {
		end -= len(c) + 1
	}
	probeType, interval, found := probeSettings(line[start:end])
	switch {
	case probeType == "":
	default:
		p.tags = append(p.tags, kv{telemetry.TagProbeType, p.tagText("settings: type", probeType)})
	}
	if found {
		v, _, st := parseDigits(interval)
		switch st {
		case cellOK:
			p.row = append(p.row, telemetry.IntField(telemetry.FieldProbeSampleSeconds, v))
		case cellSentinel:
			p.note(fmt.Sprintf("settings: sample-int is the invalid-counter marker, %s omitted", telemetry.FieldProbeSampleSeconds))
		default:
			p.note(fmt.Sprintf("settings: sample-int %s is not a non-negative integer, %s omitted", quote(interval), telemetry.FieldProbeSampleSeconds))
		}
	}
	if len(p.row) == 0 {
		return "no usable fields"
	}
	p.emit(telemetry.MeasProbeStats, p.row, ts)
	return ""
}

// probeSettings extracts type= and sample-int= from the probe settings:
// key=value items separated by ';' (and, in real captures, once by ',').
func probeSettings(s string) (probeType, interval string, hasInterval bool) {
	for s != "" {
		item := s
		if i := strings.IndexAny(s, ";,"); i >= 0 {
			item, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		k, v, ok := strings.Cut(item, "=")
		if !ok {
			continue
		}
		switch trimSpace(k) {
		case "type":
			if probeType == "" {
				probeType = v
			}
		case "sample-int":
			if !hasInterval {
				interval, hasInterval = v, true
			}
		}
	}
	return probeType, interval, hasInterval
}
