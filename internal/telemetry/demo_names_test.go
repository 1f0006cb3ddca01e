package telemetry

import "testing"

// demoSchema is the Python demo's InfluxDB schema, transcribed by hand (not
// derived from Schema), so a renamed or retyped constant fails here.
var demoSchema = []struct {
	measurement string
	tags        []string
	fields      map[string]FieldType
}{
	{"appliance_metadata", nil, map[string]FieldType{
		"network_role": String, "model": String, "platform": String, "software_version": String,
		"license_display": String, "license_bw": Integer, "appliance_state": Integer,
		"appliance_reachability": Integer, "uptime": Integer,
	}},
	{"interface_stats", []string{"interface_name", "interface_label", "traffic_type"}, map[string]FieldType{
		"bytes_tx": Integer, "bytes_rx": Integer, "packets_tx": Integer, "packets_rx": Integer,
		"overhead_bytes_tx": Integer, "overhead_bytes_rx": Integer, "overhead_packets_tx": Integer,
		"overhead_packets_rx": Integer, "firewall_bytes_tx": Integer, "firewall_bytes_rx": Integer,
		"firewall_packets_tx": Integer, "firewall_packets_rx": Integer, "max_bandwidth_tx": Integer,
		"max_bandwidth_rx": Integer,
	}},
	{"tunnel_stats", []string{"tunnel_id", "tunnel_alias", "overlay"}, map[string]FieldType{
		"sdwan_tunnel": Boolean, "bytes_wan_tx": Integer, "bytes_wan_rx": Integer, "bytes_lan_tx": Integer,
		"bytes_lan_rx": Integer, "packets_wan_tx": Integer, "packets_wan_rx": Integer, "packets_lan_tx": Integer,
		"packets_lan_rx": Integer, "average_latency": Integer, "min_latency": Integer, "TCP_flow_count": Integer,
		"TCP_Accelerated_flow_count": Integer, "non-TCP_flow_count": Integer, "Flows_Created": Integer,
		"Flows_Deleted": Integer, "Lost_Packets_pre-FEC": Integer, "Lost_Packets_post-FEC": Integer,
		"Loss_Pct_pre-FEC": Integer, "Loss_Pct_post-FEC": Integer, "Out_of_Order_Packets_pre-POC": Integer,
		"Out_of_Order_Packets_post-POC": Integer, "Out_of_Order_Pct_pre-POC": Integer,
		"Out_of_Order_Pct_post-POC": Integer, "Overhead_wan_rx_packets": Integer,
		"Overhead_wan_tx_packets": Integer, "Overhead_wan_rx_bytes": Integer, "Overhead_wan_tx_bytes": Integer,
		"Overhead_header_wan_rx_bytes": Integer, "Overhead_header_wan_tx_bytes": Integer,
		"Post_FEC_MOS_Score_(*100)": Integer, "Pre_FEC_MOS_Score_(*100)": Integer, "Jitter_(ms)": Integer,
	}},
	{"flow_stats", []string{"flow_type", "traffic_type"}, map[string]FieldType{
		"flows_created": Integer, "flows_deleted": Integer, "flows_exist": Integer, "wan_tx_bytes": Integer,
		"wan_rx_bytes": Integer, "lan_tx_bytes": Integer, "lan_rx_bytes": Integer, "wan_tx_packets": Integer,
		"wan_rx_packets": Integer, "lan_tx_packets": Integer, "lan_rx_packets": Integer,
	}},
	{"boost_stats", nil, map[string]FieldType{
		"boost_configured_kbps": Integer, "boost_bytes": Integer, "seconds_not_boosted_in_minute": Integer,
	}},
	{"drop_stats", []string{"drop_reason"}, map[string]FieldType{"drop_count": Integer}},
	{"interface_overlay_stats", []string{"interface_name", "tunnel_type", "interface_label", "overlay"}, map[string]FieldType{
		"bytes_tx": Integer, "bytes_rx": Integer, "packets_tx": Integer, "packets_rx": Integer,
		"overhead_bytes_tx": Integer, "overhead_bytes_rx": Integer, "overhead_packets_tx": Integer,
		"overhead_packets_rx": Integer, "max_bw_tx": Integer, "max_bw_rx": Integer,
	}},
	{"traffic_class_stats", []string{"traffic_class", "traffic_type"}, map[string]FieldType{
		"bytes_wan_tx": Integer, "bytes_wan_rx": Integer, "bytes_lan_tx": Integer, "bytes_lan_rx": Integer,
		"packets_wan_tx": Integer, "packets_wan_rx": Integer, "packets_lan_tx": Integer,
		"packets_lan_rx": Integer, "traffic_class_name": String,
	}},
	{"shaper_stats", []string{"traffic_class", "shaper_direction"}, map[string]FieldType{
		"total_bytes_shaped": Integer, "total_bytes_used_shaped": Integer, "total_packets_used_shaped": Integer,
		"shaper_wait_time": Integer, "shaper_wait_count": Integer, "shaper_dropped_expired_packets": Integer,
		"shaper_dropped_other": Integer, "traffic_class_name": String,
	}},
	{"memory_stats", nil, map[string]FieldType{
		"total_memory": Integer, "free_memory": Integer, "buffers": Integer, "cached": Integer,
		"used_memory": Integer, "swap_total": Integer, "swap_free": Integer, "swap_used": Integer,
	}},
	{"cpu_stats", []string{"cpu_number"}, map[string]FieldType{
		"cpu_pIdle": Float, "cpu_pUser": Float, "cpu_pSys": Float, "cpu_pIRQ": Float, "cpu_pNice": Float,
	}},
	{"route_table_stats", nil, map[string]FieldType{
		"total_routes": Integer, "total_v4_routes": Integer, "total_v6_routes": Integer,
	}},
	{"alarm_stats", nil, map[string]FieldType{
		"critical_alarms": Integer, "major_alarms": Integer, "minor_alarms": Integer, "warning_alarms": Integer,
		"cleared_alarms": Integer, "outstanding_alarms": Integer, "sw_outstanding_alarms": Integer,
		"hw_outstanding_alarms": Integer, "tca_outstanding_alarms": Integer,
		"traffic_class_outstanding_alarms": Integer, "tunnel_outstanding_alarms": Integer,
		"raise_ignore_alarms": Integer,
	}},
	{"tunnel_count_stats", nil, map[string]FieldType{
		"underlay_sdwan_tunnels": Integer, "overlay_sdwan_tunnels": Integer, "third_party_tunnels": Integer,
		"up_underlay_sdwan_tunnels": Integer, "up_overlay_sdwan_tunnels": Integer,
		"up_third_party_tunnels": Integer, "down_underlay_sdwan_tunnels": Integer,
		"down_overlay_sdwan_tunnels": Integer, "down_third_party_tunnels": Integer,
		"underlay_down_tunnels": String, "overlay_down_tunnels": String, "third_party_down_tunnels": String,
	}},
	{"deployment_info", []string{"interface_name", "interface_label", "lan/wan"}, map[string]FieldType{
		"wan_inbound_bw": Integer, "wan_outbound_bw": Integer,
	}},
	{"disk_stats", []string{"disk_dir"}, map[string]FieldType{
		"1k-blocks": Integer, "used": Integer, "available": Integer, "used_percent": Integer, "filesystem": String,
	}},
	{"realtime", nil, map[string]FieldType{"pps": Integer}},
}

