package telemetry

// Bound classifies what limits the number of values of a tag key, and so the
// number of series a tag adds. Every tag key of the schema has one; a tag
// whose values nothing limits (flow ids, timestamps, free text) has none and
// is not allowed.
type Bound uint8

// Bound classes, from the smallest to the one that grows with operators'
// choices.
const (
	// BoundFixed is a closed set fixed by the appliance software or by
	// ec-telemetry: it does not grow with the fleet.
	BoundFixed Bound = iota + 1
	// BoundFleet is one value per appliance: it grows with the fleet.
	BoundFleet
	// BoundConfig is limited per appliance by its hardware and configuration
	// (interfaces, tunnels, overlays, traffic classes): it grows with the
	// fleet times the configuration.
	BoundConfig
	// BoundUser is defined by operators per appliance (probe names and
	// targets): bounded by what they configure, not by the software.
	BoundUser
)

func (b Bound) String() string {
	switch b {
	case BoundFixed:
		return "fixed"
	case BoundFleet:
		return "fleet"
	case BoundConfig:
		return "configuration"
	case BoundUser:
		return "user-defined"
	}
	return "unbounded"
}

// TagBound declares the bound of one tag key.
type TagBound struct {
	Key    string
	Bound  Bound
	Values string // what the values are and how many there are
}

// TagBounds declares the bound of every tag key of Schema, in documentation
// order. A test fails for a tag key of the schema that is missing here, so a
// new tag cannot ship without a stated bound.
var TagBounds = append([]TagBound{
	{TagApplianceID, BoundFleet, "one per appliance (Orchestrator nePk)"},
	{TagHostname, BoundFleet, "one per appliance (a rename adds one)"},
	{TagOrchestrator, BoundConfig, "one per configured Orchestrator (ORCHESTRATORS_FILE names, or ORCH_NAME)"},
	{TagTrafficType, BoundFixed, "4: optimized_traffic, passthrough_shaped, passthrough_unshaped, all_traffic"},
	{TagFlowType, BoundFixed, "3: TCP Accelerated, TCP Non-Accelerated, Non-TCP"},
	{TagDropReason, BoundFixed, "the appliance software's list of drop reasons"},
	{TagShaperDirection, BoundFixed, "2: outbound, inbound"},
	{TagTunnelType, BoundFixed, "the appliance software's tunnel type codes"},
	{TagLanWan, BoundFixed, "1: WAN (only WAN interfaces are written)"},
	{TagProbeType, BoundFixed, "the appliance software's probe types"},
	{TagSeverity, BoundFixed, "5: critical, major, minor, warning, info"},
	{TagAlarmName, BoundFixed, "the appliance software's alarm type names"},
	{TagAlarmType, BoundFixed, "the appliance software's alarm classes (HW, SW)"},
	{TagCPUNumber, BoundConfig, "one per CPU core of the appliance"},
	{TagDiskDir, BoundConfig, "one per mounted file system of the appliance"},
	{TagInterfaceName, BoundConfig, "one per physical, virtual and sub-interface of the appliance"},
	{TagInterfaceLabel, BoundConfig, "the Orchestrator's interface labels in use (shared by the fleet)"},
	{TagTunnelID, BoundConfig, "one per tunnel of the appliance: underlay, overlay and third-party; grows with the mesh (peers x links)"},
	{TagTunnelAlias, BoundConfig, "one per tunnel, like tunnel_id"},
	{TagOverlay, BoundConfig, "the Orchestrator's overlays (business intent policies), shared by the fleet"},
	{TagTrafficClass, BoundConfig, "one per traffic class of the appliance's shaper"},
	{TagProbeName, BoundUser, "one per probe an operator defines on the appliance"},
	{TagProbeTarget, BoundUser, "one per target an operator gives a probe"},
	{TagAlarmSource, BoundConfig, "what an alarm is about: System, or a tunnel or interface of the appliance"},
}, stateTagBounds...)

// BoundOf returns the declared bound of a tag key, or 0 when none is
// declared.
func BoundOf(key string) Bound {
	for _, b := range TagBounds {
		if b.Key == key {
			return b.Bound
		}
	}
	return 0
}

// TagKeys returns every tag key the schema uses, common tags first, each
// once, in order of first use.
func TagKeys() []string {
	seen := map[string]bool{}
	var out []string
	add := func(keys []string) {
		for _, k := range keys {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	add(CommonTags)
	add(OrchestratorTags)
	for _, s := range Schema {
		add(s.Tags)
	}
	return out
}
