package telemetry

// Measurement names. The first seventeen are the Python demo's.
const (
	MeasApplianceMetadata     = "appliance_metadata"
	MeasInterfaceStats        = "interface_stats"
	MeasTunnelStats           = "tunnel_stats"
	MeasFlowStats             = "flow_stats"
	MeasBoostStats            = "boost_stats"
	MeasDropStats             = "drop_stats"
	MeasInterfaceOverlayStats = "interface_overlay_stats"
	MeasTrafficClassStats     = "traffic_class_stats"
	MeasShaperStats           = "shaper_stats"
	MeasMemoryStats           = "memory_stats"
	MeasCPUStats              = "cpu_stats"
	MeasRouteTableStats       = "route_table_stats"
	MeasAlarmStats            = "alarm_stats"
	MeasTunnelCountStats      = "tunnel_count_stats"
	MeasDeploymentInfo        = "deployment_info"
	MeasDiskStats             = "disk_stats"
	MeasRealtime              = "realtime"

	// New in ec-telemetry.
	MeasTunnelAvailability = "tunnel_availability"
	MeasTunnelPeakStats    = "tunnel_peak_stats"
	MeasProbeStats         = "probe_stats"
	MeasApplianceStatus    = "appliance_status"
	MeasAlarmEvents        = "alarm_events"
)

// Tag keys.
const (
	TagApplianceID     = "appliance_id"
	TagOrchestrator    = "orchestrator" // name of the Orchestrator that lists the appliance (ORCHESTRATORS_FILE, ORCH_NAME)
	TagHostname        = "hostname"
	TagInterfaceName   = "interface_name"
	TagInterfaceLabel  = "interface_label"
	TagTrafficType     = "traffic_type"
	TagTunnelID        = "tunnel_id"
	TagTunnelAlias     = "tunnel_alias"
	TagOverlay         = "overlay"
	TagFlowType        = "flow_type"
	TagDropReason      = "drop_reason"
	TagTunnelType      = "tunnel_type"
	TagTrafficClass    = "traffic_class"
	TagShaperDirection = "shaper_direction"
	TagCPUNumber       = "cpu_number"
	TagLanWan          = "lan/wan"
	TagDiskDir         = "disk_dir"
	TagProbeName       = "probe_name"
	TagProbeTarget     = "probe_target"
	TagProbeType       = "probe_type"
	TagSeverity        = "severity"
	TagAlarmName       = "name"
	TagAlarmType       = "type"
	TagAlarmSource     = "source"
)

// Field keys of appliance_metadata.
const (
	FieldNetworkRole           = "network_role"
	FieldModel                 = "model"
	FieldPlatform              = "platform"
	FieldSoftwareVersion       = "software_version"
	FieldLicenseDisplay        = "license_display"
	FieldLicenseBW             = "license_bw"
	FieldApplianceState        = "appliance_state"
	FieldApplianceReachability = "appliance_reachability"
	FieldUptime                = "uptime"
	FieldReachable             = "reachable"
	FieldReachabilityMethod    = "reachability_method"
	FieldReachabilityRTTMs     = "reachability_rtt_ms"
	FieldSite                  = "site"
	FieldGroupID               = "group_id"
	FieldSerial                = "serial"
	// FieldCollectedVia says how the appliance was read: ViaDirect or
	// ViaOrchestrator.
	FieldCollectedVia = "collected_via"
)

// Values of FieldCollectedVia.
const (
	ViaDirect       = "direct"       // HTTPS to the appliance with an appliance session
	ViaOrchestrator = "orchestrator" // the Orchestrator's pass-through, Orchestrator credentials only
)

// Field keys shared by interface_stats and interface_overlay_stats.
const (
	FieldBytesTx           = "bytes_tx"
	FieldBytesRx           = "bytes_rx"
	FieldPacketsTx         = "packets_tx"
	FieldPacketsRx         = "packets_rx"
	FieldOverheadBytesTx   = "overhead_bytes_tx"
	FieldOverheadBytesRx   = "overhead_bytes_rx"
	FieldOverheadPacketsTx = "overhead_packets_tx"
	FieldOverheadPacketsRx = "overhead_packets_rx"
	FieldFirewallBytesTx   = "firewall_bytes_tx"
	FieldFirewallBytesRx   = "firewall_bytes_rx"
	FieldFirewallPacketsTx = "firewall_packets_tx"
	FieldFirewallPacketsRx = "firewall_packets_rx"
	FieldMaxBandwidthTx    = "max_bandwidth_tx"
	FieldMaxBandwidthRx    = "max_bandwidth_rx"
	FieldMaxBWTx           = "max_bw_tx"
	FieldMaxBWRx           = "max_bw_rx"
)

