package worker

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ec-telemetry/ec-telemetry/edgeconnect"
)

// cpuStat is n samples of the CPUs named, ten seconds apart, with usage
// values that tell the sample and the CPU apart.
func cpuStat(n int, cpus ...[]string) edgeconnect.CPUStat {
	var c edgeconnect.CPUStat
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for i := range n {
		names := cpus[min(i, len(cpus)-1)]
		s := edgeconnect.CPUSample{Time: t0.Add(time.Duration(i) * 10 * time.Second)}
		for k, name := range names {
			s.CPUs = append(s.CPUs, edgeconnect.CPUUsage{CPU: name, Idle: float64(90 - i), User: float64(k), Sys: 1, IRQ: 0.5, Nice: 0.25})
		}
		c.Samples = append(c.Samples, s)
	}
	return c
}

// Every CPU point carries its own sample's time, CPU and values, also when
// a sample lists the CPUs in another order or lists another CPU; the points
// of one CPU share one tags slice.
func TestCPUPoints(t *testing.T) {
	b := pointer{applianceID: "3.NE", hostname: "HQ-EC-01", orchestrator: "east"}
	c := cpuStat(4, []string{"ALL", "0", "1"}, []string{"ALL", "0", "1"}, []string{"ALL", "1", "0"}, []string{"ALL", "0", "2"})
	pts := b.cpuPoints(c)
	var got, want []string
	for _, p := range pts {
		got = append(got, fmt.Sprintf("%d %v %v", p.Time.Unix(), p.Tags.Map(), p.Fields.Map()))
	}
	for _, s := range c.Samples {
		for _, u := range s.CPUs {
			want = append(want, fmt.Sprintf("%d %v %v", s.Time.Unix(),
				map[string]string{"appliance_id": "3.NE", "hostname": "HQ-EC-01", "orchestrator": "east", "cpu_number": u.CPU},
				map[string]any{"cpu_pIdle": u.Idle, "cpu_pUser": u.User, "cpu_pSys": u.Sys, "cpu_pIRQ": u.IRQ, "cpu_pNice": u.Nice}))
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("cpu points (-want +got):\n%s", diff)
	}
	for i, p := range pts {
		if p.Measurement != "cpu_stats" || len(p.Tags) != cap(p.Tags) {
			t.Errorf("point %d: measurement %q, tags len %d cap %d: want cpu_stats and no room to append into", i, p.Measurement, len(p.Tags), cap(p.Tags))
		}
	}
	// Samples 1 and 2 list the same CPUs in the same order: their points
	// share the tags.
	for k := range 3 {
		if &pts[k].Tags[0] != &pts[3+k].Tags[0] {
			t.Errorf("CPU %s: samples 1 and 2 do not share their tags", c.Samples[0].CPUs[k].CPU)
		}
	}
	if strings.Count(fmt.Sprint(got), "cpu_number:2") != 1 {
		t.Errorf("CPU 2 (fourth sample only) not exactly once: %v", got)
	}
}

// BenchmarkCPUPoints measures the points of a 16-core appliance's dozen
// samples (go test -bench CPUPoints -benchmem ./worker/).
func BenchmarkCPUPoints(b *testing.B) {
	names := []string{"ALL"}
	for i := range 16 {
		names = append(names, fmt.Sprint(i))
	}
	c := cpuStat(12, names)
	p := pointer{applianceID: "3.NE", hostname: "HQ-EC-01", orchestrator: "east"}
	b.ReportAllocs()
	for b.Loop() {
		_ = p.cpuPoints(c)
	}
}
