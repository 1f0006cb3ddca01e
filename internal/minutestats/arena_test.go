package minutestats

import (
	"bytes"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// Parses into one Arena, reset between them, give the points a parse of
// their own gives, and after a first parse they cut no new chunk.
func TestArenaIsReusedAfterReset(t *testing.T) {
	data := makeTGZ(t, append([]tarEntry{{name: goldenPrefix, typ: '5'}}, dirEntries(t, "testdata/cases/tunnel", goldenPrefix)...)...)
	opt := testOptions(readLookups(t, "testdata/cases/tunnel"))
	want, err := ParseArchive(bytes.NewReader(data), opt)
	if err != nil || len(want.Points) == 0 {
		t.Fatalf("ParseArchive = %d points, %v; want points", len(want.Points), err)
	}
	// Emit copies the points out, as the worker does; a deep copy keeps
	// what they were when handed over.
	emitted := func(a *Arena) (got []telemetry.Point, err error) {
		o := opt
		o.Arena, o.EmitPoints = a, 2
		o.Emit = func(pts []telemetry.Point) error {
			for _, p := range pts {
				got = append(got, telemetry.Point{Measurement: p.Measurement, Tags: slices.Clone(p.Tags), Fields: slices.Clone(p.Fields), Time: p.Time})
			}
			return nil
		}
		_, err = ParseArchive(bytes.NewReader(data), o)
		return got, err
	}
	var a Arena
	for round := range 3 {
		got, err := emitted(&a)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if diff := cmp.Diff(want.Points, got); diff != "" {
			t.Errorf("round %d: points with an arena differ (-own storage +arena):\n%s", round, diff)
		}
		chunks := len(a.fields.list) + len(a.tags.list)
		if chunks == 0 {
			t.Fatalf("round %d: the arena holds no chunk after a parse", round)
		}
		if round > 0 && chunks != a.fields.next+a.tags.next {
			t.Errorf("round %d: %d chunks held, %d used", round, chunks, a.fields.next+a.tags.next)
		}
		first := &a.fields.list[0][0]
		a.Reset()
		if first.Key != "" || a.fields.next != 0 || len(a.fields.list) == 0 {
			t.Errorf("round %d: after Reset: first field %+v, next %d, %d chunks; want cleared, 0, kept", round, *first, a.fields.next, len(a.fields.list))
		}
	}
	// A Reset with nothing used since drops the chunks.
	a.Reset()
	if len(a.fields.list)+len(a.tags.list) != 0 {
		t.Errorf("after an idle Reset: %d chunks kept, want 0", len(a.fields.list)+len(a.tags.list))
	}
}

func TestArenaCutsLargeRequestsApart(t *testing.T) {
	var c chunks[telemetry.Field]
	small := c.cut(3)
	big := c.cut(slabSize + 1)
	if len(small) != 3 || cap(small) != 3 || len(big) != slabSize+1 || len(c.list) != 1 {
		t.Errorf("cut(3), cut(%d): %d/%d and %d, %d chunks; want 3/3 and %d in 1 chunk", slabSize+1, len(small), cap(small), len(big), len(c.list), slabSize+1)
	}
	rest := c.cut(slabSize - 3)
	if &rest[0] != &c.list[0][3] {
		t.Error("the chunk's rest was not handed out next")
	}
	if n := c.cut(1); &n[0] != &c.list[1][0] || len(c.list) != 2 {
		t.Error("a full chunk did not lead to a second one")
	}
}

// With an Arena and Emit, as the worker parses, a point costs no
// allocation of its own once the parser and the arena are warm: what is
// left is per archive and per member (mostly the tar headers). Each
// point's merge key used to be one. Measured as the difference between
// two archives of the same members, one with 300 more points, so that the
// parsers the race detector makes sync.Pool drop count on both sides.
func TestWarmParseAllocatesNothingPerPoint(t *testing.T) {
	parsed := func(tunnels int) (allocs float64, points int) {
		data, _ := benchArchiveTunnels(t, tunnels)
		opt := benchOptions()
		var a Arena
		opt.Arena = &a
		opt.Emit = func(pts []telemetry.Point) error { points += len(pts); return nil }
		parse := func() {
			points = 0
			if _, err := ParseArchive(bytes.NewReader(data), opt); err != nil {
				t.Fatal(err)
			}
			a.Reset()
		}
		parse()
		allocs = testing.AllocsPerRun(50, parse)
		return allocs, points
	}
	smallAllocs, small := parsed(30)
	largeAllocs, large := parsed(130)
	if large-small < 250 {
		t.Fatalf("%d and %d points: want the second archive 300 points larger", small, large)
	}
	if per := (largeAllocs - smallAllocs) / float64(large-small); per > 0.5 {
		t.Errorf("%.0f allocations for %d points, %.0f for %d: %.2f for each point more, want none (under 0.5)",
			smallAllocs, small, largeAllocs, large, per)
	}
	t.Logf("%.0f allocations for %d points, %.0f for %d", smallAllocs, small, largeAllocs, large)
}
