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
	// orchestrator is the orchestrator tag of every point (appliance ids
	// repeat across Orchestrators); the minute-stats parser gets it too.
	orchestrator string
}

// point returns a point of the appliance with tags beyond the common ones
// (an empty value is left out) and fields.
func (b pointer) point(measurement string, tags telemetry.Tags, fields telemetry.Fields, ts time.Time) telemetry.Point {
	t := b.common(make(telemetry.Tags, 0, len(tags)+3))
	for _, tag := range tags {
		if tag.Value != "" {
			t = append(t, telemetry.Tag{Key: tag.Key, Value: telemetry.TagValue(tag.Value)})
		}
	}
	return telemetry.Point{Measurement: measurement, Tags: t, Fields: fields, Time: ts.UTC().Truncate(time.Second)}
}

// common appends the tags every point of the appliance carries.
func (b pointer) common(t telemetry.Tags) telemetry.Tags {
	t = append(t, telemetry.Tag{Key: telemetry.TagApplianceID, Value: telemetry.TagValue(b.applianceID)},
		telemetry.Tag{Key: telemetry.TagHostname, Value: telemetry.TagValue(b.hostname)})
	if b.orchestrator != "" {
		t = append(t, telemetry.Tag{Key: telemetry.TagOrchestrator, Value: telemetry.TagValue(b.orchestrator)})
	}
	return t
}

// tag is one tag beyond the common ones.
func tag(k, v string) telemetry.Tags { return telemetry.Tags{{Key: k, Value: v}} }

// metadataPoint is appliance_metadata from the Orchestrator's view of the
// appliance, at the discovery time, with the outcome of the reachability
// check. A missing licence leaves the licence fields out instead of failing
// the job (demo defect 13).
func (b pointer) metadataPoint(p tasks.AppliancePoll, r Reachability) telemetry.Point {
	role := "non-hub"
	if p.NetworkRole == "1" {
		role = "hub"
	}
	f := telemetry.Fields{
		telemetry.StringField(telemetry.FieldNetworkRole, role),
		telemetry.StringField(telemetry.FieldModel, p.Model),
		telemetry.StringField(telemetry.FieldPlatform, p.Platform),
		telemetry.StringField(telemetry.FieldSoftwareVersion, p.SoftwareVersion),
		telemetry.IntField(telemetry.FieldApplianceState, int64(p.State)),
		telemetry.IntField(telemetry.FieldApplianceReachability, int64(p.ReachabilityChannel)),
		telemetry.BoolField(telemetry.FieldReachable, r.Reachable),
		telemetry.StringField(telemetry.FieldReachabilityMethod, r.Method),
	}
	// Site, group and serial are fields, not tags: a move to another site
	// or an RMA would otherwise split the appliance's series.
	for _, kv := range [...]struct{ k, v string }{{telemetry.FieldSite, p.Site}, {telemetry.FieldGroupID, p.GroupID}, {telemetry.FieldSerial, p.Serial}} {
		if kv.v != "" {
			f = append(f, telemetry.StringField(kv.k, kv.v))
		}
	}
	if p.Licensed {
		f = append(f, telemetry.StringField(telemetry.FieldLicenseDisplay, p.LicenseDisplay),
			telemetry.IntField(telemetry.FieldLicenseBW, p.LicenseBW))
	}
	if r.Reachable && r.Method != MethodNone {
		f = append(f, telemetry.FloatField(telemetry.FieldReachabilityRTTMs, float64(r.RTT.Microseconds())/1000))
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
	var sys telemetry.Fields
	if d.SysConfig.MaxInBW != nil {
		sys = append(sys, telemetry.IntField(telemetry.FieldWanInboundBW, *d.SysConfig.MaxInBW))
	}
	if d.SysConfig.MaxBW != nil {
		sys = append(sys, telemetry.IntField(telemetry.FieldWanOutboundBW, *d.SysConfig.MaxBW))
	}
	if len(sys) > 0 {
		out = append(out, b.point(telemetry.MeasDeploymentInfo, tag(telemetry.TagInterfaceName, "SYSTEM"), sys, ts))
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
			tags := telemetry.Tags{{Key: telemetry.TagInterfaceName, Value: name}, {Key: telemetry.TagLanWan, Value: "WAN"}}
			if ip.Label != "" {
				tags = append(tags, telemetry.Tag{Key: telemetry.TagInterfaceLabel, Value: labelName(p, ip.Label)})
			}
			out = append(out, b.point(telemetry.MeasDeploymentInfo, tags, telemetry.Fields{
				telemetry.IntField(telemetry.FieldWanInboundBW, ip.MaxBW.Inbound),
				telemetry.IntField(telemetry.FieldWanOutboundBW, ip.MaxBW.Outbound),
			}, ts))
		}
	}
	return out
}

