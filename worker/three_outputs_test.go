package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/google/go-cmp/cmp"
	metricpb "go.opentelemetry.io/proto/otlp/metrics/v1"

	"github.com/ec-telemetry/ec-telemetry/internal/outputs"
	"github.com/ec-telemetry/ec-telemetry/internal/outputs/otlptest"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// offeredSink records every batch the job hands to InfluxDB, then stores
// it, or refuses it when fail is set.
type offeredSink struct {
	recordingSink
	offeredMu sync.Mutex
	offered   []telemetry.Point
}

func (s *offeredSink) Write(ctx context.Context, pts []telemetry.Point) (int, error) {
	s.offeredMu.Lock()
	s.offered = append(s.offered, keepPoints(pts)...)
	s.offeredMu.Unlock()
	return s.recordingSink.Write(ctx, pts)
}

func (s *offeredSink) offeredPoints() []telemetry.Point {
	s.offeredMu.Lock()
	defer s.offeredMu.Unlock()
	return slices.Clone(s.offered)
}

// mqttSubscriber collects every metric published under ectelemetry/ on
// the broker, normalised as mqttLine renders them.
type mqttSubscriber struct {
	mu    sync.Mutex
	lines []string
	err   error
}

func subscribeMQTT(t *testing.T, url string) *mqttSubscriber {
	t.Helper()
	s := &mqttSubscriber{}
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(url).SetClientID("worker-test-three-sub"))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscriber: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	if tok := c.Subscribe("ectelemetry/#", 1, func(_ mqtt.Client, m mqtt.Message) {
		var ms []metric
		err := json.Unmarshal(m.Payload(), &ms)
		s.mu.Lock()
		defer s.mu.Unlock()
		if err != nil && s.err == nil {
			s.err = fmt.Errorf("%s: %w", m.Topic(), err)
		}
		for _, x := range ms {
			v := "<no value>"
			if x.Value != nil {
				v = *x.Value
			}
			s.lines = append(s.lines, mqttLine(m.Topic(), x.Name, x.Timestamp, x.Tags, v))
		}
	}); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	return s
}

func (s *mqttSubscriber) got() ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(slices.Values(s.lines)), s.err
}

func mqttLine(topic, name string, ns int64, tags map[string]string, value string) string {
	return topic + " " + otlpKey(name, uint64(ns), tags) + " = " + value
}

func otlpLine(name string, ns uint64, attrs map[string]string, unit, kind string, value float64) string {
	return fmt.Sprintf("%s %q %s = %s", otlpKey(name, ns, attrs), unit, kind, strconv.FormatFloat(value, 'g', -1, 64))
}

func otlpSumKind(span time.Duration, monotonic bool, temporality metricpb.AggregationTemporality) string {
	return fmt.Sprintf("sum[%s,monotonic=%v,%s]", span, monotonic, temporality)
}

// otlpLines renders what the receiver got, sorted.
func otlpLines(r *otlptest.Receiver) []string {
	var out []string
	for _, g := range r.Points() {
		kind := fmt.Sprintf("%s[start=%d]", g.Kind, g.Start)
		if g.Kind == "sum" {
			kind = otlpSumKind(time.Duration(g.Time-g.Start), g.Monotonic, g.Temporality)
		}
		out = append(out, otlpLine(g.Name, g.Time, g.Attrs, g.Unit, kind, g.Value))
	}
	slices.Sort(out)
	return out
}

