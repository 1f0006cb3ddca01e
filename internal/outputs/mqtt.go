package outputs

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/rs/zerolog"

	"github.com/ec-telemetry/ec-telemetry/internal/redact"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// MQTTOptions configures the MQTT output.
type MQTTOptions struct {
	URL          string   // tcp://, ssl://, ws:// or wss:// host:port
	ClientID     string   // unique per process
	User         string   // "" for an anonymous broker
	Password     string   // secret: never logged
	CAFile       string   // extra CA bundle (PEM) for ssl:// and wss://
	QoS          byte     // 0 or 1
	Retain       bool     // publish retained messages
	TopicPrefix  string   // first topic level
	Measurements []string // measurements published; empty: all

	ConnectTimeout time.Duration // one connection attempt; default 10s
	ReconnectMax   time.Duration // longest wait between reconnect attempts; default 10s
	Logger         zerolog.Logger
}

// MQTT publishes points to an MQTT broker: one message per appliance and
// measurement of a batch, on topic <prefix>/<hostname>/<measurement>, with
// a JSON array of metrics as payload (see Encode). It connects on the first
// Publish and reconnects by itself after a lost connection.
//
// The client is Eclipse Paho's MQTT 3.1.1 library (paho.mqtt.golang,
// maintained, the one the EdgeX message bus uses): 3.1.1 is what every
// broker speaks, while paho.golang/autopaho requires an MQTT 5 broker.
type MQTT struct {
	o      MQTTOptions
	broker string // redacted URL, for errors and logs
	only   map[string]bool
	c      mqtt.Client

	mu      sync.Mutex
	pending mqtt.Token // connection attempt in flight
}

// NewMQTT checks the options and returns the output; it does no network
// I/O.
func NewMQTT(o MQTTOptions) (*MQTT, error) {
	u, err := url.Parse(o.URL)
	broker := redact.URL(o.URL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("MQTT_URL %q must be a tcp://, ssl://, ws:// or wss:// URL", broker)
	}
	var tlsConf *tls.Config
	switch u.Scheme {
	case "tcp", "ws":
	case "ssl", "wss":
		tlsConf = &tls.Config{MinVersion: tls.VersionTLS12}
		if o.CAFile != "" {
			pem, err := os.ReadFile(o.CAFile)
			if err != nil {
				return nil, fmt.Errorf("MQTT_CA_FILE: %w", err)
			}
			pool, err := x509.SystemCertPool()
			if err != nil {
				pool = x509.NewCertPool()
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("MQTT_CA_FILE %s holds no PEM certificate", o.CAFile)
			}
			tlsConf.RootCAs = pool
		}
	default:
		return nil, fmt.Errorf("MQTT_URL %q: scheme %q is not supported: use tcp://, ssl://, ws:// or wss://", broker, u.Scheme)
	}
	if u.User != nil {
		return nil, fmt.Errorf("MQTT_URL %q must not hold a user or password: use MQTT_USER and MQTT_PW", broker)
	}
	if o.QoS > 1 {
		return nil, fmt.Errorf("MQTT_QOS %d must be 0 or 1", o.QoS)
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 10 * time.Second
	}
	if o.ReconnectMax <= 0 {
		o.ReconnectMax = 10 * time.Second
	}
	if o.TopicPrefix == "" {
		o.TopicPrefix = "ectelemetry"
	}
	m := &MQTT{o: o, broker: broker}
	if len(o.Measurements) > 0 {
		m.only = map[string]bool{}
		for _, s := range o.Measurements {
			m.only[s] = true
		}
	}
	log := o.Logger.With().Str("output", NameMQTT).Str("broker", broker).Logger()
	co := mqtt.NewClientOptions().AddBroker(o.URL).SetClientID(o.ClientID).
		SetUsername(o.User).SetPassword(o.Password).SetProtocolVersion(4).
		SetCleanSession(true).SetOrderMatters(false).SetAutoReconnect(true).
		SetConnectRetry(false).SetConnectTimeout(o.ConnectTimeout).
		SetMaxReconnectInterval(o.ReconnectMax).SetKeepAlive(30 * time.Second).
		SetWriteTimeout(o.ConnectTimeout).
		SetOnConnectHandler(func(mqtt.Client) { log.Info().Msg("MQTT broker connected") }).
		SetConnectionLostHandler(func(_ mqtt.Client, err error) {
			log.Warn().Err(err).Msg("MQTT broker connection lost: reconnecting; points stay queued meanwhile")
		})
	if tlsConf != nil {
		co.SetTLSConfig(tlsConf)
	}
	m.c = mqtt.NewClient(co)
	return m, nil
}

