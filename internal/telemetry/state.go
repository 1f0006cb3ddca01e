package telemetry

// Measurements of appliance and Orchestrator state (new in ec-telemetry).
const (
	MeasInterfaceState     = "interface_state"
	MeasBGPNeighborState   = "bgp_neighbor_state"
	MeasOrchestratorHealth = "orchestrator_health"
	MeasNextHopState       = "next_hop_state"
)

// Tag keys of the state measurements.
const (
	TagBGPPeer = "bgp_peer"
	TagVRF     = "vrf"
	TagNextHop = "next_hop"
)

// Field keys of interface_state.
const (
	FieldAdminUp   = "admin_up"
	FieldOperUp    = "oper_up"
	FieldSpeed     = "speed"
	FieldSpeedMbps = "speed_mbps"
	FieldDuplex    = "duplex"
	FieldMTU       = "mtu"
)

// Field keys of bgp_neighbor_state.
const (
	FieldPeerState         = "peer_state"
	FieldPeerStateCode     = "peer_state_code"
	FieldEstablished       = "established"
	FieldPeerASN           = "peer_asn"
	FieldTimeEstablished   = "time_established"
	FieldPrefixesReceived  = "prefixes_received"
	FieldPrefixesSent      = "prefixes_sent"
	FieldBGPProcessState   = "bgp_state"
	FieldBGPProcessStateID = "bgp_state_code"
)

// Field keys of next_hop_state (besides reachable, FieldReachable).
const (
	FieldNextHopState    = "state"
	FieldNextHopUptimeMs = "uptime_ms"
	FieldNextHopSide     = "side"
)

// Field keys of orchestrator_health.
const (
	FieldAPIUp         = "api_up"
	FieldDBHealth      = "db_health"
	FieldVersion       = "version"
	FieldUptimeSeconds = "uptime_seconds"
	FieldResponseMs    = "response_ms"
)

// Scope says which tags identify a measurement's points.
type Scope uint8

// Scopes.
const (
	// ScopeAppliance points carry CommonTags: appliance_id and hostname.
	ScopeAppliance Scope = iota
	// ScopeOrchestrator points describe the Orchestrator itself and carry
	// OrchestratorTags instead of CommonTags.
	ScopeOrchestrator
)

// OrchestratorTags are carried by every point of ScopeOrchestrator.
var OrchestratorTags = []string{TagOrchestrator}

// IdentityTags returns the tags every point of the measurement carries:
// CommonTags, or OrchestratorTags for the Orchestrator's own measurements.
func (s MeasurementSpec) IdentityTags() []string {
	if s.Scope == ScopeOrchestrator {
		return OrchestratorTags
	}
	return CommonTags
}

// stateSchema are the state measurements, appended to Schema.
var stateSchema = []MeasurementSpec{
	{
		Name: MeasInterfaceState, Source: "/networkInterfaces (ifInfo[])", Time: timeRetrieval, New: true,
		Tags: []string{TagInterfaceName, TagInterfaceLabel},
		Fields: []FieldSpec{
			{Name: FieldAdminUp, Type: Boolean, New: true},
			{Name: FieldOperUp, Type: Boolean, New: true},
			{Name: FieldSpeed, Type: String, New: true},
			{Name: FieldSpeedMbps, Type: Float, Unit: "Mbps", New: true},
			{Name: FieldDuplex, Type: String, New: true},
			{Name: FieldMTU, Type: Integer, Unit: "bytes (MTU)", New: true},
		},
	},
	{
		Name: MeasNextHopState, Source: "/nexthops", Time: timeRetrieval, New: true,
		Tags: []string{TagInterfaceName, TagNextHop},
		Fields: []FieldSpec{
			{Name: FieldReachable, Type: Boolean, New: true},
			{Name: FieldNextHopState, Type: String, New: true},
			{Name: FieldNextHopUptimeMs, Type: Integer, Unit: "ms", New: true},
			{Name: FieldNextHopSide, Type: String, New: true},
		},
	},
	{
		Name: MeasBGPNeighborState, Source: "Orchestrator /bgp/state/allVrfs?nePk= (read by discovery: every cycle for fleets of up to `ORCH_RATE_LIMIT` × half of `DISCOVERY_INTERVAL` appliances per Orchestrator, 600 by default; a larger fleet in turns, each appliance every few cycles, so query it with `last()` over several minutes)", Time: timeRetrieval, New: true,
		Tags: []string{TagVRF, TagBGPPeer},
		Fields: []FieldSpec{
			{Name: FieldPeerState, Type: String, New: true},
			{Name: FieldPeerStateCode, Type: Integer, Unit: "as reported", New: true},
			{Name: FieldEstablished, Type: Boolean, New: true},
			{Name: FieldPeerASN, Type: Integer, Unit: "as reported", New: true},
			{Name: FieldTimeEstablished, Type: Integer, Unit: "as reported (unit unknown)", New: true},
			{Name: FieldPrefixesReceived, Type: Integer, Unit: "prefixes", New: true},
			{Name: FieldPrefixesSent, Type: Integer, Unit: "prefixes", New: true},
			{Name: FieldBGPProcessState, Type: String, New: true},
			{Name: FieldBGPProcessStateID, Type: Integer, Unit: "as reported", New: true},
		},
	},
	{
		Name: MeasOrchestratorHealth, Source: "Orchestrator /gmsserver/ping and /gmsserver/briefInfo (read by discovery)", Time: timeRetrieval, New: true,
		Scope: ScopeOrchestrator,
		Fields: []FieldSpec{
			{Name: FieldAPIUp, Type: Boolean, New: true},
			{Name: FieldDBHealth, Type: Boolean, New: true},
			{Name: FieldVersion, Type: String, New: true},
			{Name: FieldUptimeSeconds, Type: Integer, Unit: "seconds", New: true},
			{Name: FieldResponseMs, Type: Float, Unit: "ms", New: true},
		},
	},
}

// stateTagBounds are the bounds of the state measurements' new tag keys.
var stateTagBounds = []TagBound{
	{TagVRF, BoundConfig, "one per routing segment (VRF id) of the appliance"},
	{TagBGPPeer, BoundConfig, "one per BGP neighbour address configured on the appliance"},
	{TagNextHop, BoundConfig, "one per next-hop address the appliance monitors (its WAN gateways)"},
}
