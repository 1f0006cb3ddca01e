package redact

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzMarkJSONKeys: any bytes and any window start never panic, and the
// value of a secret key in valid JSON, plain or JSON in a JSON string, is
// hidden from every window.
func FuzzMarkJSONKeys(f *testing.F) {
	f.Add(`P@ss"w0rd<&>\zzQ`, 0)
	f.Add(`plain`, 7)
	f.Add(`\\\"`, 3)
	f.Add(`{"password":"x"}`, 20)
	f.Fuzz(func(t *testing.T, value string, from int) {
		inner, _ := json.Marshal(map[string]string{"user": "admin", "Password": value})
		outer, _ := json.Marshal(map[string]string{"request": string(inner)})
		for _, b := range [][]byte{inner, outer, []byte(value)} {
			from := from
			if from < 0 || from > len(b) {
				from = len(b) / 2
			}
			hidden := make([]bool, len(b)-from)
			MarkJSONKeys(b, from, hidden)
		}
		// check: the encoded value enc, right after the key prefix, is
		// hidden whole.
		check := func(b, prefix, enc []byte) {
			hidden := make([]bool, len(b))
			MarkJSONKeys(b, 0, hidden)
			i := bytes.Index(b, prefix)
			if i < 0 || !bytes.HasPrefix(b[i+len(prefix):], enc) {
				t.Fatalf("test bug: %s lacks %s%s", b, prefix, enc)
			}
			for k := i + len(prefix); k < i+len(prefix)+len(enc); k++ {
				if !hidden[k] {
					t.Fatalf("MarkJSONKeys(%s) leaves byte %d of the value %q visible", b, k, value)
				}
			}
		}
		q, _ := json.Marshal(value)
		check(inner, []byte(`"Password":`), q)
		qq, _ := json.Marshal(string(q))
		check(outer, []byte(`\"Password\":`), qq[1:len(qq)-1])
	})
}
