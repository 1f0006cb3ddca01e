package worker

import (
	"strings"
	"time"

	"github.com/ec-telemetry/ec-telemetry/edgeconnect"
	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// pointer builds points that all carry the appliance's common tags. Every
// tag value goes through telemetry.TagValue, so a name line protocol cannot
// carry (a control character, a trailing backslash) never costs the point.
type pointer struct {
	applianceID, hostname string
}

func (b pointer) point(measurement string, tags map[string]string, fields map[string]any, ts time.Time) telemetry.Point {
	t := make(map[string]string, len(tags)+2)
	for k, v := range tags {
		t[k] = telemetry.TagValue(v)
	}
	t[telemetry.TagApplianceID] = telemetry.TagValue(b.applianceID)
	t[telemetry.TagHostname] = telemetry.TagValue(b.hostname)
	return telemetry.Point{Measurement: measurement, Tags: t, Fields: fields, Time: ts.UTC().Truncate(time.Second)}
}

// metadataPoint is appliance_metadata from the Orchestrator's view of the
// appliance, at the discovery time, with the outcome of the reachability
// check. A missing licence leaves the licence fields out instead of failing
// the job (demo defect 13).
func (b pointer) metadataPoint(p tasks.AppliancePoll, r Reachability) telemetry.Point {
	role := "non-hub"
	if p.NetworkRole == "1" {
		role = "hub"
	}
	f := map[string]any{
		telemetry.FieldNetworkRole:           role,
		telemetry.FieldModel:                 p.Model,
		telemetry.FieldPlatform:              p.Platform,
		telemetry.FieldSoftwareVersion:       p.SoftwareVersion,
		telemetry.FieldApplianceState:        int64(p.State),
		telemetry.FieldApplianceReachability: int64(p.ReachabilityChannel),
		telemetry.FieldReachable:             r.Reachable,
		telemetry.FieldReachabilityMethod:    r.Method,
	}
	// Site, group and serial are fields, not tags: a move to another site
	// or an RMA would otherwise split the appliance's series.
	for k, v := range map[string]string{telemetry.FieldSite: p.Site, telemetry.FieldGroupID: p.GroupID, telemetry.FieldSerial: p.Serial} {
		if v != "" {
			f[k] = v
		}
	}
	if p.Licensed {
		f[telemetry.FieldLicenseDisplay] = p.LicenseDisplay
		f[telemetry.FieldLicenseBW] = p.LicenseBW
	}
	if r.Reachable && r.Method != MethodNone {
		f[telemetry.FieldReachabilityRTTMs] = float64(r.RTT.Microseconds()) / 1000
	}
	return b.point(telemetry.MeasApplianceMetadata, nil, f, time.Unix(p.DiscoveredAt, 0))
}

// labelName resolves an interface label id of /deployment with the
// Orchestrator's maps: WAN first (deployment labels of WAN entries are WAN
// labels), then LAN. An unknown id becomes unknown_<id> (demo defect 14).
func labelName(p tasks.AppliancePoll, id string) string {
	if n, ok := p.WANLabels[id]; ok {
		return n
	}
	if n, ok := p.LANLabels[id]; ok {
		return n
	}
	return "unknown_" + id
}

func (b pointer) deploymentPoints(p tasks.AppliancePoll, d edgeconnect.Deployment, ts time.Time) []telemetry.Point {
	var out []telemetry.Point
	sys := map[string]any{}
	if d.SysConfig.MaxInBW != nil {
		sys[telemetry.FieldWanInboundBW] = *d.SysConfig.MaxInBW
	}
	if d.SysConfig.MaxBW != nil {
		sys[telemetry.FieldWanOutboundBW] = *d.SysConfig.MaxBW
	}
	if len(sys) > 0 {
		out = append(out, b.point(telemetry.MeasDeploymentInfo, map[string]string{telemetry.TagInterfaceName: "SYSTEM"}, sys, ts))
	}
	for _, mi := range d.ModeIfs {
		for _, ip := range mi.ApplianceIPs {
			if !ip.WANSide || ip.MaxBW == nil || mi.IfName == "" {
				continue
			}
			name := mi.IfName
			if ip.VLAN != "" { // an empty vlan no longer yields "wan0." (demo defect 14)
				name += "." + ip.VLAN
			}
			tags := map[string]string{telemetry.TagInterfaceName: name, telemetry.TagLanWan: "WAN"}
			if ip.Label != "" {
				tags[telemetry.TagInterfaceLabel] = labelName(p, ip.Label)
			}
			out = append(out, b.point(telemetry.MeasDeploymentInfo, tags, map[string]any{
				telemetry.FieldWanInboundBW:  ip.MaxBW.Inbound,
				telemetry.FieldWanOutboundBW: ip.MaxBW.Outbound,
			}, ts))
		}
	}
	return out
}

func (b pointer) memoryPoint(m edgeconnect.Memory, ts time.Time) telemetry.Point {
	return b.point(telemetry.MeasMemoryStats, nil, map[string]any{
		telemetry.FieldTotalMemory: m.Total, telemetry.FieldFreeMemory: m.Free,
		telemetry.FieldBuffers: m.Buffers, telemetry.FieldCached: m.Cached,
		telemetry.FieldUsedMemory: m.Used, telemetry.FieldSwapTotal: m.SwapTotal,
		telemetry.FieldSwapFree: m.SwapFree, telemetry.FieldSwapUsed: m.SwapUsed,
	}, ts)
}

func (b pointer) cpuPoints(c edgeconnect.CPUStat) []telemetry.Point {
	var out []telemetry.Point
	for _, s := range c.Samples {
		for _, u := range s.CPUs {
			out = append(out, b.point(telemetry.MeasCPUStats, map[string]string{telemetry.TagCPUNumber: u.CPU}, map[string]any{
				telemetry.FieldCPUPIdle: u.Idle, telemetry.FieldCPUPUser: u.User, telemetry.FieldCPUPSys: u.Sys,
				telemetry.FieldCPUPIRQ: u.IRQ, telemetry.FieldCPUPNice: u.Nice,
			}, s.Time))
		}
	}
	return out
}

func (b pointer) routePoint(s edgeconnect.Subnets, ts time.Time) telemetry.Point {
	v4, v6 := s.VersionCounts()
	return b.point(telemetry.MeasRouteTableStats, nil, map[string]any{
		telemetry.FieldTotalRoutes: s.Count, telemetry.FieldTotalV4Routes: int64(v4), telemetry.FieldTotalV6Routes: int64(v6),
	}, ts)
}

func (b pointer) alarmPoint(a edgeconnect.AlarmSummary, ts time.Time) telemetry.Point {
	return b.point(telemetry.MeasAlarmStats, nil, map[string]any{
		telemetry.FieldCriticalAlarms: a.Critical, telemetry.FieldMajorAlarms: a.Major,
		telemetry.FieldMinorAlarms: a.Minor, telemetry.FieldWarningAlarms: a.Warning,
		telemetry.FieldClearedAlarms: a.Cleared, telemetry.FieldOutstandingAlarms: a.Outstanding,
		telemetry.FieldSWOutstandingAlarms: a.SoftwareOutstanding, telemetry.FieldHWOutstandingAlarms: a.EquipmentOutstanding,
		telemetry.FieldTCAOutstandingAlarms: a.TCAOutstanding, telemetry.FieldTrafficClassOutstandingAlarms: a.TrafficClassOutstanding,
		telemetry.FieldTunnelOutstandingAlarms: a.TunnelOutstanding, telemetry.FieldRaiseIgnoreAlarms: a.RaiseIgnore,
	}, ts)
}

// tunnelCounts holds the nine tunnel answers; a nil slice is a failed call,
// whose fields are left out (the demo wrote an error dict's length, 4).
type tunnelCounts struct {
	all, up     map[edgeconnect.TunnelFamily][]string
	down        map[edgeconnect.TunnelFamily][]edgeconnect.TunnelAlias
	downFetched map[edgeconnect.TunnelFamily]bool
}

var tunnelFields = []struct {
	family                  edgeconnect.TunnelFamily
	all, up, down, downList string
}{
	{edgeconnect.TunnelUnderlay, telemetry.FieldUnderlaySDWANTunnels, telemetry.FieldUpUnderlaySDWANTunnels, telemetry.FieldDownUnderlaySDWANTunnels, telemetry.FieldUnderlayDownTunnels},
	{edgeconnect.TunnelOverlay, telemetry.FieldOverlaySDWANTunnels, telemetry.FieldUpOverlaySDWANTunnels, telemetry.FieldDownOverlaySDWANTunnels, telemetry.FieldOverlayDownTunnels},
	{edgeconnect.TunnelThirdParty, telemetry.FieldThirdPartyTunnels, telemetry.FieldUpThirdPartyTunnels, telemetry.FieldDownThirdPartyTunnels, telemetry.FieldThirdPartyDownTunnels},
}

func (b pointer) tunnelCountPoint(tc tunnelCounts, ts time.Time) (telemetry.Point, bool) {
	f := map[string]any{}
	for _, tf := range tunnelFields {
		if ids, ok := tc.all[tf.family]; ok {
			f[tf.all] = int64(len(ids))
		}
		if ids, ok := tc.up[tf.family]; ok {
			f[tf.up] = int64(len(ids))
		}
		if tc.downFetched[tf.family] {
			aliases := tc.down[tf.family]
			f[tf.down] = int64(len(aliases))
			var s strings.Builder
			for _, a := range aliases {
				s.WriteString(a.Alias)
				s.WriteByte(',') // the demo's format: every alias followed by a comma
			}
			f[tf.downList] = s.String()
		}
	}
	if len(f) == 0 {
		return telemetry.Point{}, false
	}
	return b.point(telemetry.MeasTunnelCountStats, nil, f, ts), true
}

func (b pointer) diskPoints(d map[string]edgeconnect.DiskUsage, ts time.Time) []telemetry.Point {
	out := make([]telemetry.Point, 0, len(d))
	for mount, u := range d {
		if mount == "" {
			continue
		}
		out = append(out, b.point(telemetry.MeasDiskStats, map[string]string{telemetry.TagDiskDir: mount}, map[string]any{
			telemetry.Field1kBlocks: u.Blocks1K, telemetry.FieldUsed: u.Used, telemetry.FieldAvailable: u.Available,
			telemetry.FieldUsedPercent: u.UsedPercent, telemetry.FieldFilesystem: u.Filesystem,
		}, ts))
	}
	return out
}

func (b pointer) uptimePoint(s edgeconnect.SystemInfo, ts time.Time) telemetry.Point {
	return b.point(telemetry.MeasApplianceMetadata, nil, map[string]any{telemetry.FieldUptime: s.Uptime.Milliseconds()}, ts)
}

// realtimeKeys are summed into pps, first sample of each, as the demo does.
var realtimeKeys = []string{"LRX_PKTS", "LTX_PKTS", "WRX_PKTS", "WTX_PKTS"}

func (b pointer) realtimePoint(rt map[string][]edgeconnect.RealtimeSample) (telemetry.Point, error) {
	var sum int64
	var ts time.Time
	for _, k := range realtimeKeys {
		s := rt[k]
		if len(s) == 0 {
			return telemetry.Point{}, errMissingKey(k)
		}
		sum += int64(s[0].Value)
		if k == "LRX_PKTS" {
			ts = s[0].Time
		}
	}
	return b.point(telemetry.MeasRealtime, nil, map[string]any{telemetry.FieldPps: sum}, ts), nil
}

type errMissingKey string

func (e errMissingKey) Error() string { return "answer lacks " + string(e) }
