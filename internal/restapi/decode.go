package restapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"reflect"
	"strings"
)

// Unmarshal decodes one JSON document; trailing data is an error. Type
// errors are reworded to name the JSON key path instead of Go types.
func Unmarshal(b []byte, v any) error {
	err := json.Unmarshal(b, v)
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &keyError{te: te}
	}
	return err
}

// keyError is a *json.UnmarshalTypeError told in terms of the payload.
type keyError struct{ te *json.UnmarshalTypeError }

func (e *keyError) Error() string {
	key := e.te.Field
	if key == "" {
		key = "answer"
	} else {
		key = "key " + key
	}
	return fmt.Sprintf("%s: got %s, want %s", key, e.te.Value, jsonKind(e.te.Type))
}

// jsonKind names the JSON value a Go type decodes from.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another value"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return jsonKind(t.Elem())
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a bool"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "another value"
}

func (e *keyError) Unwrap() error { return e.te }

// ErrorOffset returns the byte offset a JSON error points at, or -1.
func ErrorOffset(err error) int64 {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return se.Offset
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Offset > 0 {
		return te.Offset
	}
	return -1
}

// IsJSON reports whether a Content-Type may carry JSON: the JSON types,
// text/plain (what Go's content sniffing and some firmware send for JSON)
// and an absent header; the body must still parse. HTML (a proxy's or a
// login page), XML and everything else are refused.
func IsJSON(contentType string) bool {
	if strings.TrimSpace(contentType) == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || mt == "text/json" || mt == "text/plain" || strings.HasSuffix(mt, "+json")
}
