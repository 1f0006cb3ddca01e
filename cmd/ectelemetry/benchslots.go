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

// Gauges each worker process serves on its METRICS_ADDR.
const (
	metricJobsInFlight = "ectelemetry_worker_jobs_in_flight"
	metricJobSlots     = "ectelemetry_worker_job_slots"
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
		inFlight, slots, err := readSlots(ctx, addrs)
		if err == nil {
			sum += inFlight
			u.slots = slots
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

// readSlots returns the jobs in flight and the job slots of the workers at
// addrs, summed.
func readSlots(ctx context.Context, addrs []string) (inFlight, slots float64, err error) {
	for _, a := range addrs {
		body, err := httpGet(ctx, "http://"+a+"/metrics")
		if err != nil {
			return 0, 0, err
		}
		p := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
		if err != nil {
			return 0, 0, fmt.Errorf("worker %s /metrics: %w", a, err)
		}
		f, s := gaugeOf(fams[metricJobsInFlight]), gaugeOf(fams[metricJobSlots])
		if f < 0 || s < 0 {
			return 0, 0, fmt.Errorf("worker %s /metrics has no %s or %s", a, metricJobsInFlight, metricJobSlots)
		}
		inFlight += f
		slots += s
	}
	return inFlight, slots, nil
}

// gaugeOf returns the value of a family's only gauge, -1 when there is none.
func gaugeOf(f *dto.MetricFamily) float64 {
	if f == nil || len(f.GetMetric()) != 1 || f.GetMetric()[0].GetGauge() == nil {
		return -1
	}
	return f.GetMetric()[0].GetGauge().GetValue()
}
