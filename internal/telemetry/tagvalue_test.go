package telemetry

import "testing"

func TestTagValue(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "BRANCH-EC-07", "BRANCH-EC-07"},
		{"empty stays empty", "", ""},
		{"control character", "EC\x01BAD", "EC\uFFFDBAD"},
		{"newline and tab", "a\nb\tc", "a\uFFFDb\uFFFDc"},
		{"DEL", "x\x7f", "x\uFFFD"},
		{"trailing backslash", `EC-07\`, "EC-07\uFFFD"},
		{"only a backslash", `\`, "\uFFFD"},
		{"inner backslash kept", `a\b`, `a\b`},
		{"invalid UTF-8, one per run", "a\xff\xfeb", "a\uFFFDb"},
		{"line-protocol specials kept", "a b,c=d", "a b,c=d"},
		{"non-ASCII kept", "Zürich", "Zürich"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := TagValue(tc.in)
			if got != tc.want {
				t.Errorf("TagValue(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if TagValue(got) != got {
				t.Errorf("TagValue(%q) = %q, not stable", got, TagValue(got))
			}
			if ok := TagValueOK(tc.in); ok != (tc.in != "" && got == tc.in) {
				t.Errorf("TagValueOK(%q) = %v", tc.in, ok)
			}
		})
	}
}
