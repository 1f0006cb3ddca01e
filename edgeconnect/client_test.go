package edgeconnect

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Test credentials and session values. They are distinctive so a leak into
// an error message is easy to spot.
const (
	testUser     = "monitor"
	testPassword = "pw-Q7xZ-3k9J"
	sessPrefix   = "sess-V8mq2T-"
	csrfPrefix   = "csrf-K4wp9R-"
)

// fixture is a fake appliance: an HTTPS server whose mux serves below
// /rest/json, with a login handler that counts calls and hands out
// numbered sessions.
type fixture struct {
	t      *testing.T
	srv    *httptest.Server
	mux    *http.ServeMux // handlers see paths below /rest/json
	client *Client

	logins atomic.Int32
	mu     sync.Mutex
	login  http.HandlerFunc // replaces the default login when set before use
}

// session returns the cookie values of login number n (1-based).
func session(n int32) (sess, csrf string) {
	return fmt.Sprintf("%s%d", sessPrefix, n), fmt.Sprintf("%s%d", csrfPrefix, n)
}

// setup starts a fake appliance and a client for it. mod may adjust the
// client options before New.
func setup(t *testing.T, mod ...func(*Options)) *fixture {
	t.Helper()
	f := &fixture{t: t, mux: http.NewServeMux()}
	top := http.NewServeMux()
	top.Handle(basePath+"/", http.StripPrefix(basePath, f.mux))
	top.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request outside %s: %s %s", basePath, r.Method, r.URL.Path)
		http.Error(w, "outside base path", http.StatusBadRequest)
	})
	f.mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		h := f.login
		f.mu.Unlock()
		if h != nil {
			f.logins.Add(1)
			h(w, r)
			return
		}
		f.defaultLogin(w, r)
	})
	f.srv = httptest.NewUnstartedServer(top)
	f.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake failures are expected in TLS tests
	f.srv.StartTLS()
	t.Cleanup(f.srv.Close)

	o := Options{
		Address:   f.srv.Listener.Addr().String(),
		User:      testUser,
		Password:  testPassword,
		Transport: f.srv.Client().Transport,
		Timeout:   5 * time.Second,
	}
	for _, m := range mod {
		m(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatalf("New(%+v) error = %v", o, err)
	}
	f.client = c
	return f
}

func (f *fixture) setLogin(h http.HandlerFunc) {
	f.mu.Lock()
	f.login = h
	f.mu.Unlock()
}

