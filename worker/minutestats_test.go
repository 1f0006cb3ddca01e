package worker

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"github.com/ec-telemetry/ec-telemetry/edgeconnect"
	"github.com/ec-telemetry/ec-telemetry/influx"
	"github.com/ec-telemetry/ec-telemetry/internal/metrics"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// An Orchestrator hostname with a control character and a trailing
// backslash costs nothing: every minute and the metadata are stored in a
// real InfluxDB under the name telemetry.TagValue makes of it, and no
// minute counts as corrupt.
func TestHostileHostnameIsStoredSanitised(t *testing.T) {
	const hostile = "EC-\x01BAD\\"
	want := telemetry.TagValue(hostile)
	f := newFixture(t, 3, simulator.Faults{})
	a := reachable(t, f.sim)[0]
	if err := f.sim.SetFault(a.ID, simulator.Fault{Hostname: hostile}); err != nil {
		t.Fatal(err)
	}
	poll := polls(t, f.sim, f.clock.Now())[a.ID]
	if poll.Hostname != hostile {
		t.Fatalf("poll hostname = %q, want the hostile %q", poll.Hostname, hostile)
	}
	db := f.useInflux(t)

	rep := f.h.Collect(t.Context(), poll)
	if rep.Outcome != OutcomeOK || rep.MinutesStored != 3 {
		t.Fatalf("Outcome = %s, %d minutes (err %v, sources %v); want ok, 3 minutes", rep.Outcome, rep.MinutesStored, rep.Err, rep.SourceErrors)
	}
	newest, _ := f.sim.Window()
	wantPoints := expectedMinutes(t, f.sim, a.ID, newest-120, newest)
	perMeas := map[string]int{}
	for _, p := range wantPoints {
		if p.Tags.Get(telemetry.TagHostname) != want {
			t.Fatalf("simulator expects hostname %q, want %q", p.Tags.Get(telemetry.TagHostname), want)
		}
		perMeas[p.Measurement]++
	}
	perMeas[telemetry.MeasApplianceMetadata] = 1 // discovery metadata and uptime share the second
	for m, n := range perMeas {
		q := fmt.Sprintf(`SELECT * FROM %q WHERE hostname = '%s'`, m, strings.ReplaceAll(want, `'`, `\'`))
		if got := storedPoints(t, db, q); got != n {
			t.Errorf("%s: %d points stored under hostname %q, want %d", m, got, want, n)
		}
	}
}

// refusingSink refuses for good (a permanent *influx.WriteError, as for
// InfluxDB's max-values-per-tag limit) the points of one minute and stores
// the others, as InfluxDB's partial write does.
type refusingSink struct {
	recordingSink
	refuse int64 // minute whose points are refused
}

func (s *refusingSink) Write(ctx context.Context, pts []telemetry.Point) (int, error) {
	var keep []telemetry.Point
	for _, p := range pts {
		if !minuteMeasurements[p.Measurement] || p.Time.Unix() != s.refuse {
			keep = append(keep, p)
		}
	}
	n, err := s.recordingSink.Write(ctx, keep)
	if err == nil && len(keep) < len(pts) {
		return n, &influx.WriteError{StatusCode: 400, Permanent: true, Points: len(pts) - len(keep),
			Message: "partial write: max-values-per-tag limit exceeded (100000/100000)"}
	}
	return n, err
}

// A minute InfluxDB refuses for good is skipped past, counted and logged
// once: the watermark advances, and the newer minutes are stored (the same
// minute is not fetched again every cycle).
func TestPermanentlyRefusedMinuteIsSkippedPast(t *testing.T) {
	f := newFixture(t, 3, simulator.Faults{})
	a := reachable(t, f.sim)[0]
	newest, _ := f.sim.Window()
	sink := &refusingSink{refuse: newest - 60}
	var logs bytes.Buffer
	f.h.o.Sink, f.h.o.Metrics, f.h.o.Logger = sink, metrics.New(), zerolog.New(&logs)
	// Batches of one minute each: the refused minute is known.
	largest := 0
	for m := newest - 120; m <= newest; m += 60 {
		largest = max(largest, len(expectedMinutes(t, f.sim, a.ID, m, m)))
	}
	f.h.o.MaxBatchPoints = largest + 1

	rep := f.h.Collect(t.Context(), f.polls[a.ID])
	if rep.MinutesStored != 3 || rep.MinutesRefused != 1 || rep.MinutesLast != newest {
		t.Errorf("job: %d minutes up to %d, %d refused (err %v, sources %v); want 3 up to %d, 1 refused",
			rep.MinutesStored, rep.MinutesLast, rep.MinutesRefused, rep.Err, rep.SourceErrors, newest)
	}
	if wm, _, _ := f.wm.Get(t.Context(), a.ID); wm != newest {
		t.Errorf("watermark = %d, want %d (past the refused minute)", wm, newest)
	}
	if got := testutil.ToFloat64(f.h.o.Metrics.Minutes.WithLabelValues("refused")); got != 1 {
		t.Errorf("minute_files_total{result=refused} = %v, want 1", got)
	}
	if n := strings.Count(logs.String(), "refused points for good"); n != 1 || !strings.Contains(logs.String(), "max-values-per-tag") {
		t.Errorf("%d refusal log lines, want 1 naming the reason:\n%s", n, logs.String())
	}

	f.clock.Add(2 * time.Minute)
	rep = f.h.Collect(t.Context(), f.polls[a.ID])
	if rep.MinutesStored != 2 || rep.MinutesFirst != newest+60 || rep.MinutesRefused != 0 {
		t.Errorf("next job: %d minutes from %d, %d refused; want the 2 newer minutes from %d, none refused",
			rep.MinutesStored, rep.MinutesFirst, rep.MinutesRefused, newest+60)
	}
	want := append(expectedMinutes(t, f.sim, a.ID, newest-120, newest-120), expectedMinutes(t, f.sim, a.ID, newest, newest+120)...)
	if diff := cmp.Diff(lines(t, want), lines(t, sink.minutePoints())); diff != "" {
		t.Errorf("stored minute points (-want +got):\n%s", diff)
	}
}

