package outputs

import (
	"context"
	"testing"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/metrics"
	"github.com/ec-telemetry/ec-telemetry/internal/outputs/otlptest"
)

func TestSelfMetricsExportRegistryAndGoRuntime(t *testing.T) {
	r := otlptest.Start(t, ProtocolHTTPProtobuf, false)
	setOTLPEnv(t, ProtocolHTTPProtobuf, "", r)
	t.Setenv("OTEL_METRIC_EXPORT_INTERVAL", "100")
	m := metrics.New()
	m.Cycles.WithLabelValues("ok").Add(3)
	shutdown, err := StartSelfMetrics(t.Context(), m.Registry)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdown(ctx); err != nil {
			t.Error(err)
		}
	}()
	want := map[string]bool{"ectelemetry_discovery_cycles_total": false, "go.memory.used": false, "process_cpu_seconds_total": false}
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, p := range r.Points() {
			if _, ok := want[p.Name]; !ok {
				continue
			}
			if p.Resource["service.name"] != DefaultServiceName || p.Resource["host.name"] != "collector-1" {
				t.Fatalf("%s resource %v", p.Name, p.Resource)
			}
			if p.Name == "ectelemetry_discovery_cycles_total" {
				if p.Attrs["result"] != "ok" || p.Value != 3 || p.Kind != "sum" || !p.Monotonic {
					t.Fatalf("cycles point %+v", p)
				}
			}
			if p.Name == "go.memory.used" && p.Value <= 0 {
				t.Fatalf("go.memory.used %v", p.Value)
			}
			want[p.Name] = true
		}
		if want["ectelemetry_discovery_cycles_total"] && want["go.memory.used"] && want["process_cpu_seconds_total"] {
			break
		}
		if time.Now().After(deadline) {
			var names []string
			for _, p := range r.Points() {
				names = append(names, p.Name)
			}
			t.Fatalf("missing %v; received %v", want, names)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if h := r.Headers(); len(h) == 0 || h[0]["x-tenant"] != "lab" {
		t.Fatalf("headers %v", h)
	}
}
