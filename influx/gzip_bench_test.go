package influx_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/ec-telemetry/ec-telemetry/influx"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// BenchmarkWriteGzip measures what compressing the writes (DB_GZIP) costs
// the worker and saves the network: one minute of the minute statistics
// of 100 simulated appliances, each appliance's points in a write of its
// own as a job sends them, to a real InfluxDB. It reports the writing
// process's CPU per point (Unix) and the request body's bytes per point.
//
//	go test -run '^$' -bench WriteGzip -count 3 ./influx/
func BenchmarkWriteGzip(b *testing.B) {
	s, now := simFleet(b, 100)
	jobs := minutePoints(b, s, now.Truncate(time.Minute).Add(-time.Minute).Unix())
	points := 0
	for _, pts := range jobs {
		points += len(pts)
	}
	// The bytes on the wire: each job's line protocol, and gzipped as the
	// writer does (the fastest level).
	var plain, packed int
	for _, pts := range jobs {
		lines := encodeAll(b, nil, pts)
		var z bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&z, gzip.BestSpeed)
		if _, err := zw.Write(lines); err != nil || zw.Close() != nil {
			b.Fatal(err)
		}
		plain, packed = plain+len(lines), packed+z.Len()
	}
	db := testenv.StartInfluxDB(b)
	for _, gz := range []bool{false, true} {
		b.Run(fmt.Sprintf("gzip=%t", gz), func(b *testing.B) {
			w, err := influx.NewWriter(influx.Options{URL: db.URL, Bucket: db.Bucket, UseGzip: gz})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(w.Close)
			cpu0, cpuOK := testenv.ProcessCPU()
			for b.Loop() {
				for _, pts := range jobs {
					if n, err := w.Write(b.Context(), pts); err != nil || n != len(pts) {
						b.Fatalf("wrote %d of %d points: %v", n, len(pts), err)
					}
				}
			}
			n := float64(b.N * points)
			if cpu1, ok := testenv.ProcessCPU(); ok && cpuOK {
				b.ReportMetric(float64(cpu1-cpu0)/1e3/n, "cpu-us/point")
			}
			body := plain
			if gz {
				body = packed
			}
			b.ReportMetric(float64(body)/float64(points), "body-bytes/point")
		})
	}
}
