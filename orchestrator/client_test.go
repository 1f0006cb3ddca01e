package orchestrator

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
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Test credentials; distinctive so a leak is easy to spot.
const (
	testAPIKey   = "key-Z9q4Lm2Wx"
	testUser     = "admin"
	testPassword = "pw-H3vN8-rT2"
	sessPrefix   = "jsess-Y6bc1D-"
	csrfPrefix   = "ocsrf-P2xk7Q-"
)

func session(n int32) (sess, csrf string) {
	return fmt.Sprintf("%s%d", sessPrefix, n), fmt.Sprintf("%s%d", csrfPrefix, n)
}

// fixture is a fake Orchestrator whose mux serves below /gms/rest.
type fixture struct {
	t      *testing.T
	srv    *httptest.Server
	mux    *http.ServeMux
	client *Client
	logins atomic.Int32

	mu    sync.Mutex
	login http.HandlerFunc
}

// setup starts a fake Orchestrator and an API-key client for it; mod may
// change the options (e.g. to user/password).
func setup(t *testing.T, mod ...func(*Options)) *fixture {
	t.Helper()
	f := &fixture{t: t, mux: http.NewServeMux()}
	top := http.NewServeMux()
	top.Handle(basePath+"/", http.StripPrefix(basePath, f.mux))
	top.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request outside %s: %s %s", basePath, r.Method, r.URL.Path)
		http.Error(w, "outside base path", http.StatusBadRequest)
	})
	f.mux.HandleFunc("/authentication/login", func(w http.ResponseWriter, r *http.Request) {
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
	f.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	f.srv.StartTLS()
	t.Cleanup(f.srv.Close)
	o := Options{
		URL:       f.srv.Listener.Addr().String(),
		APIKey:    testAPIKey,
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

// withSession switches the client to user/password.
func withSession(o *Options) { o.APIKey, o.User, o.Password = "", testUser, testPassword }

func (f *fixture) setLogin(h http.HandlerFunc) {
	f.mu.Lock()
	f.login = h
	f.mu.Unlock()
}

func (f *fixture) defaultLogin(w http.ResponseWriter, r *http.Request) {
	n := f.logins.Add(1)
	testMethod(f.t, r, http.MethodPost)
	testQuery(f.t, r, source)
	testHeader(f.t, r, "Content-Type", "application/json")
	testHeader(f.t, r, headerAPIKey, "")
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		f.t.Errorf("login body: %v", err)
	}
	if body["user"] != testUser || body["password"] != testPassword || body["token"] != "" ||
		body["loginType"] != float64(f.client.loginType) || len(body) != 4 {
		f.t.Errorf("login body = %v, want user, password, an empty token and loginType %d", body, f.client.loginType)
	}
	sess, csrf := session(n)
	http.SetCookie(w, &http.Cookie{Name: "JSESSIONID", Value: sess, Path: "/", Secure: true, HttpOnly: true})
	http.SetCookie(w, &http.Cookie{Name: cookieCSRF, Value: csrf, Path: "/", Secure: true})
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{}`)
}

// checkAuth checks the credentials the client is configured with.
func (f *fixture) checkAuth(r *http.Request) {
	f.t.Helper()
	if f.client.apiKey != "" {
		testHeader(f.t, r, headerAPIKey, testAPIKey)
		if len(r.Cookies()) != 0 {
			f.t.Errorf("%s: %d cookies with API key auth, want none", r.URL.Path, len(r.Cookies()))
		}
		return
	}
	testHeader(f.t, r, headerAPIKey, "")
	sess, csrf := session(f.logins.Load())
	testHeader(f.t, r, headerCSRF, csrf)
	if ck, err := r.Cookie("JSESSIONID"); err != nil || ck.Value != sess {
		f.t.Errorf("%s: session cookie = %v, want %q", r.URL.Path, ck, sess)
	}
}

func (f *fixture) sessionValid(r *http.Request) bool {
	sess, csrf := session(f.logins.Load())
	ck, err := r.Cookie("JSESSIONID")
	return err == nil && ck.Value == sess && r.Header.Get(headerCSRF) == csrf
}

// handleJSON serves body as JSON on GET path after checking query and auth.
func (f *fixture) handleJSON(path, body string) {
	f.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		testMethod(f.t, r, http.MethodGet)
		testQuery(f.t, r, source)
		f.checkAuth(r)
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		fmt.Fprint(w, body)
	})
}

func testMethod(t *testing.T, r *http.Request, want string) {
	t.Helper()
	if r.Method != want {
		t.Errorf("request method = %s, want %s", r.Method, want)
	}
}

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

func TestParseURL(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "orch.example.net", want: "https://orch.example.net/gms/rest"},
		{in: "orch.example.net:8443", want: "https://orch.example.net:8443/gms/rest"},
		{in: "10.0.0.5", want: "https://10.0.0.5/gms/rest"},
		{in: "[2001:db8::5]:443", want: "https://[2001:db8::5]:443/gms/rest"},
		{in: "https://orch.example.net/", want: "https://orch.example.net/gms/rest"},
		{in: "https://orch.example.net/gms/rest", want: "https://orch.example.net/gms/rest"},
		{in: "https://proxy.example.net/orch/", want: "https://proxy.example.net/orch/gms/rest"},
		{in: "", wantErr: true},
		{in: "http://orch.example.net", wantErr: true},
		{in: "https://u:p@orch.example.net", wantErr: true},
		{in: "https://orch.example.net/?a=1", wantErr: true},
		{in: "https://orch.example.net:0", wantErr: true},
		{in: "https://:443", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			u, err := parseURL(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseURL(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if err == nil && u.String() != tt.want {
				t.Errorf("parseURL(%q) = %q, want %q", tt.in, u, tt.want)
			}
		})
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("nope"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		o    Options
	}{
		{name: "no url", o: Options{APIKey: testAPIKey}},
		{name: "no credentials", o: Options{URL: "orch"}},
		{name: "key and user", o: Options{URL: "orch", APIKey: testAPIKey, User: "u"}},
		{name: "password without user", o: Options{URL: "orch", Password: "p"}},
		{name: "missing ca file", o: Options{URL: "orch", APIKey: testAPIKey, CAFile: filepath.Join(dir, "absent.pem")}},
		{name: "ca file without pem", o: Options{URL: "orch", APIKey: testAPIKey, CAFile: notPEM}},
		{name: "insecure and ca file", o: Options{URL: "orch", APIKey: testAPIKey, InsecureSkipVerify: true, CAFile: notPEM}},
		{name: "transport and tls", o: Options{URL: "orch", APIKey: testAPIKey, CAFile: notPEM, Transport: http.DefaultTransport}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if c, err := New(tt.o); err == nil {
				t.Errorf("New(%+v) = %v, want an error", tt.o, c)
			} else if strings.Contains(err.Error(), testAPIKey) {
				t.Errorf("New error %q names the key", err)
			}
		})
	}
}

func TestTLSVerification(t *testing.T) {
	f := setup(t)
	f.handleJSON("/gmsserver/briefInfo", briefInfoJSON)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		o        Options
		wantCert bool
	}{
		{name: "system roots reject self-signed", wantCert: true},
		{name: "ca file trusts the server", o: Options{CAFile: ca}},
		{name: "insecure skip verify", o: Options{InsecureSkipVerify: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o
			o.URL, o.APIKey = "https://"+f.srv.Listener.Addr().String(), testAPIKey
			c, err := New(o)
			if err != nil {
				t.Fatalf("New error = %v", err)
			}
			_, err = c.BriefInfo(t.Context())
			var cv *tls.CertificateVerificationError
			if got := errors.As(err, &cv); got != tt.wantCert {
				t.Fatalf("BriefInfo() error = %v, want certificate error %v", err, tt.wantCert)
			}
			if !tt.wantCert && err != nil {
				t.Fatalf("BriefInfo() error = %v", err)
			}
		})
	}
}

func TestAPIKeyUnauthorizedIsFinal(t *testing.T) {
	for _, status := range []int{401, 403} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			f := setup(t)
			var calls atomic.Int32
			f.mux.HandleFunc("/appliance", func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				w.WriteHeader(status)
			})
			_, err := f.client.Appliances(t.Context())
			if !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("Appliances() error = %v, want ErrUnauthorized", err)
			}
			if calls.Load() != 1 || f.logins.Load() != 0 {
				t.Errorf("appliance calls = %d, logins = %d, want 1 and 0", calls.Load(), f.logins.Load())
			}
		})
	}
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
		{name: "500", status: 500, body: "boom", retryable: true},
		{name: "503 retry-after", status: 503, header: map[string]string{"Retry-After": "30"}, retryable: true, wantRA: 30 * time.Second},
		{name: "404", status: 404, body: "no such endpoint", wantIs: ErrNotFound},
		{name: "302 not followed", status: 302, header: map[string]string{"Location": "https://127.0.0.1:1/login"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			f.mux.HandleFunc("/appliance", func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			})
			_, err := f.client.Appliances(t.Context())
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("Appliances() error = %v (%T), want *APIError", err, err)
			}
			want := APIError{Host: f.client.Host(), Method: "GET", Path: "/appliance", StatusCode: tt.status, Body: tt.body, RetryAfter: tt.wantRA}
			if *ae != want {
				t.Errorf("APIError = %+v, want %+v", *ae, want)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.wantIs)
			}
			if ae.Retryable() != tt.retryable {
				t.Errorf("Retryable() = %v, want %v", ae.Retryable(), tt.retryable)
			}
			if prefix := fmt.Sprintf("orchestrator %s: get /appliance: status %d", f.client.Host(), tt.status); !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("error %q, want prefix %q", err, prefix)
			}
		})
	}
}

func TestDecodeFailures(t *testing.T) {
	tests := []struct {
		name      string
		ct        string
		body      string
		wantInErr string
	}{
		{name: "html", ct: "text/html", body: "<html>sso</html>", wantInErr: `content type "text/html" is not json`},
		{name: "invalid json", ct: "application/json", body: `[{"id":`, wantInErr: "unexpected end of JSON input"},
		{name: "object instead of array", ct: "application/json", body: `{"error":"x"}`, wantInErr: "answer: got object, want an array"},
		{name: "entry without id", ct: "application/json", body: `[{"hostName":"x"}]`, wantInErr: "appliance 0: missing or null keys: id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			f.mux.HandleFunc("/appliance", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.ct)
				fmt.Fprint(w, tt.body)
			})
			_, err := f.client.Appliances(t.Context())
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("Appliances() error = %v (%T), want *DecodeError", err, err)
			}
			if de.Path != "/appliance" || de.Host != f.client.Host() {
				t.Errorf("DecodeError = %+v, want path /appliance on %s", de, f.client.Host())
			}
			if !strings.Contains(err.Error(), tt.wantInErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantInErr)
			}
		})
	}
}

func TestOversizeBody(t *testing.T) {
	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprintf("chunked=%v", chunked), func(t *testing.T) {
			f := setup(t, func(o *Options) { o.MaxResponseBytes = 1024 })
			body := "[" + strings.Repeat(`{"id":"1.NE"},`, 200) + `{"id":"2.NE"}]`
			f.mux.HandleFunc("/appliance", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if !chunked {
					w.Header().Set("Content-Length", fmt.Sprint(len(body)))
				}
				fmt.Fprint(w, body)
				if chunked {
					w.(http.Flusher).Flush()
				}
			})
			if _, err := f.client.Appliances(t.Context()); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("Appliances() error = %v, want ErrTooLarge", err)
			}
		})
	}
}

func TestTruncatedBody(t *testing.T) {
	f := setup(t)
	f.mux.HandleFunc("/appliance", func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		defer conn.Close()
		fmt.Fprint(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 900\r\n\r\n[{\"id\": \"3.NE\"")
		buf.Flush()
	})
	_, err := f.client.Appliances(t.Context())
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("Appliances() error = %v, want io.ErrUnexpectedEOF", err)
	}
}

func blockingHandler(t *testing.T, arrived chan<- struct{}) http.HandlerFunc {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
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
	f.mux.HandleFunc("/appliance", blockingHandler(t, nil))
	start := time.Now()
	_, err := f.client.Appliances(t.Context())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Appliances() error = %v, want context.DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed > timeout+3*time.Second {
		t.Errorf("Appliances() returned after %v, want about %v", elapsed, timeout)
	}
}

func TestContextCancel(t *testing.T) {
	f := setup(t)
	arrived := make(chan struct{})
	f.mux.HandleFunc("/appliance", blockingHandler(t, arrived))
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-arrived
		cancel()
	}()
	if _, err := f.client.Appliances(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Appliances() error = %v, want context.Canceled", err)
	}
}

func TestConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, err := New(Options{URL: addr, APIKey: testAPIKey, InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Hello(t.Context())
	var oe *net.OpError
	if !errors.As(err, &oe) {
		t.Fatalf("Hello() error = %v, want a *net.OpError", err)
	}
	if want := "orchestrator " + addr + ": get /gmsserver/hello: "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q, want prefix %q", err, want)
	}
}

func secretFragment(msg, secret string) string {
	const minFrag = 5
	for i := 0; i+minFrag <= len(secret); i++ {
		if frag := secret[i : i+minFrag]; strings.Contains(msg, frag) {
			return frag
		}
	}
	return ""
}

// TestNoSecretsInErrors forces every error path against a server that
// echoes the API key, password, cookies and headers back.
func TestNoSecretsInErrors(t *testing.T) {
	sess, csrf := session(1)
	echo := func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %v key=%s pw=%s s=%s c=%s", b, r.Header, testAPIKey, testPassword, sess, csrf)
	}
	fixedLogin := func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "JSESSIONID", Value: sess, Path: "/"})
		http.SetCookie(w, &http.Cookie{Name: cookieCSRF, Value: csrf, Path: "/"})
	}
	status := func(code int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(code)
			echo(w, r)
		}
	}
	tests := []struct {
		name    string
		session bool
		login   http.HandlerFunc
		handler http.HandlerFunc
		opts    func(*Options)
		hello   bool
	}{
		{name: "api key 401", handler: status(401)},
		{name: "api key 500", handler: status(500)},
		{name: "session 401 twice", session: true, handler: status(401)},
		{name: "login 401", session: true, login: status(401)},
		{name: "login 200 without cookies", session: true, login: echo},
		{name: "decode error", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `[{"id": `)
			echo(w, r)
		}},
		{name: "html", session: true, handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			echo(w, r)
		}},
		{name: "hello html", hello: true, handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			echo(w, r)
		}},
		{name: "hello fault", hello: true, handler: func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, helloFault)
		}},
		{name: "oversize", opts: func(o *Options) { o.MaxResponseBytes = 8 }, handler: echo},
		{name: "timeout", opts: func(o *Options) { o.Timeout = 100 * time.Millisecond }, handler: blockingHandler(t, nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mods := []func(*Options){}
			if tt.session {
				mods = append(mods, withSession)
			}
			if tt.opts != nil {
				mods = append(mods, tt.opts)
			}
			f := setup(t, mods...)
			f.setLogin(fixedLogin)
			if tt.login != nil {
				f.setLogin(tt.login)
			}
			path := "/appliance"
			if tt.hello {
				path = "/gmsserver/hello"
			}
			if tt.handler != nil {
				f.mux.HandleFunc(path, tt.handler)
			}
			var err error
			if tt.hello {
				_, err = f.client.Hello(t.Context())
			} else {
				_, err = f.client.Appliances(t.Context())
			}
			if err == nil {
				t.Fatal("call succeeded, want an error")
			}
			msg := err.Error()
			// The secrets this client holds.
			secrets := []string{testAPIKey}
			if tt.session {
				secrets = []string{testPassword}
				if tt.login == nil {
					secrets = append(secrets, sess, csrf)
				}
			}
			for _, secret := range secrets {
				if frag := secretFragment(msg, secret); frag != "" {
					t.Errorf("error %q contains %q of secret %q", msg, frag, secret)
				}
			}
			if !strings.HasPrefix(msg, "orchestrator "+f.client.Host()+": ") {
				t.Errorf("error %q does not start with the orchestrator", msg)
			}
		})
	}
}

// A body far over MaxResponseBytes sent without a length (chunked) is
// refused naming the endpoint, after reading about the limit once: not
// buffered with the repeated copies of a growing slice, and not read to its
// end.
func TestOversizeChunkedBodyIsNotBuffered(t *testing.T) {
	const limit = 16 << 20
	f := setup(t, func(o *Options) { o.MaxResponseBytes = limit })
	var sent atomic.Int64
	f.mux.HandleFunc("/appliance", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		chunk := []byte("[" + strings.Repeat(`{"id":"1.NE"},`, 4681)) // about 64 KiB
		for sent.Load() < 300<<20 {
			n, err := w.Write(chunk)
			sent.Add(int64(n))
			if err != nil {
				return // the client hung up
			}
		}
	})
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := f.client.Appliances(t.Context())
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "get /appliance") {
		t.Fatalf("Appliances() error = %v, want ErrTooLarge naming get /appliance", err)
	}
	// Reading the limit once costs limit bytes; a growing slice costs
	// several times that. The bound leaves room for the TLS and HTTP
	// buffers of both ends.
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("refusing the body allocated %.1f MiB", float64(alloc)/(1<<20))
	if alloc > limit*3/2 {
		t.Errorf("refusing the body allocated %d MiB, want at most %d MiB", alloc>>20, (limit*3/2)>>20)
	}
	if s := sent.Load(); s >= 300<<20 {
		t.Errorf("the server sent the whole %d MiB: the body was read to its end", s>>20)
	}
}
