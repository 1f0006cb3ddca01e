package apijson

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/ec-telemetry/ec-telemetry/internal/restapi"
)

func TestIntUnmarshal(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Int
		wantErr bool
	}{
		{name: "number", in: `5`, want: Int{Value: 5, Valid: true}},
		{name: "negative", in: `-12`, want: Int{Value: -12, Valid: true}},
		{name: "string", in: `"1736503200"`, want: Int{Value: 1736503200, Valid: true}},
		{name: "string with spaces", in: `" 42 "`, want: Int{Value: 42, Valid: true}},
		{name: "integral float", in: `5.0`, want: Int{Value: 5, Valid: true}},
		{name: "exponent", in: `1e3`, want: Int{Value: 1000, Valid: true}},
		{name: "integral float string", in: `"7.00"`, want: Int{Value: 7, Valid: true}},
		{name: "max int64", in: `9223372036854775807`, want: Int{Value: math.MaxInt64, Valid: true}},
		{name: "min int64", in: `-9223372036854775808`, want: Int{Value: math.MinInt64, Valid: true}},
		{name: "null", in: `null`, want: Int{}},
		{name: "empty string", in: `""`, want: Int{}},
		{name: "fraction", in: `1.5`, wantErr: true},
		{name: "fraction string", in: `"1.5"`, wantErr: true},
		{name: "overflow", in: `9223372036854775808`, wantErr: true},
		{name: "overflow float", in: `1e19`, wantErr: true},
		{name: "huge exponent", in: `1e400`, wantErr: true},
		{name: "word", in: `"abc"`, wantErr: true},
		{name: "hex string", in: `"0x10"`, wantErr: true},
		{name: "nan string", in: `"NaN"`, wantErr: true},
		{name: "bool", in: `true`, wantErr: true},
		{name: "object", in: `{}`, wantErr: true},
		{name: "array", in: `[1]`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Int
			err := json.Unmarshal([]byte(tt.in), &got)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Unmarshal(%s) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("Unmarshal(%s) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestFloatUnmarshal(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Float
		wantErr bool
	}{
		{name: "number", in: `91.2`, want: Float{Value: 91.2, Valid: true}},
		{name: "integer", in: `3`, want: Float{Value: 3, Valid: true}},
		{name: "string", in: `"50.00"`, want: Float{Value: 50, Valid: true}},
		{name: "negative string", in: `"-0.5"`, want: Float{Value: -0.5, Valid: true}},
		{name: "null", in: `null`, want: Float{}},
		{name: "empty string", in: `""`, want: Float{}},
		{name: "nan", in: `"NaN"`, wantErr: true},
		{name: "inf", in: `"Inf"`, wantErr: true},
		{name: "overflow", in: `1e400`, wantErr: true},
		{name: "percent", in: `"50%"`, wantErr: true},
		{name: "bool", in: `false`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Float
			err := json.Unmarshal([]byte(tt.in), &got)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Unmarshal(%s) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("Unmarshal(%s) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestStringUnmarshal(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    String
		wantErr bool
	}{
		{name: "string", in: `"1"`, want: String{Value: "1", Valid: true}},
		{name: "number keeps literal", in: `100`, want: String{Value: "100", Valid: true}},
		{name: "float literal", in: `1.50`, want: String{Value: "1.50", Valid: true}},
		{name: "empty", in: `""`, want: String{Value: "", Valid: true}},
		{name: "null", in: `null`, want: String{}},
		{name: "escaped", in: `"a\u00e9"`, want: String{Value: "aé", Valid: true}},
		{name: "bool", in: `true`, wantErr: true},
		{name: "object", in: `{"a":1}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got String
			err := json.Unmarshal([]byte(tt.in), &got)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Unmarshal(%s) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("Unmarshal(%s) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestBoolUnmarshal(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Bool
		wantErr bool
	}{
		{name: "true", in: `true`, want: Bool{Value: true, Valid: true}},
		{name: "false", in: `false`, want: Bool{Value: false, Valid: true}},
		{name: "string true", in: `"True"`, want: Bool{Value: true, Valid: true}},
		{name: "one", in: `1`, want: Bool{Value: true, Valid: true}},
		{name: "string zero", in: `"0"`, want: Bool{Value: false, Valid: true}},
		{name: "null", in: `null`, want: Bool{}},
		{name: "empty string", in: `""`, want: Bool{}},
		{name: "two", in: `2`, wantErr: true},
		{name: "word", in: `"yes"`, wantErr: true},
		{name: "object", in: `{}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Bool
			err := json.Unmarshal([]byte(tt.in), &got)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Unmarshal(%s) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("Unmarshal(%s) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

// Numbers, as numbers or as plain strings, decode without allocating: an
// appliance answer holds hundreds of them.
func TestNumbersDecodeWithoutAllocating(t *testing.T) {
	for _, in := range []string{`1736503200`, `"1736503200"`, `" 42 "`, `-3`} {
		var n Int
		b := []byte(in)
		if a := testing.AllocsPerRun(100, func() { _ = n.UnmarshalJSON(b) }); a != 0 || !n.Valid {
			t.Errorf("Int.UnmarshalJSON(%s): %v allocations, valid %v; want 0 and valid", in, a, n.Valid)
		}
	}
	for _, in := range []string{`50.25`, `"50.00"`, `0`, `"1e3"`} {
		var f Float
		b := []byte(in)
		if a := testing.AllocsPerRun(100, func() { _ = f.UnmarshalJSON(b) }); a != 0 || !f.Valid {
			t.Errorf("Float.UnmarshalJSON(%s): %v allocations, valid %v; want 0 and valid", in, a, f.Valid)
		}
	}
}

func TestMissingKeyStaysInvalid(t *testing.T) {
	var v struct {
		N Int    `json:"n"`
		F Float  `json:"f"`
		S String `json:"s"`
	}
	if err := json.Unmarshal([]byte(`{}`), &v); err != nil {
		t.Fatalf("Unmarshal({}) error = %v", err)
	}
	if v.N.Valid || v.F.Valid || v.S.Valid {
		t.Errorf("Unmarshal({}) = %+v, want all invalid", v)
	}
}

// A refused value is named by its key, never by its value, as the
// appliance and Orchestrator clients decode (internal/restapi).
func TestErrorNamesKeyNotValue(t *testing.T) {
	var v struct {
		Secret Int `json:"newest"`
	}
	err := restapi.Unmarshal([]byte(`{"newest": "hunter2-secret"}`), &v)
	if err == nil {
		t.Fatal("Unmarshal of a non-numeric string succeeded")
	}
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		t.Fatalf("error %v does not unwrap to the *json.UnmarshalTypeError of Int", err)
	}
	if want := "key newest: got non-numeric string, want an integer"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error %q echoes the value", err)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	type rec struct {
		N Int    `json:"n"`
		F Float  `json:"f"`
		S String `json:"s"`
	}
	tests := []struct {
		name string
		in   rec
		want string
	}{
		{name: "valid", in: rec{Int{5, true}, Float{1.5, true}, String{"x", true}}, want: `{"n":5,"f":1.5,"s":"x"}`},
		{name: "invalid", in: rec{}, want: `{"n":null,"f":null,"s":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.in)
			if err != nil {
				t.Fatalf("Marshal(%+v) error = %v", tt.in, err)
			}
			if string(b) != tt.want {
				t.Errorf("Marshal(%+v) = %s, want %s", tt.in, b, tt.want)
			}
			var back rec
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("Unmarshal(%s) error = %v", b, err)
			}
			if back != tt.in {
				t.Errorf("round trip = %+v, want %+v", back, tt.in)
			}
		})
	}
}

func TestChecker(t *testing.T) {
	var c Checker
	if got := c.Int("a", Int{Value: 3, Valid: true}); got != 3 {
		t.Errorf("Checker.Int = %d, want 3", got)
	}
	c.Float("b", Float{})
	c.String("c", String{})
	c.Present("d", false)
	c.Present("e", true)
	err := c.Err()
	if err == nil {
		t.Fatal("Checker.Err() = nil, want an error")
	}
	if got, want := err.Error(), "missing or null keys: b, c, d"; got != want {
		t.Errorf("Checker.Err() = %q, want %q", got, want)
	}
	var ok Checker
	ok.Int("x", Int{Valid: true})
	if err := ok.Err(); err != nil {
		t.Errorf("Checker.Err() = %v, want nil", err)
	}
}

// FuzzScalars checks that no input panics and that every value that decodes
// survives a marshal/unmarshal round trip unchanged.
func FuzzScalars(f *testing.F) {
	for _, s := range []string{`5`, `"5"`, `1.5`, `"91.20"`, `null`, `""`, `"abc"`, `1e400`, `-0`, `"-9223372036854775808"`, `true`, `[]`, `{}`, `"\u0031"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var i Int
		if err := json.Unmarshal(b, &i); err == nil {
			roundTrip(t, i)
		}
		var fl Float
		if err := json.Unmarshal(b, &fl); err == nil {
			if fl.Valid && (math.IsNaN(fl.Value) || math.IsInf(fl.Value, 0)) {
				t.Fatalf("Float from %q = %v, want finite", b, fl.Value)
			}
			roundTrip(t, fl)
		}
		var s String
		if err := json.Unmarshal(b, &s); err == nil {
			roundTrip(t, s)
		}
		var bo Bool
		if err := json.Unmarshal(b, &bo); err == nil {
			roundTrip(t, bo)
		}
	})
}

func roundTrip[T comparable](t *testing.T, v T) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("Marshal(%+v) error = %v", v, err)
	}
	var back T
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("Unmarshal(%s) error = %v", b, err)
	}
	if back != v {
		t.Fatalf("round trip of %+v = %+v", v, back)
	}
}

// FuzzFastPaths checks the shortcuts of unquote and isNumber against
// encoding/json, which they stand in for: same text, same verdict.
func FuzzFastPaths(f *testing.F) {
	for _, s := range []string{`"abc"`, `"a\"b"`, `"\u00e9"`, "\"\xff\"", `"tab	"`, `""`, `"`, `"a" "b"`,
		`0`, `-0`, `01`, `1.`, `.5`, `1e5`, `1E+5`, `-1.25e-3`, `+1`, `1e`, `0x10`, ` 1`, `NaN`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want string
		wantErr := json.Unmarshal(b, &want)
		got, err := unquote(b)
		if (err != nil) != (wantErr != nil) || (err == nil && got != want) {
			t.Fatalf("unquote(%q) = %q, %v; encoding/json gives %q, %v", b, got, err, want, wantErr)
		}
		// Callers trim the text first; encoding/json would skip the spaces.
		s := strings.TrimSpace(string(b))
		ref := s != "" && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9')) && json.Unmarshal([]byte(s), new(json.Number)) == nil
		if isNumber(s) != ref || isNumber([]byte(s)) != ref {
			t.Fatalf("isNumber(%q) = %v, want %v", s, isNumber(s), ref)
		}
	})
}
