package redact

import "strings"

// secretKeyExact are JSON keys (lower case, without "-", "_" and ".")
// whose value is a secret; secretKeySuffix are endings that make a key
// secret ("adminPassword", "snmpCommunity", "accessToken").
var (
	secretKeyExact = []string{
		"pw", "pwd", "pass", "key", "auth", "psk", "pin", "authorization",
	}
	secretKeySuffix = []string{
		"password", "passwd", "passphrase", "secret", "token", "apikey", "privatekey", "secretkey",
		"accesskey", "authkey", "presharedkey", "credential", "credentials", "psk", "community",
		"cookie", "sessionid", "authorization",
	}
)

// IsSecretKey reports whether a JSON key names a secret-bearing value,
// case-insensitively: password, passwd, pw, secret, token, apiKey,
// api_key, key, auth, credentials, psk, community, cookie and keys ending
// in one of the longer of these ("adminPassword", "snmp_community").
func IsSecretKey(k string) bool {
	k = strings.ToLower(k)
	k = strings.NewReplacer("-", "", "_", "", ".", "").Replace(k)
	for _, e := range secretKeyExact {
		if k == e {
			return true
		}
	}
	for _, s := range secretKeySuffix {
		if strings.HasSuffix(k, s) {
			return true
		}
	}
	return false
}

// MarkJSONKeys finds, in text that holds JSON (possibly cut anywhere, and
// possibly JSON escaped inside a JSON string, at any depth), every value of
// a secret-bearing key (IsSecretKey) and sets hidden[i-from] for each of its
// bytes b[i] with i >= from. A string value is hidden whole, up to its
// closing quote or the end of b when the text is cut; a scalar value up
// to the next delimiter. Objects and arrays are left to their own keys.
// hidden must be at least len(b)-from long.
func MarkJSONKeys(b []byte, from int, hidden []bool) {
	for i := 0; i < len(b); i++ {
		if b[i] != '"' {
			continue
		}
		k := backslashesBefore(b, i)
		// The key: name characters up to a quote with the same escaping.
		j := i + 1
		for j < len(b) && isKeyByte(b[j]) {
			j++
		}
		if j == i+1 || j >= len(b) || !quoteAt(b, j, k) {
			continue
		}
		keyEnd := j + k + 1 // past the closing quote
		if !IsSecretKey(string(b[i+1 : j])) {
			i = j + k // the closing quote may open nothing: skip it
			continue
		}
		v := skipSpace(b, keyEnd)
		if v >= len(b) || b[v] != ':' {
			continue
		}
		v = skipSpace(b, v+1)
		end := valueEnd(b, v, k)
		for p := max(v, from); p < end; p++ {
			hidden[p-from] = true
		}
		if end > i {
			i = end - 1
		}
	}
}

// valueEnd returns the end of the value starting at v whose enclosing
// string quotes are escaped by k backslashes: past the closing quote of a
// string (or len(b) when it is cut), or the delimiter after a scalar.
// Objects and arrays yield v.
func valueEnd(b []byte, v, k int) int {
	// A string value opens with k backslashes and a quote.
	if v+k < len(b) && b[v+k] == '"' && backslashRun(b, v, v+k) {
		for p := v + k + 1; p < len(b); p++ {
			if b[p] == '"' && backslashesBefore(b, p) == k {
				return p + 1
			}
		}
		return len(b)
	}
	if v < len(b) && (b[v] == '{' || b[v] == '[' || b[v] == '"' || b[v] == '\\') {
		return v
	}
	p := v
	for p < len(b) && !strings.ContainsRune(",}] \t\r\n\\\"", rune(b[p])) {
		p++
	}
	return p
}

// quoteAt reports whether b[j:] starts with k backslashes and a quote.
func quoteAt(b []byte, j, k int) bool {
	return j+k < len(b) && b[j+k] == '"' && backslashRun(b, j, j+k)
}

// backslashRun reports whether b[from:to] is all backslashes.
func backslashRun(b []byte, from, to int) bool {
	for p := from; p < to; p++ {
		if b[p] != '\\' {
			return false
		}
	}
	return true
}

// backslashesBefore counts the backslashes right before b[i].
func backslashesBefore(b []byte, i int) int {
	n := 0
	for p := i - 1; p >= 0 && b[p] == '\\'; p-- {
		n++
	}
	return n
}

func isKeyByte(c byte) bool {
	return c == '_' || c == '-' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func skipSpace(b []byte, p int) int {
	for p < len(b) && (b[p] == ' ' || b[p] == '\t' || b[p] == '\r' || b[p] == '\n') {
		p++
	}
	return p
}
