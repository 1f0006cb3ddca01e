package apijson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// Int is an integer that decodes from a JSON number (5, 5.0, 5e2) or from a
// JSON string holding one ("5", " 5 "). A missing key, null or "" leave it
// invalid. Fractions, values outside int64 and other JSON kinds are errors.
type Int struct {
	Value int64
	Valid bool
}

// Float is a finite float64 that decodes from a JSON number or a JSON string
// holding one ("50.00"). A missing key, null or "" leave it invalid. NaN,
// infinities and other JSON kinds are errors.
type Float struct {
	Value float64
	Valid bool
}

// String decodes from a JSON string or from a JSON number, whose literal text
// is kept ("100" for 100). A missing key or null leave it invalid; "" is a
// valid empty string. Booleans, objects and arrays are errors.
type String struct {
	Value string
	Valid bool
}

var (
	typeInt64   = reflect.TypeFor[int64]()
	typeFloat64 = reflect.TypeFor[float64]()
	typeString  = reflect.TypeFor[string]()
	typeBool    = reflect.TypeFor[bool]()
)

// typeError builds the error a decoder reports with the key path of the
// value (encoding/json of Go 1.26 fills in Field; internal/restapi, which
// decodes with the engine of encoding/json/v2, adds the path itself). what
// describes the JSON value without quoting it, so a value that happens to
// be a secret never reaches an error message.
func typeError(what string, t reflect.Type) error {
	return &json.UnmarshalTypeError{Value: what, Type: t}
}

// kind names the JSON kind of b for error messages.
func kind(b []byte) string {
	if len(b) == 0 {
		return "empty value"
	}
	switch b[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	default:
		return "number"
	}
}

// scalar classifies one JSON value. It returns the number text for numbers
// and numeric-looking strings, ok=false for null and "". The text is a part
// of b, not a copy: decoding a number allocates nothing.
func scalar(b []byte, t reflect.Type) (text []byte, isString, ok bool, err error) {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		return nil, false, false, nil
	case len(b) > 0 && b[0] == '"':
		s, err := unquoteBytes(b)
		if err != nil {
			return nil, true, false, err
		}
		s = bytes.TrimSpace(s)
		if len(s) == 0 {
			return nil, true, false, nil
		}
		if !isNumber(s) {
			return nil, true, false, typeError("non-numeric string", t)
		}
		return s, true, true, nil
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		return b, false, true, nil
	default:
		return nil, false, false, typeError(kind(b), t)
	}
}

// isNumber reports whether s is a JSON number literal (no hex, no "NaN",
// no leading "+", no spaces), so strings and numbers follow one grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func isNumber[T string | []byte](s T) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		i = digits(s, i)
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		if j := digits(s, i+1); j > i+1 {
			i = j
		} else {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if j := digits(s, i); j > i {
			i = j
		} else {
			return false
		}
	}
	return i == len(s)
}

