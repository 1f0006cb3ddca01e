package worker

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ec-telemetry/ec-telemetry/edgeconnect"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// rebuildHandler replaces f.h with one whose clients give up on an archive
// download after archiveTimeout, with the other options changed by mod.
func rebuildHandler(t *testing.T, f *fixture, archiveTimeout time.Duration, mod func(*Options)) {
	t.Helper()
	tr, err := edgeconnect.NewTransport(edgeconnect.TransportOptions{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	o := f.h.o
	o.Dial = func(addr string) (Appliance, error) {
		return edgeconnect.New(edgeconnect.Options{Address: addr, User: simulator.DefaultECUser,
			Password: simulator.DefaultECPassword, Transport: tr, Timeout: 2 * time.Second, ArchiveTimeout: archiveTimeout})
	}
	if mod != nil {
		mod(&o)
	}
	if f.h, err = New(o); err != nil {
		t.Fatal(err)
	}
}

// minutePointsOf returns the stored minute-stats points of one appliance.
func (s *recordingSink) minutePointsOf(id string) []telemetry.Point {
	var out []telemetry.Point
	for _, p := range s.minutePoints() {
		if p.Tags.Get(telemetry.TagApplianceID) == id {
			out = append(out, p)
		}
	}
	return out
}

// checkTransient checks that a job's minute-stats error is a transport
// error that names the appliance.
func checkTransient(t *testing.T, rep Report, a simulator.ApplianceInfo) {
	t.Helper()
	err := rep.SourceErrors[SourceMinuteStats]
	var te *edgeconnect.TransportError
	if !errors.As(err, &te) {
		t.Errorf("%s: minute-stats error = %v, want an *edgeconnect.TransportError", a.ID, err)
	}
	if err != nil && !strings.Contains(err.Error(), a.Address) {
		t.Errorf("%s: minute-stats error %q does not name the appliance's address %s", a.ID, err, a.Address)
	}
	if rep.Outcome != OutcomePartial || len(rep.SourceErrors) != 1 {
		t.Errorf("%s: Outcome = %s, SourceErrors = %v; want partial with only %s failed", a.ID, rep.Outcome, rep.SourceErrors, SourceMinuteStats)
	}
}

// A download that breaks off is not a corrupt archive: nothing of that
// minute is stored, the watermark stays before it, and the next job stores
// the whole minute exactly once.
func TestBrokenDownloadIsFetchedAgainByTheNextJob(t *testing.T) {
	tests := []struct {
		name  string
		fault simulator.Fault
	}{
		{"connection dropped after 60 percent", simulator.Fault{TruncateArchive: 0.6}},
		{"stalled longer than the archive timeout", simulator.Fault{StallArchive: time.Hour}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 3, simulator.Faults{})
			rebuildHandler(t, f, time.Second, nil)
			a := reachable(t, f.sim)[0]
			if rep := f.h.Collect(t.Context(), f.polls[a.ID]); rep.Outcome != OutcomeOK {
				t.Fatalf("first job: %s %v %v", rep.Outcome, rep.Err, rep.SourceErrors)
			}
			stored, _ := f.sim.Window()

			f.clock.Add(2 * time.Minute)
			if err := f.sim.SetFault(a.ID, tc.fault); err != nil {
				t.Fatal(err)
			}
			rep := f.h.Collect(t.Context(), f.polls[a.ID])
			checkTransient(t, rep, a)
			if rep.MinutesStored != 0 {
				t.Errorf("broken job stored %d minutes, want 0", rep.MinutesStored)
			}
			if wm, _, _ := f.wm.Get(t.Context(), a.ID); wm != stored {
				t.Errorf("watermark after the broken download = %d, want %d (unchanged)", wm, stored)
			}
			want := lines(t, expectedMinutes(t, f.sim, a.ID, stored-120, stored))
			if diff := cmp.Diff(want, lines(t, f.sink.minutePoints())); diff != "" {
				t.Errorf("minute points after the broken download (-want +got):\n%s", diff)
			}

			if err := f.sim.SetFault(a.ID, simulator.Fault{}); err != nil {
				t.Fatal(err)
			}
			rep = f.h.Collect(t.Context(), f.polls[a.ID])
			newest, _ := f.sim.Window()
			if rep.Outcome != OutcomeOK || rep.MinutesStored != 2 || rep.MinutesFirst != stored+60 || rep.MinutesLast != newest {
				t.Errorf("next job: %s, %d minutes [%d..%d] (sources %v); want ok, 2 [%d..%d]",
					rep.Outcome, rep.MinutesStored, rep.MinutesFirst, rep.MinutesLast, rep.SourceErrors, stored+60, newest)
			}
			want = lines(t, expectedMinutes(t, f.sim, a.ID, stored-120, newest))
			if diff := cmp.Diff(want, lines(t, f.sink.minutePoints())); diff != "" {
				t.Errorf("minute points after the next job (-want +got):\n%s", diff)
			}
			if wm, _, _ := f.wm.Get(t.Context(), a.ID); wm != newest {
				t.Errorf("watermark = %d, want %d", wm, newest)
			}
		})
	}
}

