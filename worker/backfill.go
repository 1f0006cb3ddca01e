package worker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ec-telemetry/ec-telemetry/edgeconnect"
	"github.com/ec-telemetry/ec-telemetry/internal/minutestats"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// minuteResult classifies one minute archive.
type minuteResult string

const (
	minuteStored  minuteResult = "stored"
	minuteMissing minuteResult = "missing" // 404: the appliance no longer has it
	minuteCorrupt minuteResult = "corrupt" // arrived whole but unreadable: what was parsed is kept
)

// window returns the minutes to fetch, oldest first: every minute after the
// watermark that the appliance still holds and that is within BackfillMax;
// without a watermark the last FirstContact minutes (the demo's three).
func (h *Handler) window(mr edgeconnect.MinuteRange, watermark int64, haveWatermark bool) (first, last int64) {
	last = mr.Newest - mr.Newest%60
	floor := last - int64(h.o.BackfillMax/time.Second) + 60
	if mr.Oldest > floor {
		floor = mr.Oldest + (60-mr.Oldest%60)%60
	}
	first = last - int64(h.o.FirstContact-1)*60
	if haveWatermark {
		first = watermark + 60
	}
	if first < floor {
		first = floor
	}
	return first, last
}

// backfill stores the minute statistics from the watermark on. The
// watermark advances only after InfluxDB accepted a batch, so a failure
// anywhere means the next job fetches those minutes again: no gap, and
// (points are identified by their tags and minute) no duplicate.
func (j *job) backfill(ctx context.Context, c Appliance, classes map[string]string) error {
	h := j.h
	mr, err := c.MinuteRange(ctx)
	if err != nil {
		return err
	}
	wm, ok, err := h.o.Watermarks.Get(ctx, j.p.ApplianceID)
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
		if err := h.o.Watermarks.Reset(ctx, j.p.ApplianceID); err != nil {
			return err
		}
		ok = false
	}
	first, last := h.window(mr, wm, ok)
	if first > last {
		return nil // nothing new yet
	}
	opts := minutestats.Options{
		ApplianceID: j.p.ApplianceID, Hostname: j.p.Hostname,
		Lookups: minutestats.Lookups{WANLabels: j.p.WANLabels, LANLabels: j.p.LANLabels, Overlays: j.p.Overlays, TrafficClasses: classes},
	}
	var (
		batch      []telemetry.Point
		batchLast  int64
		batchCount int
		issues     int
		firstIssue string
	)
	flush := func() error {
		if batchCount == 0 {
			return nil
		}
		if len(batch) > 0 {
			n, err := j.write(ctx, batch)
			j.mu.Lock()
			j.rep.Points += n
			j.mu.Unlock()
			if err != nil {
				return fmt.Errorf("write minutes up to %d: %w", batchLast, err)
			}
		}
		if err := h.o.Watermarks.Advance(context.WithoutCancel(ctx), j.p.ApplianceID, batchLast); err != nil {
			return err
		}
		j.mu.Lock()
		if j.rep.MinutesFirst == 0 {
			j.rep.MinutesFirst = batchLast - int64(batchCount-1)*60
		}
		j.rep.MinutesLast = batchLast
		j.rep.MinutesStored += batchCount
		j.mu.Unlock()
		batch, batchCount = batch[:0], 0
		return nil
	}
	defer func() {
		if issues > 0 {
			if m := h.o.Metrics; m != nil {
				m.ParseIssues.Add(float64(issues))
			}
			j.log.Debug().Int("issues", issues).Str("first_issue", firstIssue).Msg("minute stats: lines skipped or repaired")
		}
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
			h.holdArchives(cap(d.body))
		}
		// Parse and write the chunk under a slot: the parsed points are
		// what the slot bounds.
		var err error
		if len(dls) > 0 {
			err = h.withMinuteSlot(ctx, func() error {
				for i, d := range dls {
					res, pts := j.parseMinute(d, opts, &issues, &firstIssue)
					dls[i].body = nil
					h.holdArchives(-cap(d.body))
					h.countMinutes(string(res), 1)
					if res == minuteCorrupt {
						j.log.Warn().Int64("minute", d.minute).Msg("minute stats archive is corrupt: kept what could be read")
					}
					batch = append(batch, pts...)
					batchLast, batchCount = d.minute, batchCount+1
					if len(batch) >= h.o.MaxBatchPoints {
						if err := flush(); err != nil {
							return err
						}
					}
				}
				return flush()
			})
		}
		for _, d := range dls {
			h.holdArchives(-cap(d.body)) // those not parsed when the slot was not granted
		}
		if derr != nil || err != nil || deferred {
			return errors.Join(derr, err)
		}
	}
	return nil
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
		d.body, err = io.ReadAll(body)
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

// parseMinute parses one downloaded archive; the caller holds a slot. As
// the archive arrived whole, one that cannot be read is corrupt: the points
// read before the damage are kept.
func (j *job) parseMinute(d download, opts minutestats.Options, issues *int, firstIssue *string) (minuteResult, []telemetry.Point) {
	if d.missing {
		return minuteMissing, nil
	}
	res, perr := &minutestats.Result{}, d.unfit
	if perr == nil {
		res, perr = minutestats.ParseArchive(bytes.NewReader(d.body), opts)
	}
	if perr == nil {
		*issues += res.IssueCount
		if *firstIssue == "" && len(res.Issues) > 0 {
			*firstIssue = res.Issues[0].String()
		}
		return minuteStored, res.Points
	}
	j.mu.Lock()
	if _, seen := j.rep.SourceErrors[SourceMinuteStats]; !seen {
		j.rep.SourceErrors[SourceMinuteStats] = fmt.Errorf("minute %d: corrupt archive: %w", d.minute, perr)
	}
	j.mu.Unlock()
	return minuteCorrupt, res.Points
}
