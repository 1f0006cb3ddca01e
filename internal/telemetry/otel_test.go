package telemetry

import (
	"regexp"
	"testing"
)

var otelName = regexp.MustCompile(`^[a-z][a-z0-9_.\-]{0,254}$`)

// TestEveryNumericFieldHasAnOTelMetric fails when a field is added whose
// unit has no OTel unit, or whose name clashes with another's.
func TestEveryNumericFieldHasAnOTelMetric(t *testing.T) {
	seen := map[string]string{}
	for _, s := range Schema {
		for _, f := range s.Fields {
			m, ok := OTelMetricOf(s.Name, f.Name)
			if f.Type == String {
				if ok {
					t.Errorf("%s.%s: string field exported", s.Name, f.Name)
				}
				continue
			}
			if !ok {
				t.Errorf("%s.%s: no OTel metric: add its unit %q to otelUnits", s.Name, f.Name, f.Unit)
				continue
			}
			if !otelName.MatchString(m.Name) {
				t.Errorf("%s.%s: name %q is not a valid OTel metric name", s.Name, f.Name, m.Name)
			}
			if m.Unit == "" || m.Scale <= 0 || (m.Kind != OTelGauge && m.Kind != OTelDeltaSum) {
				t.Errorf("%s.%s: %+v", s.Name, f.Name, m)
			}
			if prev, dup := seen[m.Name]; dup {
				t.Errorf("%s.%s and %s map to the same name %s", s.Name, f.Name, prev, m.Name)
			}
			seen[m.Name] = s.Name + "." + f.Name
		}
	}
}

func TestOTelMetricExamples(t *testing.T) {
	for _, c := range []struct {
		meas, field string
		want        OTelMetric
	}{
		{MeasTunnelStats, FieldAverageLatency, OTelMetric{"edgeconnect.tunnel.average_latency", "ms", OTelGauge, 0.01}},
		{MeasTunnelStats, FieldBytesWanTx, OTelMetric{"edgeconnect.tunnel.bytes_wan_tx", "By", OTelDeltaSum, 1}},
		{MeasInterfaceStats, FieldPacketsRx, OTelMetric{"edgeconnect.interface.packets_rx", "{packet}", OTelDeltaSum, 1}},
		{MeasCPUStats, FieldCPUPIdle, OTelMetric{"edgeconnect.cpu.cpu_pidle", "%", OTelGauge, 1}},
		{MeasMemoryStats, FieldFreeMemory, OTelMetric{"edgeconnect.memory.free_memory", "KiBy", OTelGauge, 1}},
		{MeasDeploymentInfo, FieldWanInboundBW, OTelMetric{"edgeconnect.deployment.wan_inbound_bw", "kbit/s", OTelGauge, 1}},
		{MeasApplianceMetadata, FieldReachable, OTelMetric{"edgeconnect.appliance_metadata.reachable", "1", OTelGauge, 1}},
	} {
		got, ok := OTelMetricOf(c.meas, c.field)
		if !ok || got != c.want {
			t.Errorf("%s.%s = %+v, %v; want %+v", c.meas, c.field, got, ok, c.want)
		}
	}
	if _, ok := OTelMetricOf(MeasApplianceMetadata, FieldModel); ok {
		t.Error("string field model is exported")
	}
}
