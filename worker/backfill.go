package worker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ec-telemetry/ec-telemetry/edgeconnect"
	"github.com/ec-telemetry/ec-telemetry/influx"
	"github.com/ec-telemetry/ec-telemetry/internal/minutestats"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// minuteResult classifies one minute archive.
type minuteResult string

const (
	minuteStored  minuteResult = "stored"
	minuteMissing minuteResult = "missing" // 404: the appliance no longer has it
	minuteCorrupt minuteResult = "corrupt" // arrived whole but unreadable: what was parsed is kept
	minuteCapped  minuteResult = "capped"  // stored up to MaxArchivePoints, the excess dropped
)

// window returns the minutes to fetch, oldest first: every minute after the
// watermark that the appliance still holds and that is within BackfillMax;
// without a watermark the last FirstContact minutes (the demo's three), or
// all of them when all is set (Redis lost the watermarks).
func (h *Handler) window(mr edgeconnect.MinuteRange, watermark int64, haveWatermark, all bool) (first, last int64) {
	last = mr.Newest - mr.Newest%60
	floor := last - int64(h.o.BackfillMax/time.Second) + 60
	if mr.Oldest > floor {
		floor = mr.Oldest + (60-mr.Oldest%60)%60
	}
	first = last - int64(h.o.FirstContact-1)*60
	switch {
	case haveWatermark:
		first = watermark + 60
	case all:
		first = floor
	}
	if first < floor {
		first = floor
	}
	return first, last
}

