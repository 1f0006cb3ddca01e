package worker

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ec-telemetry/ec-telemetry/internal/metrics"
)

// A job downloads its minute-stats archives as soon as it has logged in,
// holding no minute-stats slot, and they wait in memory for one. When the
// slots fall behind (a database that cannot keep up, or every job fetching
// many minutes after an outage) the archives waiting grow with the jobs in
// flight and with the minutes each one fetches. archiveRoom bounds them: a
// job starts only when the archives it is expected to download fit in the
// budget beside those already waiting and those of the jobs started before
// it that have not finished downloading. A job held back holds nothing: no
// session, no connection, no archive. The jobs running keep the slots busy
// meanwhile, so the worker collects as fast as its slots let it, with less
// memory.
//
// A job is expected to download the larger of two guesses: the minutes
// since its watermark (read before it starts) times the mean size of the
// archives downloaded lately, and what the jobs that finished downloading
// lately downloaded (the appliances' clocks need not agree with the
// worker's, and after an outage the jobs all fetch alike). Each archive a
// job downloads moves from its reservation to the archives waiting, which
// it leaves once parsed; what is left of the reservation ends with the
// job's downloads.

// defaultArchiveEstimate is the size of one archive assumed before any was
// downloaded; the simulator's and real appliances' are 5-15 KB.
const defaultArchiveEstimate = 16 << 10

type archiveRoom struct {
	budget int64 // <= 0: none

	mu       sync.Mutex
	waiting  int64         // downloaded archive bytes not yet parsed
	peak     int64         // the most waiting has been
	reserved int64         // expected bytes of jobs started and still downloading
	mean     int64         // recent mean archive size (buffer capacity), exponentially weighted
	perJob   int64         // recent mean bytes a job downloaded, exponentially weighted
	freed    chan struct{} // closed when room was freed; nil when nobody waits

	waitingGauge, expectedGauge prometheus.Gauge // nil: not reported
}

func newArchiveRoom(budget int64, m *metrics.Metrics) *archiveRoom {
	r := &archiveRoom{budget: budget, mean: defaultArchiveEstimate}
	if m != nil {
		r.waitingGauge = m.ArchiveBytes.WithLabelValues("waiting")
		r.expectedGauge = m.ArchiveBytes.WithLabelValues("expected")
		r.waitingGauge.Set(0)
		r.expectedGauge.Set(0)
	}
	return r
}

// hold counts n downloaded bytes as waiting (n < 0: parsed or dropped).
// A download (n > 0) by the job holding res (nil: none) moves as much of
// its reservation, while it lasts, to waiting, and updates the mean
// archive size.
func (r *archiveRoom) hold(n int, res *reservation) {
	r.mu.Lock()
	r.waiting += int64(n)
	if r.waitingGauge != nil {
		r.waitingGauge.Set(float64(r.waiting))
	}
	if n > 0 {
		r.peak = max(r.peak, r.waiting)
		r.mean += (int64(n) - r.mean) / 16
		if res != nil && !res.done {
			res.got += int64(n)
			take := min(res.left, int64(n))
			res.left -= take
			r.reserved -= take
			r.reportExpectedLocked()
		}
	} else {
		r.wakeLocked()
	}
	r.mu.Unlock()
}

func (r *archiveRoom) reportExpectedLocked() {
	if r.expectedGauge != nil {
		r.expectedGauge.Set(float64(r.reserved))
	}
}

func (r *archiveRoom) wakeLocked() {
	if r.freed != nil {
		close(r.freed)
		r.freed = nil
	}
}

// estimate is what a job whose watermark is minutes old is expected to
// download: the larger of minutes times the recent mean archive size and
// what jobs downloaded lately, at least one archive and at most one chunk
// (a job parses each chunk before it downloads the next).
func (r *archiveRoom) estimate(minutes int64) int64 {
	r.mu.Lock()
	mean, perJob := r.mean, r.perJob
	r.mu.Unlock()
	return min(max(minutes*mean, perJob, mean), archiveChunkBytes+mean)
}

// A reservation is one job's share of the budget: what it is expected to
// download, less what it has downloaded. Its fields are guarded by the
// room's mu. nil: the job has none.
type reservation struct {
	left int64 // bytes still expected
	got  int64 // bytes downloaded
	done bool
}

