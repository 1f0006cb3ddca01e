package influx

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// AppendLine appends p as one line of line protocol (second precision,
// terminated by a newline) to dst. Tags and fields are written in key order,
// so the output is deterministic. Every tag value goes through
// telemetry.TagValue, so a control character or a trailing backslash in a
// name never makes a point unwritable. Empty tag values are left out, as
// InfluxDB does not store them. A LineEncoder does the same for a batch
// without allocating per point.
func AppendLine(dst []byte, p telemetry.Point) ([]byte, error) {
	var e LineEncoder
	return e.AppendLine(dst, p)
}

// LineEncoder appends points as line protocol like AppendLine, reusing its
// scratch space from one point to the next. The zero value is ready; it is
// not safe for concurrent use.
//
// Keys of a measurement in telemetry.Schema are checked and escaped once
// per process; other keys are checked and escaped as they are written. A
// point that cannot be written (no fields, a key given twice, a NaN, an
// invalid key) goes through github.com/influxdata/line-protocol's encoder
// instead, whose error is returned: the bytes and errors are the same as
// that encoder's.
type LineEncoder struct {
	order []int32 // scratch: positions of one point's tags or fields, in key order
}

// AppendLine is the package's AppendLine.
func (e *LineEncoder) AppendLine(dst []byte, p telemetry.Point) ([]byte, error) {
	if out, ok := e.appendFast(dst, p); ok {
		return out, nil
	}
	return appendLineLib(dst, p, &e.order)
}

// Encode returns the points as line protocol, one line per point, in the
// given order.
func Encode(points []telemetry.Point) ([]byte, error) {
	var (
		e   LineEncoder
		buf []byte
		ok  bool
	)
	for i := range points {
		if buf, ok = e.appendFast(buf, points[i]); !ok {
			return encodeLib(points) // for its error
		}
	}
	return buf, nil
}

// lineKey is a measurement, tag key or field key of the schema, checked
// for line protocol, with its escaped form.
type lineKey struct {
	name, escaped string
}

// lineKeys is what the encoder knows in advance of one measurement of the
// schema: its escaped name and its possible tag and field keys, sorted,
// each one valid and escaped.
type lineKeys struct {
	escaped string
	tags    []lineKey
	fields  []lineKey
}

// schemaKeys holds the lineKeys of every measurement of telemetry.Schema. It
// is built once and never changed.
var schemaKeys = buildSchemaKeys(telemetry.Schema)

func buildSchemaKeys(schema []telemetry.MeasurementSpec) map[string]*lineKeys {
	out := make(map[string]*lineKeys, len(schema))
	for _, s := range schema {
		if !validKey(s.Name) {
			continue // written by the generic path, which reports it
		}
		lk := &lineKeys{escaped: string(measurementEscapes.appendEscaped(nil, s.Name))}
		lk.tags = sortedLineKeys(append(slices.Clone(s.IdentityTags()), s.Tags...), tagKeyEscapes)
		names := make([]string, len(s.Fields))
		for i, f := range s.Fields {
			names[i] = f.Name
		}
		lk.fields = sortedLineKeys(names, fieldKeyEscapes)
		out[s.Name] = lk
	}
	return out
}

// sortedLineKeys returns the valid names, sorted, deduplicated and escaped.
func sortedLineKeys(names []string, esc *escaper) []lineKey {
	slices.Sort(names)
	names = slices.Compact(names)
	out := make([]lineKey, 0, len(names))
	for _, n := range names {
		if validKey(n) {
			out = append(out, lineKey{name: n, escaped: string(esc.appendEscaped(nil, n))})
		}
	}
	return out
}