// Name is "mqtt".
func (m *MQTT) Name() string { return NameMQTT }

// Close disconnects from the broker, waiting up to a second for messages
// in flight.
func (m *MQTT) Close() { m.c.Disconnect(1000) }

// Publish sends the points, one message per topic, and waits for the
// broker's acknowledgement (QoS 1) or for the write (QoS 0). While the
// broker is unreachable it returns an error at once, so that the points
// stay in the Fanout's bounded queue and nothing piles up in the client.
func (m *MQTT) Publish(ctx context.Context, points []telemetry.Point) error {
	msgs, err := m.Encode(points)
	if err != nil {
		return err
	}
	if len(msgs) == 0 {
		return nil
	}
	if err := m.connect(ctx); err != nil {
		return err
	}
	// Every message is sent before the first acknowledgement is awaited,
	// so a batch costs one round trip, not one per topic.
	toks := make([]mqtt.Token, len(msgs))
	for i, msg := range msgs {
		toks[i] = m.c.Publish(msg.Topic, m.o.QoS, m.o.Retain, msg.Payload)
	}
	for i, tok := range toks {
		select {
		case <-tok.Done():
			if err := tok.Error(); err != nil {
				return fmt.Errorf("MQTT broker %s: publish to %s: %w", m.broker, msgs[i].Topic, err)
			}
		case <-ctx.Done():
			return fmt.Errorf("MQTT broker %s: publish to %s: no acknowledgement: %w", m.broker, msgs[i].Topic, ctx.Err())
		}
	}
	return nil
}

// connect makes sure the client is connected, starting a connection
// attempt when none is running and waiting for it within ctx.
func (m *MQTT) connect(ctx context.Context) error {
	if m.c.IsConnectionOpen() {
		return nil
	}
	m.mu.Lock()
	tok := m.pending
	if tok == nil {
		if m.c.IsConnected() { // lost and reconnecting by itself
			m.mu.Unlock()
			return fmt.Errorf("MQTT broker %s: connection lost, reconnecting", m.broker)
		}
		tok = m.c.Connect()
		m.pending = tok
	}
	m.mu.Unlock()
	select {
	case <-tok.Done():
	case <-ctx.Done():
		return fmt.Errorf("MQTT broker %s: still connecting: %w", m.broker, ctx.Err())
	}
	m.mu.Lock()
	if m.pending == tok {
		m.pending = nil
	}
	m.mu.Unlock()
	if err := tok.Error(); err != nil {
		return fmt.Errorf("MQTT broker %s: connect: %w", m.broker, err)
	}
	return nil
}

// Message is one MQTT message of a batch.
type Message struct {
	Topic   string
	Payload []byte
}

// Metric is one element of a message's payload: the metric format of the
// EdgeX message bus. Value is always a string; Timestamp is in nanoseconds
// since the Unix epoch.
type Metric struct {
	Name      string            `json:"name"`
	Value     string            `json:"value"`
	Timestamp int64             `json:"timestamp"`
	Tags      map[string]string `json:"tags"`
}

// Tags each Metric carries besides the point's tags.
const (
	TagUnit      = "unit"       // the field's unit from the schema, when it has one
	TagValueType = "value_type" // int, float, string or bool
)

