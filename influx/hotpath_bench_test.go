package influx_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ec-telemetry/ec-telemetry/influx"
	"github.com/ec-telemetry/ec-telemetry/internal/minutestats"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// hotPathLookups are the names the simulator's Orchestrator and appliances
// serve, which also cover the ids of the real captures.
var hotPathLookups = minutestats.Lookups{
	WANLabels: map[string]string{"1": "MPLS1", "2": "INET1", "3": "LTE"},
	LANLabels: map[string]string{"5": "Data", "6": "Voice"},
	Overlays:  map[string]string{"1": "RealTime", "2": "CriticalApps", "3": "BulkApps", "4": "DefaultOverlay"},
	TrafficClasses: map[string]string{"1": "RealTime", "2": "Interactive", "3": "Default", "4": "BestEffort",
		"5": "5", "6": "6", "7": "7", "8": "8", "9": "9", "10": "10"},
}

// BenchmarkHotPath measures the worker's per-point CPU cost for minute
// statistics: one appliance-minute archive (gzip-compressed tar) through
// minutestats.ParseArchive into points, then a LineEncoder into one reused
// buffer, as the writer does. "parse" stops after the points are built,
// "parse-arena" does the same with an Arena reset after every parse, as the
// worker's minute-statistics slots do, "encode" only encodes the parsed
// points, "all" does both. Every case
// reports ns/point (wall time) and, on Unix, cpu-ns/point: the CPU time of
// the whole process, garbage collection included, which a machine shared
// with other work distorts less (run with -cpu 1 so that the collector has
// no idle core to fill). docs/performance.md records both.
//
// The archives: a simulated branch and a simulated hub, and the real
// captures (st2-100000000) when a shared/testdata/real-minute-stats folder
// is found above the working directory or EC_REAL_CAPTURES names one.
func BenchmarkHotPath(b *testing.B) {
	now := time.Date(2026, 3, 25, 14, 6, 30, 0, time.UTC)
	const minute = 1774447560
	s, err := simulator.New(simulator.Config{Appliances: 100, Seed: 1, Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	archives := []struct{ name, id, host string }{{name: "branch"}, {name: "hub"}}
	for i := range archives {
		for _, a := range s.Appliances() {
			if a.Hub == (archives[i].name == "hub") {
				archives[i].id, archives[i].host = a.ID, a.Hostname
				break
			}
		}
	}
	type input struct {
		name, id, host string
		data           []byte
	}
	var inputs []input
	for _, a := range archives {
		data, err := s.Archive(a.id, minute)
		if err != nil {
			b.Fatal(err)
		}
		inputs = append(inputs, input{"sim_" + a.name, a.id, a.host, data})
	}
	if dir := realCapturesDir(); dir != "" {
		inputs = append(inputs, input{"real", "3.NE", "SYD-EC-01", tgzOfFolder(b, filepath.Join(dir, "st2-100000000"))})
	}
	for _, in := range inputs {
		opt := minutestats.Options{ApplianceID: in.id, Hostname: in.host, Lookups: hotPathLookups}
		res, err := minutestats.ParseArchive(bytes.NewReader(in.data), opt)
		if err != nil {
			b.Fatalf("%s: ParseArchive: %v", in.name, err)
		}
		if len(res.Points) == 0 {
			b.Fatalf("%s: ParseArchive gave no points", in.name)
		}
		pts := res.Points
		// perPoint starts the CPU clock and returns what reports the
		// figures per point once the loop is done.
		perPoint := func(b *testing.B) func() {
			cpu0, cpuOK := testenv.ProcessCPU()
			return func() {
				n := float64(b.N * len(pts))
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/point")
				if cpu1, ok := testenv.ProcessCPU(); ok && cpuOK {
					b.ReportMetric(float64(cpu1-cpu0)/n, "cpu-ns/point")
				}
				b.ReportMetric(float64(len(pts)), "points/op")
			}
		}
		b.Run(in.name+"/parse", func(b *testing.B) {
			b.ReportAllocs()
			done := perPoint(b)
			for b.Loop() {
				if _, err := minutestats.ParseArchive(bytes.NewReader(in.data), opt); err != nil {
					b.Fatal(err)
				}
			}
			done()
		})
		b.Run(in.name+"/parse-arena", func(b *testing.B) {
			// As the worker parses: every parse of a minute-statistics
			// slot cuts its points from the slot's Arena, reset when the
			// slot is released.
			b.ReportAllocs()
			ao := opt
			ao.Arena = new(minutestats.Arena)
			done := perPoint(b)
			for b.Loop() {
				if _, err := minutestats.ParseArchive(bytes.NewReader(in.data), ao); err != nil {
					b.Fatal(err)
				}
				ao.Arena.Reset()
			}
			done()
		})
		b.Run(in.name+"/encode", func(b *testing.B) {
			b.ReportAllocs()
			var buf []byte
			done := perPoint(b)
			for b.Loop() {
				buf = encodeAll(b, buf[:0], pts)
			}
			done()
		})
		b.Run(in.name+"/all", func(b *testing.B) {
			b.ReportAllocs()
			var buf []byte
			done := perPoint(b)
			for b.Loop() {
				res, err := minutestats.ParseArchive(bytes.NewReader(in.data), opt)
				if err != nil {
					b.Fatal(err)
				}
				buf = encodeAll(b, buf[:0], res.Points)
			}
			done()
		})
	}
}

// encodeAll appends pts to buf as the writer does: a new LineEncoder per
// batch, one line at a time.
func encodeAll(b *testing.B, buf []byte, pts []telemetry.Point) []byte {
	var le influx.LineEncoder
	for i := range pts {
		var err error
		if buf, err = le.AppendLine(buf, pts[i]); err != nil {
			b.Fatal(err)
		}
	}
	return buf
}

// realCapturesDir returns the folder of real minute-stats captures, or "".
func realCapturesDir() string {
	if dir := os.Getenv("EC_REAL_CAPTURES"); dir != "" {
		return dir
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		cand := filepath.Join(dir, "shared", "testdata", "real-minute-stats")
		if fi, err := os.Stat(cand); err == nil && fi.IsDir() {
			return cand
		}
		if filepath.Dir(dir) == dir {
			return ""
		}
	}
}

// tgzOfFolder packs the files of dir as an appliance archive does:
// st2-<minute>/<file> members in a gzip-compressed tar.
func tgzOfFolder(b *testing.B, dir string) []byte {
	entries, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	tw := tar.NewWriter(zw)
	prefix := filepath.Base(dir) + "/"
	if err := tw.WriteHeader(&tar.Header{Name: prefix, Typeflag: tar.TypeDir, Mode: 0o755}); err != nil {
		b.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			b.Fatal(err)
		}
		if err := tw.WriteHeader(&tar.Header{Name: prefix + e.Name(), Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(data))}); err != nil {
			b.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			b.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		b.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	return out.Bytes()
}
