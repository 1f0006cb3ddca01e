package telemetry

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// FieldType is the InfluxDB type of a field. Once a field has been written
// its type never changes (InfluxDB rejects a different type for a series).
type FieldType uint8

// Field types, and the Go type of a Value of each.
const (
	Integer FieldType = iota + 1 // int64
	Float                        // float64
	Boolean                      // bool
	String                       // string
)

func (t FieldType) String() string {
	switch t {
	case Integer:
		return "integer"
	case Float:
		return "float"
	case Boolean:
		return "boolean"
	case String:
		return "string"
	}
	return "unknown"
}

// FieldSpec describes one field of a measurement.
type FieldSpec struct {
	Name string
	Type FieldType
	Unit string // human unit, "" when dimensionless or text
	New  bool   // true when the Python demo did not write it
}

// MeasurementSpec describes one measurement: its tags beyond the common ones
// and its fields.
type MeasurementSpec struct {
	Name   string
	Source string // where the data comes from
	Time   string // which timestamp the points carry
	Tags   []string
	Fields []FieldSpec
	New    bool  // true when the Python demo did not write it
	Scope  Scope // which identity tags its points carry; default appliance
}

// CommonTags are carried by every point. The worker adds TagOrchestrator
// when it writes a job's points, so points as built carry only
// RequiredTags.
var CommonTags = []string{TagApplianceID, TagHostname, TagOrchestrator}

// RequiredTags are the common tags Validate requires.
var RequiredTags = []string{TagApplianceID, TagHostname}

func ints(unit string, names ...string) []FieldSpec {
	out := make([]FieldSpec, len(names))
	for i, n := range names {
		out[i] = FieldSpec{Name: n, Type: Integer, Unit: unit}
	}
	return out
}

func floats(unit string, names ...string) []FieldSpec {
	out := make([]FieldSpec, len(names))
	for i, n := range names {
		out[i] = FieldSpec{Name: n, Type: Float, Unit: unit, New: true}
	}
	return out
}