// backfill stores the minute statistics from the watermark on. The
// watermark advances only after InfluxDB accepted a batch, so a failure
// anywhere means the next job fetches those minutes again: no gap, and
// (points are identified by their tags and minute) no duplicate. Points
// InfluxDB refuses for good (a permanent *influx.WriteError, such as a
// max-values-per-tag limit) are counted, logged once and skipped past:
// fetching them again would only be refused again. downloaded is called
// when the last archive it will fetch has arrived: the appliance is not
// needed for the parsing and writing that follow.
func (j *job) backfill(ctx context.Context, c Appliance, classes map[string]string, downloaded func()) error {
	h := j.h
	mr, err := c.MinuteRange(ctx)
	if err != nil {
		return err
	}
	wm, ok, err := j.readWatermark(ctx)
	if err != nil {
		return err
	}
	if newest := mr.Newest - mr.Newest%60; ok && wm > newest && mr.Newest > 0 {
		// The appliance's newest minute is older than the last one stored:
		// its clock was set back, or it was replaced under the same nePk.
		// Waiting for its clock to pass the watermark would collect nothing
		// for that long; start afresh as on first contact instead (minutes
		// stored again overwrite themselves).
		j.log.Warn().Time("watermark", time.Unix(wm, 0).UTC()).Time("appliance_newest", time.Unix(newest, 0).UTC()).
			Msg("minute stats: the appliance's newest minute is older than the last one stored (clock set back or appliance replaced); starting afresh")
		if err := h.o.Watermarks.Reset(ctx, j.p.Key()); err != nil {
			return err
		}
		ok = false
	}
	j.noteWatermark(wm, ok)
	first, last := h.window(mr, wm, ok, j.p.BackfillAll)
	if first > last {
		return nil // nothing new yet
	}
	opts := minutestats.Options{
		ApplianceID: j.p.ApplianceID, Hostname: j.p.Hostname, Orchestrator: j.p.Orchestrator,
		Lookups:   minutestats.Lookups{WANLabels: j.p.WANLabels, LANLabels: j.p.LANLabels, Overlays: j.p.Overlays, TrafficClasses: classes},
		MaxPoints: h.o.MaxArchivePoints, EmitPoints: h.o.MaxBatchPoints,
	}
	// Points are written in batches of at most MaxBatchPoints while the
	// archives are parsed, so a huge archive never sits in memory whole.
	// A batch may end inside a minute; the watermark only ever moves to the
	// last minute all of whose points were written (or refused for good).
	var (
		pending    []telemetry.Point
		pendFirst  int64 // minutes with points in pending: pendFirst..pendLast
		pendLast   int64
		doneLast   int64 // last minute parsed completely
		doneCount  int   // minutes parsed completely since the watermark last advanced
		issues     int
		firstIssue string
		ref        refusal
	)
	write := func() error {
		if len(pending) == 0 {
			return nil
		}
		n, err := j.write(ctx, pending)
		j.mu.Lock()
		j.rep.Points += n
		j.mu.Unlock()
		if err != nil && influx.Retryable(err) {
			return fmt.Errorf("write minutes %d to %d: %w", pendFirst, pendLast, err)
		}
		if err != nil { // InfluxDB refused some of these points for good: writing them again cannot help
			h.countMinutes("refused", ref.add(pendFirst, pendLast, len(pending)-n, err))
		}
		clear(pending)
		pending = pending[:0]
		return nil
	}
	// lastChunk: the chunk being parsed is the backfill's last. Its
	// advances wait for the job's last Redis writes when they can
	// (pipeline.go): only the last of them counts, the watermark never
	// moving back. An earlier chunk's advance is sent at once, so that a
	// long backfill cut short keeps what it stored.
	lastChunk := false
	advance := func() error {
		if doneCount == 0 {
			return nil
		}
		if lastChunk && j.advancesAtEnd() {
			j.mu.Lock()
			j.finalAdvance = doneLast
			j.mu.Unlock()
		} else if err := h.o.Watermarks.Advance(context.WithoutCancel(ctx), j.p.Key(), doneLast); err != nil {
			return err
		}
		j.mu.Lock()
		if j.rep.MinutesFirst == 0 {
			j.rep.MinutesFirst = doneLast - int64(doneCount-1)*60
		}
		j.rep.MinutesLast = doneLast
		j.rep.MinutesStored += doneCount
		j.mu.Unlock()
		j.noteWatermark(doneLast, true)
		doneCount = 0
		return nil
	}
	flush := func() error {
		if err := write(); err != nil {
			return err
		}
		return advance()
	}
	defer func() {
		if issues > 0 {
			if m := h.o.Metrics; m != nil {
				m.ParseIssues.Add(float64(issues))
			}
			j.log.Debug().Int("issues", issues).Str("first_issue", firstIssue).Msg("minute stats: lines skipped or repaired")
		}
		ref.log(j)
		j.excess.log(j, h.o.MaxArchivePoints)
	}()
	for m := first; m <= last; {
		// Download a chunk of minutes holding no minute-stats slot, so that
		// an appliance that is slow to send keeps no other job waiting.
		var (
			dls      []download
			held     int
			derr     error
			deferred bool
		)
		for ; m <= last && held < archiveChunkBytes; m += 60 {
			if dl, ok := ctx.Deadline(); ok && m > first && time.Until(dl) < h.o.BackfillReserve {
				h.countMinutes("deferred", int((last-m)/60+1))
				deferred = true // the next job continues from the watermark
				break
			}
			d, err := j.fetchMinute(ctx, c, m)
			if err != nil {
				derr = fmt.Errorf("minute %d: %w", m, err)
				break
			}
			dls = append(dls, d)
			held += cap(d.body)
			j.holdArchives(cap(d.body))
		}
		if m > last || derr != nil || deferred {
			lastChunk = true
			downloaded() // the appliance is needed no more
		}
		// Parse and write the chunk under a slot: the parsed points are
		// what the slot bounds.
		var err error
		if len(dls) > 0 {
			err = h.withMinuteSlot(ctx, func(arena *minutestats.Arena, kept []telemetry.Point) (out []telemetry.Point, err error) {
				opts.Arena, pending = arena, kept
				// The arena is reset and pending's list kept by the slot
				// when fn returns: nothing parsed may stay in pending.
				defer func() { out, pending = pending, nil }()
				for i, d := range dls {
					var werr error // a batch that could not be written ends the parse
					opts.Emit = func(pts []telemetry.Point) error {
						if len(pending)+len(pts) > h.o.MaxBatchPoints {
							if werr = write(); werr != nil {
								return werr
							}
						}
						if len(pending) == 0 {
							pendFirst = d.minute
						}
						pending, pendLast = append(pending, pts...), d.minute
						return nil
					}
					res := j.parseMinute(d, opts, &issues, &firstIssue)
					dls[i].body = nil
					j.holdArchives(-cap(d.body))
					if werr != nil {
						return nil, werr // nothing more is advanced
					}
					if res == minuteStored && j.excess.minute == d.minute {
						res = minuteCapped
					}
					h.countMinutes(string(res), 1)
					if res == minuteCorrupt {
						j.log.Warn().Int64("minute", d.minute).Msg("minute stats archive is corrupt: kept what could be read")
					}
					doneLast, doneCount = d.minute, doneCount+1
					if len(pending) == 0 || len(pending) >= h.o.MaxBatchPoints {
						if err := flush(); err != nil {
							return nil, err
						}
					}
				}
				return nil, flush()
			})
		}
		for _, d := range dls {
			j.holdArchives(-cap(d.body)) // those not parsed when the slot was not granted
		}
		if derr != nil || err != nil || deferred {
			return errors.Join(derr, err)
		}
	}
	return nil
}

// refusal gathers the minute-stats points InfluxDB refused for good in one
// job, to skip past them (they would be refused again every cycle and hold
// back every newer minute) and to report them once.
type refusal struct {
	minutes     int
	points      int
	first, last int64
	upTo        int64 // last minute counted
	err         error
}

// add records a refused write of the minutes first..last and returns how
// many of them were not counted yet.
func (r *refusal) add(first, last int64, points int, err error) int {
	if r.err == nil {
		r.err, r.first = err, first
	}
	r.points += points
	r.last = last
	first = max(first, r.upTo+60)
	if first > last {
		return 0
	}
	r.upTo = last
	n := int((last-first)/60 + 1)
	r.minutes += n
	return n
}

