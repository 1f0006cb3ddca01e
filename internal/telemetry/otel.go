package telemetry

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// OTelKind is how a field is exported as an OpenTelemetry metric.
type OTelKind uint8

// OTel metric kinds.
const (
	OTelGauge    OTelKind = iota + 1 // the value at the point's time
	OTelDeltaSum                     // a monotonic sum over the minute before the point's time
)

func (k OTelKind) String() string {
	switch k {
	case OTelGauge:
		return "gauge"
	case OTelDeltaSum:
		return "sum (delta, monotonic)"
	}
	return "unknown"
}

// OTelMetric is the OpenTelemetry form of one field.
type OTelMetric struct {
	Name  string   // edgeconnect.<measurement>.<field>
	Unit  string   // UCUM unit per the OpenTelemetry semantic conventions
	Kind  OTelKind // gauge or delta sum
	Scale float64  // the exported value is the field value times Scale
}

// MinuteSpan is the interval a delta sum covers: the minute that ends at
// the point's time.
const MinuteSpan = time.Minute

// otelUnits maps the schema's units to OTel units and a scale that turns
// the stored value into that unit. A test fails for a numeric field whose
// unit is missing here.
var otelUnits = map[string]struct {
	unit  string
	scale float64
}{
	"":                                      {"1", 1},
	"bytes":                                 {"By", 1},
	"packets":                               {"{packet}", 1},
	"Kbps":                                  {"kbit/s", 1},
	"ms":                                    {"ms", 1},
	"ms x 100":                              {"ms", 0.01},
	"percent":                               {"%", 1},
	"percent x 100":                         {"%", 0.01},
	"MOS x 100":                             {"1", 0.01},
	"flows":                                 {"{flow}", 1},
	"as reported":                           {"1", 1},
	"seconds":                               {"s", 1},
	"count":                                 {"{wait}", 1},
	"as reported (KiB on known appliances)": {"KiBy", 1},
	"KiB":                                   {"KiBy", 1},
	"routes":                                {"{route}", 1},
	"alarms":                                {"{alarm}", 1},
	"tunnels":                               {"{tunnel}", 1},
	"packets per second":                    {"{packet}/s", 1},
	"bytes per second":                      {"By/s", 1},
	"raw":                                   {"1", 1},
	"Mbps":                                  {"Mbit/s", 1},
	"bytes (MTU)":                           {"By", 1},
	"as reported (unit unknown)":            {"1", 1},
	"prefixes":                              {"{prefix}", 1},
}

// minuteCounts are the fields of minute-file measurements that count
// something within the minute besides bytes and packets (which always do).
var minuteCounts = map[string]bool{
	FieldFlowsCreated: true, FieldFlowsDeleted: true,
	FieldFlowsCreatedTunnel: true, FieldFlowsDeletedTunnel: true,
	FieldSecondsNotBoostedInMinute: true, FieldDownSeconds: true,
}

// OTelMetricName returns the metric name of a field:
// edgeconnect.<measurement without _stats or _info>.<field>, lower case,
// without a parenthesised suffix such as "_(*100)" (the unit and scale say
// it) and with any other character outside [a-z0-9_-] as "_".
func OTelMetricName(measurement, field string) string {
	m := strings.TrimSuffix(strings.TrimSuffix(measurement, "_stats"), "_info")
	f := strings.ToLower(field)
	if i := strings.Index(f, "_("); i > 0 && strings.HasSuffix(f, ")") {
		f = f[:i]
	}
	f = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			return r
		}
		return '_'
	}, f)
	return "edgeconnect." + m + "." + f
}

// OTelMetricOf returns how a field of a measurement is exported, and false
// for a string field or an unknown measurement, field or unit (strings are
// not exported: OTLP metrics carry numbers).
func OTelMetricOf(measurement, field string) (OTelMetric, bool) {
	m, ok := otelMetrics()[measurement][field]
	return m, ok
}

// otelMetrics maps each measurement and numeric field of the schema to
// its OTel form, computed once: the OTLP output looks up every field of
// every point it exports.
var otelMetrics = sync.OnceValue(func() map[string]map[string]OTelMetric {
	out := make(map[string]map[string]OTelMetric, len(byName))
	for name, s := range byName {
		fields := make(map[string]OTelMetric, len(s.Fields))
		for _, f := range s.Fields {
			if m, ok := otelMetricOf(name, f.Name); ok {
				fields[f.Name] = m
			}
		}
		out[name] = fields
	}
	return out
})

func otelMetricOf(measurement, field string) (OTelMetric, bool) {
	s, ok := byName[measurement]
	if !ok {
		return OTelMetric{}, false
	}
	f, ok := s.Field(field)
	if !ok || f.Type == String {
		return OTelMetric{}, false
	}
	u, ok := otelUnits[f.Unit]
	if !ok {
		return OTelMetric{}, false
	}
	kind := OTelGauge
	if s.Time == timeFile && f.Type == Integer && (f.Unit == "bytes" || f.Unit == "packets" || minuteCounts[f.Name]) {
		kind = OTelDeltaSum
	}
	if f.Type == Boolean {
		u.unit = "1"
	}
	return OTelMetric{Name: OTelMetricName(measurement, field), Unit: u.unit, Kind: kind, Scale: u.scale}, true
}

// otelMarkdown renders the OTLP name mapping of every numeric field.
func otelMarkdown() string {
	var b strings.Builder
	b.WriteString("### OTLP metric names\n\n")
	b.WriteString("The OTLP output exports every numeric and boolean field as one metric (booleans as 0 or 1); ")
	b.WriteString("string fields are not exported. Tags become data-point attributes and every data point keeps the point's timestamp. ")
	b.WriteString("A delta sum covers the minute that ends at the point's timestamp. ")
	b.WriteString("The exported value is the InfluxDB value times the scale.\n\n")
	b.WriteString("| measurement | field | OTLP metric | unit | kind | scale |\n|---|---|---|---|---|---|\n")
	for _, s := range Schema {
		for _, f := range s.Fields {
			m, ok := OTelMetricOf(s.Name, f.Name)
			if !ok {
				continue
			}
			fmt.Fprintf(&b, "| `%s` | `%s` | `%s` | `%s` | %s | %g |\n", s.Name, f.Name, m.Name, m.Unit, m.Kind, m.Scale)
		}
	}
	b.WriteString("\n")
	return b.String()
}