// defaultLogin checks the login request and sets both session cookies.
func (f *fixture) defaultLogin(w http.ResponseWriter, r *http.Request) {
	n := f.logins.Add(1)
	testMethod(f.t, r, http.MethodPost)
	testQuery(f.t, r, source)
	testHeader(f.t, r, "Content-Type", "application/json")
	if got := r.Header.Get(headerCSRF); got != "" {
		f.t.Errorf("login sent %s %q, want none", headerCSRF, got)
	}
	if len(r.Cookies()) != 0 {
		f.t.Errorf("login sent %d cookies, want none", len(r.Cookies()))
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		f.t.Errorf("login body: %v", err)
	}
	want := map[string]any{"user": testUser, "password": testPassword}
	if fmt.Sprint(body) != fmt.Sprint(want) {
		f.t.Errorf("login body = %v, want %v", body, want)
	}
	sess, csrf := session(n)
	http.SetCookie(w, &http.Cookie{Name: cookieSession, Value: sess, Path: "/", Secure: true, HttpOnly: true})
	http.SetCookie(w, &http.Cookie{Name: cookieCSRF, Value: csrf, Path: "/", Secure: true})
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"status":"ok"}`)
}

// requireSession checks that r carries the cookies and CSRF header of the
// latest login.
func (f *fixture) requireSession(r *http.Request) {
	f.t.Helper()
	sess, csrf := session(f.logins.Load())
	if got := r.Header.Get(headerCSRF); got != csrf {
		f.t.Errorf("%s %s: %s = %q, want %q", r.Method, r.URL.Path, headerCSRF, got, csrf)
	}
	for name, want := range map[string]string{cookieSession: sess, cookieCSRF: csrf} {
		ck, err := r.Cookie(name)
		if err != nil || ck.Value != want {
			f.t.Errorf("%s %s: cookie %s = %v, want %q", r.Method, r.URL.Path, name, ck, want)
		}
	}
}

// sessionValid reports whether r carries the latest session.
func (f *fixture) sessionValid(r *http.Request) bool {
	sess, csrf := session(f.logins.Load())
	ck, err := r.Cookie(cookieSession)
	return err == nil && ck.Value == sess && r.Header.Get(headerCSRF) == csrf
}

// handleJSON serves body as JSON on GET path after checking the session and
// the exact raw query.
func (f *fixture) handleJSON(path, rawQuery, body string) {
	f.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		testMethod(f.t, r, http.MethodGet)
		testQuery(f.t, r, rawQuery)
		f.requireSession(r)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, body)
	})
}

func testMethod(t *testing.T, r *http.Request, want string) {
	t.Helper()
	if r.Method != want {
		t.Errorf("request method = %s, want %s", r.Method, want)
	}
}

// testQuery checks the raw query, so parameter order (source last) counts.
func testQuery(t *testing.T, r *http.Request, want string) {
	t.Helper()
	if r.URL.RawQuery != want {
		t.Errorf("%s query = %q, want %q", r.URL.Path, r.URL.RawQuery, want)
	}
}

func testHeader(t *testing.T, r *http.Request, name, want string) {
	t.Helper()
	if got := r.Header.Get(name); got != want {
		t.Errorf("%s header %s = %q, want %q", r.URL.Path, name, got, want)
	}
}

func TestParseAddress(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "10.1.1.1", want: "10.1.1.1:443"},
		{in: " 10.1.1.1 ", want: "10.1.1.1:443"},
		{in: "10.1.1.1:8443", want: "10.1.1.1:8443"},
		{in: "ec1.example.net", want: "ec1.example.net:443"},
		{in: "ec1.example.net:9443", want: "ec1.example.net:9443"},
		{in: "2001:db8::1", want: "[2001:db8::1]:443"},
		{in: "[2001:db8::1]", want: "[2001:db8::1]:443"},
		{in: "[2001:db8::1]:8443", want: "[2001:db8::1]:8443"},
		{in: "fe80::1%eth0", want: "[fe80::1%eth0]:443"},
		{in: "https://10.1.1.1", want: "10.1.1.1:443"},
		{in: "https://10.1.1.1:8443/", want: "10.1.1.1:8443"},
		{in: "https://[2001:db8::1]:8443/rest/json", want: "[2001:db8::1]:8443"},
		{in: "", wantErr: true},
		{in: "http://10.1.1.1", wantErr: true},
		{in: "https://admin:pw@10.1.1.1", wantErr: true},
		{in: "https://10.1.1.1/other", wantErr: true},
		{in: "https://10.1.1.1/?x=1", wantErr: true},
		{in: "10.1.1.1:0", wantErr: true},
		{in: "10.1.1.1:70000", wantErr: true},
		{in: "10.1.1.1:https", wantErr: true},
		{in: "2001:db8::zz", wantErr: true},
		{in: "[2001:db8::1", wantErr: true},
		{in: "host/path", wantErr: true},
		{in: ":443", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseAddress(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseAddress(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("parseAddress(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNewBaseURL(t *testing.T) {
	tests := []struct {
		addr string
		want string
	}{
		{addr: "10.1.1.1", want: "https://10.1.1.1:443/rest/json"},
		{addr: "2001:db8::1", want: "https://[2001:db8::1]:443/rest/json"},
		{addr: "fe80::1%eth0", want: "https://[fe80::1%25eth0]:443/rest/json"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			c, err := New(Options{Address: tt.addr, User: "u"})
			if err != nil {
				t.Fatalf("New(%q) error = %v", tt.addr, err)
			}
			if c.base != tt.want {
				t.Errorf("New(%q).base = %q, want %q", tt.addr, c.base, tt.want)
			}
		})
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		o    Options
	}{
		{name: "no address", o: Options{User: "u"}},
		{name: "no user", o: Options{Address: "10.1.1.1"}},
		{name: "missing ca file", o: Options{Address: "10.1.1.1", User: "u", CAFile: filepath.Join(dir, "absent.pem")}},
		{name: "ca file without pem", o: Options{Address: "10.1.1.1", User: "u", CAFile: notPEM}},
		{name: "insecure and ca file", o: Options{Address: "10.1.1.1", User: "u", InsecureSkipVerify: true, CAFile: notPEM}},
		{name: "transport and tls", o: Options{Address: "10.1.1.1", User: "u", InsecureSkipVerify: true, Transport: http.DefaultTransport}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if c, err := New(tt.o); err == nil {
				t.Errorf("New(%+v) = %v, want an error", tt.o, c)
			}
		})
	}
	if _, err := NewTransport(TransportOptions{CAFile: notPEM}); err == nil {
		t.Error("NewTransport with a non-PEM CA file succeeded, want an error")
	}
}

// writeCA stores the server's certificate as a PEM file.
func writeCA(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ca.pem")
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTLSVerification(t *testing.T) {
	f := setup(t)
	f.handleJSON("/memory", source, memoryJSON)
	ca := writeCA(t, f.srv)

	tests := []struct {
		name     string
		o        Options
		wantCert bool // want a certificate verification error
	}{
		{name: "system roots reject self-signed", o: Options{}, wantCert: true},
		{name: "ca file trusts the server", o: Options{CAFile: ca}},
		{name: "insecure skip verify", o: Options{InsecureSkipVerify: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o
			o.Address, o.User, o.Password = f.srv.Listener.Addr().String(), testUser, testPassword
			c, err := New(o)
			if err != nil {
				t.Fatalf("New error = %v", err)
			}
			_, err = c.Memory(t.Context())
			var cv *tls.CertificateVerificationError
			if got := errors.As(err, &cv); got != tt.wantCert {
				t.Fatalf("Memory() error = %v, want certificate error %v", err, tt.wantCert)
			}
			if !tt.wantCert && err != nil {
				t.Fatalf("Memory() error = %v", err)
			}
		})
	}

	t.Run("shared transport from NewTransport", func(t *testing.T) {
		tr, err := NewTransport(TransportOptions{CAFile: ca})
		if err != nil {
			t.Fatalf("NewTransport error = %v", err)
		}
		t.Cleanup(tr.CloseIdleConnections)
		for i := range 3 {
			c, err := New(Options{Address: f.srv.Listener.Addr().String(), User: testUser, Password: testPassword, Transport: tr})
			if err != nil {
				t.Fatalf("New error = %v", err)
			}
			if _, err := c.Memory(t.Context()); err != nil {
				t.Fatalf("client %d: Memory() error = %v", i, err)
			}
		}
	})
}

func TestServerErrors(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		header    map[string]string
		wantIs    error
		retryable bool
		wantRA    time.Duration
	}{
		{name: "500", status: 500, body: "internal failure", retryable: true},
		{name: "503 with retry-after", status: 503, body: "busy", header: map[string]string{"Retry-After": "7"}, retryable: true, wantRA: 7 * time.Second},
		{name: "429", status: 429, retryable: true},
		{name: "404", status: 404, body: `{"error":"no such file"}`, wantIs: ErrNotFound},
		{name: "403", status: 403, body: "admin role required", wantIs: ErrUnauthorized},
		{name: "400", status: 400, body: "bad"},
		{name: "302 not followed", status: 302, header: map[string]string{"Location": "https://127.0.0.1:1/elsewhere"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			f.mux.HandleFunc("/memory", func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			})
			_, err := f.client.Memory(t.Context())
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("Memory() error = %v (%T), want *APIError", err, err)
			}
			want := APIError{Host: f.client.Address(), Method: "GET", Path: "/memory", StatusCode: tt.status, Body: tt.body, RetryAfter: tt.wantRA}
			if *ae != want {
				t.Errorf("Memory() APIError = %+v, want %+v", *ae, want)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("errors.Is(%v, %v) = false, want true", err, tt.wantIs)
			}
			if got := ae.Retryable(); got != tt.retryable {
				t.Errorf("Retryable() = %v, want %v", got, tt.retryable)
			}
			wantPrefix := fmt.Sprintf("edgeconnect %s: get /memory: status %d", f.client.Address(), tt.status)
			if !strings.HasPrefix(err.Error(), wantPrefix) {
				t.Errorf("error %q, want prefix %q", err, wantPrefix)
			}
		})
	}
}

func TestErrorBodyExcerptIsBounded(t *testing.T) {
	f := setup(t)
	f.mux.HandleFunc("/memory", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		fmt.Fprint(w, strings.Repeat("x", 10_000))
	})
	_, err := f.client.Memory(t.Context())
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("Memory() error = %v, want *APIError", err)
	}
	if len(ae.Body) != excerptBytes {
		t.Errorf("len(APIError.Body) = %d, want %d", len(ae.Body), excerptBytes)
	}
}

func TestDecodeFailures(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		wantInErr   string
	}{
		{name: "html from a proxy", contentType: "text/html; charset=utf-8", body: "<html>login</html>", wantInErr: `content type "text/html; charset=utf-8" is not json`},
		{name: "xml", contentType: "application/xml", body: `<total>1</total>`, wantInErr: `content type "application/xml" is not json`},
		{name: "plain text is parsed", contentType: "text/plain; charset=utf-8", body: `{"total":1}`, wantInErr: "missing or null keys: free"},
		{name: "invalid json", contentType: "application/json", body: `{"total":`, wantInErr: "unexpected end of JSON input"},
		{name: "error object instead of data", contentType: "application/json", body: `{"error":"x"}`, wantInErr: "missing or null keys: total"},
		{name: "wrong type", contentType: "application/json", body: `{"total":"many"}`, wantInErr: "key total: got non-numeric string, want an integer"},
		{name: "empty 200", contentType: "application/json", body: ``, wantInErr: "unexpected end of JSON input"},
		{name: "trailing garbage", contentType: "application/json", body: memoryJSON + `x`, wantInErr: "invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			f.mux.HandleFunc("/memory", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				fmt.Fprint(w, tt.body)
			})
			_, err := f.client.Memory(t.Context())
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("Memory() error = %v (%T), want *DecodeError", err, err)
			}
			if de.Path != "/memory" || de.Host != f.client.Address() || de.ContentType != tt.contentType {
				t.Errorf("DecodeError = %+v, want path /memory, host %s, content type %q", de, f.client.Address(), tt.contentType)
			}
			if !strings.Contains(err.Error(), tt.wantInErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantInErr)
			}
		})
	}
}

func TestJSONContentTypes(t *testing.T) {
	tests := []struct {
		ct   string
		want bool
	}{
		{"application/json", true},
		{"application/json; charset=UTF-8", true},
		{"Application/JSON", true},
		{"application/vnd.ecos+json", true},
		{"text/json", true},
		{"", true},
		{"text/html", false},
		{"text/plain; charset=utf-8", true},
		{"application/xml", false},
		{"application/octet-stream", false},
		{"garbage;;", false},
	}
	for _, tt := range tests {
		if got := isJSON(tt.ct); got != tt.want {
			t.Errorf("isJSON(%q) = %v, want %v", tt.ct, got, tt.want)
		}
	}
}

func TestOversizeBody(t *testing.T) {
	big := `{"total":1,"free":1,"buffers":1,"cached":1,"used":1,"swapTotal":1,"swapFree":1,"swapUsed":1,"pad":"` + strings.Repeat("p", 4096) + `"}`
	tests := []struct {
		name    string
		chunked bool
	}{
		{name: "content length"},
		{name: "chunked", chunked: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, func(o *Options) { o.MaxResponseBytes = 1024 })
			f.mux.HandleFunc("/memory", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if !tt.chunked {
					w.Header().Set("Content-Length", fmt.Sprint(len(big)))
				}
				fmt.Fprint(w, big)
				if tt.chunked {
					w.(http.Flusher).Flush()
				}
			})
			_, err := f.client.Memory(t.Context())
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("Memory() error = %v, want ErrTooLarge", err)
			}
		})
	}
}

func TestTruncatedBody(t *testing.T) {
	f := setup(t)
	f.mux.HandleFunc("/memory", func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		defer conn.Close()
		fmt.Fprint(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"total\": 39")
		buf.Flush()
	})
	_, err := f.client.Memory(t.Context())
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("Memory() error = %v, want io.ErrUnexpectedEOF", err)
	}
	want := fmt.Sprintf("edgeconnect %s: get /memory: read body:", f.client.Address())
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q, want prefix %q", err, want)
	}
}

// blockingHandler blocks until the client goes away or the test ends, and
// closes arrived (once) when the request is in.
func blockingHandler(t *testing.T, arrived chan<- struct{}) http.HandlerFunc {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // runs before the server's Close
	var once sync.Once
	return func(w http.ResponseWriter, r *http.Request) {
		if arrived != nil {
			once.Do(func() { close(arrived) })
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}
}

func TestTimeout(t *testing.T) {
	const timeout = 200 * time.Millisecond
	f := setup(t, func(o *Options) { o.Timeout = timeout })
	f.mux.HandleFunc("/memory", blockingHandler(t, nil))
	start := time.Now()
	_, err := f.client.Memory(t.Context())
	elapsed := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Memory() error = %v, want context.DeadlineExceeded", err)
	}
	if elapsed > timeout+3*time.Second {
		t.Errorf("Memory() returned after %v, want about %v", elapsed, timeout)
	}
	if !strings.Contains(err.Error(), "no complete answer within 200ms") {
		t.Errorf("error %q does not name the timeout", err)
	}
}

func TestTimeoutWhileReadingBody(t *testing.T) {
	const timeout = 200 * time.Millisecond
	f := setup(t, func(o *Options) { o.Timeout = timeout })
	block := blockingHandler(t, nil)
	f.mux.HandleFunc("/memory", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"total": 1,`)
		w.(http.Flusher).Flush()
		block(w, r)
	})
	_, err := f.client.Memory(t.Context())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Memory() error = %v, want context.DeadlineExceeded", err)
	}
}

