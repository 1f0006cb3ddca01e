package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// What the bench reads from each worker process's METRICS_ADDR.
const (
	metricJobsInFlight   = "ectelemetry_worker_jobs_in_flight"
	metricJobSlots       = "ectelemetry_worker_job_slots"
	metricWriteDuration  = "ectelemetry_worker_write_duration_seconds"
	metricMinuteSlotWait = "ectelemetry_worker_minute_slot_wait_seconds"
	metricArchiveBytes   = "ectelemetry_worker_archive_bytes"
	metricArchiveRoom    = "ectelemetry_worker_archive_room_wait_seconds"
	// Go's own, from the runtime collector every process registers.
	metricAllocBytes = "go_memstats_alloc_bytes_total"
	metricGCDuration = "go_gc_duration_seconds"
)

// freeLoopbackAddr returns a loopback address nothing listens on now, for
// a child process's METRICS_ADDR.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// slotUse is how full the worker processes' job slots were over a cycle.
type slotUse struct {
	inFlight float64 // jobs in flight, all workers together, averaged over the samples
	slots    float64 // job slots of all workers together (their WORKER_CONCURRENCY)
	samples  int     // samples in which every worker answered
	// archives is the most minute-stats archive bytes the workers held
	// waiting for a slot or expected of their jobs still downloading, in
	// one sample.
	archives float64
}

func (u slotUse) String() string {
	if u.samples == 0 || u.slots == 0 {
		return "not measured"
	}
	return fmt.Sprintf("%.0f of %.0f, %.0f%%", u.inFlight, u.slots, 100*u.inFlight/u.slots)
}

// sampleSlots reads the job gauges of the workers at addrs every interval
// until ctx ends and returns their average. A sample in which a worker does
// not answer (still starting, busy past the interval) is left out.
func sampleSlots(ctx context.Context, addrs []string, every time.Duration) slotUse {
	var u slotUse
	var sum float64
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		w, err := readWorkers(ctx, addrs)
		if err == nil {
			sum += w.inFlight
			u.slots = w.slots
			u.archives = max(u.archives, w.archives)
			u.samples++
		}
		select {
		case <-ctx.Done():
			if u.samples > 0 {
				u.inFlight = sum / float64(u.samples)
			}
			return u
		case <-t.C:
		}
	}
}

// workerStats is what the workers' /metrics said, summed over the workers.
type workerStats struct {
	inFlight, slots float64 // jobs in flight, job slots
	writes, waits   timing  // writes to the database, waits for a minute-stats slot
	roomWaits       timing  // jobs held back by the archive budget
	archives        float64 // archive bytes waiting for a slot and expected
	garbage         garbage // what the Go runtimes allocated and collected
}

// garbage is what the workers' Go runtimes allocated (bytes) and how many
// collections they ran; ok is false when a worker did not say.
type garbage struct {
	bytes, gcs float64
	ok         bool
}

// perJobSince is the bytes allocated per job and the collections since
// then, for jobs jobs.
func (g garbage) perJobSince(then garbage, jobs int64) string {
	if !g.ok || !then.ok || jobs <= 0 {
		return "not measured"
	}
	return fmt.Sprintf("%.0f KB allocated per job, %.0f collections", (g.bytes-then.bytes)/1e3/float64(jobs), g.gcs-then.gcs)
}

// timing is a histogram's count and sum of seconds.
type timing struct{ n, secs float64 }

// countSince is the number of observations since then and their mean.
func (t timing) countSince(then timing) string {
	if t.n <= then.n {
		return "none"
	}
	return fmt.Sprintf("%.0f, mean %s", t.n-then.n, t.meanSince(then))
}

// meanSince is the mean of the observations since then, in milliseconds.
func (t timing) meanSince(then timing) string {
	if t.n <= then.n {
		return "none"
	}
	return fmt.Sprintf("%.0f ms", 1e3*(t.secs-then.secs)/(t.n-then.n))
}

// readWorkers reads the /metrics of the workers at addrs.
func readWorkers(ctx context.Context, addrs []string) (workerStats, error) {
	w := workerStats{garbage: garbage{ok: true}}
	for _, a := range addrs {
		body, err := httpGet(ctx, "http://"+a+"/metrics")
		if err != nil {
			return workerStats{}, err
		}
		p := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
		if err != nil {
			return workerStats{}, fmt.Errorf("worker %s /metrics: %w", a, err)
		}
		f, s := onlyMetric(fams[metricJobsInFlight]).GetGauge(), onlyMetric(fams[metricJobSlots]).GetGauge()
		wr, wt := onlyMetric(fams[metricWriteDuration]).GetHistogram(), onlyMetric(fams[metricMinuteSlotWait]).GetHistogram()
		if f == nil || s == nil || wr == nil || wt == nil {
			return workerStats{}, fmt.Errorf("worker %s /metrics lacks one of %s, %s, %s, %s", a,
				metricJobsInFlight, metricJobSlots, metricWriteDuration, metricMinuteSlotWait)
		}
		w.inFlight += f.GetValue()
		w.slots += s.GetValue()
		w.writes.n += float64(wr.GetSampleCount())
		w.writes.secs += wr.GetSampleSum()
		w.waits.n += float64(wt.GetSampleCount())
		w.waits.secs += wt.GetSampleSum()
		if rw := onlyMetric(fams[metricArchiveRoom]).GetHistogram(); rw != nil {
			w.roomWaits.n += float64(rw.GetSampleCount())
			w.roomWaits.secs += rw.GetSampleSum()
		}
		for _, m := range fams[metricArchiveBytes].GetMetric() {
			w.archives += m.GetGauge().GetValue()
		}
		alloc, gc := onlyMetric(fams[metricAllocBytes]).GetCounter(), onlyMetric(fams[metricGCDuration]).GetSummary()
		if alloc == nil || gc == nil {
			w.garbage.ok = false
			continue
		}
		w.garbage.bytes += alloc.GetValue()
		w.garbage.gcs += float64(gc.GetSampleCount())
	}
	return w, nil
}

// onlyMetric returns a family's only metric, nil when the family is
// missing or has several (its getters, GetGauge and the like, then return
// nil too).
func onlyMetric(f *dto.MetricFamily) *dto.Metric {
	if len(f.GetMetric()) != 1 {
		return nil
	}
	return f.GetMetric()[0]
}
