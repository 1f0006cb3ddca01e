package telemetry

import (
	"math"
	"reflect"
	"testing"
)

func TestValueKeepsTypeAndValue(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		v    Value
		typ  FieldType
		want any
	}{
		{IntValue(math.MinInt64), Integer, int64(math.MinInt64)},
		{IntValue(-1), Integer, int64(-1)},
		{FloatValue(-0.5), Float, -0.5},
		{FloatValue(math.Inf(1)), Float, math.Inf(1)},
		{BoolValue(true), Boolean, true},
		{BoolValue(false), Boolean, false},
		{StringValue("a,b"), String, "a,b"},
		{StringValue(""), String, ""},
		{Value{}, 0, nil},
	} {
		if tc.v.Type() != tc.typ || tc.v.Any() != tc.want {
			t.Errorf("%#v: Type %s, Any %#v; want %s, %#v", tc.v, tc.v.Type(), tc.v.Any(), tc.typ, tc.want)
		}
		if v, ok := ValueOf(tc.want); tc.want != nil && (!ok || v != tc.v) {
			t.Errorf("ValueOf(%#v) = %#v, %v; want %#v", tc.want, v, ok, tc.v)
		}
	}
	// An accessor of another type gives that type's zero value.
	if v := IntValue(3); v.Float() != 0 || v.Bool() || v.Str() != "" || v.Int() != 3 {
		t.Errorf("IntValue(3) as other types: %v %v %q", v.Float(), v.Bool(), v.Str())
	}
	if v := FloatValue(nan); !math.IsNaN(v.Float()) || !v.Equal(FloatValue(nan)) || v.Equal(FloatValue(1)) {
		t.Errorf("a NaN value must keep its bits and equal itself")
	}
	if IntValue(1).Equal(FloatValue(1)) || IntValue(1).Equal(BoolValue(true)) {
		t.Error("values of different types must differ")
	}
	for _, v := range []any{3, uint64(3), float32(1), []byte("x"), nil} {
		if _, ok := ValueOf(v); ok {
			t.Errorf("ValueOf(%#v) accepted a type InfluxDB does not store", v)
		}
	}
}

func TestTagsAndFieldsAsMaps(t *testing.T) {
	tags := TagsOf(map[string]string{"b": "2", "a": "1"})
	if !reflect.DeepEqual(tags, Tags{{"a", "1"}, {"b", "2"}}) {
		t.Fatalf("TagsOf = %v, want sorted by key", tags)
	}
	tags.Set("b", "3")
	tags.Set("c", "4")
	tags.Delete("a")
	if got := tags.Map(); !reflect.DeepEqual(got, map[string]string{"b": "3", "c": "4"}) || len(tags) != 2 {
		t.Errorf("after Set and Delete: %v", tags)
	}
	if v, ok := tags.Lookup("a"); ok || v != "" || tags.Get("c") != "4" {
		t.Errorf("Lookup(a) = %q, %v; Get(c) = %q", v, ok, tags.Get("c"))
	}

	fields := FieldsOf(map[string]any{"z": int64(1), "y": 2.5, "x": true, "w": "s"})
	if keys := []string{fields[0].Key, fields[1].Key, fields[2].Key, fields[3].Key}; !reflect.DeepEqual(keys, []string{"w", "x", "y", "z"}) {
		t.Fatalf("FieldsOf keys = %v, want sorted", keys)
	}
	fields.Set("z", int64(5))
	fields.SetValue("v", FloatValue(1))
	fields.Delete("x")
	want := map[string]any{"z": int64(5), "y": 2.5, "w": "s", "v": 1.0}
	if got := fields.Map(); !reflect.DeepEqual(got, want) || len(fields) != 4 {
		t.Errorf("after Set and Delete: %v, want %v", got, want)
	}
	if v, ok := fields.Lookup("x"); ok || v != nil || fields.Get("z") != int64(5) {
		t.Errorf("Lookup(x) = %v, %v; Get(z) = %v", v, ok, fields.Get("z"))
	}
	n := 0
	for k, v := range fields.All() {
		if want[k] != v {
			t.Errorf("All yields %s=%v, want %v", k, v, want[k])
		}
		n++
	}
	if n != len(want) {
		t.Errorf("All yields %d fields, want %d", n, len(want))
	}
	if TagsOf(nil) != nil || FieldsOf(map[string]any{}) != nil || Tags(nil).Map() != nil || Fields(nil).Map() != nil {
		t.Error("empty maps and empty slices must convert to nil")
	}
}

func TestFieldsOfRejectsOtherTypes(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("FieldsOf accepted an int")
		}
	}()
	FieldsOf(map[string]any{"n": 3})
}

// TestPointIsSmall guards the sizes the parser's memory figures rest on:
// a field is its key and a 32-byte value, with no pointer to chase.
func TestPointIsSmall(t *testing.T) {
	if s := reflect.TypeFor[Value]().Size(); s != 32 {
		t.Errorf("Value is %d bytes, want 32", s)
	}
	if s := reflect.TypeFor[Field]().Size(); s != 48 {
		t.Errorf("Field is %d bytes, want 48", s)
	}
}
