package influx

import (
	"fmt"
	"math"
	"slices"

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
type LineEncoder struct {
	keys []string
}

// AppendLine is the package's AppendLine.
func (e *LineEncoder) AppendLine(dst []byte, p telemetry.Point) ([]byte, error) {
	var enc lineprotocol.Encoder
	enc.SetBuffer(dst)
	enc.SetPrecision(lineprotocol.Second)
	if err := encode(&enc, p, &e.keys); err != nil {
		return dst, err
	}
	return enc.Bytes(), nil
}

// Encode returns the points as line protocol, one line per point, in the
// given order.
func Encode(points []telemetry.Point) ([]byte, error) {
	var enc lineprotocol.Encoder
	enc.SetPrecision(lineprotocol.Second)
	var keys []string // reused by every point
	for i := range points {
		if err := encode(&enc, points[i], &keys); err != nil {
			return nil, err
		}
	}
	return enc.Bytes(), nil
}

// encode writes p; keys is scratch space for its sorted keys, kept
// between calls so that a batch sorts without allocating.
func encode(enc *lineprotocol.Encoder, p telemetry.Point, keys *[]string) error {
	if len(p.Fields) == 0 {
		return fmt.Errorf("encode %s: point has no fields", p.Measurement)
	}
	enc.StartLine(p.Measurement)
	*keys = sortedKeys(*keys, p.Tags)
	for _, k := range *keys {
		if v := telemetry.TagValue(p.Tags[k]); v != "" {
			enc.AddTag(k, v)
		}
	}
	*keys = sortedKeys(*keys, p.Fields)
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

// sortedKeys returns the keys of m, sorted, in buf's storage.
func sortedKeys[V any](buf []string, m map[string]V) []string {
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
