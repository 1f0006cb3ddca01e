package app

import (
	"testing"

	"github.com/ec-telemetry/ec-telemetry/internal/outputs"
	"github.com/ec-telemetry/ec-telemetry/internal/outputs/otlptest"
)

// TestStartSelfMetrics: with OTLP_SELF_METRICS=true, Start exports the
// registry /metrics serves and the Go runtime metrics, and stop sends the
// last export; with false nothing reaches the receiver.
func TestStartSelfMetrics(t *testing.T) {
	for _, on := range []bool{true, false} {
		name := "off"
		if on {
			name = "on"
		}
		t.Run(name, func(t *testing.T) {
			r := otlptest.Start(t, outputs.ProtocolHTTPProtobuf, false)
			t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", outputs.ProtocolHTTPProtobuf)
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", r.Endpoint)
			t.Setenv("OTEL_SERVICE_NAME", "ect-self")
			// Only the final export at stop, so the test sees exactly it.
			t.Setenv("OTEL_METRIC_EXPORT_INTERVAL", "3600000")
			env := map[string]string{
				"DB_URL": "http://127.0.0.1:1", "REDIS_ADDR": "127.0.0.1:1", "METRICS_ADDR": "127.0.0.1:0",
			}
			if on {
				env["OTLP_SELF_METRICS"] = "true"
			}
			cfg, d, stop := startWorkerDeps(t, env)
			if cfg.OTLPSelfMetrics != on {
				t.Fatalf("OTLPSelfMetrics = %v", cfg.OTLPSelfMetrics)
			}
			d.Metrics.Cycles.WithLabelValues("ok").Add(2)
			stop()
			got := map[string]float64{}
			for _, p := range r.Points() {
				if p.Resource["service.name"] != "ect-self" {
					t.Fatalf("%s: resource %v", p.Name, p.Resource)
				}
				if p.Name == "ectelemetry_discovery_cycles_total" && p.Attrs["result"] != "ok" {
					continue
				}
				got[p.Name] = p.Value
			}
			if !on {
				if len(got) != 0 {
					t.Fatalf("OTLP_SELF_METRICS=false sent %v", got)
				}
				return
			}
			if got["ectelemetry_discovery_cycles_total"] != 2 {
				t.Errorf("ectelemetry_discovery_cycles_total = %v, want 2", got["ectelemetry_discovery_cycles_total"])
			}
			if got["go.memory.used"] <= 0 || got["go.goroutine.count"] <= 0 {
				t.Errorf("Go runtime metrics missing: go.memory.used %v, go.goroutine.count %v", got["go.memory.used"], got["go.goroutine.count"])
			}
		})
	}
}
