package influx

import (
	"fmt"
	"math"
	"sort"

	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// AppendLine appends p as one line of line protocol (second precision,
// terminated by a newline) to dst. Tags and fields are written in key order,
// so the output is deterministic. Every tag value goes through
// telemetry.TagValue, so a control character or a trailing backslash in a
// name never makes a point unwritable. Empty tag values are left out, as
// InfluxDB does not store them.
func AppendLine(dst []byte, p telemetry.Point) ([]byte, error) {
	var enc lineprotocol.Encoder
	enc.SetBuffer(dst)
	enc.SetPrecision(lineprotocol.Second)
	if err := encode(&enc, p); err != nil {
		return dst, err
	}
	return enc.Bytes(), nil
}

// Encode returns the points as line protocol, one line per point, in the
// given order.
func Encode(points []telemetry.Point) ([]byte, error) {
	var enc lineprotocol.Encoder
	enc.SetPrecision(lineprotocol.Second)
	for i := range points {
		if err := encode(&enc, points[i]); err != nil {
			return nil, err
		}
	}
	return enc.Bytes(), nil
}

func encode(enc *lineprotocol.Encoder, p telemetry.Point) error {
	if len(p.Fields) == 0 {
		return fmt.Errorf("encode %s: point has no fields", p.Measurement)
	}
	enc.StartLine(p.Measurement)
	for _, k := range sortedKeys(p.Tags) {
		if v := telemetry.TagValue(p.Tags[k]); v != "" {
			enc.AddTag(k, v)
		}
	}
	for _, k := range sortedKeys(p.Fields) {
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

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
