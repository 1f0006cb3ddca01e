package restapi

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
)

var (
	errUnauthorized = errors.New("unauthorized")
	errNotFound     = errors.New("not found")
	errTooLarge     = errors.New("response body too large")
)

type testService struct{}

func (testService) Name() string           { return "testapi" }
func (testService) ErrUnauthorized() error { return errUnauthorized }
func (testService) ErrNotFound() error     { return errNotFound }
func (testService) ErrTooLarge() error     { return errTooLarge }

// otherService shares nothing with testService but the shape.
type otherService struct{}

func (otherService) Name() string           { return "other" }
func (otherService) ErrUnauthorized() error { return errors.New("unauthorized") }
func (otherService) ErrNotFound() error     { return errors.New("not found") }
func (otherService) ErrTooLarge() error     { return errors.New("too large") }

const secret = "s3cr3t-Passw0rd"

func endpoint() Endpoint[testService] {
	return Endpoint[testService]{Host: "127.0.0.1:443", Secrets: func() []string { return []string{"", secret, "cookieVALUE"} }}
}

func TestAPIError(t *testing.T) {
	tests := []struct {
		status    int
		body      string
		want      string
		is        error
		retryable bool
	}{
		{status: 500, body: "boom", want: `testapi h:1: get /x: status 500 internal server error: "boom"`, retryable: true},
		{status: 429, want: `testapi h:1: get /x: status 429 too many requests`, retryable: true},
		{status: 401, want: `testapi h:1: get /x: status 401 unauthorized`, is: errUnauthorized},
		{status: 403, want: `testapi h:1: get /x: status 403 forbidden`, is: errUnauthorized},
		{status: 404, want: `testapi h:1: get /x: status 404 not found`, is: errNotFound},
		{status: 599, want: `testapi h:1: get /x: status 599`, retryable: true},
		{status: 400, want: `testapi h:1: get /x: status 400 bad request`},
	}
	for _, tt := range tests {
		var err error = &APIError[testService]{Host: "h:1", Method: "GET", Path: "/x", StatusCode: tt.status, Body: tt.body}
		if got := err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
		for _, s := range []error{errUnauthorized, errNotFound, errTooLarge} {
			if got := errors.Is(err, s); got != (s == tt.is) {
				t.Errorf("status %d: errors.Is(err, %v) = %v", tt.status, s, got)
			}
		}
		if got := err.(*APIError[testService]).Retryable(); got != tt.retryable {
			t.Errorf("status %d: Retryable() = %v, want %v", tt.status, got, tt.retryable)
		}
		// The sentinels and the type of another service do not match.
		var other *APIError[otherService]
		if errors.As(err, &other) || errors.Is(err, otherService{}.ErrUnauthorized()) {
			t.Errorf("status %d: error matches another service", tt.status)
		}
	}
}

func TestDecodeError(t *testing.T) {
	inner := errors.New("bad")
	err := fmt.Errorf("wrapped: %w", &DecodeError[testService]{Host: "h:1", Method: "POST", Path: "/y", Excerpt: "near", Err: inner})
	want := `wrapped: testapi h:1: post /y: cannot decode response: bad (near "near")`
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
	if !errors.Is(err, inner) {
		t.Error("errors.Is(err, inner) = false")
	}
	var de *DecodeError[testService]
	if !errors.As(err, &de) || de.Path != "/y" {
		t.Errorf("errors.As = %v", de)
	}
	if got := (&DecodeError[testService]{Host: "h", Method: "GET", Path: "/z", Err: inner}).Error(); got != "testapi h: get /z: cannot decode response: bad" {
		t.Errorf("Error() without excerpt = %q", got)
	}
}

func TestExcerptRedacts(t *testing.T) {
	e := endpoint()
	pad := strings.Repeat("x", ExcerptBytes-5)
	tests := []struct {
		name       string
		body       string
		start, end int
		want       string
	}{
		{name: "whole", body: "a " + secret + " b cookieVALUE c", start: 0, end: 100, want: "a [redacted] b [redacted] c"},
		{name: "adjacent secrets form one run", body: secret + "cookieVALUE!", start: 0, end: 100, want: "[redacted]!"},
		{name: "cut at the start", body: "ab" + secret + "tail", start: 5, end: 100, want: "[redacted]tail"},
		{name: "cut at the end", body: pad + secret + " tail", start: 0, end: ExcerptBytes, want: pad + "[redacted]"},
		{name: "empty window", body: "abc", start: 3, end: 3, want: ""},
		{name: "invalid utf-8 and space", body: "  h\xffi \xe2\x82", start: 0, end: 100, want: "h\uFFFDi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := e.Excerpt([]byte(tt.body), tt.start, tt.end)
			if got != tt.want {
				t.Errorf("Excerpt = %q, want %q", got, tt.want)
			}
			if strings.Contains(got, secret[:4]) || strings.Contains(got, "cookieV") {
				t.Errorf("Excerpt %q leaks part of a secret", got)
			}
		})
	}
	if got := e.LongestSecret(); got < len(secret) {
		t.Errorf("LongestSecret() = %d, want at least %d", got, len(secret))
	}
	if got := (Endpoint[testService]{}).Excerpt([]byte("plain"), 0, 5); got != "plain" {
		t.Errorf("Excerpt without secrets = %q", got)
	}
}

