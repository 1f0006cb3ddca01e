package worker

import (
	"testing"
	"unsafe"

	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// A minute-stats slot hands the list of points it keeps to its next
// holder, who gathers the points of its writes in it and gives it back
// empty and cleared; a list longer than keptBatchPoints is let go.
func TestMinuteSlotKeepsItsListOfPoints(t *testing.T) {
	f := newFixtureWith(t, simulator.Config{Appliances: 3, Seed: 7}, func(_ *simulator.Simulator, o *Options) {
		o.MinuteStatsJobs = 1
	})
	a := reachable(t, f.sim)[0]
	list := make([]telemetry.Point, 0, keptBatchPoints)
	slot := <-f.h.minuteSlot
	slot.points = list
	f.h.minuteSlot <- slot

	if r := f.h.Collect(t.Context(), f.polls[a.ID]); r.Outcome != OutcomeOK || r.MinutesStored == 0 {
		t.Fatalf("outcome %s, %d minutes stored (%v); want ok with minutes", r.Outcome, r.MinutesStored, r.Err)
	}
	if n := len(f.sink.minutePoints()); n == 0 || n > keptBatchPoints {
		t.Fatalf("%d minute points written, want 1 to %d for this test", n, keptBatchPoints)
	}
	slot = <-f.h.minuteSlot
	defer func() { f.h.minuteSlot <- slot }()
	if unsafe.SliceData(slot.points) != unsafe.SliceData(list) || len(slot.points) != 0 {
		t.Fatalf("the slot holds a list of %d/%d points, not the one it gave the job, empty", len(slot.points), cap(slot.points))
	}
	for i, p := range list[:cap(list)] {
		if p.Measurement != "" || p.Tags != nil || p.Fields != nil || !p.Time.IsZero() {
			t.Fatalf("point %d of the kept list was not cleared: %s", i, p.Measurement)
		}
	}

	slot.keep(make([]telemetry.Point, 3, keptBatchPoints+1))
	if slot.points != nil {
		t.Errorf("a list of %d points was kept, want let go", keptBatchPoints+1)
	}
}