// appendFast appends p to dst without the line-protocol library. It reports
// false, with dst's content unchanged up to its length, when p cannot be
// written as is; the library's encoder then says why.
func (e *LineEncoder) appendFast(dst []byte, p telemetry.Point) ([]byte, bool) {
	if len(p.Fields) == 0 {
		return dst, false
	}
	start := len(dst)
	known := schemaKeys[p.Measurement]
	if known != nil {
		dst = append(dst, known.escaped...)
	} else {
		if !validKey(p.Measurement) {
			return dst, false
		}
		dst = measurementEscapes.appendEscaped(dst, p.Measurement)
	}

	// Tags, then fields, in key order.
	var ok bool
	if e.order, ok = tagOrder(e.order, p.Tags); !ok {
		return dst[:start], false
	}
	var tagKeys, fieldKeys []lineKey
	if known != nil {
		tagKeys, fieldKeys = known.tags, known.fields
	}
	j := 0
	for _, i := range e.order {
		t := &p.Tags[i]
		v := telemetry.TagValue(t.Value)
		if v == "" {
			continue
		}
		dst = append(dst, ',')
		if dst, j, ok = appendKnownKey(dst, t.Key, tagKeys, j, tagKeyEscapes); !ok {
			return dst[:start], false
		}
		dst = append(dst, '=')
		dst = tagValEscapes.appendEscaped(dst, v)
	}
	if e.order, ok = fieldOrder(e.order, p.Fields); !ok {
		return dst[:start], false
	}
	j = 0
	for n, i := range e.order {
		f := &p.Fields[i]
		if n == 0 {
			dst = append(dst, ' ')
		} else {
			dst = append(dst, ',')
		}
		if dst, j, ok = appendKnownKey(dst, f.Key, fieldKeys, j, fieldKeyEscapes); !ok {
			return dst[:start], false
		}
		dst = append(dst, '=')
		if dst, ok = appendValue(dst, f.Value); !ok {
			return dst[:start], false
		}
	}

	// The timestamp, as the library writes it with second precision.
	if p.Time.IsZero() {
		return append(dst, '\n'), true
	}
	if p.Time.Before(minTime) || p.Time.After(maxTime) {
		return dst[:start], false
	}
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, p.Time.UnixNano()/int64(time.Second), 10)
	return append(dst, '\n'), true
}

// The time range line protocol can carry (nanoseconds in an int64).
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// tagOrder returns the positions of tags in key order, in order's
// storage; false when a key is given twice. Builders mostly add keys in
// order already, which an insertion sort checks in one pass.
func tagOrder(order []int32, tags telemetry.Tags) ([]int32, bool) {
	return keyOrder(order, tags, func(t *telemetry.Tag) string { return t.Key })
}

// fieldOrder is tagOrder for fields.
func fieldOrder(order []int32, fields telemetry.Fields) ([]int32, bool) {
	return keyOrder(order, fields, func(f *telemetry.Field) string { return f.Key })
}

// keyOrder is tagOrder for the elements of s, key giving each one's key.
func keyOrder[E any](order []int32, s []E, key func(*E) string) ([]int32, bool) {
	if cap(order) == 0 {
		order = make([]int32, 0, 64) // more than any schema point has keys
	}
	order = order[:0]
	for i := range s {
		order = append(order, int32(i))
		for n := len(order) - 1; n > 0; n-- {
			a, b := key(&s[order[n-1]]), key(&s[order[n]])
			if a < b {
				break
			}
			if a == b {
				return order, false
			}
			order[n-1], order[n] = order[n], order[n-1]
		}
	}
	return order, true
}

// appendKnownKey appends key escaped. known are keys checked and escaped in
// advance, sorted; from is where the search starts, as keys come in order:
// it returns where the next search starts. A key known does not know is
// checked and escaped here; false when it is not valid.
func appendKnownKey(dst []byte, key string, known []lineKey, from int, esc *escaper) ([]byte, int, bool) {
	for from < len(known) && known[from].name < key {
		from++
	}
	if from < len(known) && known[from].name == key {
		return append(dst, known[from].escaped...), from + 1, true
	}
	if !validKey(key) {
		return dst, from, false
	}
	return esc.appendEscaped(dst, key), from, true
}

// appendValue appends a field value as the library's Value.AppendBytes
// does; false for the values fieldValue rejects.
func appendValue(dst []byte, v telemetry.Value) ([]byte, bool) {
	switch v.Type() {
	case telemetry.Integer:
		return append(strconv.AppendInt(dst, v.Int(), 10), 'i'), true
	case telemetry.Float:
		x := v.Float()
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return dst, false
		}
		return strconv.AppendFloat(dst, x, 'g', -1, 64), true
	case telemetry.Boolean:
		if v.Bool() {
			return append(dst, "true"...), true
		}
		return append(dst, "false"...), true
	case telemetry.String:
		x := v.Str()
		if !utf8.ValidString(x) {
			return dst, false
		}
		dst = append(dst, '"')
		dst = stringValEscapes.appendEscaped(dst, x)
		return append(dst, '"'), true
	}
	return dst, false
}

