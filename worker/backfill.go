package worker

import (
	"context"
	"errors"
	"fmt"
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
	minuteCorrupt minuteResult = "corrupt" // unreadable twice: what was parsed is kept
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
	first, last := h.window(mr, wm, ok, j.p.BackfillAll)
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
	for m := first; m <= last; m += 60 {
		if dl, ok := ctx.Deadline(); ok && m > first && time.Until(dl) < h.o.BackfillReserve {
			h.countMinutes("deferred", int((last-m)/60+1))
			break // the next job continues from the watermark
		}
		res, pts, err := j.fetchMinute(ctx, c, m, opts, &issues, &firstIssue)
		if err != nil {
			ferr := flush()
			return errors.Join(fmt.Errorf("minute %d: %w", m, err), ferr)
		}
		h.countMinutes(string(res), 1)
		if res == minuteCorrupt {
			j.log.Warn().Int64("minute", m).Msg("minute stats archive is corrupt: kept what could be read")
		}
		batch = append(batch, pts...)
		batchLast, batchCount = m, batchCount+1
		if len(batch) >= h.o.MaxBatchPoints {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

func (h *Handler) countMinutes(result string, n int) {
	if m := h.o.Metrics; m != nil && n > 0 {
		m.Minutes.WithLabelValues(result).Add(float64(n))
	}
}

// fetchMinute downloads and parses one archive. A transient failure (the
// appliance or the network) returns an error and nothing is skipped. An
// archive that cannot be read twice in a row is corrupt: the points read
// before the damage are kept.
func (j *job) fetchMinute(ctx context.Context, c Appliance, minute int64, opts minutestats.Options, issues *int, firstIssue *string) (minuteResult, []telemetry.Point, error) {
	var best *minutestats.Result
	var lastErr error
	for attempt := 0; attempt < 2; attempt++ {
		body, err := c.MinuteStats(ctx, minute)
		if errors.Is(err, edgeconnect.ErrNotFound) {
			return minuteMissing, nil, nil
		}
		if err != nil {
			return "", nil, err
		}
		res, perr := minutestats.ParseArchive(body, opts)
		body.Close()
		if ctx.Err() != nil {
			return "", nil, ctx.Err()
		}
		if perr == nil {
			*issues += res.IssueCount
			if *firstIssue == "" && len(res.Issues) > 0 {
				*firstIssue = res.Issues[0].String()
			}
			return minuteStored, res.Points, nil
		}
		if best == nil || len(res.Points) > len(best.Points) {
			best = res
		}
		lastErr = perr
	}
	j.mu.Lock()
	if _, seen := j.rep.SourceErrors[SourceMinuteStats]; !seen {
		j.rep.SourceErrors[SourceMinuteStats] = fmt.Errorf("minute %d: corrupt archive: %w", minute, lastErr)
	}
	j.mu.Unlock()
	return minuteCorrupt, best.Points, nil
}
