package worker

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/outputs"
	"github.com/ec-telemetry/ec-telemetry/internal/outputs/otlptest"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// withOTLP gives the fixture's handler a Fanout with an OTLP output
// configured by the OTEL_* variables pointing at endpoint.
func withOTLP(t *testing.T, f *fixture, o outputs.Options, protocol, endpoint string) *outputs.Fanout {
	t.Helper()
	return runFanout(t, f, o, otlpOutput(t, protocol, endpoint))
}

// otlpOutput is an OTLP output configured by the OTEL_* variables
// pointing at endpoint.
func otlpOutput(t *testing.T, protocol, endpoint string) outputs.Output {
	t.Helper()
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Basic%20dXNlcjpwdw==")
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=lab")
	t.Setenv("OTEL_SERVICE_NAME", "")
	ot, err := outputs.NewOTLP(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return ot
}

// otlpKey identifies a data point: metric name, time and attributes.
func otlpKey(name string, ns uint64, attrs map[string]string) string {
	kv := make([]string, 0, len(attrs))
	for k, v := range attrs {
		kv = append(kv, k+"="+v)
	}
	slices.Sort(kv)
	return fmt.Sprintf("%s@%d{%s}", name, ns, strings.Join(kv, ","))
}

func TestCollectedPointsReachOTLP(t *testing.T) {
	for _, protocol := range []string{outputs.ProtocolGRPC, outputs.ProtocolHTTPProtobuf} {
		t.Run(protocol, func(t *testing.T) {
			r := otlptest.Start(t, protocol, false)
			f := newFixture(t, 2, simulator.Faults{})
			fo := withOTLP(t, f, outputs.Options{}, protocol, r.Endpoint)
			a := collectAll(t, f)

			// Every numeric or boolean field InfluxDB got arrives once.
			type want struct {
				m     telemetry.OTelMetric
				value float64
			}
			wants := map[string]want{}
			measurements := map[string]bool{}
			for _, p := range f.sink.points {
				for k, v := range p.Fields.All() {
					m, ok := telemetry.OTelMetricOf(p.Measurement, k)
					if !ok {
						continue
					}
					var x float64
					switch v := v.(type) {
					case int64:
						x = float64(v)
					case float64:
						x = v
					case bool:
						if v {
							x = 1
						}
					}
					key := otlpKey(m.Name, uint64(p.Time.UnixNano()), p.Tags.Map())
					if _, dup := wants[key]; dup {
						t.Fatalf("two points for %s", key)
					}
					wants[key] = want{m, x * m.Scale}
					measurements[p.Measurement] = true
				}
			}
			if len(measurements) < 10 {
				t.Fatalf("only %d measurements with numeric fields collected", len(measurements))
			}
			deadline := time.Now().Add(30 * time.Second)
			var got []otlptest.Point
			for {
				got = r.Points()
				if len(got) >= len(wants) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("receiver got %d data points, want %d (%+v)", len(got), len(wants), fo.Stats(outputs.NameOTLP))
				}
				time.Sleep(20 * time.Millisecond)
			}
			t.Logf("%d data points of %d measurements", len(got), len(measurements))
			if len(got) != len(wants) {
				t.Errorf("receiver got %d data points, want %d", len(got), len(wants))
			}
			seen := map[string]bool{}
			for _, g := range got {
				key := otlpKey(g.Name, g.Time, g.Attrs)
				w, ok := wants[key]
				if !ok || seen[key] {
					t.Errorf("unexpected or repeated data point %s", key)
					continue
				}
				seen[key] = true
				kind, start := "gauge", uint64(0)
				if w.m.Kind == telemetry.OTelDeltaSum {
					kind, start = "sum", g.Time-uint64(time.Minute)
				}
				if g.Unit != w.m.Unit || g.Kind != kind || g.Start != start || g.Monotonic != (kind == "sum") {
					t.Errorf("%s: unit %q kind %s start %d monotonic %v; want %q %s %d", key, g.Unit, g.Kind, g.Start, g.Monotonic, w.m.Unit, kind, start)
				}
				if diff := g.Value - w.value; diff > 1e-9 || diff < -1e-9 {
					t.Errorf("%s: value %v, want %v", key, g.Value, w.value)
				}
				if g.Attrs[telemetry.TagApplianceID] != a.ID || g.Attrs[telemetry.TagHostname] != a.Hostname {
					t.Errorf("%s: appliance attributes %v", key, g.Attrs)
				}
				if g.Resource["service.name"] != outputs.DefaultServiceName || g.Resource["deployment.environment"] != "lab" {
					t.Errorf("%s: resource %v", key, g.Resource)
				}
			}
			for _, h := range r.Headers() {
				if h["authorization"] != "Basic dXNlcjpwdw==" {
					t.Errorf("authorization header %q", h["authorization"])
				}
			}
			if st := fo.Stats(outputs.NameOTLP); st.Dropped != 0 || st.Published != int64(len(f.sink.points)) {
				t.Errorf("stats %+v, want %d published", st, len(f.sink.points))
			}
		})
	}
}

func TestDeadOTLPReceiverDropsButInfluxDBGetsEverything(t *testing.T) {
	for _, protocol := range []string{outputs.ProtocolGRPC, outputs.ProtocolHTTPProtobuf} {
		t.Run(protocol, func(t *testing.T) {
			f := newFixture(t, 2, simulator.Faults{})
			// Batches fail against the closed port, are retried, then
			// dropped as too old.
			fo := withOTLP(t, f, outputs.Options{MaxAge: 300 * time.Millisecond, RetryMin: 20 * time.Millisecond, RetryMax: 50 * time.Millisecond},
				protocol, "http://"+testenv.ClosedPort(t))
			collectAll(t, f)
			deadline := time.Now().Add(30 * time.Second)
			for {
				st := fo.Stats(outputs.NameOTLP)
				if st.Published != 0 {
					t.Fatalf("stats %+v: published to a closed port", st)
				}
				if st.Dropped == int64(len(f.sink.points)) && st.Queued == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("stats %+v: want all %d points dropped", st, len(f.sink.points))
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}