func TestContextCancel(t *testing.T) {
	f := setup(t)
	arrived := make(chan struct{})
	f.mux.HandleFunc("/memory", blockingHandler(t, arrived))
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-arrived
		cancel()
	}()
	_, err := f.client.Memory(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Memory() error = %v, want context.Canceled", err)
	}

	// An already cancelled context sends nothing.
	before := f.logins.Load()
	if _, err := f.client.Memory(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Memory(cancelled) error = %v, want context.Canceled", err)
	}
	if got := f.logins.Load(); got != before {
		t.Errorf("logins after a cancelled call = %d, want %d", got, before)
	}
}

// closedPort returns a loopback address nobody listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestConnectionRefused(t *testing.T) {
	addr := closedPort(t)
	c, err := New(Options{Address: addr, User: testUser, Password: testPassword, InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Memory(t.Context())
	var oe *net.OpError
	if !errors.As(err, &oe) {
		t.Fatalf("Memory() error = %v (%T), want a *net.OpError", err, err)
	}
	want := fmt.Sprintf("edgeconnect %s: post /login:", addr)
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q, want prefix %q", err, want)
	}
}

func TestUserAgentAndAccept(t *testing.T) {
	f := setup(t, func(o *Options) { o.UserAgent = "ec-telemetry-test/1" })
	f.mux.HandleFunc("/memory", func(w http.ResponseWriter, r *http.Request) {
		testHeader(t, r, "User-Agent", "ec-telemetry-test/1")
		testHeader(t, r, "Accept", "application/json")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, memoryJSON)
	})
	if _, err := f.client.Memory(t.Context()); err != nil {
		t.Fatalf("Memory() error = %v", err)
	}
}