// countingSink counts minute points per minute and remembers the largest
// write, without keeping the points.
type countingSink struct {
	mu      sync.Mutex
	perMin  map[int64]int
	largest int
}

func (s *countingSink) Write(_ context.Context, pts []telemetry.Point) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.largest = max(s.largest, len(pts))
	for _, p := range pts {
		if minuteMeasurements[p.Measurement] {
			s.perMin[p.Time.Unix()]++
		}
	}
	return len(pts), nil
}

// One appliance serving a valid archive of 200,000 distinct interface rows
// cannot exhaust a worker: the points go to InfluxDB in batches of at most
// MaxBatchPoints while parsing (never more held at once), the archive is
// cut at MaxArchivePoints, and the excess is reported once naming the
// appliance and the file.
func TestHugeArchiveIsBoundedAndReported(t *testing.T) {
	const rows, capPoints, batch = 200_000, 20_000, 2_000
	f := newFixture(t, 3, simulator.Faults{})
	a := reachable(t, f.sim)[0]
	if err := f.sim.SetFault(a.ID, simulator.Fault{ExtraInterfaceRows: rows}); err != nil {
		t.Fatal(err)
	}
	sink := &countingSink{perMin: map[int64]int{}}
	var logs bytes.Buffer
	f.h.o.Sink, f.h.o.Metrics, f.h.o.Logger = sink, metrics.New(), zerolog.New(&logs)
	f.h.o.MaxBatchPoints, f.h.o.MaxArchivePoints, f.h.o.FirstContact = batch, capPoints, 1
	// Building and parsing 200,000 rows takes seconds under -race.
	tr, err := edgeconnect.NewTransport(edgeconnect.TransportOptions{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	f.h.o.JobTimeout, f.h.o.BackfillReserve = 2*time.Minute, time.Second
	f.h.o.Dial = func(addr string) (Appliance, error) {
		return edgeconnect.New(edgeconnect.Options{Address: addr, User: simulator.DefaultECUser,
			Password: simulator.DefaultECPassword, Transport: tr, Timeout: 2 * time.Second, ArchiveTimeout: 45 * time.Second})
	}

	rep := f.h.Collect(t.Context(), f.polls[a.ID])
	newest, _ := f.sim.Window()
	if rep.MinutesStored != 1 || rep.MinutesLast != newest {
		t.Fatalf("job: %s, %d minutes up to %d (err %v, sources %v); want 1: %d",
			rep.Outcome, rep.MinutesStored, rep.MinutesLast, rep.Err, rep.SourceErrors, newest)
	}
	if wm, _, _ := f.wm.Get(t.Context(), a.ID); wm != newest {
		t.Errorf("watermark = %d, want %d", wm, newest)
	}
	if got := sink.perMin[newest]; got != capPoints || len(sink.perMin) != 1 {
		t.Errorf("minute points written: %v, want the cap %d at %d", sink.perMin, capPoints, newest)
	}
	if sink.largest > batch {
		t.Errorf("largest write held %d points, want at most MaxBatchPoints = %d", sink.largest, batch)
	}
	real := len(expectedMinutes(t, f.sim, a.ID, newest, newest))
	// Every row after the cap is dropped, colliding ones included.
	if lo, hi := rows-capPoints+real, rows+real; rep.PointsDropped < lo || rep.PointsDropped > hi {
		t.Errorf("PointsDropped = %d, want %d..%d", rep.PointsDropped, lo, hi)
	}
	if got := testutil.ToFloat64(f.h.o.Metrics.Minutes.WithLabelValues("capped")); got != 1 {
		t.Errorf("minute_files_total{result=capped} = %v, want 1", got)
	}
	line := grepLine(logs.String(), "MINUTE_STATS_MAX_POINTS")
	for _, want := range []string{a.Hostname, a.ID, "interface_v2.txt", fmt.Sprint(capPoints)} {
		if !strings.Contains(line, want) {
			t.Errorf("excess log line lacks %q: %s", want, line)
		}
	}
	if n := strings.Count(logs.String(), "MINUTE_STATS_MAX_POINTS"); n != 1 {
		t.Errorf("%d excess log lines, want 1", n)
	}
}