func (b pointer) memoryPoint(m edgeconnect.Memory, ts time.Time) telemetry.Point {
	return b.point(telemetry.MeasMemoryStats, nil, telemetry.Fields{
		telemetry.IntField(telemetry.FieldTotalMemory, m.Total), telemetry.IntField(telemetry.FieldFreeMemory, m.Free),
		telemetry.IntField(telemetry.FieldBuffers, m.Buffers), telemetry.IntField(telemetry.FieldCached, m.Cached),
		telemetry.IntField(telemetry.FieldUsedMemory, m.Used), telemetry.IntField(telemetry.FieldSwapTotal, m.SwapTotal),
		telemetry.IntField(telemetry.FieldSwapFree, m.SwapFree), telemetry.IntField(telemetry.FieldSwapUsed, m.SwapUsed),
	}, ts)
}

// cpuPoints returns a point per sample and CPU. Their fields are cut from
// one allocation and the points of one CPU share their tags: an appliance
// sends a dozen samples of every core, which wait for the job's write.
func (b pointer) cpuPoints(c edgeconnect.CPUStat) []telemetry.Point {
	n := 0
	for _, s := range c.Samples {
		n += len(s.CPUs)
	}
	out := make([]telemetry.Point, 0, n)
	fields := make(telemetry.Fields, 0, 5*n)
	common := b.common(nil) // checked once, copied into the tags of every CPU
	// The k-th CPU of a sample reuses the tags of the k-th CPU of the
	// sample before when it is the same CPU (the samples list the CPUs in
	// the same order): the points are a job's largest point-in-time batch,
	// held until it ends.
	var perCPU []telemetry.Tags
	var tags telemetry.Tags // cut into each CPU's tags
	if len(c.Samples) > 0 {
		cpus := len(c.Samples[0].CPUs)
		perCPU = make([]telemetry.Tags, 0, cpus)
		tags = make(telemetry.Tags, 0, (len(common)+1)*cpus)
	}
	for _, s := range c.Samples {
		ts := s.Time.UTC().Truncate(time.Second)
		for k, u := range s.CPUs {
			cpu := telemetry.TagValue(u.CPU)
			if k == len(perCPU) || perCPU[k][len(common)].Value != cpu {
				start := len(tags)
				tags = append(append(tags, common...), telemetry.Tag{Key: telemetry.TagCPUNumber, Value: cpu})
				t := tags[start:len(tags):len(tags)]
				if k == len(perCPU) {
					perCPU = append(perCPU, t)
				} else {
					perCPU[k] = t
				}
			}
			f := len(fields)
			fields = append(fields, // in key order, which the encoder then keeps
				telemetry.FloatField(telemetry.FieldCPUPIRQ, u.IRQ), telemetry.FloatField(telemetry.FieldCPUPIdle, u.Idle),
				telemetry.FloatField(telemetry.FieldCPUPNice, u.Nice), telemetry.FloatField(telemetry.FieldCPUPSys, u.Sys),
				telemetry.FloatField(telemetry.FieldCPUPUser, u.User))
			out = append(out, telemetry.Point{Measurement: telemetry.MeasCPUStats, Tags: perCPU[k],
				Fields: fields[f:len(fields):len(fields)], Time: ts})
		}
	}
	return out
}