// secretFragment returns the first piece of secret, 5 bytes or longer, that
// occurs in msg, or "".
func secretFragment(msg, secret string) string {
	const minFrag = 5
	for i := 0; i+minFrag <= len(secret); i++ {
		if frag := secret[i : i+minFrag]; strings.Contains(msg, frag) {
			return frag
		}
	}
	return ""
}

func TestExcerptHidesCutSecrets(t *testing.T) {
	c, err := New(Options{Address: "127.0.0.1", User: testUser, Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	pad := strings.Repeat("x", excerptBytes-5)
	tests := []struct {
		name       string
		body       string
		start, end int
		want       string
	}{
		{name: "whole", body: "a " + testPassword + " b", start: 0, end: 100, want: "a [redacted] b"},
		{name: "cut at the end", body: pad + testPassword + " tail", start: 0, end: excerptBytes, want: pad + "[redacted]"},
		{name: "cut at the start", body: testPassword + " tail", start: 4, end: 100, want: "[redacted] tail"},
		{name: "adjacent occurrences", body: testPassword + testPassword + "!", start: 0, end: 100, want: "[redacted]!"},
		{name: "no secret", body: "plain", start: 0, end: 100, want: "plain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.excerpt([]byte(tt.body), tt.start, tt.end); got != tt.want {
				t.Errorf("excerpt(%q, %d, %d) = %q, want %q", tt.body, tt.start, tt.end, got, tt.want)
			}
		})
	}
}

