package outputs_test

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/outputs"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// applianceBatch is one appliance's points of a minute: n interface rows
// of 8 tags and 12 fields each, about what the worker writes.
func applianceBatch(host string, n int) []telemetry.Point {
	ps := make([]telemetry.Point, n)
	for i := range ps {
		fields := map[string]any{}
		for f := range 12 {
			fields["field_"+strconv.Itoa(f)] = int64(i * f)
		}
		ps[i] = telemetry.Point{
			Measurement: telemetry.MeasInterfaceStats,
			Tags: telemetry.TagsOf(map[string]string{telemetry.TagApplianceID: host + ".NE", telemetry.TagHostname: host,
				"interface": "wan" + strconv.Itoa(i), "label": "INET", "zone": "default", "site": "site-" + host,
				"region": "emea", "group": "branches"}),
			Fields: telemetry.FieldsOf(fields),
			Time:   time.Unix(1700000000+int64(i), 0).UTC(),
		}
	}
	return ps
}

// BenchmarkFanoutMQTTPeakHeap offers 1000 appliances' batches of 300
// points each, as fast as the worker's jobs could, to a Fanout with the
// MQTT output (QoS 1, real mosquitto) and reports the largest heap seen
// until the queue is empty.
func BenchmarkFanoutMQTTPeakHeap(b *testing.B) {
	br := testenv.StartMosquitto(b, testenv.MosquittoOptions{})
	const appliances, perAppliance = 1000, 300
	batches := make([][]telemetry.Point, 0, 16)
	for i := range 16 {
		batches = append(batches, applianceBatch(fmt.Sprintf("host-%d", i), perAppliance))
	}
	var peak uint64
	sample := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
	}
	var dropped, published int64
	for b.Loop() {
		m, err := outputs.NewMQTT(outputs.MQTTOptions{URL: br.URL, ClientID: "bench", QoS: 1})
		if err != nil {
			b.Fatal(err)
		}
		f, err := outputs.NewFanout(outputs.Options{QueuePoints: benchQueue}, m)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { f.Run(ctx); close(done) }()
		runtime.GC()
		stop := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			for {
				select {
				case <-stop:
					return
				case <-time.After(5 * time.Millisecond):
					sample()
				}
			}
		}()
		for a := range appliances {
			// fresh copies, as every job builds its own points
			src := batches[a%len(batches)]
			ps := make([]telemetry.Point, len(src))
			for i, p := range src {
				p.Tags = telemetry.TagsOf(clone(p.Tags.Map()))
				p.Fields = telemetry.FieldsOf(clone(p.Fields.Map()))
				ps[i] = p
			}
			f.Offer(ps)
			if a%50 == 0 {
				time.Sleep(time.Millisecond) // let the jobs interleave
			}
		}
		deadline := time.Now().Add(5 * time.Minute)
		for f.Stats(outputs.NameMQTT).Queued > 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		close(stop)
		<-sampled
		st := f.Stats(outputs.NameMQTT)
		dropped, published = st.Dropped, st.Published
		cancel()
		<-done
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(published), "published-points")
	b.ReportMetric(float64(dropped), "dropped-points")
}

func clone[K comparable, V any](m map[K]V) map[K]V {
	c := make(map[K]V, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

var benchQueue = 50000 // the default MQTT_QUEUE_POINTS