func (r *refusal) log(j *job) {
	if r.err == nil {
		return
	}
	j.mu.Lock()
	j.rep.MinutesRefused += r.minutes
	j.mu.Unlock()
	j.log.Warn().Err(r.err).Int("minutes", r.minutes).Int("points", r.points).
		Time("first_minute", time.Unix(r.first, 0).UTC()).Time("last_minute", time.Unix(r.last, 0).UTC()).
		Msg("minute stats: InfluxDB refused points for good; skipped past those minutes")
}

// excess gathers the points dropped because an archive held more than
// MaxArchivePoints, to report them once per job.
type excess struct {
	points int
	minute int64  // last minute with dropped points
	file   string // first file with dropped points
}

// note records what the parse of minute dropped.
func (e *excess) note(minute int64, res *minutestats.Result) {
	if res == nil || res.Dropped == 0 {
		return
	}
	e.points += res.Dropped
	e.minute = minute
	if e.file == "" {
		for _, f := range res.Files {
			if f.Dropped > 0 {
				e.file = f.Name
				break
			}
		}
	}
}

func (e *excess) log(j *job, limit int) {
	if e.points == 0 {
		return
	}
	j.mu.Lock()
	j.rep.PointsDropped += e.points
	j.mu.Unlock()
	j.log.Warn().Int("points", e.points).Int("limit", limit).Str("file", e.file).
		Msg("minute stats: an archive holds more points than MINUTE_STATS_MAX_POINTS; the excess was dropped")
}

func (h *Handler) countMinutes(result string, n int) {
	if m := h.o.Metrics; m != nil && n > 0 {
		m.Minutes.WithLabelValues(result).Add(float64(n))
	}
}

// archiveChunkBytes bounds the downloaded archive bytes (buffer capacity)
// a job holds before it takes a minute-stats slot to parse them, plus the
// archive that crosses it. Archives are 5-15 KB, so a chunk is some 25
// minutes.
const archiveChunkBytes = 256 << 10

// download is one minute's archive as it arrived, not yet parsed.
type download struct {
	minute  int64
	missing bool   // 404: the appliance no longer has it
	body    []byte // the whole archive
	unfit   error  // the archive can never be read (too large)
}

// fetchMinute downloads one archive whole, before any parsing. A 404 is a
// missing minute, an archive over the client's size limit is unfit (counted
// corrupt). Any other failure is transient and returned: a download that
// broke off (an *edgeconnect.TransportError: connection cut before the
// promised length, the archive timeout, the job's time) or a failed
// request. The backfill then stops before that minute, and the next job
// fetches it again; no part of it is stored.
func (j *job) fetchMinute(ctx context.Context, c Appliance, minute int64) (download, error) {
	d := download{minute: minute}
	body, err := c.MinuteStats(ctx, minute)
	if err == nil {
		d.body, err = readArchive(body)
		body.Close()
	}
	switch {
	case errors.Is(err, edgeconnect.ErrNotFound):
		d.missing = true
	case errors.Is(err, edgeconnect.ErrTooLarge):
		d.unfit = err
	case err != nil:
		return download{}, err
	}
	return d, nil
}

// readArchive reads a whole archive into a buffer of its announced size,
// when the reader knows it (edgeconnect's archives do): the archive waits
// in memory for a minute-stats slot, and io.ReadAll's growing buffer held
// up to twice its size and left as much again in garbage.
func readArchive(r io.Reader) ([]byte, error) {
	var buf *bytes.Buffer
	if s, ok := r.(interface{ Size() int64 }); ok {
		if n := s.Size(); n > 0 && n < 1<<30 {
			// ReadFrom wants MinRead bytes free to read on.
			buf = bytes.NewBuffer(make([]byte, 0, int(n)+bytes.MinRead))
		}
	}
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

// parseMinute parses one downloaded archive, handing its points to
// opts.Emit; the caller holds a slot. As the archive arrived whole, one that
// cannot be read is corrupt: the points read before the damage are kept.
// When Emit fails the result is meaningless: the caller checks its own
// error first.
func (j *job) parseMinute(d download, opts minutestats.Options, issues *int, firstIssue *string) minuteResult {
	if d.missing {
		return minuteMissing
	}
	res, perr := &minutestats.Result{}, d.unfit
	if perr == nil {
		res, perr = minutestats.ParseArchive(bytes.NewReader(d.body), opts)
	}
	j.excess.note(d.minute, res)
	if perr == nil {
		*issues += res.IssueCount
		if *firstIssue == "" && len(res.Issues) > 0 {
			*firstIssue = res.Issues[0].String()
		}
		return minuteStored
	}
	j.mu.Lock()
	if _, seen := j.rep.SourceErrors[SourceMinuteStats]; !seen {
		j.rep.SourceErrors[SourceMinuteStats] = fmt.Errorf("minute %d: corrupt archive: %w", d.minute, perr)
	}
	j.mu.Unlock()
	return minuteCorrupt
}

// noteWatermark records what the backfill knows of the watermark: none
// (ok false), or at least minute. The watermark only moves forward.
func (j *job) noteWatermark(minute int64, ok bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !ok {
		j.watermark, j.watermarkRead = 0, true
		return
	}
	j.watermark, j.watermarkRead = max(j.watermark, minute), true
}
