package config

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Struct tags of Config: varTag names the environment variable, defaultTag
// gives its default and secretTag marks a secret.
const (
	varTag     = "envconfig"
	defaultTag = "default"
	secretTag  = "secret"
)

var durationType = reflect.TypeOf(time.Duration(0))

// decode fills the struct dst points to (a *Config) from lookup, field by
// field, and reports every variable whose value does not parse, at once. A
// variable that is not set takes its default (or stays zero without one); so
// does a number, duration or boolean set to blanks (a string set to "" stays
// empty: DB_ORG="" means InfluxDB 1.8). A field
// whose value does not parse keeps its default, so that Validate can still
// report the other problems. Secret values never appear in the errors.
func decode(dst any, lookup func(string) (string, bool)) error {
	v := reflect.ValueOf(dst).Elem()
	t := v.Type()
	var errs []error
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := f.Tag.Get(varTag)
		if name == "" {
			continue
		}
		def := f.Tag.Get(defaultTag)
		raw, ok := lookup(name)
		if f.Type.Kind() != reflect.String {
			raw = strings.TrimSpace(raw)
			ok = ok && raw != ""
		}
		if !ok {
			if def == "" {
				continue // the zero value
			}
			raw = def
		}
		if err := setField(v.Field(i), raw); err != nil {
			shown := raw
			if f.Tag.Get(secretTag) == "true" {
				shown = "***"
			} else if strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r == '"' || r > '~' }) {
				shown = strconv.Quote(raw)
			}
			errs = append(errs, fmt.Errorf("%s=%s: %v", name, shown, err))
			_ = setField(v.Field(i), def) // defaults parse: TestDefaultsParse
		}
	}
	return errors.Join(errs...)
}

// setField parses s into the field, in the words the errors of decode use.
func setField(f reflect.Value, s string) error {
	if f.Type() == durationType {
		d, err := time.ParseDuration(s)
		if err != nil {
			if _, nerr := strconv.ParseFloat(s, 64); nerr == nil {
				return errors.New("not a duration: a number needs a unit (examples: 12s, 1m)")
			}
			return errors.New("not a duration (examples: 12s, 1m)")
		}
		f.SetInt(int64(d))
		return nil
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return errors.New("not a boolean (true or false)")
		}
		f.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, f.Type().Bits())
		if errors.Is(err, strconv.ErrRange) {
			return errors.New("number too large")
		}
		if err != nil {
			return errors.New("not a whole number (examples: 0, 2, 64)")
		}
		f.SetInt(n)
	default:
		return fmt.Errorf("internal error: no decoder for %s", f.Type())
	}
	return nil
}
