package outputs

import (
	"context"
	"slices"
	"testing"
	"time"

	metricpb "go.opentelemetry.io/proto/otlp/metrics/v1"

	"github.com/ec-telemetry/ec-telemetry/internal/outputs/otlptest"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// setOTLPEnv points the OTEL_* variables at the receiver.
// An empty service name leaves service.name to the default.
func setOTLPEnv(t *testing.T, protocol, service string, r *otlptest.Receiver) {
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", r.Endpoint)
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20s3cr3t,x-tenant=lab")
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=test,host.name=collector-1")
	t.Setenv("OTEL_SERVICE_NAME", service)
	t.Setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "5000")
	if r.CAFile != "" {
		t.Setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", r.CAFile)
	}
}

func testPoints(at time.Time) []telemetry.Point {
	tags := map[string]string{telemetry.TagApplianceID: "3.NE", telemetry.TagHostname: "branch-1", telemetry.TagTunnelID: "tunnel_7"}
	return []telemetry.Point{
		{Measurement: telemetry.MeasTunnelStats, Tags: telemetry.TagsOf(tags), Time: at, Fields: telemetry.FieldsOf(map[string]any{
			telemetry.FieldBytesWanTx: int64(12345), telemetry.FieldAverageLatency: int64(1250), telemetry.FieldSDWANTunnel: true,
		})},
		{Measurement: telemetry.MeasCPUStats, Time: at.Add(7 * time.Second),
			Tags:   telemetry.TagsOf(map[string]string{telemetry.TagApplianceID: "3.NE", telemetry.TagHostname: "branch-1", telemetry.TagCPUNumber: "0"}),
			Fields: telemetry.FieldsOf(map[string]any{telemetry.FieldCPUPIdle: 97.5})},
		{Measurement: telemetry.MeasApplianceMetadata, Time: at, Tags: telemetry.TagsOf(map[string]string{telemetry.TagApplianceID: "3.NE", telemetry.TagHostname: "branch-1"}),
			Fields: telemetry.FieldsOf(map[string]any{telemetry.FieldModel: "EC-XS"})},
	}
}