// TestNoSecretsInErrors drives every error path with a server that echoes
// the password, the session cookie and the CSRF token back, and checks that
// none of them reaches an error message.
func TestNoSecretsInErrors(t *testing.T) {
	sess, csrf := session(1)
	echo := fmt.Sprintf("password=%s cookie=%s token=%s", testPassword, sess, csrf)
	loginOK := func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: cookieSession, Value: sess, Path: "/"})
		http.SetCookie(w, &http.Cookie{Name: cookieCSRF, Value: csrf, Path: "/"})
	}
	tests := []struct {
		name  string
		login http.HandlerFunc
		mem   http.HandlerFunc
		opts  func(*Options)
		call  func(*Client) error
	}{
		{name: "login 401 echoing", login: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(401)
			b, _ := io.ReadAll(r.Body)
			w.Write(b)
		}},
		{name: "login 200 without cookies echoing", login: func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			w.Write(b)
		}},
		{name: "500 echoing", mem: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(500)
			fmt.Fprint(w, echo)
		}},
		{name: "401 twice echoing", mem: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(401)
			fmt.Fprint(w, echo, r.Header)
		}},
		{name: "403 echoing", mem: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(403)
			fmt.Fprint(w, echo)
		}},
		{name: "decode error echoing", mem: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"total": %q}`, echo)
		}},
		{name: "missing keys echoing", mem: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"note": %q`, echo)
		}},
		{name: "html echoing", mem: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<p>", echo, "</p>")
		}},
		{name: "oversize", opts: func(o *Options) { o.MaxResponseBytes = 10 }, mem: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, memoryJSON)
		}},
		{name: "timeout", opts: func(o *Options) { o.Timeout = 100 * time.Millisecond }, mem: blockingHandler(t, nil)},
		{name: "archive not gzip echoing", call: func(c *Client) error {
			_, err := c.MinuteStats(t.Context(), 1736503200)
			return err
		}},
		{name: "archive 404", call: func(c *Client) error {
			_, err := c.MinuteStats(t.Context(), 60)
			return err
		}},
		{name: "archive too large", opts: func(o *Options) { o.MaxArchiveBytes = 4 }, call: func(c *Client) error {
			_, err := c.MinuteStats(t.Context(), 120)
			return err
		}},
		{name: "logout fails echoing", call: func(c *Client) error {
			if err := c.Login(t.Context()); err != nil {
				return err
			}
			return c.Logout(t.Context())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := []func(*Options){}
			if tt.opts != nil {
				opts = append(opts, tt.opts)
			}
			f := setup(t, opts...)
			f.setLogin(loginOK)
			if tt.login != nil {
				f.setLogin(tt.login)
			}
			if tt.mem != nil {
				f.mux.HandleFunc("/memory", tt.mem)
			}
			f.mux.HandleFunc("/stats/minuteStats/", func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/stats/minuteStats/st2-60.tgz":
					w.WriteHeader(404)
				case "/stats/minuteStats/st2-120.tgz":
					w.Write(append([]byte{0x1f, 0x8b}, echo...))
					return
				}
				fmt.Fprint(w, echo)
			})
			f.mux.HandleFunc("/logout", func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(500)
				fmt.Fprint(w, echo)
			})
			call := tt.call
			if call == nil {
				call = func(c *Client) error {
					_, err := c.Memory(t.Context())
					return err
				}
			}
			err := call(f.client)
			if tt.name == "archive too large" && err == nil {
				// The limit is enforced while reading.
				rc, _ := f.client.MinuteStats(t.Context(), 120)
				_, err = io.ReadAll(rc)
				rc.Close()
			}
			if err == nil {
				t.Fatal("call succeeded, want an error")
			}
			msg := err.Error()
			for _, secret := range []string{testPassword, sess, csrf} {
				if frag := secretFragment(msg, secret); frag != "" {
					t.Errorf("error %q contains %q of secret %q", msg, frag, secret)
				}
			}
			if !strings.HasPrefix(msg, "edgeconnect "+f.client.Address()+": ") {
				t.Errorf("error %q does not start with the appliance", msg)
			}
		})
	}
}
