package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"html"
	"net/url"
	"strconv"
	"strings"
)

// Mask replaces a secret in log lines and printed URLs.
const Mask = "***"

// URL returns raw with its user information (what comes before the last
// "@" of the part after "scheme://", or of the whole value without a
// scheme) replaced by Mask: "https://user:pw@host/x" becomes
// "https://***@host/x". It works on text, so it also hides the userinfo of
// a value that does not parse as a URL. A value with an "@" in its path or
// query loses that part too: hiding too much is the safe side.
func URL(raw string) string {
	start, at := userinfo(raw)
	if at < 0 {
		return raw
	}
	return raw[:start] + Mask + raw[at:]
}

// userinfo returns where the authority of raw starts and the index of the
// "@" that ends its userinfo, or -1 when there is none.
func userinfo(raw string) (start, at int) {
	if i := strings.Index(raw, "://"); i >= 0 {
		start = i + 3
	} else if strings.HasPrefix(raw, "//") {
		start = 2
	}
	j := strings.LastIndexByte(raw[start:], '@')
	if j < 0 {
		return start, -1
	}
	return start, start + j
}

// URLSecrets returns what must never be printed of the given URLs: for each
// one whose userinfo has a password, the password and "user:password", both
// as written and percent-decoded. URLs without a password add nothing.
func URLSecrets(raws ...string) []string {
	var out []string
	for _, raw := range raws {
		start, at := userinfo(raw)
		if at < 0 {
			continue
		}
		ui := raw[start:at]
		user, pass, ok := strings.Cut(ui, ":")
		if !ok || pass == "" {
			continue
		}
		out = append(out, pass, ui)
		if p, err := url.PathUnescape(pass); err == nil && p != pass {
			out = append(out, p)
			if u, err := url.PathUnescape(user); err == nil {
				out = append(out, u+":"+p)
			}
		}
	}
	return out
}

// escapers are the ways a string gets escaped on its way into an error
// text or a log line: encoding/json (which also escapes <, > and & as
// \u003c...), JSON without HTML escaping (zerolog, most servers) and Go's
// %q.
var escapers = []func(string) string{
	func(s string) string {
		b, _ := json.Marshal(s)
		return string(b[1 : len(b)-1])
	},
	func(s string) string {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(s)
		b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		return string(b[1 : len(b)-1])
	},
	func(s string) string {
		q := strconv.Quote(s)
		return q[1 : len(q)-1]
	},
}

// MaxDepth is how many times in a row a secret may have been escaped and
// still be recognised: a password inside a login body (1) echoed as a JSON
// string by a server (2), quoted in an error text (3) is still found in the
// JSON log line that carries it.
const MaxDepth = 4

// Forms returns every encoding of secret that ec-telemetry or a server
// answering it can produce, secret itself first: the secret as is,
// URL query- and path-encoded, HTML-escaped (numeric and named entities)
// and in base64 (standard and URL alphabets, padded or not; what HTTP basic
// auth sends), and each of these JSON- or Go-quoted at any depth up to
// MaxDepth (every mix of the three escaping styles). Duplicates are
// removed.
func Forms(secret string) []string {
	if secret == "" {
		return nil
	}
	bases := []string{
		secret,
		url.QueryEscape(secret),
		url.PathEscape(secret),
		html.EscapeString(secret),
		strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(secret),
		strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#x27;").Replace(secret),
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		bases = append(bases, enc.EncodeToString([]byte(secret)))
	}
	var out []string
	seen := map[string]bool{}
	add := func(s string) bool {
		if seen[s] {
			return false
		}
		seen[s] = true
		out = append(out, s)
		return true
	}
	for _, b := range bases {
		if !add(b) {
			continue
		}
		level := []string{b}
		for d := 0; d < MaxDepth && len(level) > 0; d++ {
			var next []string
			for _, v := range level {
				for _, esc := range escapers {
					if e := esc(v); add(e) {
						next = append(next, e)
					}
				}
			}
			level = next
		}
	}
	return out
}

// Replacer finds every form (see Forms) of a set of secrets. It is
// immutable once built and safe for concurrent use.
type Replacer struct {
	forms   [][]byte
	longest int
}

// NewReplacer builds a Replacer for secrets. Secrets shorter than minLen
// bytes are ignored (replacing "pw" everywhere would mangle ordinary text),
// and so are forms shorter than minLen.
func NewReplacer(secrets []string, minLen int) *Replacer {
	minLen = max(minLen, 1)
	r := &Replacer{}
	seen := map[string]bool{}
	for _, s := range secrets {
		if len(s) < minLen {
			continue
		}
		for _, f := range Forms(s) {
			if len(f) >= minLen && !seen[f] {
				seen[f] = true
				r.forms = append(r.forms, []byte(f))
				r.longest = max(r.longest, len(f))
			}
		}
	}
	return r
}

// Longest is the length of the longest form: how far past a window a text
// must be read to recognise a secret that crosses the window's end.
func (r *Replacer) Longest() int { return r.longest }

// Mark sets hidden[i] for every byte b[i] that belongs to an occurrence of
// a form of a secret. hidden must be at least as long as b.
func (r *Replacer) Mark(b []byte, hidden []bool) {
	for _, f := range r.forms {
		for i := 0; i+len(f) <= len(b); {
			j := bytes.Index(b[i:], f)
			if j < 0 {
				break
			}
			for k := i + j; k < i+j+len(f); k++ {
				hidden[k] = true
			}
			i += j + 1
		}
	}
}

// Bytes returns b with every run of bytes that belong to a secret replaced
// by mask. It returns b itself when there is nothing to replace.
func (r *Replacer) Bytes(b []byte, mask string) []byte {
	var hidden []bool
	for _, f := range r.forms {
		if bytes.Contains(b, f) {
			hidden = make([]bool, len(b))
			break
		}
	}
	if hidden == nil {
		return b
	}
	r.Mark(b, hidden)
	return Apply(b, hidden, mask)
}

// String is Bytes for a string.
func (r *Replacer) String(s string, mask string) string {
	return string(r.Bytes([]byte(s), mask))
}

// Apply returns b with every run of hidden bytes replaced by mask.
func Apply(b []byte, hidden []bool, mask string) []byte {
	out := make([]byte, 0, len(b))
	inRun := false
	for i, c := range b {
		if hidden[i] {
			if !inRun {
				out = append(out, mask...)
				inRun = true
			}
			continue
		}
		inRun = false
		out = append(out, c)
	}
	return out
}