// Appliances whose downloads stall do not keep the healthy ones from
// storing their minutes, even with a single minute-stats slot.
func TestStalledDownloadsDoNotStarveHealthyAppliances(t *testing.T) {
	f := newFixture(t, 12, simulator.Faults{})
	apps := reachable(t, f.sim)
	if len(apps) < 7 {
		t.Skipf("need 7 reachable appliances, have %d", len(apps))
	}
	stalled, healthy := apps[:3], apps[3:7]
	rebuildHandler(t, f, 2*time.Second, func(o *Options) {
		o.MinuteStatsJobs = 1
		o.JobTimeout = 5 * time.Second
		o.BackfillReserve = time.Second
	})
	for _, a := range stalled {
		if err := f.sim.SetFault(a.ID, simulator.Fault{StallArchive: time.Hour}); err != nil {
			t.Fatal(err)
		}
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		reps = map[string]Report{}
	)
	run := func(p tasks.AppliancePoll) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep := f.h.Collect(t.Context(), p)
			mu.Lock()
			reps[p.ApplianceID] = rep
			mu.Unlock()
		}()
	}
	for _, a := range stalled {
		run(f.polls[a.ID])
	}
	// The healthy jobs start once a stalled download is under way.
	deadline := time.Now().Add(10 * time.Second)
	for downloading := false; !downloading; {
		for _, a := range stalled {
			st, _ := f.sim.Stats(a.ID)
			downloading = downloading || st.Requests[simulator.EndpointMinuteStats] > 0
		}
		if time.Now().After(deadline) {
			t.Fatal("no stalled appliance was asked for an archive within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, a := range healthy {
		run(f.polls[a.ID])
	}
	wg.Wait()

	newest, _ := f.sim.Window()
	for _, a := range healthy {
		rep := reps[a.ID]
		if rep.Outcome != OutcomeOK || rep.MinutesStored != 3 {
			t.Errorf("healthy %s: %s, %d minutes (sources %v); want ok, 3", a.ID, rep.Outcome, rep.MinutesStored, rep.SourceErrors)
		}
		if wm, _, _ := f.wm.Get(t.Context(), a.ID); wm != newest {
			t.Errorf("healthy %s: watermark = %d, want %d", a.ID, wm, newest)
		}
		want := lines(t, expectedMinutes(t, f.sim, a.ID, newest-120, newest))
		if diff := cmp.Diff(want, lines(t, f.sink.minutePointsOf(a.ID))); diff != "" {
			t.Errorf("healthy %s: minute points (-want +got):\n%s", a.ID, diff)
		}
	}
	// Memory: each job held at most one chunk of downloaded archives (plus
	// the archive that crossed it, whose buffer may have twice its length)
	// outside a slot, and none is left held.
	held, _, peak := f.h.room.load()
	if held != 0 {
		t.Errorf("archive bytes still held after every job = %d, want 0", held)
	}
	jobs := int64(len(stalled) + len(healthy))
	if bound := jobs * (archiveChunkBytes + 2*largestArchive(t, f, apps[:7], newest-120, newest)); peak <= 0 || peak > bound {
		t.Errorf("peak of downloaded archive bytes held = %d, want within (0, %d]", peak, bound)
	}
	for _, a := range stalled {
		checkTransient(t, reps[a.ID], a)
		if _, ok, _ := f.wm.Get(t.Context(), a.ID); ok {
			t.Errorf("stalled %s: watermark set although nothing was stored", a.ID)
		}
		if n := len(f.sink.minutePointsOf(a.ID)); n != 0 {
			t.Errorf("stalled %s: %d minute points stored, want 0", a.ID, n)
		}
	}
}

// largestArchive returns the size of the largest archive of apps in
// [first, last].
func largestArchive(t *testing.T, f *fixture, apps []simulator.ApplianceInfo, first, last int64) int64 {
	t.Helper()
	var most int64
	for _, a := range apps {
		for m := first; m <= last; m += 60 {
			b, err := f.sim.Archive(a.ID, m)
			if err != nil {
				t.Fatal(err)
			}
			most = max(most, int64(len(b)))
		}
	}
	return most
}

// A long backfill is downloaded and written chunk by chunk: every minute is
// stored exactly once, and the job never holds more than one chunk of
// downloaded archives (plus the buffer of the archive that crossed it).
func TestLongBackfillHoldsOneChunkOfArchives(t *testing.T) {
	f := newFixture(t, 3, simulator.Faults{})
	rebuildHandler(t, f, 5*time.Second, func(o *Options) { o.MinuteStatsJobs = 1 })
	a := reachable(t, f.sim)[0]
	if rep := f.h.Collect(t.Context(), f.polls[a.ID]); rep.Outcome != OutcomeOK {
		t.Fatalf("first job: %s %v %v", rep.Outcome, rep.Err, rep.SourceErrors)
	}
	first, _ := f.sim.Window()
	f.clock.Add(90 * time.Minute)
	f.h.room.mu.Lock()
	f.h.room.peak = 0
	f.h.room.mu.Unlock()
	rep := f.h.Collect(t.Context(), f.polls[a.ID])
	newest, _ := f.sim.Window()
	if rep.Outcome != OutcomeOK || rep.MinutesStored != 90 || rep.MinutesLast != newest {
		t.Fatalf("backfill: %s, %d minutes up to %d (sources %v); want ok, 90 up to %d", rep.Outcome, rep.MinutesStored, rep.MinutesLast, rep.SourceErrors, newest)
	}
	want := lines(t, expectedMinutes(t, f.sim, a.ID, first-120, newest))
	if diff := cmp.Diff(want, lines(t, f.sink.minutePoints())); diff != "" {
		t.Errorf("minute points after the backfill (-want +got):\n%s", diff)
	}
	largest := largestArchive(t, f, []simulator.ApplianceInfo{a}, first+60, newest)
	total := int64(0)
	for m := first + 60; m <= newest; m += 60 {
		b, _ := f.sim.Archive(a.ID, m)
		total += int64(len(b))
	}
	_, _, peak := f.h.room.load()
	t.Logf("archives: total %d, largest %d, peak held %d", total, largest, peak)
	if total <= 2*archiveChunkBytes {
		t.Fatalf("the backfill's archives total %d bytes, want more than two chunks (%d) for this test to mean anything", total, 2*archiveChunkBytes)
	}
	if peak <= 0 || peak > archiveChunkBytes+2*largest {
		t.Errorf("peak of downloaded archive bytes held = %d, want within (0, %d]", peak, archiveChunkBytes+2*largest)
	}
}

type sizedReader struct {
	*bytes.Reader
	size int64
}

func (r sizedReader) Size() int64 { return r.size }

// TestReadArchiveSizesItsBuffer checks that an archive whose length is
// announced is read into one buffer of about that size, and that one
// without (or with a wrong one) is still read whole.
func TestReadArchiveSizesItsBuffer(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	for _, tc := range []struct {
		name   string
		r      io.Reader
		maxCap int
	}{
		{"announced", sizedReader{bytes.NewReader(data), int64(len(data))}, len(data) * 9 / 8}, // a size class above it at most
		{"not announced", bytes.NewReader(data), 4 * len(data)},
		{"announced too short", sizedReader{bytes.NewReader(data), 100}, 4 * len(data)},
	} {
		got, err := readArchive(tc.r)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: read %d bytes, %v; want all %d", tc.name, len(got), err, len(data))
		}
		if cap(got) > tc.maxCap {
			t.Errorf("%s: buffer capacity %d, want at most %d", tc.name, cap(got), tc.maxCap)
		}
	}
	// Bytes, not allocations, are what matter (the race detector adds a
	// small allocation of its own): about one buffer per read.
	br := bytes.NewReader(data)
	var r io.Reader = sizedReader{br, int64(len(data))}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const runs = 20
	for range runs {
		br.Reset(data)
		if _, err := readArchive(r); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > uint64(len(data))*5/4 {
		t.Errorf("reading a %d-byte archive allocates %d bytes, want about one buffer", len(data), per)
	}
	if _, err := readArchive(iotest.TimeoutReader(bytes.NewReader(data))); err == nil {
		t.Error("a read error must be returned")
	}
}