// newTestOTLP starts a receiver and returns an OTLP output pointed at it.
func newTestOTLP(t *testing.T, protocol, service string, useTLS bool) (*OTLP, *otlptest.Receiver) {
	t.Helper()
	r := otlptest.Start(t, protocol, useTLS)
	setOTLPEnv(t, protocol, service, r)
	o, err := NewOTLP(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(o.Close)
	return o, r
}

func TestOTLPExportsOverGRPCAndHTTP(t *testing.T) {
	for _, c := range []struct {
		protocol string
		tls      bool
	}{{ProtocolGRPC, false}, {ProtocolHTTPProtobuf, false}, {ProtocolHTTPProtobuf, true}} {
		name := c.protocol
		if c.tls {
			name += "+tls"
		}
		t.Run(name, func(t *testing.T) {
			o, r := newTestOTLP(t, c.protocol, "", c.tls)
			if o.Protocol() != c.protocol {
				t.Fatalf("protocol %s, want %s", o.Protocol(), c.protocol)
			}
			at := time.Date(2026, 11, 30, 3, 41, 0, 0, time.UTC)
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			if err := o.Publish(ctx, testPoints(at)); err != nil {
				t.Fatal(err)
			}
			got := map[string]otlptest.Point{}
			for _, p := range r.Points() {
				got[p.Name] = p
			}
			ns := uint64(at.UnixNano())
			want := map[string]otlptest.Point{
				"edgeconnect.tunnel.bytes_wan_tx": {Unit: "By", Kind: "sum", Monotonic: true, Temporality: metricpb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA,
					Start: ns - uint64(time.Minute), Time: ns, Int: true, Value: 12345},
				"edgeconnect.tunnel.average_latency": {Unit: "ms", Kind: "gauge", Time: ns, Value: 12.5},
				"edgeconnect.tunnel.sdwan_tunnel":    {Unit: "1", Kind: "gauge", Time: ns, Int: true, Value: 1},
				"edgeconnect.cpu.cpu_pidle":          {Unit: "%", Kind: "gauge", Time: ns + uint64(7*time.Second), Value: 97.5},
			}
			if len(got) != len(want) {
				t.Errorf("got metrics %v, want %d (the string field model is not exported)", got, len(want))
			}
			for n, w := range want {
				g, ok := got[n]
				if !ok {
					t.Errorf("metric %s missing", n)
					continue
				}
				if g.Unit != w.Unit || g.Kind != w.Kind || g.Monotonic != w.Monotonic || g.Temporality != w.Temporality ||
					g.Start != w.Start || g.Time != w.Time || g.Int != w.Int || g.Value != w.Value {
					t.Errorf("%s = %+v, want %+v", n, g, w)
				}
				if g.Attrs[telemetry.TagApplianceID] != "3.NE" || g.Attrs[telemetry.TagHostname] != "branch-1" {
					t.Errorf("%s attributes %v", n, g.Attrs)
				}
				if g.Resource["service.name"] != DefaultServiceName || g.Resource["deployment.environment"] != "test" || g.Resource["host.name"] != "collector-1" {
					t.Errorf("%s resource %v", n, g.Resource)
				}
				if g.Scope != scopeName {
					t.Errorf("%s scope %q", n, g.Scope)
				}
			}
			if got["edgeconnect.tunnel.bytes_wan_tx"].Attrs[telemetry.TagTunnelID] != "tunnel_7" {
				t.Errorf("tunnel_id attribute missing: %v", got["edgeconnect.tunnel.bytes_wan_tx"].Attrs)
			}
			hs := r.Headers()
			if len(hs) != 1 || hs[0]["authorization"] != "Bearer s3cr3t" || hs[0]["x-tenant"] != "lab" {
				t.Errorf("headers %v", hs)
			}
		})
	}
}

func TestOTLPSplitsLargeBatches(t *testing.T) {
	o, r := newTestOTLP(t, ProtocolGRPC, "", false)
	at := time.Unix(1790000000, 0)
	var points []telemetry.Point
	for i := range 2*OTLPPointsPerRequest + 1 {
		points = append(points, telemetry.Point{Measurement: telemetry.MeasCPUStats, Time: at.Add(time.Duration(i) * time.Second),
			Tags:   telemetry.TagsOf(map[string]string{telemetry.TagApplianceID: "3.NE", telemetry.TagHostname: "branch-1", telemetry.TagCPUNumber: "0"}),
			Fields: telemetry.FieldsOf(map[string]any{telemetry.FieldCPUPIdle: float64(i)})})
	}
	if err := o.Publish(t.Context(), points); err != nil {
		t.Fatal(err)
	}
	if n := len(r.Headers()); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
	got := r.Points()
	if len(got) != len(points) {
		t.Fatalf("%d data points, want %d", len(got), len(points))
	}
	for i, p := range got {
		if p.Value != float64(i) || p.Time != uint64(at.Add(time.Duration(i)*time.Second).UnixNano()) {
			t.Errorf("data point %d: %+v", i, p)
			break
		}
	}
}

func TestOTLPServiceNameFromEnv(t *testing.T) {
	o, r := newTestOTLP(t, ProtocolHTTPProtobuf, "edge-lab", false)
	if err := o.Publish(t.Context(), testPoints(time.Unix(1790000000, 0))); err != nil {
		t.Fatal(err)
	}
	ps := r.Points()
	if len(ps) == 0 || ps[0].Resource["service.name"] != "edge-lab" {
		t.Errorf("service.name not from OTEL_SERVICE_NAME: %+v", ps)
	}
}

// Without OTEL_EXPORTER_OTLP_CERTIFICATE the receiver's test certificate
// is not trusted: TLS is verified unless insecure is asked for.
func TestOTLPVerifiesTLS(t *testing.T) {
	r := otlptest.Start(t, ProtocolHTTPProtobuf, true)
	r.CAFile = ""
	setOTLPEnv(t, ProtocolHTTPProtobuf, "", r)
	t.Setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", "")
	o, err := NewOTLP(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(o.Close)
	if err := o.Publish(t.Context(), testPoints(time.Unix(1790000000, 0))); err == nil {
		t.Fatal("export to an untrusted certificate succeeded")
	}
	if n := len(r.Points()); n != 0 {
		t.Errorf("receiver got %d points", n)
	}
}

func TestOTLPHeaderSecrets(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20s3cr3t, x-tenant=lab")
	t.Setenv("OTEL_EXPORTER_OTLP_METRICS_HEADERS", "api-key=k3y,broken")
	got := OTLPHeaderSecrets()
	want := []string{"Bearer%20s3cr3t", "Bearer s3cr3t", "s3cr3t", "k3y"}
	if !slices.Equal(got, want) {
		t.Errorf("OTLPHeaderSecrets = %q, want %q", got, want)
	}
}

func TestOTLPProtocolFromEnv(t *testing.T) {
	for _, c := range []struct{ metrics, general, want string }{
		{"", "", ProtocolHTTPProtobuf},
		{"", "grpc", ProtocolGRPC},
		{"http/protobuf", "grpc", ProtocolHTTPProtobuf},
		{"http/json", "", ""},
	} {
		t.Setenv("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", c.metrics)
		t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", c.general)
		got, err := OTLPProtocol()
		if got != c.want || (err != nil) != (c.want == "") {
			t.Errorf("%q/%q: %q, %v; want %q", c.metrics, c.general, got, err, c.want)
		}
	}
}
