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
// Points of a measurement in telemetry.Schema are written in the key order
// the schema gives, with keys checked and escaped once per process; other
// points have their keys sorted and checked per point. A point that cannot
// be written (no fields, a field of another type, a NaN, an invalid key)
// goes through github.com/influxdata/line-protocol's encoder instead, whose
// error is returned: the bytes and errors are the same as that encoder's.
type LineEncoder struct {
	keys  []string  // scratch: sorted keys of one map
	infos []lineKey // scratch: the same keys, checked
}

// AppendLine is the package's AppendLine.
func (e *LineEncoder) AppendLine(dst []byte, p telemetry.Point) ([]byte, error) {
	if out, ok := e.appendFast(dst, p); ok {
		return out, nil
	}
	return appendLineLib(dst, p, &e.keys)
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

// lineKey is a measurement, tag key or field key checked for line protocol,
// with its escaped form when that is known in advance ("" when it is to be
// escaped while written).
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

	// Tags: the schema's keys in order when they are all the point has,
	// else the point's own keys, sorted.
	mark := len(dst)
	n := -1
	if known != nil {
		dst, n = appendTags(dst, p.Tags, known.tags)
	}
	if n != len(p.Tags) {
		infos, ok := checkedKeys(e, p.Tags)
		if !ok {
			return dst[:start], false
		}
		dst, _ = appendTags(dst[:mark], p.Tags, infos)
	}

	// Fields, likewise.
	mark = len(dst)
	n = -1
	ok := true
	if known != nil {
		dst, n, ok = appendFields(dst, p.Fields, known.fields)
	}
	if ok && n != len(p.Fields) {
		var infos []lineKey
		if infos, ok = checkedKeys(e, p.Fields); ok {
			dst, _, ok = appendFields(dst[:mark], p.Fields, infos)
		}
	}
	if !ok {
		return dst[:start], false
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

// checkedKeys returns the keys of m sorted and checked, with escaped left
// empty, in e's scratch space; false when a key is not valid.
func checkedKeys[V any](e *LineEncoder, m map[string]V) ([]lineKey, bool) {
	keys := e.keys[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	e.keys = keys
	infos := e.infos[:0]
	for _, k := range keys {
		if !validKey(k) {
			return nil, false
		}
		infos = append(infos, lineKey{name: k})
	}
	e.infos = infos
	return infos, true
}

// appendTags appends the tags among keys that tags holds, in keys' order,
// and returns how many it found. Empty values (after telemetry.TagValue)
// are left out.
func appendTags(dst []byte, tags map[string]string, keys []lineKey) ([]byte, int) {
	found := 0
	for i := range keys {
		k := &keys[i]
		v, ok := tags[k.name]
		if !ok {
			continue
		}
		found++
		if v = telemetry.TagValue(v); v == "" {
			continue
		}
		dst = append(dst, ',')
		dst = appendKey(dst, k, tagKeyEscapes)
		dst = append(dst, '=')
		dst = tagValEscapes.appendEscaped(dst, v)
	}
	return dst, found
}

// appendFields appends the fields among keys that fields holds, in keys'
// order, and returns how many it found; false when a value cannot be
// written.
func appendFields(dst []byte, fields map[string]any, keys []lineKey) ([]byte, int, bool) {
	found := 0
	for i := range keys {
		k := &keys[i]
		v, ok := fields[k.name]
		if !ok {
			continue
		}
		if found == 0 {
			dst = append(dst, ' ')
		} else {
			dst = append(dst, ',')
		}
		found++
		dst = appendKey(dst, k, fieldKeyEscapes)
		dst = append(dst, '=')
		if dst, ok = appendValue(dst, v); !ok {
			return dst, found, false
		}
	}
	return dst, found, true
}

func appendKey(dst []byte, k *lineKey, esc *escaper) []byte {
	if k.escaped != "" {
		return append(dst, k.escaped...)
	}
	return esc.appendEscaped(dst, k.name)
}

// appendValue appends a field value as the library's Value.AppendBytes
// does; false for the values fieldValue rejects.
func appendValue(dst []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case int64:
		return append(strconv.AppendInt(dst, x, 10), 'i'), true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return dst, false
		}
		return strconv.AppendFloat(dst, x, 'g', -1, 64), true
	case bool:
		if x {
			return append(dst, "true"...), true
		}
		return append(dst, "false"...), true
	case string:
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
func appendLineLib(dst []byte, p telemetry.Point, keys *[]string) ([]byte, error) {
	var enc lineprotocol.Encoder
	enc.SetBuffer(dst)
	enc.SetPrecision(lineprotocol.Second)
	if err := encodeLib1(&enc, p, keys); err != nil {
		return dst, err
	}
	return enc.Bytes(), nil
}

// encodeLib is Encode written with the line-protocol library's encoder.
func encodeLib(points []telemetry.Point) ([]byte, error) {
	var enc lineprotocol.Encoder
	enc.SetPrecision(lineprotocol.Second)
	var keys []string // reused by every point
	for i := range points {
		if err := encodeLib1(&enc, points[i], &keys); err != nil {
			return nil, err
		}
	}
	return enc.Bytes(), nil
}

// encodeLib1 writes p; keys is scratch space for its sorted keys, kept
// between calls so that a batch sorts without allocating.
func encodeLib1(enc *lineprotocol.Encoder, p telemetry.Point, keys *[]string) error {
	if len(p.Fields) == 0 {
		return fmt.Errorf("encode %s: point has no fields", p.Measurement)
	}
	enc.StartLine(p.Measurement)
	*keys = sortedMapKeys(*keys, p.Tags)
	for _, k := range *keys {
		if v := telemetry.TagValue(p.Tags[k]); v != "" {
			enc.AddTag(k, v)
		}
	}
	*keys = sortedMapKeys(*keys, p.Fields)
	for _, k := range *keys {
		v, ok := fieldValue(p.Fields[k])
		if !ok {
			return fmt.Errorf("encode %s: field %q has unsupported value %v (%T)", p.Measurement, k, p.Fields[k], p.Fields[k])
		}
		enc.AddField(k, v)
	}
	enc.EndLine(p.Time)
	if err := enc.Err(); err != nil {
		return fmt.Errorf("encode %s: %w", p.Measurement, err)
	}
	return nil
}

func fieldValue(v any) (lineprotocol.Value, bool) {
	switch x := v.(type) {
	case int64:
		return lineprotocol.IntValue(x), true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return lineprotocol.Value{}, false
		}
		return lineprotocol.FloatValue(x)
	case bool:
		return lineprotocol.BoolValue(x), true
	case string:
		return lineprotocol.StringValue(x)
	}
	return lineprotocol.Value{}, false
}

// sortedMapKeys returns the keys of m, sorted, in buf's storage.
func sortedMapKeys[V any](buf []string, m map[string]V) []string {
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
