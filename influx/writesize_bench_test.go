package influx_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/minutestats"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// BenchmarkInfluxDBWriteSize measures what InfluxDB 1.8 itself spends per
// point of minute statistics, by how many appliances share one write: one
// (a job's own write, as the worker sends them) or twenty (writes gathered
// across jobs). Each op writes one minute of 1,000 simulated appliances,
// 16 writes at a time, to an influxd with the bench's cache settings whose
// series exist already (the minute before was written first). It reports
// influxd's CPU per point from /proc (Linux), so it says whether gathering
// jobs' points into larger writes would spare the database.
//
//	go test -run '^$' -bench InfluxDBWriteSize -benchtime 3x ./influx/
func BenchmarkInfluxDBWriteSize(b *testing.B) {
	const fleet = 1000
	s, now := simFleet(b, fleet)
	// minute returns each appliance's lines of minute m.
	minute := func(b *testing.B, m int64) (lines [][]byte, points int) {
		for _, pts := range minutePoints(b, s, m) {
			lines = append(lines, encodeAll(b, nil, pts))
			points += len(pts)
		}
		return lines, points
	}
	first := now.Truncate(time.Minute).Add(-30 * time.Minute).Unix()
	for _, per := range []int{1, 20} {
		b.Run(fmt.Sprintf("appliances-per-write=%d", per), func(b *testing.B) {
			db := testenv.StartInfluxDBWith(b, testenv.InfluxDBOptions{CacheSnapshot: "1g", CacheMax: "4g", WALFsyncDelay: "100ms"})
			lines, _ := minute(b, first)
			writeAll(b, db, lines, per) // the series
			m := first
			var cpu float64
			var points int
			for b.Loop() {
				b.StopTimer()
				m += 60
				lines, n := minute(b, m)
				before := influxdCPU(b, db)
				b.StartTimer()
				writeAll(b, db, lines, per)
				b.StopTimer()
				cpu += influxdCPU(b, db) - before
				points += n
				b.StartTimer()
			}
			b.ReportMetric(cpu*1e6/float64(points), "influxd-cpu-us/point")
			b.ReportMetric(float64(points)/float64(b.N)/float64(fleet)*float64(per), "points/write")
		})
	}
}

// writeAll writes lines, per appliances' lines in each write, 16 writes at
// a time.
func writeAll(b *testing.B, db *testenv.InfluxDB, lines [][]byte, per int) {
	bodies := make(chan []byte)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for body := range bodies {
				if err := db.WriteLines(b.Context(), string(body)); err != nil {
					b.Error(err)
				}
			}
		})
	}
	for i := 0; i < len(lines); i += per {
		bodies <- bytes.Join(lines[i:min(i+per, len(lines))], nil)
	}
	close(bodies)
	wg.Wait()
}

func influxdCPU(b *testing.B, db *testenv.InfluxDB) float64 {
	s, err := db.CPU()
	if err != nil {
		b.Skipf("influxd's CPU: %v", err)
	}
	return s
}

// simFleet is a simulator of fleet appliances whose clock stands still at
// the time it returns.
func simFleet(b *testing.B, fleet int) (*simulator.Simulator, time.Time) {
	now := time.Date(2026, 3, 25, 14, 30, 30, 0, time.UTC)
	s, err := simulator.New(simulator.Config{Appliances: fleet, Seed: 1, Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	return s, now
}

// minutePoints are the minute statistics of minute m, parsed, one slice
// per appliance of s.
func minutePoints(b *testing.B, s *simulator.Simulator, m int64) [][]telemetry.Point {
	var out [][]telemetry.Point
	for _, a := range s.Appliances() {
		data, err := s.Archive(a.ID, m)
		if err != nil {
			b.Fatal(err)
		}
		res, err := minutestats.ParseArchive(bytes.NewReader(data),
			minutestats.Options{ApplianceID: a.ID, Hostname: a.Hostname, Lookups: hotPathLookups})
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, res.Points)
	}
	return out
}
