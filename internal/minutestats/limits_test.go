package minutestats

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// hugeInterfaceFile returns an interface_v2.txt of n distinct rows
// (interfaces x0, x1, ...), each one point.
func hugeInterfaceFile(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "3.NE,x%d,0,4,1,1,1,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1736503200\n", i)
	}
	return b.String()
}

// A valid archive of 200,000 distinct rows: the parse hands its points over
// in batches of at most EmitPoints, never holds more at once, stops making
// points at MaxPoints and reports the excess once, naming the file.
func TestParseArchiveBoundsPoints(t *testing.T) {
	const rows, emitPoints = 200_000, 5000
	archive := makeTGZ(t, tarEntry{name: "st2-1/" + FileInterface, body: hugeInterfaceFile(rows)})
	opt := testOptions(Lookups{})
	opt.EmitPoints = emitPoints
	var batches, emitted, largest int
	opt.Emit = func(pts []telemetry.Point) error {
		batches++
		emitted += len(pts)
		largest = max(largest, len(pts))
		return nil
	}
	res, err := ParseArchive(bytes.NewReader(archive), opt)
	if err != nil {
		t.Fatalf("ParseArchive = %v", err)
	}
	if emitted != DefaultMaxPoints || res.Dropped != rows-DefaultMaxPoints {
		t.Errorf("emitted %d points, dropped %d; want %d and %d", emitted, res.Dropped, DefaultMaxPoints, rows-DefaultMaxPoints)
	}
	if largest > emitPoints || batches != DefaultMaxPoints/emitPoints {
		t.Errorf("%d batches, largest %d points; want %d batches of at most %d", batches, largest, DefaultMaxPoints/emitPoints, emitPoints)
	}
	if len(res.Points) != 0 {
		t.Errorf("Result.Points holds %d points with Emit set, want 0", len(res.Points))
	}
	if len(res.Files) != 1 || res.Files[0].Dropped != rows-DefaultMaxPoints || res.Files[0].Points != DefaultMaxPoints {
		t.Errorf("Files = %+v, want one with %d points and %d dropped", res.Files, DefaultMaxPoints, rows-DefaultMaxPoints)
	}
	want := Issue{File: "st2-1/" + FileInterface, Reason: fmt.Sprintf("the archive reached the limit of %d points: %d more points of this file dropped", DefaultMaxPoints, rows-DefaultMaxPoints)}
	if res.IssueCount != 1 || res.Issues[0] != want {
		t.Errorf("Issues = %v (count %d), want only %v", res.Issues, res.IssueCount, want)
	}
}

// Without Emit the cap holds too, across files.
func TestParseArchiveMaxPointsWithoutEmit(t *testing.T) {
	archive := makeTGZ(t,
		tarEntry{name: "st2-1/" + FileInterface, body: hugeInterfaceFile(8)},
		tarEntry{name: "st2-1/" + FileDrops, body: dropsBody},
	)
	opt := testOptions(Lookups{})
	opt.MaxPoints = 5
	res, err := ParseArchive(bytes.NewReader(archive), opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Points) != 5 || res.Dropped != 4 {
		t.Errorf("%d points, %d dropped; want 5 and 4 (3 interfaces, 1 drop)", len(res.Points), res.Dropped)
	}
	if res.IssueCount != 2 {
		t.Errorf("issues = %v, want one per file", res.Issues)
	}
}

// A row colliding with a point already handed over cannot merge into it:
// it is dropped with an Issue, never emitted twice.
func TestParseArchiveCollisionAfterHandOver(t *testing.T) {
	body := hugeInterfaceFile(3) + strings.SplitAfter(hugeInterfaceFile(1), "\n")[0] // x0 again
	opt := testOptions(Lookups{})
	opt.EmitPoints = 2
	var got []string
	opt.Emit = func(pts []telemetry.Point) error {
		for _, p := range pts {
			got = append(got, p.Tags.Get(telemetry.TagInterfaceName))
		}
		return nil
	}
	res, err := ParseArchive(bytes.NewReader(makeTGZ(t, tarEntry{name: "st2-1/" + FileInterface, body: body})), opt)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != "x0 x1 x2" {
		t.Errorf("emitted %v, want x0 x1 x2", got)
	}
	if res.IssueCount != 1 || res.Issues[0].Line != 4 || !strings.Contains(res.Issues[0].Reason, "already handed over") {
		t.Errorf("Issues = %v, want one on line 4 about the point handed over", res.Issues)
	}
}

// An Emit error ends the parse at once and is returned.
func TestParseArchiveEmitError(t *testing.T) {
	boom := errors.New("influxdb down")
	opt := testOptions(Lookups{})
	opt.EmitPoints = 10
	calls := 0
	opt.Emit = func([]telemetry.Point) error { calls++; return boom }
	archive := makeTGZ(t,
		tarEntry{name: "st2-1/" + FileInterface, body: hugeInterfaceFile(100)},
		tarEntry{name: "st2-1/" + FileDrops, body: dropsBody},
	)
	res, err := ParseArchive(bytes.NewReader(archive), opt)
	if !errors.Is(err, boom) || calls != 1 {
		t.Errorf("ParseArchive = %v after %d Emit calls, want %v after 1", err, calls, boom)
	}
	if res == nil || len(res.Files) != 1 || res.Files[0].Lines >= 100 {
		t.Errorf("Files = %+v, want only interface_v2.txt, parsed in part", res.Files)
	}
}

// BenchmarkParseHugeArchive parses an archive of 200,000 distinct interface
// rows (a 16 MB member) and reports the largest live heap seen while the
// points are handed over ("emit") or gathered in Result.Points ("result",
// the cap raised so that every row is kept).
func BenchmarkParseHugeArchive(b *testing.B) {
	archive := makeTGZ(b, tarEntry{name: "st2-1/" + FileInterface, body: hugeInterfaceFile(200_000)})
	for _, mode := range []string{"emit", "result"} {
		b.Run(mode, func(b *testing.B) {
			var peak uint64
			sample := func() {
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
			opt := testOptions(Lookups{})
			if mode == "emit" {
				opt.Emit = func([]telemetry.Point) error { sample(); return nil }
			} else {
				opt.MaxPoints = 1 << 30
			}
			b.ReportAllocs()
			for b.Loop() {
				runtime.GC()
				res, err := ParseArchive(bytes.NewReader(archive), opt)
				if err != nil {
					b.Fatal(err)
				}
				sample()
				runtime.KeepAlive(res)
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}