// TestExcerptRedactsEncodedSecrets: a secret echoed by a server escaped
// once or twice, URL-encoded, HTML-escaped or in base64 never reaches the
// excerpt.
func TestExcerptRedactsEncodedSecrets(t *testing.T) {
	const pw = `P@ss"w0rd<&>\zzQ`
	e := Endpoint[testService]{Host: "h", Secrets: func() []string { return []string{pw} }}
	login, _ := json.Marshal(map[string]string{"user": "admin", "password": pw})
	echo, _ := json.Marshal(map[string]string{"error": "refused", "request": string(login)})
	bodies := []string{
		string(echo),
		"pw=" + url.QueryEscape(pw) + " path " + url.PathEscape(pw),
		"<p>" + html.EscapeString(pw) + "</p>",
		"Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(pw)),
	}
	for _, body := range bodies {
		got := e.Excerpt([]byte(body), 0, len(body))
		for _, part := range []string{"w0rd", "zzQ", "w0cmQ"} {
			if strings.Contains(got, part) {
				t.Errorf("Excerpt(%s) = %s: leaks %q", body, got, part)
			}
		}
	}
}

// TestExcerptRedactsSecretKeys: the values of secret-bearing JSON keys are
// hidden in an excerpt of a body that failed to decode, also when the
// excerpt's window cuts the value or the key lies before the window.
func TestExcerptRedactsSecretKeys(t *testing.T) {
	e := Endpoint[testService]{Host: "h"}
	body := `[{"id":"1.NE","hostName":"a","snmp":{"Community":"pub-LEAK1"},"adminPassword":"LEAK2","apiKey":"LEAK3",` +
		`"credentials":{"user":"u","passwd":"LEAK4","Token":"LEAK5"},"psk":"LEAK6","cookie":"LEAK7","key":"LEAK8","auth":"LEAK9","pw":"LEAKA","secret":"LEAKB"},{"id":oops}]`
	off := int64(strings.Index(body, "oops"))
	err := e.DecodeError("GET", "/appliance", "application/json", []byte(body), off, errors.New("invalid character"))
	var de *DecodeError[testService]
	if !errors.As(err, &de) || de.Excerpt == "" {
		t.Fatalf("DecodeError = %v, want an excerpt", err)
	}
	full := e.Excerpt([]byte(body), 0, len(body))
	for _, s := range []string{de.Excerpt, full, err.Error()} {
		if strings.Contains(s, "LEAK") {
			t.Errorf("excerpt %s leaks a secret value", s)
		}
	}
	if !strings.Contains(full, `"hostName":"a"`) || !strings.Contains(full, `"user":"u"`) {
		t.Errorf("excerpt %s hides more than the secret values", full)
	}
	// A window that starts inside the value of a secret key.
	i := strings.Index(body, "LEAK2") + 2
	if got := e.Excerpt([]byte(body), i, i+40); strings.Contains(got, "AK2") {
		t.Errorf("Excerpt cut inside a value = %s, leaks its end", got)
	}
	// A body cut inside the value of a secret key.
	cut := body[:strings.Index(body, "LEAK6")+3]
	if got := e.Excerpt([]byte(cut), 0, len(cut)); strings.Contains(got, "LEA") {
		t.Errorf("Excerpt of a cut body = %s, leaks the start of a value", got)
	}
}

