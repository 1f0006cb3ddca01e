package telemetry

import (
	"fmt"
	"iter"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// Point is one InfluxDB point. Time is its timestamp (UTC, second precision
// for everything ec-telemetry writes).
//
// Tags and fields are slices, not maps: a parsed archive makes hundreds of
// points per appliance-minute, and a map per point plus an interface value
// per field cost more to build, hold and collect than the data they carry.
// A key appears at most once; the order carries no meaning (the encoders
// sort), but builders that add keys in sorted order save the encoder a sort.
type Point struct {
	Measurement string
	Tags        Tags
	Fields      Fields
	Time        time.Time
}

// Tag is one tag of a point.
type Tag struct{ Key, Value string }

// Tags are the tags of a point.
type Tags []Tag

// TagsOf returns the tags of m, sorted by key (nil for an empty m).
func TagsOf(m map[string]string) Tags {
	if len(m) == 0 {
		return nil
	}
	out := make(Tags, 0, len(m))
	for k, v := range m {
		out = append(out, Tag{k, v})
	}
	slices.SortFunc(out, func(a, b Tag) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// Get returns the value of a tag, "" when the point has none.
func (ts Tags) Get(key string) string {
	v, _ := ts.Lookup(key)
	return v
}

// Lookup returns the value of a tag and whether the point has it.
func (ts Tags) Lookup(key string) (string, bool) {
	for i := range ts {
		if ts[i].Key == key {
			return ts[i].Value, true
		}
	}
	return "", false
}

// Set adds a tag or replaces its value.
func (ts *Tags) Set(key, value string) {
	for i := range *ts {
		if (*ts)[i].Key == key {
			(*ts)[i].Value = value
			return
		}
	}
	*ts = append(*ts, Tag{key, value})
}

// Delete removes a tag.
func (ts *Tags) Delete(key string) {
	*ts = slices.DeleteFunc(*ts, func(t Tag) bool { return t.Key == key })
}

// All yields every tag, in the slice's order.
func (ts Tags) All() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for _, t := range ts {
			if !yield(t.Key, t.Value) {
				return
			}
		}
	}
}

// Map returns the tags as a map (nil when there are none).
func (ts Tags) Map() map[string]string {
	if len(ts) == 0 {
		return nil
	}
	return maps.Collect(ts.All())
}

// Value is a field value of one of the four types InfluxDB stores, held
// without an interface (so without an allocation per value).
type Value struct {
	num uint64 // int64, float64 bits or bool
	str string
	typ FieldType
}

// IntValue, FloatValue, BoolValue and StringValue make a Value.
func IntValue(v int64) Value     { return Value{num: uint64(v), typ: Integer} }
func FloatValue(v float64) Value { return Value{num: math.Float64bits(v), typ: Float} }
func StringValue(v string) Value { return Value{str: v, typ: String} }
func BoolValue(v bool) Value {
	if v {
		return Value{num: 1, typ: Boolean}
	}
	return Value{typ: Boolean}
}

// ValueOf returns the Value of an int64, float64, bool or string; false for
// any other Go type.
func ValueOf(v any) (Value, bool) {
	switch x := v.(type) {
	case int64:
		return IntValue(x), true
	case float64:
		return FloatValue(x), true
	case bool:
		return BoolValue(x), true
	case string:
		return StringValue(x), true
	}
	return Value{}, false
}

// Type is the value's type, 0 for the zero Value.
func (v Value) Type() FieldType { return v.typ }

// Int, Float, Bool and Str return the value as its type; each is the zero
// of its type for a value of another type.
func (v Value) Int() int64 {
	if v.typ != Integer {
		return 0
	}
	return int64(v.num)
}

func (v Value) Float() float64 {
	if v.typ != Float {
		return 0
	}
	return math.Float64frombits(v.num)
}

func (v Value) Bool() bool { return v.typ == Boolean && v.num != 0 }

func (v Value) Str() string { return v.str }

// Any returns the value as an int64, float64, bool or string (nil for the
// zero Value).
func (v Value) Any() any {
	switch v.typ {
	case Integer:
		return v.Int()
	case Float:
		return v.Float()
	case Boolean:
		return v.Bool()
	case String:
		return v.str
	}
	return nil
}

// String formats the value as fmt's %v formats what Any returns.
func (v Value) String() string { return fmt.Sprint(v.Any()) }

// Equal reports whether v and o are the same type and value (floats bit for
// bit, so a NaN equals the same NaN). go-cmp uses it.
func (v Value) Equal(o Value) bool { return v == o }

// Field is one field of a point.
type Field struct {
	Key   string
	Value Value
}

// IntField, FloatField, BoolField and StringField make a Field.
func IntField(key string, v int64) Field     { return Field{key, IntValue(v)} }
func FloatField(key string, v float64) Field { return Field{key, FloatValue(v)} }
func BoolField(key string, v bool) Field     { return Field{key, BoolValue(v)} }
func StringField(key, v string) Field        { return Field{key, StringValue(v)} }

// Fields are the fields of a point.
type Fields []Field

// FieldsOf returns the fields of m, sorted by key (nil for an empty m). It
// panics on a value that is not an int64, float64, bool or string: that is
// a programming error, as a map of any other type is.
func FieldsOf(m map[string]any) Fields {
	if len(m) == 0 {
		return nil
	}
	out := make(Fields, 0, len(m))
	for k, v := range m {
		val, ok := ValueOf(v)
		if !ok {
			panic(fmt.Sprintf("telemetry.FieldsOf: field %q has unsupported value %v (%T)", k, v, v))
		}
		out = append(out, Field{k, val})
	}
	slices.SortFunc(out, func(a, b Field) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// Value returns the value of a field and whether the point has it.
func (fs Fields) Value(key string) (Value, bool) {
	for i := range fs {
		if fs[i].Key == key {
			return fs[i].Value, true
		}
	}
	return Value{}, false
}

// Get returns the value of a field as Value.Any does, nil when the point
// has none.
func (fs Fields) Get(key string) any {
	v, _ := fs.Value(key)
	return v.Any()
}

// Lookup returns the value of a field as Value.Any does and whether the
// point has it.
func (fs Fields) Lookup(key string) (any, bool) {
	v, ok := fs.Value(key)
	return v.Any(), ok
}

// SetValue adds a field or replaces its value.
func (fs *Fields) SetValue(key string, v Value) {
	for i := range *fs {
		if (*fs)[i].Key == key {
			(*fs)[i].Value = v
			return
		}
	}
	*fs = append(*fs, Field{key, v})
}

// Set is SetValue with ValueOf(v); it panics as FieldsOf does.
func (fs *Fields) Set(key string, v any) {
	val, ok := ValueOf(v)
	if !ok {
		panic(fmt.Sprintf("telemetry.Fields.Set: field %q has unsupported value %v (%T)", key, v, v))
	}
	fs.SetValue(key, val)
}

// Delete removes a field.
func (fs *Fields) Delete(key string) {
	*fs = slices.DeleteFunc(*fs, func(f Field) bool { return f.Key == key })
}

// All yields every field as Value.Any gives it, in the slice's order.
func (fs Fields) All() iter.Seq2[string, any] {
	return func(yield func(string, any) bool) {
		for _, f := range fs {
			if !yield(f.Key, f.Value.Any()) {
				return
			}
		}
	}
}

// Map returns the fields as a map of Value.Any (nil when there are none).
func (fs Fields) Map() map[string]any {
	if len(fs) == 0 {
		return nil
	}
	return maps.Collect(fs.All())
}