// digits returns the index of the first non-digit of s at or after i.
func digits[T string | []byte](s T, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// unquote returns the text of the JSON string b. A string of printable
// ASCII without escapes (nearly every value an appliance sends) is taken
// as it stands; anything else goes through encoding/json, which also
// reports malformed strings.
func unquote(b []byte) (string, error) {
	if t, ok := plainString(b); ok {
		return string(t), nil
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}

// unquoteBytes is unquote for text that is only looked at: the text of a
// plain string is a part of b, not a copy.
func unquoteBytes(b []byte) ([]byte, error) {
	if t, ok := plainString(b); ok {
		return t, nil
	}
	s, err := unquote(b)
	return []byte(s), err
}

// plainString returns the text of the JSON string b when it needs no
// decoding (see plainASCII).
func plainString(b []byte) ([]byte, bool) {
	if n := len(b); n >= 2 && b[0] == '"' && b[n-1] == '"' && plainASCII(b[1:n-1]) {
		return b[1 : n-1], true
	}
	return nil, false
}

// plainASCII reports whether b is printable ASCII without a quote or a
// backslash: the text of a JSON string that needs no decoding.
func plainASCII(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// UnmarshalJSON implements json.Unmarshaler.
func (n *Int) UnmarshalJSON(b []byte) error {
	*n = Int{}
	text, isString, ok, err := scalar(b, typeInt64)
	if err != nil || !ok {
		return err
	}
	v, err := parseInt(text)
	if err != nil {
		what := "number"
		if isString {
			what = "string"
		}
		return typeError(what+" ("+err.Error()+")", typeInt64)
	}
	*n = Int{Value: v, Valid: true}
	return nil
}

var (
	errNotInt = errors.New("not an integer")
	errRange  = errors.New("out of range")
)

func parseInt(text []byte) (int64, error) {
	if v, err := strconv.ParseInt(string(text), 10, 64); err == nil {
		return v, nil
	} else if errors.Is(err, strconv.ErrRange) {
		return 0, errRange
	}
	f, err := strconv.ParseFloat(string(text), 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, errRange
		}
		return 0, errNotInt
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f) {
		return 0, errNotInt
	}
	// float64(math.MaxInt64) rounds up to 2^63, which does not fit.
	if f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, errRange
	}
	return int64(f), nil
}

// MarshalJSON implements json.Marshaler: a number, or null when invalid.
func (n Int) MarshalJSON() ([]byte, error) {
	if !n.Valid {
		return []byte("null"), nil
	}
	return strconv.AppendInt(nil, n.Value, 10), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *Float) UnmarshalJSON(b []byte) error {
	*f = Float{}
	text, isString, ok, err := scalar(b, typeFloat64)
	if err != nil || !ok {
		return err
	}
	v, err := strconv.ParseFloat(string(text), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		what := "number (not finite)"
		if isString {
			what = "string (not a finite number)"
		}
		return typeError(what, typeFloat64)
	}
	*f = Float{Value: v, Valid: true}
	return nil
}

// MarshalJSON implements json.Marshaler: a number, or null when invalid.
func (f Float) MarshalJSON() ([]byte, error) {
	if !f.Valid {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f.Value, 'g', -1, 64), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (s *String) UnmarshalJSON(b []byte) error {
	*s = String{}
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		return nil
	case len(b) > 0 && b[0] == '"':
		v, err := unquote(b)
		if err != nil {
			return err
		}
		*s = String{Value: v, Valid: true}
		return nil
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		if isNumber(b) {
			*s = String{Value: string(b), Valid: true}
			return nil
		}
		var num json.Number // not a number literal: encoding/json says why
		if err := json.Unmarshal(b, &num); err != nil {
			return err
		}
		*s = String{Value: num.String(), Valid: true}
		return nil
	default:
		return typeError(kind(b), typeString)
	}
}

// MarshalJSON implements json.Marshaler: a string, or null when invalid.
func (s String) MarshalJSON() ([]byte, error) {
	if !s.Valid {
		return []byte("null"), nil
	}
	return json.Marshal(s.Value)
}

// Bool decodes from true/false, from the strings "true"/"false" and from
// 0/1 or "0"/"1". A missing key, null or "" leave it invalid.
type Bool struct {
	Value bool
	Valid bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (v *Bool) UnmarshalJSON(b []byte) error {
	*v = Bool{}
	b = bytes.TrimSpace(b)
	text := string(b)
	if len(b) > 0 && b[0] == '"' {
		s, err := unquote(b)
		if err != nil {
			return err
		}
		text = strings.ToLower(strings.TrimSpace(s))
		if text == "" {
			return nil
		}
	}
	switch text {
	case "null":
		return nil
	case "true", "1":
		*v = Bool{Value: true, Valid: true}
	case "false", "0":
		*v = Bool{Value: false, Valid: true}
	default:
		return typeError(kind(b), typeBool)
	}
	return nil
}

// MarshalJSON implements json.Marshaler: true/false, or null when invalid.
func (v Bool) MarshalJSON() ([]byte, error) {
	if !v.Valid {
		return []byte("null"), nil
	}
	return strconv.AppendBool(nil, v.Value), nil
}

// Checker reads required values and remembers which were missing. The zero
// value is ready to use.
type Checker struct {
	missing []string
}

// Int returns v.Value and records name when v is not valid.
func (c *Checker) Int(name string, v Int) int64 {
	if !v.Valid {
		c.missing = append(c.missing, name)
	}
	return v.Value
}

// Float returns v.Value and records name when v is not valid.
func (c *Checker) Float(name string, v Float) float64 {
	if !v.Valid {
		c.missing = append(c.missing, name)
	}
	return v.Value
}

// String returns v.Value and records name when v is not valid.
func (c *Checker) String(name string, v String) string {
	if !v.Valid {
		c.missing = append(c.missing, name)
	}
	return v.Value
}

// Present records name when ok is false; for required objects and arrays.
func (c *Checker) Present(name string, ok bool) {
	if !ok {
		c.missing = append(c.missing, name)
	}
}

// Err reports every missing key at once, or nil.
func (c *Checker) Err() error {
	if len(c.missing) == 0 {
		return nil
	}
	return fmt.Errorf("missing or null keys: %s", strings.Join(c.missing, ", "))
}
