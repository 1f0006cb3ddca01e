package telemetry

import (
	"strings"
	"unicode/utf8"
)

// TagValue returns s made writable as an InfluxDB tag value, by one rule
// applied to every tag of every measurement (appliance names, hostnames,
// interface names, labels, ids):
//
//   - a control character (U+0000 to U+001F, U+007F) becomes U+FFFD;
//   - a byte sequence that is not UTF-8 becomes U+FFFD (one per run);
//   - a backslash at the end becomes U+FFFD (line protocol cannot carry
//     it: it would escape the separator that follows);
//   - everything else, commas, spaces, equals signs and inner backslashes
//     included, is kept (the line-protocol encoder escapes them).
//
// An empty value stays empty: such a tag is left out of the point, which is
// what InfluxDB does with it anyway. TagValue is idempotent, returns s
// itself when nothing needs replacing, and never fails, so a hostile name
// never costs the data it labels.
func TagValue(s string) string {
	if TagValueOK(s) || s == "" {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return utf8.RuneError
		}
		return r
	}, s)
	if strings.HasSuffix(s, `\`) {
		s = s[:len(s)-1] + "\uFFFD"
	}
	return s
}

// TagValueOK reports whether s is written as a tag value unchanged:
// non-empty, valid UTF-8, without control characters and without a
// trailing backslash (see TagValue).
func TagValueOK(s string) bool {
	if s == "" || s[len(s)-1] == '\\' || !utf8.ValidString(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return false
		}
	}
	return true
}
