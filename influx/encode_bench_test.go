package influx_test

import (
	"testing"
	"time"

	"github.com/ec-telemetry/ec-telemetry/influx"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
)

// BenchmarkEncode measures line protocol for one minute of one simulated
// appliance's statistics, per point.
func BenchmarkEncode(b *testing.B) {
	now := time.Date(2026, 3, 25, 14, 6, 30, 0, time.UTC)
	s, err := simulator.New(simulator.Config{Appliances: 10, Seed: 1, Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	pts, err := s.ExpectedMinutePoints("1.NE", 1774447560)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := influx.Encode(pts); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(pts)), "ns/point")
	})
	// As the writer does: one line at a time into a reused buffer.
	b.Run("LineEncoder", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			var le influx.LineEncoder
			buf = buf[:0]
			for i := range pts {
				var err error
				if buf, err = le.AppendLine(buf, pts[i]); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(pts)), "ns/point")
	})
}