// Field keys shared by tunnel_stats and traffic_class_stats.
const (
	FieldSDWANTunnel               = "sdwan_tunnel"
	FieldBytesWanTx                = "bytes_wan_tx"
	FieldBytesWanRx                = "bytes_wan_rx"
	FieldBytesLanTx                = "bytes_lan_tx"
	FieldBytesLanRx                = "bytes_lan_rx"
	FieldPacketsWanTx              = "packets_wan_tx"
	FieldPacketsWanRx              = "packets_wan_rx"
	FieldPacketsLanTx              = "packets_lan_tx"
	FieldPacketsLanRx              = "packets_lan_rx"
	FieldAverageLatency            = "average_latency"
	FieldMinLatency                = "min_latency"
	FieldTCPFlowCount              = "TCP_flow_count"
	FieldTCPAcceleratedFlowCount   = "TCP_Accelerated_flow_count"
	FieldNonTCPFlowCount           = "non-TCP_flow_count"
	FieldFlowsCreatedTunnel        = "Flows_Created"
	FieldFlowsDeletedTunnel        = "Flows_Deleted"
	FieldLostPacketsPreFEC         = "Lost_Packets_pre-FEC"
	FieldLostPacketsPostFEC        = "Lost_Packets_post-FEC"
	FieldLossPctPreFEC             = "Loss_Pct_pre-FEC"
	FieldLossPctPostFEC            = "Loss_Pct_post-FEC"
	FieldOutOfOrderPacketsPrePOC   = "Out_of_Order_Packets_pre-POC"
	FieldOutOfOrderPacketsPostPOC  = "Out_of_Order_Packets_post-POC"
	FieldOutOfOrderPctPrePOC       = "Out_of_Order_Pct_pre-POC"
	FieldOutOfOrderPctPostPOC      = "Out_of_Order_Pct_post-POC"
	FieldOverheadWanRxPackets      = "Overhead_wan_rx_packets"
	FieldOverheadWanTxPackets      = "Overhead_wan_tx_packets"
	FieldOverheadWanRxBytes        = "Overhead_wan_rx_bytes"
	FieldOverheadWanTxBytes        = "Overhead_wan_tx_bytes"
	FieldOverheadHeaderWanRxBytes  = "Overhead_header_wan_rx_bytes"
	FieldOverheadHeaderWanTxBytes  = "Overhead_header_wan_tx_bytes"
	FieldPostFECMOSScore           = "Post_FEC_MOS_Score_(*100)"
	FieldPreFECMOSScore            = "Pre_FEC_MOS_Score_(*100)"
	FieldJitterMs                  = "Jitter_(ms)"
	FieldTrafficClassName          = "traffic_class_name"
	FieldTotalBytesShaped          = "total_bytes_shaped"
	FieldTotalBytesUsedShaped      = "total_bytes_used_shaped"
	FieldTotalPacketsUsedShaped    = "total_packets_used_shaped"
	FieldShaperWaitTime            = "shaper_wait_time"
	FieldShaperWaitCount           = "shaper_wait_count"
	FieldShaperDroppedExpiredPkts  = "shaper_dropped_expired_packets"
	FieldShaperDroppedOther        = "shaper_dropped_other"
	FieldBoostConfiguredKbps       = "boost_configured_kbps"
	FieldBoostBytes                = "boost_bytes"
	FieldSecondsNotBoostedInMinute = "seconds_not_boosted_in_minute"
	FieldDropCount                 = "drop_count"
)

// Field keys of flow_stats.
const (
	FieldFlowsCreated  = "flows_created"
	FieldFlowsDeleted  = "flows_deleted"
	FieldFlowsExist    = "flows_exist"
	FieldWanTxBytes    = "wan_tx_bytes"
	FieldWanRxBytes    = "wan_rx_bytes"
	FieldLanTxBytes    = "lan_tx_bytes"
	FieldLanRxBytes    = "lan_rx_bytes"
	FieldWanTxPackets  = "wan_tx_packets"
	FieldWanRxPackets  = "wan_rx_packets"
	FieldLanTxPackets  = "lan_tx_packets"
	FieldLanRxPackets  = "lan_rx_packets"
	FieldPps           = "pps"
	FieldTotalRoutes   = "total_routes"
	FieldTotalV4Routes = "total_v4_routes"
	FieldTotalV6Routes = "total_v6_routes"
)

// Field keys of memory_stats.
const (
	FieldTotalMemory = "total_memory"
	FieldFreeMemory  = "free_memory"
	FieldBuffers     = "buffers"
	FieldCached      = "cached"
	FieldUsedMemory  = "used_memory"
	FieldSwapTotal   = "swap_total"
	FieldSwapFree    = "swap_free"
	FieldSwapUsed    = "swap_used"
)