// Encode groups the points by topic, in the order topics first appear. A
// point's fields become metrics named <measurement>.<field>, in field name
// order. Points of measurements left out by MQTT_MEASUREMENTS are skipped.
//
// The payload is the JSON encoding of []Metric, written straight into one
// buffer per topic: no Metric or tag map is built per field, which made
// encoding the bulk of the output's CPU time and garbage.
func (m *MQTT) Encode(points []telemetry.Point) ([]Message, error) {
	var order []string
	byTopic := map[string]*bytes.Buffer{}
	var fields []telemetry.Field
	var tags []telemetry.Tag
	for _, p := range points {
		if m.only != nil && !m.only[p.Measurement] {
			continue
		}
		topic := m.o.TopicPrefix + "/" + TopicSegment(p.Tags.Get(telemetry.TagHostname)) + "/" + TopicSegment(p.Measurement)
		buf, ok := byTopic[topic]
		if !ok {
			buf = &bytes.Buffer{}
			byTopic[topic] = buf
			order = append(order, topic)
		}
		spec, known := telemetry.Lookup(p.Measurement)
		fields = append(fields[:0], p.Fields...)
		slices.SortFunc(fields, func(a, b telemetry.Field) int { return strings.Compare(a.Key, b.Key) })
		tags = tags[:0]
		for _, t := range p.Tags {
			if t.Key != TagUnit && t.Key != TagValueType {
				tags = append(tags, t)
			}
		}
		slices.SortFunc(tags, func(a, b telemetry.Tag) int { return strings.Compare(a.Key, b.Key) })
		pointUnit, hasPointUnit := p.Tags.Lookup(TagUnit)
		ts := strconv.AppendInt(nil, p.Time.UnixNano(), 10)
		for _, f := range fields {
			k := f.Key
			val, typ, ok := metricValue(f.Value)
			if !ok {
				continue
			}
			unit, hasUnit := pointUnit, hasPointUnit
			if known {
				if f, ok := spec.Field(k); ok && f.Unit != "" {
					unit, hasUnit = f.Unit, true
				}
			}
			if buf.Len() == 0 {
				buf.WriteByte('[')
			} else {
				buf.WriteByte(',')
			}
			buf.WriteString(`{"name":`)
			writeJSONString(buf, p.Measurement+"."+k)
			buf.WriteString(`,"value":`)
			writeJSONString(buf, val)
			buf.WriteString(`,"timestamp":`)
			buf.Write(ts)
			buf.WriteString(`,"tags":{`)
			first := true
			tag := func(k, v string) {
				if !first {
					buf.WriteByte(',')
				}
				first = false
				writeJSONString(buf, k)
				buf.WriteByte(':')
				writeJSONString(buf, v)
			}
			// tag keys in sorted order, as encoding/json writes a map,
			// with unit and value_type merged in
			extra := [2][2]string{{TagUnit, unit}, {TagValueType, typ}}
			ex := 0
			if !hasUnit {
				ex = 1
			}
			for _, t := range tags {
				for ex < 2 && extra[ex][0] < t.Key {
					tag(extra[ex][0], extra[ex][1])
					ex++
				}
				tag(t.Key, t.Value)
			}
			for ; ex < 2; ex++ {
				tag(extra[ex][0], extra[ex][1])
			}
			buf.WriteString("}}")
		}
	}
	out := make([]Message, 0, len(order))
	for _, t := range order {
		buf := byTopic[t]
		if buf.Len() == 0 {
			continue
		}
		buf.WriteByte(']')
		out = append(out, Message{Topic: t, Payload: buf.Bytes()})
	}
	return out, nil
}

// writeJSONString writes s as encoding/json does: plain printable ASCII
// as is, anything else through json.Marshal, so that escapes match.
func writeJSONString(buf *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s) // a string always marshals
			buf.Write(b)
			return
		}
	}
	buf.WriteByte('"')
	buf.WriteString(s)
	buf.WriteByte('"')
}

func metricValue(v telemetry.Value) (val, typ string, ok bool) {
	switch v.Type() {
	case telemetry.Integer:
		return strconv.FormatInt(v.Int(), 10), "int", true
	case telemetry.Float:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64), "float", true
	case telemetry.Boolean:
		return strconv.FormatBool(v.Bool()), "bool", true
	case telemetry.String:
		return v.Str(), "string", true
	}
	return "", "", false
}

// TopicSegment makes s one topic level: the wildcards + and #, the level
// separator / and NUL become _, and an empty value becomes _.
func TopicSegment(s string) string {
	if s == "" {
		return "_"
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case '+', '#', '/', 0:
			return '_'
		}
		return r
	}, s)
}