// reserve waits until n more bytes fit in the budget and reserves them,
// or returns ctx's error. It admits a job whatever n when no archive is
// waiting or expected, so that a job larger than the budget still runs.
// The archives waiting belong to jobs that will parse or drop them, and
// each does so wakes the jobs held back. It returns how long it waited;
// release ends the reservation.
func (r *archiveRoom) reserve(ctx context.Context, n int64) (*reservation, time.Duration, error) {
	if r.budget <= 0 || n <= 0 {
		return nil, 0, nil
	}
	var start time.Time // of the wait; zero: none yet
	waited := func() time.Duration {
		if start.IsZero() {
			return 0
		}
		return time.Since(start)
	}
	for {
		r.mu.Lock()
		if r.waiting+r.reserved+n <= r.budget || r.reserved == 0 && r.waiting == 0 {
			r.reserved += n
			r.reportExpectedLocked()
			r.mu.Unlock()
			return &reservation{left: n}, waited(), nil
		}
		if r.freed == nil {
			r.freed = make(chan struct{})
		}
		freed := r.freed
		r.mu.Unlock()
		if start.IsZero() {
			start = time.Now()
		}
		select {
		case <-freed:
		case <-ctx.Done():
			return nil, waited(), ctx.Err()
		}
	}
}

// release ends res (nil: none): what its job was expected to download and
// did not is freed, and what it did download tells the next estimates.
// Releasing it again does nothing.
func (r *archiveRoom) release(res *reservation) {
	if res == nil {
		return
	}
	r.mu.Lock()
	if !res.done {
		res.done = true
		r.perJob += (res.got - r.perJob) / 8
		r.reserved -= res.left
		res.left = 0
		r.reportExpectedLocked()
		r.wakeLocked()
	}
	r.mu.Unlock()
}

// load returns the archive bytes waiting, expected, and the most ever
// waiting.
func (r *archiveRoom) load() (waiting, expected, peak int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.waiting, r.reserved, r.peak
}

// admit waits until the minute-stats archives the job is expected to
// download fit in the worker's budget, and reserves them. A job still held
// back at its start-by time is dropped as late, as one dequeued late is.
// false: the job ended here, reported.
func (j *job) admit(ctx context.Context) bool {
	h := j.h
	if h.room.budget <= 0 || !h.o.Sources.Enabled(SourceMinuteStats) {
		return true
	}
	n := h.room.estimate(j.expectedMinutes())
	wctx := ctx
	if j.p.StartBy > 0 {
		// As ProcessTask's check: late once the second after StartBy began.
		var cancel context.CancelFunc
		wctx, cancel = context.WithDeadline(ctx, time.Unix(j.p.StartBy+1, 0))
		defer cancel()
	}
	res, waited, err := h.room.reserve(wctx, n)
	if m := h.o.Metrics; m != nil && waited > 0 {
		m.ArchiveRoomWait.Observe(waited.Seconds())
	}
	if err == nil {
		j.res = res
		return true
	}
	if j.p.StartBy > 0 && ctx.Err() == nil {
		j.rep.Outcome = OutcomeLate
		h.late(j.p, "held back past its start-by time: the minute-stats archives waiting for a slot filled their budget")
		return false
	}
	j.rep.Outcome = OutcomeFailed
	j.rep.Err = fmt.Errorf("wait for room for its minute-stats archives: %w", err)
	j.rep.Duration = h.o.Now().Sub(j.start)
	j.finish()
	return false
}

// holdArchives counts n downloaded archive bytes of the job as waiting
// for a slot (negative: parsed or dropped).
func (j *job) holdArchives(n int) { j.h.room.hold(n, j.res) }

// unreserve ends the job's reservation once its downloads are done, or
// it ends; idempotent.
func (j *job) unreserve() { j.h.room.release(j.res) }

// expectedMinutes is how many minute-stats archives the job is expected to
// download: the minutes since the watermark read before it started, or
// FirstContact without one (estimate caps it at a chunk).
func (j *job) expectedMinutes() int64 {
	if f := j.pre.watermark; f != nil {
		if wm, ok, err := f(); err == nil && ok {
			now := j.h.o.Now().Unix()
			return (now - now%60 - wm) / 60
		}
	}
	return int64(j.h.o.FirstContact)
}