// validKey reports whether the library accepts s as a measurement, tag key
// or field key: the same rule as a tag value.
func validKey(s string) bool { return telemetry.TagValueOK(s) }

// escaper escapes the bytes of one line-protocol element the way the
// library does: a backslash before each special byte, or, for string field
// values, the Go-like escapes \\ \" \n \r \t.
type escaper struct {
	table [256]byte // byte -> the byte written after the backslash, 0 for none
}

func newEscaper(pairs ...string) *escaper {
	e := &escaper{}
	for _, p := range pairs {
		e.table[p[0]] = p[1]
	}
	return e
}

// The escapes of the library's encoder, element by element.
var (
	measurementEscapes = newEscaper("  ", ",,")
	tagKeyEscapes      = newEscaper(",,", "==", "  ")
	tagValEscapes      = tagKeyEscapes
	fieldKeyEscapes    = tagKeyEscapes
	stringValEscapes   = newEscaper(`\\`, `""`, "\nn", "\rr", "\tt")
)

func (e *escaper) appendEscaped(dst []byte, s string) []byte {
	i := 0
	for i < len(s) && e.table[s[i]] == 0 {
		i++
	}
	dst = append(dst, s[:i]...)
	for ; i < len(s); i++ {
		if r := e.table[s[i]]; r != 0 {
			dst = append(dst, '\\', r)
		} else {
			dst = append(dst, s[i])
		}
	}
	return dst
}

// appendLineLib is AppendLine written with the line-protocol library's
// encoder: the reference for the bytes, and the wording of every error.
func appendLineLib(dst []byte, p telemetry.Point, order *[]int32) ([]byte, error) {
	var enc lineprotocol.Encoder
	enc.SetBuffer(dst)
	enc.SetPrecision(lineprotocol.Second)
	if err := encodeLib1(&enc, p, order); err != nil {
		return dst, err
	}
	return enc.Bytes(), nil
}

// encodeLib is Encode written with the line-protocol library's encoder.
func encodeLib(points []telemetry.Point) ([]byte, error) {
	var enc lineprotocol.Encoder
	enc.SetPrecision(lineprotocol.Second)
	var order []int32 // reused by every point
	for i := range points {
		if err := encodeLib1(&enc, points[i], &order); err != nil {
			return nil, err
		}
	}
	return enc.Bytes(), nil
}

// encodeLib1 writes p; order is scratch space for its keys' order, kept
// between calls so that a batch sorts without allocating. The library
// needs its keys in order and once each.
func encodeLib1(enc *lineprotocol.Encoder, p telemetry.Point, order *[]int32) error {
	if len(p.Fields) == 0 {
		return fmt.Errorf("encode %s: point has no fields", p.Measurement)
	}
	var ok bool
	if *order, ok = tagOrder(*order, p.Tags); !ok {
		return fmt.Errorf("encode %s: a tag key is given twice", p.Measurement)
	}
	enc.StartLine(p.Measurement)
	for _, i := range *order {
		if v := telemetry.TagValue(p.Tags[i].Value); v != "" {
			enc.AddTag(p.Tags[i].Key, v)
		}
	}
	if *order, ok = fieldOrder(*order, p.Fields); !ok {
		return fmt.Errorf("encode %s: a field key is given twice", p.Measurement)
	}
	for _, i := range *order {
		f := p.Fields[i]
		v, ok := fieldValue(f.Value)
		if !ok {
			return fmt.Errorf("encode %s: field %q has unsupported value %v (%s)", p.Measurement, f.Key, f.Value, f.Value.Type())
		}
		enc.AddField(f.Key, v)
	}
	enc.EndLine(p.Time)
	if err := enc.Err(); err != nil {
		return fmt.Errorf("encode %s: %w", p.Measurement, err)
	}
	return nil
}

func fieldValue(v telemetry.Value) (lineprotocol.Value, bool) {
	switch v.Type() {
	case telemetry.Integer:
		return lineprotocol.IntValue(v.Int()), true
	case telemetry.Float:
		x := v.Float()
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return lineprotocol.Value{}, false
		}
		return lineprotocol.FloatValue(x)
	case telemetry.Boolean:
		return lineprotocol.BoolValue(v.Bool()), true
	case telemetry.String:
		return lineprotocol.StringValue(v.Str())
	}
	return lineprotocol.Value{}, false
}