func TestSchemaHasEveryDemoName(t *testing.T) {
	for _, d := range demoSchema {
		spec, ok := Lookup(d.measurement)
		if !ok {
			t.Errorf("measurement %q of the demo is missing from Schema", d.measurement)
			continue
		}
		if spec.New {
			t.Errorf("%s is marked New but the demo wrote it", d.measurement)
		}
		for _, tag := range append([]string{"appliance_id", "hostname"}, d.tags...) {
			if !spec.HasTag(tag) {
				t.Errorf("%s: demo tag %q missing", d.measurement, tag)
			}
		}
		for name, typ := range d.fields {
			f, ok := spec.Field(name)
			switch {
			case !ok:
				t.Errorf("%s: demo field %q missing", d.measurement, name)
			case f.Type != typ:
				t.Errorf("%s: field %q is %s, the demo wrote %s", d.measurement, name, f.Type, typ)
			case f.New:
				t.Errorf("%s: field %q is marked New but the demo wrote it", d.measurement, name)
			}
		}
		// Every field we add to a demo measurement must be marked New.
		for _, f := range spec.Fields {
			if _, demo := d.fields[f.Name]; !demo && !f.New {
				t.Errorf("%s: field %q is not the demo's and not marked New", d.measurement, f.Name)
			}
		}
	}
	if got, want := len(Schema)-countNew(), len(demoSchema); got != want {
		t.Errorf("Schema has %d demo measurements, the demo has %d", got, want)
	}
}

func countNew() int {
	n := 0
	for _, s := range Schema {
		if s.New {
			n++
		}
	}
	return n
}

func TestSchemaIsWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Schema {
		if seen[s.Name] {
			t.Errorf("measurement %q declared twice", s.Name)
		}
		seen[s.Name] = true
		fields := map[string]bool{}
		for _, f := range s.Fields {
			if fields[f.Name] {
				t.Errorf("%s: field %q declared twice", s.Name, f.Name)
			}
			fields[f.Name] = true
			if f.Type < Integer || f.Type > String {
				t.Errorf("%s: field %q has no type", s.Name, f.Name)
			}
			if s.HasTag(f.Name) {
				t.Errorf("%s: %q is both a tag and a field", s.Name, f.Name)
			}
		}
		if s.Source == "" || s.Time == "" {
			t.Errorf("%s: Source and Time must be documented", s.Name)
		}
	}
}