// expectedLines derives from the points InfluxDB was given what MQTT must
// carry (every field, its value as a string, value_type and unit tags) and
// what OTLP must carry (every numeric or boolean field under its OTel
// name, unit, kind and scale), both sorted.
func expectedLines(t *testing.T, pts []telemetry.Point) (mqttWant, otlpWant []string) {
	t.Helper()
	for _, p := range pts {
		spec, known := telemetry.Lookup(p.Measurement)
		topic := "ectelemetry/" + outputs.TopicSegment(p.Tags.Get(telemetry.TagHostname)) + "/" + outputs.TopicSegment(p.Measurement)
		for k, v := range p.Fields.All() {
			var val, typ string
			var x float64
			switch v := v.(type) {
			case int64:
				val, typ, x = strconv.FormatInt(v, 10), "int", float64(v)
			case float64:
				val, typ, x = strconv.FormatFloat(v, 'g', -1, 64), "float", v
			case bool:
				val, typ = strconv.FormatBool(v), "bool"
				if v {
					x = 1
				}
			case string:
				val, typ = v, "string"
			default:
				t.Fatalf("%s.%s: field of type %T", p.Measurement, k, v)
			}
			tags := maps.Clone(p.Tags.Map())
			tags[outputs.TagValueType] = typ
			if known {
				if f, ok := spec.Field(k); ok && f.Unit != "" {
					tags[outputs.TagUnit] = f.Unit
				}
			}
			mqttWant = append(mqttWant, mqttLine(topic, p.Measurement+"."+k, p.Time.UnixNano(), tags, val))
			m, ok := telemetry.OTelMetricOf(p.Measurement, k)
			if !ok {
				continue
			}
			kind := "gauge[start=0]"
			if m.Kind == telemetry.OTelDeltaSum {
				kind = otlpSumKind(telemetry.MinuteSpan, true, metricpb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA)
			}
			otlpWant = append(otlpWant, otlpLine(m.Name, uint64(p.Time.UnixNano()), p.Tags.Map(), m.Unit, kind, x*m.Scale))
		}
	}
	slices.Sort(mqttWant)
	slices.Sort(otlpWant)
	return mqttWant, otlpWant
}

// waitFor polls cond until it holds or 30 seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// threeOutputs is a fixture whose handler writes to InfluxDB (a recording
// sink) and fans out to an MQTT and an OTLP output (http/protobuf).
type threeOutputs struct {
	f    *fixture
	sink *offeredSink
	fo   *outputs.Fanout
}

func newThreeOutputs(t *testing.T, o outputs.Options, mqttURL, otlpEndpoint string) *threeOutputs {
	t.Helper()
	f := newFixture(t, 2, simulator.Faults{})
	s := &offeredSink{}
	f.h.o.Sink = s
	fo := runFanout(t, f, o, mqttOutput(t, mqttURL), otlpOutput(t, outputs.ProtocolHTTPProtobuf, otlpEndpoint))
	return &threeOutputs{f: f, sink: s, fo: fo}
}

// collect runs a job for every reachable appliance of the simulator and
// returns the reports.
func (x *threeOutputs) collect(t *testing.T) []Report {
	t.Helper()
	var reps []Report
	for _, a := range reachable(t, x.f.sim) {
		reps = append(reps, x.f.h.Collect(t.Context(), x.f.polls[a.ID]))
	}
	return reps
}

// checkMQTT waits until the subscriber got as many metrics as wanted and
// compares them.
func checkMQTT(t *testing.T, fo *outputs.Fanout, sub *mqttSubscriber, want []string, points int) {
	t.Helper()
	waitFor(t, "MQTT metrics", func() bool {
		got, _ := sub.got()
		return len(got) >= len(want) && fo.Stats(outputs.NameMQTT).Published == int64(points)
	})
	got, err := sub.got()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("MQTT metrics differ from the fields InfluxDB was given (-want +got):\n%s", diff)
	}
	if st := fo.Stats(outputs.NameMQTT); st != (outputs.Stats{Published: int64(points)}) {
		t.Errorf("MQTT stats %+v, want all %d points published", st, points)
	}
}

// checkOTLP waits until the receiver got as many data points as wanted and
// compares them.
func checkOTLP(t *testing.T, fo *outputs.Fanout, r *otlptest.Receiver, want []string, points int) {
	t.Helper()
	waitFor(t, "OTLP data points", func() bool {
		return len(r.Points()) >= len(want) && fo.Stats(outputs.NameOTLP).Published == int64(points)
	})
	if diff := cmp.Diff(want, otlpLines(r)); diff != "" {
		t.Errorf("OTLP data points differ from the fields InfluxDB was given (-want +got):\n%s", diff)
	}
	if st := fo.Stats(outputs.NameOTLP); st != (outputs.Stats{Published: int64(points)}) {
		t.Errorf("OTLP stats %+v, want all %d points published", st, points)
	}
}

