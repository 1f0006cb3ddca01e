package outputs_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/ec-telemetry/ec-telemetry/internal/outputs"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// subscribe connects a client of the same library at QoS 1 and returns
// the messages it receives under topic.
func subscribe(t *testing.T, url, topic string) <-chan mqtt.Message {
	t.Helper()
	ch := make(chan mqtt.Message, 100)
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(url).SetClientID("test-sub-" + t.Name()).
		SetAutoReconnect(true).SetMaxReconnectInterval(200 * time.Millisecond).SetCleanSession(true).
		SetOnConnectHandler(func(c mqtt.Client) {
			c.Subscribe(topic, 1, func(_ mqtt.Client, m mqtt.Message) { ch <- m })
		}))
	tok := c.Connect()
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscriber connect %s: %v", url, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	// The subscription is made in the connect handler; wait for it by
	// subscribing once more here (idempotent) and waiting for the SUBACK.
	st := c.Subscribe(topic, 1, func(_ mqtt.Client, m mqtt.Message) { ch <- m })
	if !st.WaitTimeout(10*time.Second) || st.Error() != nil {
		t.Fatalf("subscribe %s: %v", topic, st.Error())
	}
	return ch
}

func receive(t *testing.T, ch <-chan mqtt.Message, within time.Duration) mqtt.Message {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(within):
		t.Fatalf("no MQTT message within %s", within)
		return nil
	}
}

func samplePoint(host string) telemetry.Point {
	return telemetry.Point{
		Measurement: telemetry.MeasCPUStats,
		Tags:        telemetry.TagsOf(map[string]string{telemetry.TagApplianceID: "7.NE", telemetry.TagHostname: host, "cpu_number": "0"}),
		Fields:      telemetry.FieldsOf(map[string]any{telemetry.FieldCPUPIdle: 97.5}),
		Time:        time.Unix(1700000000, 0).UTC(),
	}
}

