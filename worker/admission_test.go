package worker

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ec-telemetry/ec-telemetry/internal/metrics"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
)

// reserveAsync runs reserve on a goroutine and returns a channel that gets
// its error once it returns.
func reserveAsync(ctx context.Context, r *archiveRoom, n int64) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, _, err := r.reserve(ctx, n)
		done <- err
	}()
	return done
}

// stillWaiting fails the test when done delivered within d.
func stillWaiting(t *testing.T, done <-chan error, d time.Duration, what string) {
	t.Helper()
	select {
	case err := <-done:
		t.Fatalf("%s: reserve returned (%v), want it to wait", what, err)
	case <-time.After(d):
	}
}

func admitted(t *testing.T, done <-chan error, what string) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: reserve = %v, want nil", what, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: reserve still waiting after 5 s", what)
	}
}

// A job waits while the archives waiting for a slot and those expected of
// the jobs still downloading leave no room for its own, and starts as soon
// as parsed archives free enough.
func TestArchiveRoomHoldsAJobBackUntilParsedArchivesFreeRoom(t *testing.T) {
	r := newArchiveRoom(100, nil)
	res, _, err := r.reserve(t.Context(), 60)
	if err != nil {
		t.Fatal(err)
	}
	r.hold(40, res) // the first job downloaded part of what it was expected to
	if waiting, expected, _ := r.load(); waiting != 40 || expected != 20 {
		t.Fatalf("after a download of 40 of 60 expected: waiting %d, expected %d; want 40, 20", waiting, expected)
	}
	r.hold(20, res)
	r.release(res) // and finished downloading: 60 bytes wait for a slot
	r.release(res) // once
	if waiting, expected, _ := r.load(); waiting != 60 || expected != 0 {
		t.Fatalf("after the job's downloads: waiting %d, expected %d; want 60, 0", waiting, expected)
	}

	done := reserveAsync(t.Context(), r, 50)
	stillWaiting(t, done, 100*time.Millisecond, "60 waiting + 50 in a budget of 100")
	r.hold(-10, nil) // one archive parsed: 50 + 50 fit
	admitted(t, done, "50 waiting + 50")
	if waiting, _, peak := r.load(); waiting != 50 || peak != 60 {
		t.Errorf("waiting, peak = %d, %d; want 50, 60", waiting, peak)
	}
}