// Field keys of cpu_stats.
const (
	FieldCPUPIdle = "cpu_pIdle"
	FieldCPUPUser = "cpu_pUser"
	FieldCPUPSys  = "cpu_pSys"
	FieldCPUPIRQ  = "cpu_pIRQ"
	FieldCPUPNice = "cpu_pNice"
)

// Field keys of alarm_stats.
const (
	FieldCriticalAlarms                = "critical_alarms"
	FieldMajorAlarms                   = "major_alarms"
	FieldMinorAlarms                   = "minor_alarms"
	FieldWarningAlarms                 = "warning_alarms"
	FieldClearedAlarms                 = "cleared_alarms"
	FieldOutstandingAlarms             = "outstanding_alarms"
	FieldSWOutstandingAlarms           = "sw_outstanding_alarms"
	FieldHWOutstandingAlarms           = "hw_outstanding_alarms"
	FieldTCAOutstandingAlarms          = "tca_outstanding_alarms"
	FieldTrafficClassOutstandingAlarms = "traffic_class_outstanding_alarms"
	FieldTunnelOutstandingAlarms       = "tunnel_outstanding_alarms"
	FieldRaiseIgnoreAlarms             = "raise_ignore_alarms"
)

// Field keys of tunnel_count_stats.
const (
	FieldUnderlaySDWANTunnels     = "underlay_sdwan_tunnels"
	FieldOverlaySDWANTunnels      = "overlay_sdwan_tunnels"
	FieldThirdPartyTunnels        = "third_party_tunnels"
	FieldUpUnderlaySDWANTunnels   = "up_underlay_sdwan_tunnels"
	FieldUpOverlaySDWANTunnels    = "up_overlay_sdwan_tunnels"
	FieldUpThirdPartyTunnels      = "up_third_party_tunnels"
	FieldDownUnderlaySDWANTunnels = "down_underlay_sdwan_tunnels"
	FieldDownOverlaySDWANTunnels  = "down_overlay_sdwan_tunnels"
	FieldDownThirdPartyTunnels    = "down_third_party_tunnels"
	FieldUnderlayDownTunnels      = "underlay_down_tunnels"
	FieldOverlayDownTunnels       = "overlay_down_tunnels"
	FieldThirdPartyDownTunnels    = "third_party_down_tunnels"
)

// Field keys of deployment_info and disk_stats.
const (
	FieldWanInboundBW  = "wan_inbound_bw"
	FieldWanOutboundBW = "wan_outbound_bw"
	Field1kBlocks      = "1k-blocks"
	FieldUsed          = "used"
	FieldAvailable     = "available"
	FieldUsedPercent   = "used_percent"
	FieldFilesystem    = "filesystem"
)

// Field keys of the new measurements tunnel_availability, tunnel_peak_stats
// and probe_stats.
const (
	FieldDownSeconds        = "down_seconds"
	FieldAvailabilityPct    = "availability_pct"
	FieldPeakBytesWanTx     = "peak_bytes_wan_tx"
	FieldPeakBytesWanRx     = "peak_bytes_wan_rx"
	FieldPeakBytesLanTx     = "peak_bytes_lan_tx"
	FieldPeakBytesLanRx     = "peak_bytes_lan_rx"
	FieldPeakPacketsWanTx   = "peak_packets_wan_tx"
	FieldPeakPacketsWanRx   = "peak_packets_wan_rx"
	FieldPeakPacketsLanTx   = "peak_packets_lan_tx"
	FieldPeakPacketsLanRx   = "peak_packets_lan_rx"
	FieldPeakLatency        = "peak_latency"
	FieldPeakJitter         = "peak_jitter"
	FieldProbeSampleSeconds = "sample_interval_seconds"
)

// ProbeRawFields names the sixteen numeric columns of probe_v2.txt whose
// meaning is not established: nothing documents those positions.
// They are stored unchanged as raw_01 … raw_16 so that they can be mapped
// once their meaning is known, without losing history.
var ProbeRawFields = [16]string{
	"raw_01", "raw_02", "raw_03", "raw_04", "raw_05", "raw_06", "raw_07", "raw_08",
	"raw_09", "raw_10", "raw_11", "raw_12", "raw_13", "raw_14", "raw_15", "raw_16",
}

// Field keys of appliance_status, the collector's verdict on an appliance.
const (
	FieldStatus         = "status"
	FieldStatusCode     = "status_code"
	FieldReason         = "reason"
	FieldDataAgeSeconds = "data_age_seconds"
	FieldTunnelsUp      = "tunnels_up"
	FieldTunnelsDown    = "tunnels_down"
)

// Field keys of alarm_events, one point per alarm raised or cleared.
const (
	FieldEvent        = "event"
	FieldDescription  = "description"
	FieldAcknowledged = "acknowledged"
	FieldClearable    = "clearable"
	FieldSequenceID   = "sequence_id"
	FieldActive       = "active"
)