func (b pointer) routePoint(s edgeconnect.Subnets, ts time.Time) telemetry.Point {
	v4, v6 := s.VersionCounts()
	return b.point(telemetry.MeasRouteTableStats, nil, telemetry.Fields{
		telemetry.IntField(telemetry.FieldTotalRoutes, s.Count), telemetry.IntField(telemetry.FieldTotalV4Routes, int64(v4)),
		telemetry.IntField(telemetry.FieldTotalV6Routes, int64(v6)),
	}, ts)
}

func (b pointer) alarmPoint(a edgeconnect.AlarmSummary, ts time.Time) telemetry.Point {
	return b.point(telemetry.MeasAlarmStats, nil, telemetry.Fields{
		telemetry.IntField(telemetry.FieldCriticalAlarms, a.Critical), telemetry.IntField(telemetry.FieldMajorAlarms, a.Major),
		telemetry.IntField(telemetry.FieldMinorAlarms, a.Minor), telemetry.IntField(telemetry.FieldWarningAlarms, a.Warning),
		telemetry.IntField(telemetry.FieldClearedAlarms, a.Cleared), telemetry.IntField(telemetry.FieldOutstandingAlarms, a.Outstanding),
		telemetry.IntField(telemetry.FieldSWOutstandingAlarms, a.SoftwareOutstanding), telemetry.IntField(telemetry.FieldHWOutstandingAlarms, a.EquipmentOutstanding),
		telemetry.IntField(telemetry.FieldTCAOutstandingAlarms, a.TCAOutstanding), telemetry.IntField(telemetry.FieldTrafficClassOutstandingAlarms, a.TrafficClassOutstanding),
		telemetry.IntField(telemetry.FieldTunnelOutstandingAlarms, a.TunnelOutstanding), telemetry.IntField(telemetry.FieldRaiseIgnoreAlarms, a.RaiseIgnore),
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
	var f telemetry.Fields
	for _, tf := range tunnelFields {
		if ids, ok := tc.all[tf.family]; ok {
			f = append(f, telemetry.IntField(tf.all, int64(len(ids))))
		}
		if ids, ok := tc.up[tf.family]; ok {
			f = append(f, telemetry.IntField(tf.up, int64(len(ids))))
		}
		if tc.downFetched[tf.family] {
			aliases := tc.down[tf.family]
			var s strings.Builder
			for _, a := range aliases {
				s.WriteString(a.Alias)
				s.WriteByte(',') // the demo's format: every alias followed by a comma
			}
			f = append(f, telemetry.IntField(tf.down, int64(len(aliases))), telemetry.StringField(tf.downList, s.String()))
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
		out = append(out, b.point(telemetry.MeasDiskStats, tag(telemetry.TagDiskDir, mount), telemetry.Fields{
			telemetry.IntField(telemetry.Field1kBlocks, u.Blocks1K), telemetry.IntField(telemetry.FieldUsed, u.Used),
			telemetry.IntField(telemetry.FieldAvailable, u.Available), telemetry.IntField(telemetry.FieldUsedPercent, u.UsedPercent),
			telemetry.StringField(telemetry.FieldFilesystem, u.Filesystem),
		}, ts))
	}
	return out
}

func (b pointer) uptimePoint(s edgeconnect.SystemInfo, ts time.Time) telemetry.Point {
	return b.point(telemetry.MeasApplianceMetadata, nil, telemetry.Fields{telemetry.IntField(telemetry.FieldUptime, s.Uptime.Milliseconds())}, ts)
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
	return b.point(telemetry.MeasRealtime, nil, telemetry.Fields{telemetry.IntField(telemetry.FieldPps, sum)}, ts), nil
}

type errMissingKey string

func (e errMissingKey) Error() string { return "answer lacks " + string(e) }