// Freed room admits only the jobs that fit, counted one by one: a release
// does not let every job held back start at once.
func TestArchiveRoomAdmitsOnlyWhatFits(t *testing.T) {
	r := newArchiveRoom(100, nil)
	r.hold(100, nil)
	var started atomic.Int32
	reservations := make(chan *reservation, 5)
	for range 5 {
		go func() {
			if res, _, err := r.reserve(t.Context(), 30); err == nil {
				started.Add(1)
				reservations <- res
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	if n := started.Load(); n != 0 {
		t.Fatalf("%d jobs started with the budget full, want 0", n)
	}
	r.hold(-100, nil)
	deadline := time.Now().Add(5 * time.Second)
	for started.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // room for a fourth to start, were it let through
	if n := started.Load(); n != 3 {
		t.Fatalf("%d jobs of 30 bytes started in a budget of 100, want 3", n)
	}
	r.release(<-reservations) // a job that downloaded nothing
	for started.Load() < 4 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if n := started.Load(); n != 4 {
		t.Fatalf("after one reservation ended, %d jobs started, want 4", n)
	}
	for range 3 {
		r.release(<-reservations)
	}
	for started.Load() < 5 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := started.Load(); n != 5 {
		t.Fatalf("after every reservation ended, %d jobs started, want 5", n)
	}
}

// A job expected to download more than the whole budget still starts when
// nothing else waits or downloads; the next job waits for it.
func TestArchiveRoomAdmitsAJobLargerThanTheBudgetAlone(t *testing.T) {
	r := newArchiveRoom(100, nil)
	big, _, err := r.reserve(t.Context(), 500)
	if err != nil || big == nil {
		t.Fatalf("500 bytes in an empty room: reserve = %v, %v", big, err)
	}
	done := reserveAsync(t.Context(), r, 1)
	stillWaiting(t, done, 100*time.Millisecond, "1 byte beside a reservation of 500")
	r.release(big)
	admitted(t, done, "1 byte once the reservation of 500 ended")
}

// A job whose context ends while it waits returns the context's error and
// leaves nothing reserved.
func TestArchiveRoomWaitEndsWithItsContext(t *testing.T) {
	r := newArchiveRoom(100, nil)
	r.hold(100, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	res, waited, err := r.reserve(ctx, 10)
	if !errors.Is(err, context.DeadlineExceeded) || waited < 40*time.Millisecond {
		t.Fatalf("reserve = %v after %v, want context.DeadlineExceeded after about 50 ms", err, waited)
	}
	if _, expected, _ := r.load(); res != nil || expected != 0 {
		t.Fatalf("after the wait ended: reservation %v, %d bytes expected; want none", res, expected)
	}
	r.hold(-100, nil)
	admitted(t, reserveAsync(t.Context(), r, 100), "the whole budget once the archives were parsed")
}

// The expectation follows the archives downloaded lately and never exceeds
// one chunk and the archive that crosses it.
func TestArchiveRoomEstimate(t *testing.T) {
	r := newArchiveRoom(1<<20, nil)
	if got := r.estimate(3); got != 3*defaultArchiveEstimate {
		t.Errorf("estimate(3) before any download = %d, want %d", got, 3*defaultArchiveEstimate)
	}
	if got := r.estimate(0); got != defaultArchiveEstimate {
		t.Errorf("estimate(0) = %d, want one archive, %d", got, defaultArchiveEstimate)
	}
	for range 200 {
		r.hold(4<<10, nil)
		r.hold(-(4 << 10), nil)
	}
	if got := r.estimate(10); got < 10*(4<<10) || got > 10*(5<<10) {
		t.Errorf("estimate(10) after 200 archives of 4 KiB = %d, want about %d", got, 10*(4<<10))
	}
	if got, most := r.estimate(100000), int64(archiveChunkBytes+(5<<10)); got > most {
		t.Errorf("estimate(100000) = %d, want at most a chunk and an archive, %d", got, most)
	}
}

// When jobs download more than their watermarks promise (an appliance's
// clock ahead of the worker's), the estimate follows what they downloaded.
func TestArchiveRoomEstimateFollowsWhatJobsDownloaded(t *testing.T) {
	r := newArchiveRoom(1<<20, nil)
	for range 50 {
		res, _, err := r.reserve(t.Context(), r.estimate(1))
		if err != nil {
			t.Fatal(err)
		}
		for range 6 { // each job downloads six archives of 16 KiB
			r.hold(16<<10, res)
		}
		r.release(res)
		r.hold(-(96 << 10), nil)
	}
	if got := r.estimate(1); got < 90<<10 || got > 96<<10 {
		t.Errorf("estimate(1) after 50 jobs of 96 KiB = %d, want about %d", got, 96<<10)
	}
}

// With the archive budget full, a job does not contact its appliance; it
// starts once parsed archives free room, and one still held back at its
// start-by time is dropped as late.
func TestJobsWaitForRoomForTheirArchives(t *testing.T) {
	m := metrics.New()
	cl := &cycleLog{collected: map[int64]int{}, late: map[int64]int{}}
	f := newFixtureWith(t, simulator.Config{Appliances: 3, Seed: 11}, func(_ *simulator.Simulator, o *Options) {
		o.Metrics, o.Cycles, o.ArchiveBudget = m, cl, 64<<10
	})
	apps := reachable(t, f.sim)
	f.h.room.hold(64<<10, nil) // another job's archives fill the budget

	a := apps[0]
	done := make(chan error, 1)
	go func() {
		done <- f.h.ProcessTask(t.Context(), pollTask(t, f.polls[a.ID], 1796040000, time.Now().Add(time.Minute)))
	}()
	stillWaiting(t, done, 300*time.Millisecond, "a job with the budget full")
	if got := testutil.ToFloat64(m.ArchiveBytes.WithLabelValues("waiting")); got != 64<<10 {
		t.Errorf(`archive_bytes{state="waiting"} = %v, want %d`, got, 64<<10)
	}
	if st, _ := f.sim.Stats(a.ID); st.Connections != 0 {
		t.Fatalf("a job held back opened %d connections to its appliance, want none", st.Connections)
	}
	f.h.room.hold(-(64 << 10), nil) // parsed
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("job after room was freed: ProcessTask = %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("job still held back 30 s after room was freed")
	}
	if n := len(f.sink.minutePointsOf(a.ID)); n == 0 {
		t.Error("the job admitted stored no minute points")
	}
	if w := histogramOf(t, m.ArchiveRoomWait); w.GetSampleCount() != 1 || w.GetSampleSum() < 0.25 || w.GetSampleSum() > 30 {
		t.Errorf("archive_room_wait_seconds: %d waits, %.3f s in all; want one of at least 0.3 s", w.GetSampleCount(), w.GetSampleSum())
	}

	f.h.room.hold(64<<10, nil)
	b := apps[1]
	err := f.h.ProcessTask(t.Context(), pollTask(t, f.polls[b.ID], 1796040000, time.Now().Add(time.Second)))
	if !errors.Is(err, asynq.RevokeTask) {
		t.Fatalf("job held back past its start-by time: ProcessTask = %v, want an error wrapping asynq.RevokeTask", err)
	}
	if st, _ := f.sim.Stats(b.ID); st.Connections != 0 || len(st.Requests) != 0 {
		t.Errorf("late job: its appliance saw %d connections and requests %v, want none", st.Connections, st.Requests)
	}
	if w := histogramOf(t, m.ArchiveRoomWait); w.GetSampleCount() != 2 {
		t.Errorf("archive_room_wait_seconds: %d waits, want 2 (the late job's too)", w.GetSampleCount())
	}
	if cl.late[1796040000] != 1 || cl.collected[1796040000] != 1 {
		t.Errorf("cycle record: late %v, collected %v; want one of each", cl.late, cl.collected)
	}
	if got := testutil.ToFloat64(m.Jobs.WithLabelValues(string(OutcomeLate))); got != 1 {
		t.Errorf(`jobs_total{result="late"} = %v, want 1`, got)
	}
	f.h.room.hold(-(64 << 10), nil)
	if held, _, _ := f.h.room.load(); held != 0 {
		t.Errorf("archive bytes held at the end = %d, want 0", held)
	}
	for _, state := range []string{"waiting", "expected"} {
		if got := testutil.ToFloat64(m.ArchiveBytes.WithLabelValues(state)); got != 0 {
			t.Errorf(`archive_bytes{state=%q} at the end = %v, want 0`, state, got)
		}
	}
}