func newMQTT(t *testing.T, o outputs.MQTTOptions) *outputs.MQTT {
	t.Helper()
	if o.ClientID == "" {
		o.ClientID = "test-pub-" + t.Name()
	}
	o.QoS = 1
	o.ReconnectMax = 200 * time.Millisecond
	o.ConnectTimeout = 2 * time.Second
	m, err := outputs.NewMQTT(o)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func runFanout(t *testing.T, o outputs.Options, outs ...outputs.Output) *outputs.Fanout {
	t.Helper()
	if o.RetryMin == 0 {
		o.RetryMin, o.RetryMax = 50*time.Millisecond, 200*time.Millisecond
	}
	f, err := outputs.NewFanout(o, outs...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return f
}

func TestMQTTPublishesEdgeXMetrics(t *testing.T) {
	b := testenv.StartMosquitto(t, testenv.MosquittoOptions{})
	msgs := subscribe(t, b.URL, "pre/#")
	f := runFanout(t, outputs.Options{}, newMQTT(t, outputs.MQTTOptions{URL: b.URL, TopicPrefix: "pre"}))
	f.Offer([]telemetry.Point{samplePoint("site/a+b#1")})
	m := receive(t, msgs, 20*time.Second)
	if want := "pre/site_a_b_1/" + telemetry.MeasCPUStats; m.Topic() != want {
		t.Errorf("topic %q, want %q", m.Topic(), want)
	}
	var got []map[string]any
	if err := json.Unmarshal(m.Payload(), &got); err != nil {
		t.Fatalf("payload %s: %v", m.Payload(), err)
	}
	want := []map[string]any{{
		"name": telemetry.MeasCPUStats + "." + telemetry.FieldCPUPIdle, "value": "97.5", "timestamp": float64(1700000000) * 1e9,
		"tags": map[string]any{telemetry.TagApplianceID: "7.NE", telemetry.TagHostname: "site/a+b#1", "cpu_number": "0", "unit": "percent", "value_type": "float"},
	}}
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(want)
	if string(gb) != string(wb) {
		t.Errorf("payload\n got %s\nwant %s", gb, wb)
	}
	waitStats(t, f, outputs.Stats{Published: 1})
}

// waitStats polls the MQTT output's counts until they are want: the
// subscriber may see a message before the publisher's acknowledgement.
func waitStats(t *testing.T, f *outputs.Fanout, want outputs.Stats) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := f.Stats(outputs.NameMQTT)
		if st == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v, want %+v", st, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestMQTTMeasurementsFilter(t *testing.T) {
	m := newMQTT(t, outputs.MQTTOptions{URL: "tcp://127.0.0.1:1", Measurements: []string{telemetry.MeasMemoryStats}})
	msgs, err := m.Encode([]telemetry.Point{samplePoint("h")})
	if err != nil || len(msgs) != 0 {
		t.Fatalf("Encode of a measurement left out: %d messages, %v", len(msgs), err)
	}
}

func TestMQTTReconnectsAfterBrokerRestart(t *testing.T) {
	b := testenv.StartMosquitto(t, testenv.MosquittoOptions{})
	f := runFanout(t, outputs.Options{}, newMQTT(t, outputs.MQTTOptions{URL: b.URL}))
	msgs := subscribe(t, b.URL, "ectelemetry/#")
	f.Offer([]telemetry.Point{samplePoint("before")})
	if m := receive(t, msgs, 20*time.Second); !strings.Contains(m.Topic(), "/before/") {
		t.Fatalf("topic %q", m.Topic())
	}
	b.Restart()
	f.Offer([]telemetry.Point{samplePoint("after")})
	deadline := time.After(30 * time.Second)
	for {
		select {
		case m := <-msgs:
			if strings.Contains(m.Topic(), "/after/") {
				waitStats(t, f, outputs.Stats{Published: 2})
				return
			}
		case <-deadline:
			t.Fatalf("point offered after the broker restart never arrived (%+v)", f.Stats(outputs.NameMQTT))
		}
	}
}

func TestMQTTAuthFailureNamesBroker(t *testing.T) {
	b := testenv.StartMosquitto(t, testenv.MosquittoOptions{User: "collector", Password: "right-horse"})
	m := newMQTT(t, outputs.MQTTOptions{URL: b.URL, User: "collector", Password: "wrong-battery"})
	defer m.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := m.Publish(ctx, []telemetry.Point{samplePoint("h")})
	if err == nil {
		t.Fatal("Publish with a wrong password succeeded")
	}
	msg := err.Error()
	if !strings.Contains(msg, b.Addr) || !strings.Contains(strings.ToLower(msg), "authori") && !strings.Contains(msg, "bad user name or password") {
		t.Errorf("error %q does not name the broker and the refused login", msg)
	}
	if strings.Contains(msg, "wrong-battery") {
		t.Errorf("error %q holds the password", msg)
	}
	good := newMQTT(t, outputs.MQTTOptions{URL: b.URL, User: "collector", Password: "right-horse", ClientID: "good"})
	defer good.Close()
	if err := good.Publish(ctx, []telemetry.Point{samplePoint("h")}); err != nil {
		t.Errorf("Publish with the right password: %v", err)
	}
}

func TestFanoutDeadBrokerDropsAndCounts(t *testing.T) {
	reg := prometheus.NewRegistry()
	dead := newMQTT(t, outputs.MQTTOptions{URL: "tcp://" + testenv.ClosedPort(t)})
	f := runFanout(t, outputs.Options{QueuePoints: 3, Registerer: reg, Logger: zerolog.Nop()}, dead)
	for range 5 {
		f.Offer([]telemetry.Point{samplePoint("h")}) // returns at once: the queue takes 3, drops 2
	}
	if st := f.Stats(outputs.NameMQTT); st != (outputs.Stats{Dropped: 2, Queued: 3}) {
		t.Errorf("stats %+v, want 2 dropped and 3 queued", st)
	}
	if got := droppedMetric(t, reg, outputs.DropQueueFull); got != 2 {
		t.Errorf("ectelemetry_output_dropped_points_total{output=mqtt,reason=queue_full} = %v, want 2", got)
	}
}

// droppedMetric reads ectelemetry_output_dropped_points_total{output=mqtt}
// for the reason from the registry.
func droppedMetric(t *testing.T, reg *prometheus.Registry, reason string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "ectelemetry_output_dropped_points_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["output"] == outputs.NameMQTT && labels["reason"] == reason {
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("no ectelemetry_output_dropped_points_total{output=mqtt,reason=%s}", reason)
	return 0
}

// TestMQTTEncodeMatchesEncodingJSON checks the hand-written payload
// against encoding/json's encoding of the same []Metric, for tags that
// need escaping and for point tags named like the added ones.
func TestMQTTEncodeMatchesEncodingJSON(t *testing.T) {
	m := newMQTT(t, outputs.MQTTOptions{URL: "tcp://127.0.0.1:1"})
	at := time.Unix(1700000000, 5).UTC()
	points := []telemetry.Point{
		{Measurement: telemetry.MeasCPUStats, Time: at,
			Tags:   telemetry.TagsOf(map[string]string{telemetry.TagHostname: "h<1>&\"é\"", "a": "x\\y\n", "zz": "\u2028", "unit": "mine", "value_type": "mine"}),
			Fields: telemetry.FieldsOf(map[string]any{telemetry.FieldCPUPIdle: 97.5, "b": int64(-3), "c": "s<t>", "d": true})},
		{Measurement: "custom", Time: at,
			Tags:   telemetry.TagsOf(map[string]string{telemetry.TagHostname: "h", "unit": "u1", "b": "1", "w": "2"}),
			Fields: telemetry.FieldsOf(map[string]any{"f": 1.5e300})},
		{Measurement: "custom", Time: at, Tags: telemetry.TagsOf(map[string]string{}), Fields: telemetry.FieldsOf(map[string]any{"g": int64(1)})},
	}
	msgs, err := m.Encode(points)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 3 {
		t.Fatalf("%d messages, want 3", len(msgs))
	}
	for i, msg := range msgs {
		var got []outputs.Metric
		if err := json.Unmarshal(msg.Payload, &got); err != nil {
			t.Fatalf("message %d: %s: %v", i, msg.Payload, err)
		}
		want, _ := json.Marshal(got) // encoding/json writes map keys sorted
		if string(want) != string(msg.Payload) {
			t.Errorf("message %d:\n got %s\nwant %s", i, msg.Payload, want)
		}
	}
	var first []outputs.Metric
	_ = json.Unmarshal(msgs[0].Payload, &first)
	if len(first) != 4 { // e is no metric value
		t.Fatalf("first payload has %d metrics, want 4: %+v", len(first), first)
	}
	for _, mt := range first {
		if mt.Name == telemetry.MeasCPUStats+"."+telemetry.FieldCPUPIdle && (mt.Tags["unit"] != "percent" || mt.Tags["value_type"] != "float" || mt.Value != "97.5") {
			t.Errorf("cpu metric %+v", mt)
		}
		if mt.Name == telemetry.MeasCPUStats+".b" && (mt.Tags["unit"] != "mine" || mt.Tags["value_type"] != "int" || mt.Value != "-3" || mt.Timestamp != 1700000000000000005) {
			t.Errorf("b metric %+v", mt)
		}
	}
	var second []outputs.Metric
	_ = json.Unmarshal(msgs[1].Payload, &second)
	if len(second) != 1 || second[0].Tags["unit"] != "u1" || second[0].Tags["b"] != "1" || second[0].Value != "1.5e+300" {
		t.Errorf("second payload %+v", second)
	}
	var third []outputs.Metric
	_ = json.Unmarshal(msgs[2].Payload, &third)
	if len(third) != 1 || len(third[0].Tags) != 1 || third[0].Tags["value_type"] != "int" {
		t.Errorf("third payload %s", msgs[2].Payload)
	}
}