func cat(parts ...[]FieldSpec) []FieldSpec {
	var out []FieldSpec
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

const (
	timeFile      = "minute (file column)"
	timeRetrieval = "retrieval"
)

// Schema lists every measurement ec-telemetry writes, in documentation order.
var Schema = append([]MeasurementSpec{
	{
		Name: MeasApplianceMetadata, Source: "Orchestrator appliance list + licensing; /systemInfo; reachability check", Time: "discovery (Orchestrator fields), retrieval (uptime)",
		Fields: []FieldSpec{
			{Name: FieldNetworkRole, Type: String},
			{Name: FieldModel, Type: String},
			{Name: FieldPlatform, Type: String},
			{Name: FieldSoftwareVersion, Type: String},
			{Name: FieldLicenseDisplay, Type: String},
			{Name: FieldLicenseBW, Type: Integer, Unit: "Kbps"},
			{Name: FieldApplianceState, Type: Integer},
			{Name: FieldApplianceReachability, Type: Integer},
			{Name: FieldUptime, Type: Integer, Unit: "ms"},
			{Name: FieldReachable, Type: Boolean, New: true},
			{Name: FieldReachabilityMethod, Type: String, New: true},
			{Name: FieldReachabilityRTTMs, Type: Float, Unit: "ms", New: true},
			{Name: FieldSite, Type: String, New: true},
			{Name: FieldGroupID, Type: String, New: true},
			{Name: FieldSerial, Type: String, New: true},
			{Name: FieldCollectedVia, Type: String, New: true},
		},
	},
	{
		Name: MeasInterfaceStats, Source: "interface_v2.txt", Time: timeFile,
		Tags: []string{TagInterfaceName, TagInterfaceLabel, TagTrafficType},
		Fields: cat(
			ints("bytes", FieldBytesTx, FieldBytesRx),
			ints("packets", FieldPacketsTx, FieldPacketsRx),
			ints("bytes", FieldOverheadBytesTx, FieldOverheadBytesRx),
			ints("packets", FieldOverheadPacketsTx, FieldOverheadPacketsRx),
			ints("bytes", FieldFirewallBytesTx, FieldFirewallBytesRx),
			ints("packets", FieldFirewallPacketsTx, FieldFirewallPacketsRx),
			ints("Kbps", FieldMaxBandwidthTx, FieldMaxBandwidthRx),
		),
	},
	{
		Name: MeasTunnelStats, Source: "tunnel_v2.txt", Time: timeFile,
		Tags: []string{TagTunnelID, TagTunnelAlias, TagOverlay},
		Fields: cat(
			[]FieldSpec{{Name: FieldSDWANTunnel, Type: Boolean}},
			ints("bytes", FieldBytesWanTx, FieldBytesWanRx, FieldBytesLanTx, FieldBytesLanRx),
			ints("packets", FieldPacketsWanTx, FieldPacketsWanRx, FieldPacketsLanTx, FieldPacketsLanRx),
			ints("ms x 100", FieldAverageLatency, FieldMinLatency),
			ints("flows", FieldTCPFlowCount, FieldTCPAcceleratedFlowCount, FieldNonTCPFlowCount, FieldFlowsCreatedTunnel, FieldFlowsDeletedTunnel),
			ints("packets", FieldLostPacketsPreFEC, FieldLostPacketsPostFEC),
			ints("percent x 100", FieldLossPctPreFEC, FieldLossPctPostFEC),
			ints("packets", FieldOutOfOrderPacketsPrePOC, FieldOutOfOrderPacketsPostPOC),
			ints("percent x 100", FieldOutOfOrderPctPrePOC, FieldOutOfOrderPctPostPOC),
			ints("packets", FieldOverheadWanRxPackets, FieldOverheadWanTxPackets),
			ints("bytes", FieldOverheadWanRxBytes, FieldOverheadWanTxBytes, FieldOverheadHeaderWanRxBytes, FieldOverheadHeaderWanTxBytes),
			ints("MOS x 100", FieldPostFECMOSScore, FieldPreFECMOSScore),
			ints("as reported", FieldJitterMs),
		),
	},
	{
		Name: MeasFlowStats, Source: "flow_v2.txt", Time: timeFile,
		Tags: []string{TagFlowType, TagTrafficType},
		Fields: cat(
			ints("flows", FieldFlowsCreated, FieldFlowsDeleted, FieldFlowsExist),
			ints("bytes", FieldWanTxBytes, FieldWanRxBytes, FieldLanTxBytes, FieldLanRxBytes),
			ints("packets", FieldWanTxPackets, FieldWanRxPackets, FieldLanTxPackets, FieldLanRxPackets),
		),
	},
	{
		Name: MeasBoostStats, Source: "boost_v2.txt", Time: timeFile,
		Fields: cat(
			ints("Kbps", FieldBoostConfiguredKbps),
			ints("bytes", FieldBoostBytes),
			ints("seconds", FieldSecondsNotBoostedInMinute),
		),
	},
	{
		Name: MeasDropStats, Source: "drops_v2.txt", Time: timeFile,
		Tags:   []string{TagDropReason},
		Fields: ints("packets", FieldDropCount),
	},
	{
		Name: MeasInterfaceOverlayStats, Source: "interface_overlay_v2.txt", Time: timeFile,
		Tags: []string{TagInterfaceName, TagTunnelType, TagInterfaceLabel, TagOverlay},
		Fields: cat(
			ints("bytes", FieldBytesTx, FieldBytesRx),
			ints("packets", FieldPacketsTx, FieldPacketsRx),
			ints("bytes", FieldOverheadBytesTx, FieldOverheadBytesRx),
			ints("packets", FieldOverheadPacketsTx, FieldOverheadPacketsRx),
			ints("Kbps", FieldMaxBWTx, FieldMaxBWRx),
		),
	},
	{
		Name: MeasTrafficClassStats, Source: "tclass_v2.txt + /trafficclass", Time: timeFile,
		Tags: []string{TagTrafficClass, TagTrafficType},
		Fields: cat(
			ints("bytes", FieldBytesWanTx, FieldBytesWanRx, FieldBytesLanTx, FieldBytesLanRx),
			ints("packets", FieldPacketsWanTx, FieldPacketsWanRx, FieldPacketsLanTx, FieldPacketsLanRx),
			[]FieldSpec{{Name: FieldTrafficClassName, Type: String}},
		),
	},
	{
		Name: MeasShaperStats, Source: "shaper_v2.txt + /trafficclass", Time: timeFile,
		Tags: []string{TagTrafficClass, TagShaperDirection},
		Fields: cat(
			ints("bytes", FieldTotalBytesShaped, FieldTotalBytesUsedShaped),
			ints("packets", FieldTotalPacketsUsedShaped),
			ints("ms", FieldShaperWaitTime),
			ints("count", FieldShaperWaitCount),
			ints("packets", FieldShaperDroppedExpiredPkts, FieldShaperDroppedOther),
			[]FieldSpec{{Name: FieldTrafficClassName, Type: String}},
		),
	},
	{
		Name: MeasMemoryStats, Source: "/memory", Time: timeRetrieval,
		Fields: ints("as reported (KiB on known appliances)", FieldTotalMemory, FieldFreeMemory, FieldBuffers, FieldCached,
			FieldUsedMemory, FieldSwapTotal, FieldSwapFree, FieldSwapUsed),
	},
	{
		Name: MeasCPUStats, Source: "/cpustat?time=0", Time: "sample time",
		Tags: []string{TagCPUNumber},
		Fields: []FieldSpec{
			{Name: FieldCPUPIdle, Type: Float, Unit: "percent"},
			{Name: FieldCPUPUser, Type: Float, Unit: "percent"},
			{Name: FieldCPUPSys, Type: Float, Unit: "percent"},
			{Name: FieldCPUPIRQ, Type: Float, Unit: "percent"},
			{Name: FieldCPUPNice, Type: Float, Unit: "percent"},
		},
	},
	{
		Name: MeasRouteTableStats, Source: "/subnets3/all", Time: timeRetrieval,
		Fields: ints("routes", FieldTotalRoutes, FieldTotalV4Routes, FieldTotalV6Routes),
	},
	{
		Name: MeasAlarmStats, Source: "/alarm", Time: timeRetrieval,
		Fields: ints("alarms", FieldCriticalAlarms, FieldMajorAlarms, FieldMinorAlarms, FieldWarningAlarms,
			FieldClearedAlarms, FieldOutstandingAlarms, FieldSWOutstandingAlarms, FieldHWOutstandingAlarms,
			FieldTCAOutstandingAlarms, FieldTrafficClassOutstandingAlarms, FieldTunnelOutstandingAlarms,
			FieldRaiseIgnoreAlarms),
	},
	{
		Name: MeasTunnelCountStats, Source: "tunnel id and alias endpoints", Time: timeRetrieval,
		Fields: cat(
			ints("tunnels", FieldUnderlaySDWANTunnels, FieldOverlaySDWANTunnels, FieldThirdPartyTunnels,
				FieldUpUnderlaySDWANTunnels, FieldUpOverlaySDWANTunnels, FieldUpThirdPartyTunnels,
				FieldDownUnderlaySDWANTunnels, FieldDownOverlaySDWANTunnels, FieldDownThirdPartyTunnels),
			[]FieldSpec{
				{Name: FieldUnderlayDownTunnels, Type: String},
				{Name: FieldOverlayDownTunnels, Type: String},
				{Name: FieldThirdPartyDownTunnels, Type: String},
			},
		),
	},
	{
		Name: MeasDeploymentInfo, Source: "/deployment", Time: timeRetrieval,
		Tags:   []string{TagInterfaceName, TagInterfaceLabel, TagLanWan},
		Fields: ints("Kbps", FieldWanInboundBW, FieldWanOutboundBW),
	},
	{
		Name: MeasDiskStats, Source: "/diskUsage", Time: timeRetrieval,
		Tags: []string{TagDiskDir},
		Fields: cat(
			ints("KiB", Field1kBlocks, FieldUsed, FieldAvailable),
			ints("percent", FieldUsedPercent),
			[]FieldSpec{{Name: FieldFilesystem, Type: String}},
		),
	},
	{
		Name: MeasRealtime, Source: "/stats/realtimeStats", Time: "first sample time",
		Fields: ints("packets per second", FieldPps),
	},
	{
		Name: MeasTunnelAvailability, Source: "tunnel_availability_v2.txt", Time: timeFile, New: true,
		Tags: []string{TagTunnelID, TagTunnelAlias, TagOverlay, TagInterfaceLabel},
		Fields: []FieldSpec{
			{Name: FieldDownSeconds, Type: Integer, Unit: "seconds", New: true},
			{Name: FieldAvailabilityPct, Type: Float, Unit: "percent", New: true},
		},
	},
	{
		Name: MeasTunnelPeakStats, Source: "tunnel_v2.txt packed peak columns", Time: timeFile, New: true,
		Tags: []string{TagTunnelID, TagTunnelAlias, TagOverlay},
		Fields: cat(
			floats("bytes per second", FieldPeakBytesWanTx, FieldPeakBytesWanRx, FieldPeakBytesLanTx, FieldPeakBytesLanRx),
			floats("packets per second", FieldPeakPacketsWanTx, FieldPeakPacketsWanRx, FieldPeakPacketsLanTx, FieldPeakPacketsLanRx),
			floats("ms x 100", FieldPeakLatency),
			floats("as reported", FieldPeakJitter),
		),
	},
	{
		Name: MeasProbeStats, Source: "probe_v2.txt", Time: timeFile, New: true,
		Tags: []string{TagProbeName, TagProbeTarget, TagProbeType},
		Fields: func() []FieldSpec {
			out := []FieldSpec{{Name: FieldProbeSampleSeconds, Type: Integer, Unit: "seconds", New: true}}
			for _, n := range ProbeRawFields {
				out = append(out, FieldSpec{Name: n, Type: Integer, Unit: "raw", New: true})
			}
			return out
		}(),
	},
	{
		Name: MeasApplianceStatus, Source: "the worker's verdict from reachability, login, data age and tunnel counts (docs/health.md)", Time: "job start", New: true,
		Fields: []FieldSpec{
			{Name: FieldStatus, Type: String, New: true},
			{Name: FieldStatusCode, Type: Integer, New: true},
			{Name: FieldReason, Type: String, New: true},
			{Name: FieldDataAgeSeconds, Type: Integer, Unit: "seconds", New: true},
			{Name: FieldTunnelsUp, Type: Integer, Unit: "tunnels", New: true},
			{Name: FieldTunnelsDown, Type: Integer, Unit: "tunnels", New: true},
		},
	},
	{
		Name: MeasAlarmEvents, Source: "/alarm outstanding alarms, compared with the previous job's", Time: "raised: the alarm's time (job start when absent); cleared: job start", New: true,
		Tags: []string{TagSeverity, TagAlarmName, TagAlarmType, TagAlarmSource},
		Fields: []FieldSpec{
			{Name: FieldEvent, Type: String, New: true},
			{Name: FieldDescription, Type: String, New: true},
			{Name: FieldAcknowledged, Type: Boolean, New: true},
			{Name: FieldClearable, Type: Boolean, New: true},
			{Name: FieldSequenceID, Type: Integer, New: true},
			{Name: FieldActive, Type: Boolean, New: true},
		},
	},
}, stateSchema...)

var byName = func() map[string]*MeasurementSpec {
	m := make(map[string]*MeasurementSpec, len(Schema))
	for i := range Schema {
		m[Schema[i].Name] = &Schema[i]
	}
	return m
}()

// Lookup returns the spec of a measurement.
func Lookup(measurement string) (MeasurementSpec, bool) {
	s, ok := byName[measurement]
	if !ok {
		return MeasurementSpec{}, false
	}
	return *s, true
}

// Field returns the spec of one field of the measurement.
func (s MeasurementSpec) Field(name string) (FieldSpec, bool) {
	for _, f := range s.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return FieldSpec{}, false
}

// HasTag reports whether the measurement carries the tag (common tags
// included).
func (s MeasurementSpec) HasTag(key string) bool {
	for _, t := range s.IdentityTags() {
		if t == key {
			return true
		}
	}
	for _, t := range s.Tags {
		if t == key {
			return true
		}
	}
	return false
}

// Validate checks a point against the schema: known measurement, both common
// tags present, only known tags, each key once, at least one field, only
// known fields, each with its declared type. All problems are reported at
// once.
func Validate(p Point) error {
	spec, ok := byName[p.Measurement]
	if !ok {
		return fmt.Errorf("unknown measurement %q", p.Measurement)
	}
	var errs []error
	required := RequiredTags
	if spec.Scope == ScopeOrchestrator {
		required = OrchestratorTags
	}
	for _, t := range required {
		if p.Tags.Get(t) == "" {
			errs = append(errs, fmt.Errorf("%s: missing tag %q", p.Measurement, t))
		}
	}
	tags := slices.SortedFunc(slices.Values(p.Tags), func(a, b Tag) int { return strings.Compare(a.Key, b.Key) })
	for i, t := range tags {
		switch {
		case i > 0 && tags[i-1].Key == t.Key:
			errs = append(errs, fmt.Errorf("%s: tag %q given twice", p.Measurement, t.Key))
		case !spec.HasTag(t.Key):
			errs = append(errs, fmt.Errorf("%s: unknown tag %q", p.Measurement, t.Key))
		}
	}
	if len(p.Fields) == 0 {
		errs = append(errs, fmt.Errorf("%s: no fields", p.Measurement))
	}
	fields := slices.SortedFunc(slices.Values(p.Fields), func(a, b Field) int { return strings.Compare(a.Key, b.Key) })
	for i, fv := range fields {
		if i > 0 && fields[i-1].Key == fv.Key {
			errs = append(errs, fmt.Errorf("%s: field %q given twice", p.Measurement, fv.Key))
			continue
		}
		f, ok := spec.Field(fv.Key)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: unknown field %q", p.Measurement, fv.Key))
			continue
		}
		if got := fv.Value.Type(); got != f.Type {
			errs = append(errs, fmt.Errorf("%s: field %q is %s, want %s", p.Measurement, fv.Key, got, f.Type))
		}
	}
	if p.Time.IsZero() {
		errs = append(errs, fmt.Errorf("%s: zero timestamp", p.Measurement))
	}
	return errors.Join(errs...)
}
