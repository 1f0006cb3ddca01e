package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/rs/zerolog"

	"github.com/ec-telemetry/ec-telemetry/internal/outputs"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// withFanout gives the fixture's handler a Fanout with one MQTT output and
// runs it until the test ends.
func withFanout(t *testing.T, f *fixture, o outputs.Options, url string) *outputs.Fanout {
	t.Helper()
	return runFanout(t, f, o, mqttOutput(t, url))
}

// mqttOutput is an MQTT output (QoS 1) for the broker at url.
func mqttOutput(t *testing.T, url string) outputs.Output {
	t.Helper()
	m, err := outputs.NewMQTT(outputs.MQTTOptions{URL: url, ClientID: "worker-test", QoS: 1, ReconnectMax: 200 * time.Millisecond, ConnectTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// runFanout gives the fixture's handler a Fanout with the outputs and
// runs it until the test ends.
func runFanout(t *testing.T, f *fixture, o outputs.Options, outs ...outputs.Output) *outputs.Fanout {
	t.Helper()
	o.Logger = zerolog.Nop()
	fo, err := outputs.NewFanout(o, outs...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { fo.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	f.h.o.Outputs = fo
	return fo
}

type metric struct {
	Name      string            `json:"name"`
	Value     *string           `json:"value"`
	Timestamp int64             `json:"timestamp"`
	Tags      map[string]string `json:"tags"`
}

func TestCollectedPointsReachMQTT(t *testing.T) {
	b := testenv.StartMosquitto(t, testenv.MosquittoOptions{})
	var mu sync.Mutex
	got := map[string][]metric{} // by topic
	sub := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(b.URL).SetClientID("worker-test-sub"))
	if tok := sub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscriber: %v", tok.Error())
	}
	t.Cleanup(func() { sub.Disconnect(100) })
	var decodeErr error
	if tok := sub.Subscribe("ectelemetry/#", 1, func(_ mqtt.Client, m mqtt.Message) {
		var ms []metric
		err := json.Unmarshal(m.Payload(), &ms)
		mu.Lock()
		defer mu.Unlock()
		if err != nil && decodeErr == nil {
			decodeErr = fmt.Errorf("%s: %w", m.Topic(), err)
		}
		got[m.Topic()] = append(got[m.Topic()], ms...)
	}); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}

	f := newFixture(t, 2, simulator.Faults{})
	fo := withFanout(t, f, outputs.Options{}, b.URL)
	a := reachable(t, f.sim)[0]
	if rep := f.h.Collect(t.Context(), f.polls[a.ID]); rep.Outcome != OutcomeOK {
		t.Fatalf("Outcome = %s (%v %v)", rep.Outcome, rep.Err, rep.SourceErrors)
	}

	// What InfluxDB got is what MQTT must carry: one metric per field.
	want := map[string]int{}
	total := 0
	for _, p := range f.sink.points {
		want["ectelemetry/"+outputs.TopicSegment(p.Tags.Get(telemetry.TagHostname))+"/"+p.Measurement] += len(p.Fields)
		total += len(p.Fields)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := 0
		for _, ms := range got {
			n += len(ms)
		}
		mu.Unlock()
		if n >= total {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("MQTT carried %d metrics, InfluxDB got %d fields (%+v)", n, total, fo.Stats(outputs.NameMQTT))
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if decodeErr != nil {
		t.Fatal(decodeErr)
	}
	for topic, n := range want {
		if len(got[topic]) != n {
			t.Errorf("topic %s: %d metrics, want %d", topic, len(got[topic]), n)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d topics, want %d", len(got), len(want))
	}
	for topic, ms := range got {
		meas := topic[strings.LastIndex(topic, "/")+1:]
		for _, m := range ms {
			if !strings.HasPrefix(m.Name, meas+".") || m.Value == nil || m.Timestamp%int64(time.Second) != 0 || m.Timestamp < 1e18 ||
				m.Tags[telemetry.TagApplianceID] != a.ID || m.Tags[telemetry.TagHostname] != a.Hostname {
				t.Errorf("topic %s: metric %+v lacks name, value, timestamp (ns) or appliance tags", topic, m)
				continue
			}
			switch m.Tags[outputs.TagValueType] {
			case "int", "float", "string", "bool":
			default:
				t.Errorf("topic %s: metric %s value_type %q", topic, m.Name, m.Tags[outputs.TagValueType])
			}
		}
	}
	// A field with a unit in the schema carries it.
	for _, m := range got["ectelemetry/"+outputs.TopicSegment(a.Hostname)+"/"+telemetry.MeasCPUStats] {
		if m.Name == telemetry.MeasCPUStats+"."+telemetry.FieldCPUPIdle && m.Tags[outputs.TagUnit] != "percent" {
			t.Errorf("cpu_pIdle unit %q, want percent", m.Tags[outputs.TagUnit])
		}
	}
}

// collectAll collects the first reachable appliance and checks that
// InfluxDB got every point of the job.
func collectAll(t *testing.T, f *fixture) simulator.ApplianceInfo {
	t.Helper()
	a := reachable(t, f.sim)[0]
	rep := f.h.Collect(t.Context(), f.polls[a.ID])
	if rep.Outcome != OutcomeOK {
		t.Fatalf("Outcome = %s (%v %v)", rep.Outcome, rep.Err, rep.SourceErrors)
	}
	if rep.Points == 0 || rep.Points != len(f.sink.points) {
		t.Fatalf("report %d points, sink %d", rep.Points, len(f.sink.points))
	}
	return a
}

func TestDeadMQTTBrokerDropsButInfluxDBGetsEverything(t *testing.T) {
	f := newFixture(t, 2, simulator.Faults{})
	fo := withFanout(t, f, outputs.Options{QueuePoints: 5}, "tcp://"+testenv.ClosedPort(t))
	collectAll(t, f)
	st := fo.Stats(outputs.NameMQTT)
	if st.Published != 0 || st.Dropped == 0 || st.Queued > 5 || st.Dropped+st.Queued != int64(len(f.sink.points)) {
		t.Errorf("stats %+v: want nothing published, at most 5 queued and the rest of %d points dropped", st, len(f.sink.points))
	}
}
