package outputs_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/outputs"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// minutePoints is what the worker writes for one minute of one simulated
// appliance's statistics.
func minutePoints(b *testing.B) []telemetry.Point {
	b.Helper()
	now := time.Date(2026, 3, 25, 14, 6, 30, 0, time.UTC)
	s, err := simulator.New(simulator.Config{Appliances: 10, Seed: 1, Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	pts, err := s.ExpectedMinutePoints("1.NE", 1774447560)
	if err != nil {
		b.Fatal(err)
	}
	return pts
}

// BenchmarkOTLPPublish measures the OTLP output's cost per point: the
// conversion to OTel metrics, the SDK exporter's protobuf encoding and an
// HTTP/protobuf request to a loopback receiver that discards the body.
func BenchmarkOTLPPublish(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer srv.Close()
	b.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	b.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	o, err := outputs.NewOTLP(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	defer o.Close()
	pts := minutePoints(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := o.Publish(b.Context(), pts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(pts)), "ns/point")
}

// BenchmarkResourceMetrics measures the conversion of points to OTel
// metrics alone.
func BenchmarkResourceMetrics(b *testing.B) {
	pts := minutePoints(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = outputs.ResourceMetrics(nil, pts)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(pts)), "ns/point")
}