// OUTPUTS=influxdb,otlp,mqtt: every value InfluxDB stores reaches MQTT and
// OTLP, with the same name (or its OTel mapping), time, tags and value.
func TestThreeOutputsDeliverTheSameValues(t *testing.T) {
	b := testenv.StartMosquitto(t, testenv.MosquittoOptions{})
	sub := subscribeMQTT(t, b.URL)
	r := otlptest.Start(t, outputs.ProtocolHTTPProtobuf, false)
	x := newThreeOutputs(t, outputs.Options{}, b.URL, r.Endpoint)
	reps := x.collect(t)
	if len(reps) < 2 {
		t.Fatalf("%d reachable appliances, want 2", len(reps))
	}
	stored := 0
	for _, rep := range reps {
		if rep.Outcome != OutcomeOK {
			t.Fatalf("Outcome = %s (%v %v)", rep.Outcome, rep.Err, rep.SourceErrors)
		}
		stored += rep.Points
	}
	pts := x.sink.offeredPoints()
	if stored == 0 || stored != len(pts) || len(x.sink.points) != len(pts) {
		t.Fatalf("reports %d points, InfluxDB given %d, stored %d", stored, len(pts), len(x.sink.points))
	}
	mqttWant, otlpWant := expectedLines(t, x.sink.points)
	if len(otlpWant) < len(pts) {
		t.Fatalf("only %d numeric fields in %d points", len(otlpWant), len(pts))
	}
	t.Logf("%d points: %d MQTT metrics, %d OTLP data points", len(pts), len(mqttWant), len(otlpWant))
	checkMQTT(t, x.fo, sub, mqttWant, len(pts))
	checkOTLP(t, x.fo, r, otlpWant, len(pts))
}

// Each output failing in turn leaves the other two with everything.
func TestEachOutputFailureIsIsolated(t *testing.T) {
	// Fast retries and a short life for the failing output's batches, so
	// that its drops show; the healthy outputs deliver at once anyway.
	failing := outputs.Limits{MaxAge: 300 * time.Millisecond, RetryMin: 20 * time.Millisecond, RetryMax: 50 * time.Millisecond}
	for _, tc := range []struct {
		dead string // influxdb, mqtt or otlp
	}{{outputs.NameMQTT}, {outputs.NameOTLP}, {"influxdb"}} {
		t.Run(tc.dead, func(t *testing.T) {
			b := testenv.StartMosquitto(t, testenv.MosquittoOptions{})
			var sub *mqttSubscriber
			if tc.dead == outputs.NameMQTT {
				b.Stop() // killed: its port refuses connections
			} else {
				sub = subscribeMQTT(t, b.URL)
			}
			var r *otlptest.Receiver
			endpoint := "http://" + testenv.ClosedPort(t) // a receiver that is gone
			if tc.dead != outputs.NameOTLP {
				r = otlptest.Start(t, outputs.ProtocolHTTPProtobuf, false)
				endpoint = r.Endpoint
			}
			x := newThreeOutputs(t, outputs.Options{PerOutput: map[string]outputs.Limits{tc.dead: failing}}, b.URL, endpoint)
			if tc.dead == "influxdb" {
				x.sink.fail = errors.New("InfluxDB refuses writes")
			}
			reps := x.collect(t)
			pts := x.sink.offeredPoints()
			if len(pts) == 0 {
				t.Fatal("the jobs gave InfluxDB no points")
			}
			for _, rep := range reps {
				switch {
				case tc.dead == "influxdb" && (rep.Points != 0 || rep.Err == nil):
					t.Errorf("InfluxDB refusing: report %d points stored, error %v; want none stored and the error", rep.Points, rep.Err)
				case tc.dead != "influxdb" && rep.Outcome != OutcomeOK:
					t.Errorf("%s dead: Outcome = %s (%v %v), want ok", tc.dead, rep.Outcome, rep.Err, rep.SourceErrors)
				}
			}
			if tc.dead == "influxdb" {
				if len(x.sink.points) != 0 {
					t.Errorf("InfluxDB refusing stored %d points", len(x.sink.points))
				}
			} else if diff := cmp.Diff(lines(t, pts), lines(t, x.sink.points)); diff != "" {
				t.Errorf("InfluxDB stored other points than the jobs gave it (-given +stored):\n%s", diff)
			}
			mqttWant, otlpWant := expectedLines(t, pts)
			if sub != nil {
				checkMQTT(t, x.fo, sub, mqttWant, len(pts))
			}
			if r != nil {
				checkOTLP(t, x.fo, r, otlpWant, len(pts))
			}
			if tc.dead == "influxdb" {
				return
			}
			// The dead output counts every point as dropped, once its
			// batches are too old.
			waitFor(t, tc.dead+" drops", func() bool {
				st := x.fo.Stats(tc.dead)
				return st.Queued == 0 && st.Dropped >= int64(len(pts))
			})
			if st := x.fo.Stats(tc.dead); st != (outputs.Stats{Dropped: int64(len(pts))}) {
				t.Errorf("dead %s: stats %+v, want all %d points dropped", tc.dead, st, len(pts))
			}
		})
	}
}
