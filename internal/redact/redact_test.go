package redact

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://user:PW@host", "https://***@host"},
		{"http://u:PW@127.0.0.1:8086/x?y=1", "http://***@127.0.0.1:8086/x?y=1"},
		{"https://host:443/gms", "https://host:443/gms"},
		{"user:PW@host:443", "***@host:443"},
		{"https://u:p/a?s#s@host/path", "https://***@host/path"},
		{"//u:pw@host", "//***@host"},
		{"orch.example.net", "orch.example.net"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := URL(tt.in); got != tt.want {
			t.Errorf("URL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestURLSecrets(t *testing.T) {
	got := URLSecrets("https://user:P%40ss@host", "http://host:8086", "https://tokenonly@host", "https://u:pw2@h")
	want := []string{"P%40ss", "user:P%40ss", "P@ss", "user:P@ss", "pw2", "u:pw2"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("URLSecrets = %q, want %q", got, want)
	}
}

// TestFormsCoverEncodings checks that every encoding a secret takes on its
// way into a log line is among its forms.
func TestFormsCoverEncodings(t *testing.T) {
	const pw = `P@ss"w0rd<&>\zzQ`
	forms := Forms(pw)
	has := func(s string) bool {
		for _, f := range forms {
			if f == s {
				return true
			}
		}
		return false
	}
	goJSON := func(s string) string { b, _ := json.Marshal(s); return string(b[1 : len(b)-1]) }
	want := []string{
		pw,
		`P@ss\"w0rd\u003c\u0026\u003e\\zzQ`, // encoding/json
		`P@ss\"w0rd<&>\\zzQ`,                // zerolog, %q
		`P@ss\\\"w0rd\\u003c\\u0026\\u003e\\\\zzQ`, // json twice
		goJSON(goJSON(goJSON(pw))),                 // three times
		goJSON(goJSON(goJSON(goJSON(pw)))),         // four times
		url.QueryEscape(pw), url.PathEscape(pw),    // URL-encoded
		html.EscapeString(pw),                         // HTML
		base64.StdEncoding.EncodeToString([]byte(pw)), // basic auth style
	}
	for _, w := range want {
		if !has(w) {
			t.Errorf("Forms(%q) lacks %q", pw, w)
		}
	}
}

func TestReplacer(t *testing.T) {
	r := NewReplacer([]string{"hunter2-secret", "ab", `x<y"z`}, 4)
	tests := []struct{ in, want string }{
		{"login hunter2-secret refused", "login *** refused"},
		{"ab stays", "ab stays"},
		{`body {\"password\":\"x\u003cy\\\"z\"}`, `body {\"password\":\"***\"}`},
		{"aHVudGVyMi1zZWNyZXQ= in a header", "*** in a header"},
		{"nothing here", "nothing here"},
	}
	for _, tt := range tests {
		if got := r.String(tt.in, Mask); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if r.Longest() < len("hunter2-secret") {
		t.Errorf("Longest() = %d, want at least %d", r.Longest(), len("hunter2-secret"))
	}
}

func TestMarkJSONKeys(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", `{"user":"admin","password":"s3cr3t","port":443}`, `{"user":"admin","password":#,"port":443}`},
		{"case and suffix", `{"apiKey":"k1","ADMIN_PASSWORD":"k2","snmpCommunity":"pub","x":"password"}`,
			`{"apiKey":#,"ADMIN_PASSWORD":#,"snmpCommunity":#,"x":"password"}`},
		{"escaped quote in value", `{"token":"a\"b","n":1}`, `{"token":#,"n":1}`},
		{"scalar", `{"pin": 1234, "key" : true}`, `{"pin": #, "key" : #}`},
		{"cut value", `[{"psk":"abcdef`, `[{"psk":#`},
		{"cut before key ends", `"x","passw`, `"x","passw`},
		{"nested object", `{"credentials":{"user":"u","secret":"s"}}`, `{"credentials":{"user":"u","secret":#}}`},
		{"json in a string", `{"echo":"{\"user\":\"u\",\"pw\":\"p\\\"q\"}"}`, `{"echo":"{\"user\":\"u\",\"pw\":#}"}`},
		{"cookie", `{"cookie": "vxoaSessionID=abc"}`, `{"cookie": #}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := []byte(tt.in)
			hidden := make([]bool, len(b))
			MarkJSONKeys(b, 0, hidden)
			if got := string(Apply(b, hidden, "#")); got != tt.want {
				t.Errorf("MarkJSONKeys(%s) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestMarkJSONKeysFrom(t *testing.T) {
	b := []byte(`{"password":"0123456789","a":"b"}`)
	from := 16 // inside the value
	hidden := make([]bool, len(b)-from)
	MarkJSONKeys(b, from, hidden)
	got := string(Apply(b[from:], hidden, "[redacted]"))
	if strings.Contains(got, "6789") || !strings.HasSuffix(got, `,"a":"b"}`) {
		t.Errorf("window after a cut key = %q, want the value hidden", got)
	}
}