// TestCheckStatusHasNoExcerpt: the error for a refused login carries the
// status, never the body (which may echo the credentials).
func TestCheckStatusHasNoExcerpt(t *testing.T) {
	e := endpoint()
	resp := &http.Response{StatusCode: http.StatusUnauthorized, Header: http.Header{},
		Body: io.NopCloser(strings.NewReader(`{"user":"admin","password":"anything at all"}`))}
	err := e.CheckStatus("POST", "/login", resp)
	var ae *APIError[testService]
	if !errors.As(err, &ae) || ae.StatusCode != 401 || ae.Body != "" {
		t.Fatalf("CheckStatus = %#v, want an APIError with status 401 and no body", err)
	}
	if want := "testapi 127.0.0.1:443: post /login: status 401 unauthorized"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
	ok := &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(""))}
	if err := e.CheckStatus("POST", "/login", ok); err != nil {
		t.Errorf("CheckStatus(200) = %v, want nil", err)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := map[string]time.Duration{
		"":     0,
		"7":    7 * time.Second,
		" 3 ":  3 * time.Second,
		"0":    0,
		"-2":   0,
		"soon": 0,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       0,
	}
	for v, want := range tests {
		if got := RetryAfter(v, now); got != want {
			t.Errorf("RetryAfter(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestIsJSON(t *testing.T) {
	for ct, want := range map[string]bool{
		"": true, "application/json": true, "application/json; charset=utf-8": true,
		"text/json": true, "text/plain": true, "application/problem+json": true,
		"text/html": false, "application/xml": false, "bogus;;": false,
	} {
		if got := IsJSON(ct); got != want {
			t.Errorf("IsJSON(%q) = %v, want %v", ct, got, want)
		}
	}
}

func TestUnmarshal(t *testing.T) {
	var v struct {
		A struct {
			B int `json:"b"`
		} `json:"a"`
		L []string `json:"l"`
	}
	tests := []struct {
		in, want string
		off      int64
	}{
		{in: `{"a":{"b":"x"}}`, want: "key a.b: got string, want an integer", off: 10},
		{in: `{"a":{"b":1.5}}`, want: "key a.b: got number, want an integer", off: 10},
		{in: `{"l":{}}`, want: "key l: got object, want an array", off: 5},
		{in: `[1]`, want: "answer: got array, want an object", off: 0},
		{in: `{"a":`, want: "unexpected end of JSON input in key a at byte 5", off: 5},
		{in: `{"a" 1}`, want: "invalid character '1' after object name (expecting ':') in key a at byte 5", off: 5},
	}
	for _, tt := range tests {
		err := Unmarshal([]byte(tt.in), &v)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Unmarshal(%s) = %v, want %q", tt.in, err, tt.want)
			continue
		}
		if got := ErrorOffset(err); got != tt.off {
			t.Errorf("ErrorOffset(%v) = %d, want %d", err, got, tt.off)
		}
	}
	if got := ErrorOffset(errors.New("other")); got != -1 {
		t.Errorf("ErrorOffset(other) = %d, want -1", got)
	}
	var se *jsonv2.SemanticError
	if err := Unmarshal([]byte(`{"a":{"b":true}}`), &v); !errors.As(err, &se) {
		t.Errorf("Unmarshal type error %v does not unwrap to *jsonv2.SemanticError", err)
	}
	if err := Unmarshal([]byte(`{"l":["x"]}`), &v); err != nil || v.L[0] != "x" {
		t.Errorf("Unmarshal = %v, %v", err, v.L)
	}
}

// An answer decoded without error costs the rewording of errors nothing.
func TestDecodeErrorOfNoErrorAllocatesNothing(t *testing.T) {
	if err := decodeError(nil); err != nil {
		t.Fatalf("decodeError(nil) = %v, want nil", err)
	}
	if a := testing.AllocsPerRun(100, func() { _ = decodeError(nil) }); a != 0 {
		t.Errorf("decodeError(nil): %v allocations, want 0", a)
	}
}

func TestTLSConfig(t *testing.T) {
	if _, err := TLSConfig(true, "x.pem"); err == nil || !strings.Contains(err.Error(), "mutually exclusive") {
		t.Errorf("TLSConfig(insecure, ca) error = %v", err)
	}
	tc, err := TLSConfig(true, "")
	if err != nil || !tc.InsecureSkipVerify || tc.MinVersion != tls.VersionTLS12 {
		t.Errorf("TLSConfig(insecure) = %+v, %v", tc, err)
	}
	dir := t.TempDir()
	if _, err := TLSConfig(false, filepath.Join(dir, "missing.pem")); err == nil || !strings.HasPrefix(err.Error(), "read ca file: ") {
		t.Errorf("TLSConfig(missing) error = %v", err)
	}
	bad := filepath.Join(dir, "bad.pem")
	if err := os.WriteFile(bad, []byte("not pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := TLSConfig(false, bad); err == nil || !strings.Contains(err.Error(), "holds no pem certificate") {
		t.Errorf("TLSConfig(bad) error = %v", err)
	}
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	good := filepath.Join(dir, "good.pem")
	if err := os.WriteFile(good, certPEM(srv), 0o600); err != nil {
		t.Fatal(err)
	}
	if tc, err := TLSConfig(false, good); err != nil || tc.RootCAs == nil {
		t.Errorf("TLSConfig(good) = %v, %v", tc, err)
	}
}

func TestNewTransport(t *testing.T) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	tr := NewTransport(tc, Pool{MaxIdleConns: 8, MaxIdleConnsPerHost: 3, IdleConnTimeout: 15 * time.Second})
	if tr.TLSClientConfig != tc || tr.MaxIdleConns != 8 || tr.MaxIdleConnsPerHost != 3 || tr.IdleConnTimeout != 15*time.Second || tr.Proxy != nil || !tr.ForceAttemptHTTP2 {
		t.Errorf("NewTransport = %+v", tr)
	}
}

func TestCmpOr(t *testing.T) {
	if CmpOr(0, 5) != 5 || CmpOr(3, 5) != 3 || CmpOr("", "d") != "d" {
		t.Error("CmpOr")
	}
}

func TestSessionJar(t *testing.T) {
	j := NewSessionJar()
	u, _ := url.Parse("https://127.0.0.1/rest/")
	j.SetCookies(u, []*http.Cookie{{Name: "a", Value: "b"}})
	if len(j.Cookies(u)) != 1 {
		t.Fatalf("Cookies = %v", j.Cookies(u))
	}
	j.Reset()
	if len(j.Cookies(u)) != 0 {
		t.Errorf("Cookies after Reset = %v", j.Cookies(u))
	}
}

// TestExchange runs Send, CheckResponse, ReadBody and DecodeJSON against a
// loopback server.
func TestExchange(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"n":1}`)
	})
	mux.HandleFunc("/html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html>"+secret+"</html>")
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, strings.Repeat(" ", 100))
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3")
		w.WriteHeader(503)
		fmt.Fprint(w, "busy "+secret+" "+strings.Repeat("y", 2*ExcerptBytes))
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ok", http.StatusFound)
	})
	mux.HandleFunc("/agent", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"n":%d}`, len(r.UserAgent()))
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	rc := NewResty(http.DefaultTransport, NewSessionJar(), "test-agent")
	e := endpoint()
	ctx := context.Background()
	parse := func(b []byte) (int, error) {
		var v struct{ N int }
		err := Unmarshal(b, &v)
		return v.N, err
	}
	get := func(path string, max int64) (int, error) {
		fl, err := e.Send(ctx, rc.R(), "GET", path, srv.URL+path, 5*time.Second)
		if err != nil {
			return 0, err
		}
		defer fl.Done()
		defer fl.Resp.Body.Close()
		if err := e.CheckResponse("GET", path, fl.Resp); err != nil {
			return 0, err
		}
		return DecodeJSON(ctx, e, "GET", path, fl, max, 5*time.Second, parse)
	}

	if n, err := get("/ok", 100); err != nil || n != 1 {
		t.Errorf("get /ok = %d, %v", n, err)
	}
	_, err := get("/html", 100)
	var de *DecodeError[testService]
	if !errors.As(err, &de) || de.ContentType != "text/html" || de.Excerpt != "<html>[redacted]</html>" {
		t.Errorf("get /html error = %v", err)
	}
	if _, err := get("/big", 10); !errors.Is(err, errTooLarge) || !strings.HasPrefix(err.Error(), "testapi 127.0.0.1:443: get /big: ") {
		t.Errorf("get /big error = %v", err)
	}
	if n, err := get("/agent", 100); err != nil || n != len("test-agent") {
		t.Errorf("get /agent = %d, %v", n, err)
	}
	var ae *APIError[testService]
	_, err = get("/redirect", 100)
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusFound {
		t.Errorf("get /redirect error = %v, want a 302 *APIError", err)
	}
	_, err = get("/fail", 100)
	if !errors.As(err, &ae) || ae.StatusCode != 503 || ae.RetryAfter != 3*time.Second || !strings.HasPrefix(ae.Body, "busy [redacted] yyy") || len(ae.Body) > ExcerptBytes {
		t.Errorf("get /fail error = %v", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error %q leaks the secret", err)
	}

	// The request's own deadline.
	_, err = e.Send(ctx, rc.R(), "GET", "/slow", srv.URL+"/slow?key="+secret, 50*time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no complete answer within 50ms") || strings.Contains(err.Error(), secret) {
		t.Errorf("slow error = %v", err)
	}
	// The caller's context.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := e.Send(cctx, rc.R(), "GET", "/ok", srv.URL+"/ok", time.Second); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled error = %v", err)
	}
	// A refused connection names the cause without the URL.
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	_, err = e.Send(ctx, rc.R(), "GET", "/ok", deadURL+"/ok?key="+secret, time.Second)
	if err == nil || strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), deadURL) {
		t.Errorf("refused error = %v", err)
	}
}

// TestDrainClose checks that the body is closed.
func TestDrainClose(t *testing.T) {
	b := &closeRecorder{Reader: strings.NewReader(strings.Repeat("z", 10))}
	DrainClose(b)
	if !b.closed {
		t.Error("body not closed")
	}
}

type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

func certPEM(srv *httptest.Server) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}
