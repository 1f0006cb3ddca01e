package edgeconnect

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func TestLoginSendsSessionOnGetAndPost(t *testing.T) {
	f := setup(t)
	f.handleJSON("/memory", source, memoryJSON)
	f.mux.HandleFunc("/stats/realtimeStats", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodPost)
		f.requireSession(r)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{}`)
	})
	if err := f.client.Login(t.Context()); err != nil {
		t.Fatalf("Login() error = %v", err)
	}
	if _, err := f.client.Memory(t.Context()); err != nil {
		t.Fatalf("Memory() error = %v", err)
	}
	if _, err := f.client.RealtimeStats(t.Context(), "trafficType", "3", ""); err != nil {
		t.Fatalf("RealtimeStats() error = %v", err)
	}
	if got := f.logins.Load(); got != 1 {
		t.Errorf("login calls = %d, want 1", got)
	}
}

func TestFirstRequestLogsIn(t *testing.T) {
	f := setup(t)
	f.handleJSON("/memory", source, memoryJSON)
	for range 3 {
		if _, err := f.client.Memory(t.Context()); err != nil {
			t.Fatalf("Memory() error = %v", err)
		}
	}
	if got := f.logins.Load(); got != 1 {
		t.Errorf("login calls = %d, want 1", got)
	}
}

// A CSRF token the appliance sets in any answer (rotates) is sent from the
// next request on, and a new login's from the first request after it.
func TestRotatedCSRFTokenIsSentNext(t *testing.T) {
	f := setup(t)
	var want, got []string
	f.mux.HandleFunc("/memory", func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get(headerCSRF))
		if len(got) == 2 {
			http.SetCookie(w, &http.Cookie{Name: cookieCSRF, Value: "rotated", Path: "/", Secure: true})
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, memoryJSON)
	})
	f.mux.HandleFunc("/logout", func(w http.ResponseWriter, r *http.Request) {})
	_, first := session(1)
	_, second := session(2)
	want = []string{first, first, "rotated", "rotated"}
	for range 4 {
		if _, err := f.client.Memory(t.Context()); err != nil {
			t.Fatalf("Memory() error = %v", err)
		}
	}
	if err := f.client.Logout(t.Context()); err != nil {
		t.Fatalf("Logout() error = %v", err)
	}
	if _, err := f.client.Memory(t.Context()); err != nil {
		t.Fatalf("Memory() error = %v", err)
	}
	want = append(want, second)
	if !slices.Equal(got, want) {
		t.Errorf("%s sent = %q, want %q", headerCSRF, got, want)
	}
}

func TestSessionCookieOnlyFallback(t *testing.T) {
	f := setup(t)
	f.setLogin(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: cookieSession, Value: "only-session", Path: "/"})
	})
	f.mux.HandleFunc("/memory", func(w http.ResponseWriter, r *http.Request) {
		testHeader(t, r, cookieSession, "only-session")
		testHeader(t, r, headerCSRF, "")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, memoryJSON)
	})
	if _, err := f.client.Memory(t.Context()); err != nil {
		t.Fatalf("Memory() error = %v", err)
	}
}

func TestReloginOnceAfter401(t *testing.T) {
	f := setup(t)
	var calls atomic.Int32
	f.mux.HandleFunc("/memory", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		// The first session "expires": only the second login's session works.
		if f.logins.Load() < 2 || !f.sessionValid(r) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, memoryJSON)
	})
	if err := f.client.Login(t.Context()); err != nil {
		t.Fatalf("Login() error = %v", err)
	}
	m, err := f.client.Memory(t.Context())
	if err != nil {
		t.Fatalf("Memory() error = %v", err)
	}
	if m.Total != 3945080 {
		t.Errorf("Memory().Total = %d, want 3945080", m.Total)
	}
	if got := f.logins.Load(); got != 2 {
		t.Errorf("login calls = %d, want 2", got)
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("memory calls = %d, want 2", got)
	}
}

func TestUnauthorizedTwice(t *testing.T) {
	f := setup(t)
	var calls atomic.Int32
	f.mux.HandleFunc("/memory", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
	})
	if err := f.client.Login(t.Context()); err != nil {
		t.Fatalf("Login() error = %v", err)
	}
	_, err := f.client.Memory(t.Context())
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("Memory() error = %v, want ErrUnauthorized", err)
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 401 || ae.Path != "/memory" {
		t.Errorf("Memory() error = %#v, want *APIError 401 on /memory", err)
	}
	if got := f.logins.Load(); got != 2 {
		t.Errorf("login calls = %d, want 2", got)
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("memory calls = %d, want 2", got)
	}
}

func TestForbiddenDoesNotRelogin(t *testing.T) {
	f := setup(t)
	f.mux.HandleFunc("/cpustat", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
	})
	_, err := f.client.CPUStat(t.Context())
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("CPUStat() error = %v, want ErrUnauthorized", err)
	}
	if got := f.logins.Load(); got != 1 {
		t.Errorf("login calls = %d, want 1", got)
	}
}

func TestLoginFailures(t *testing.T) {
	tests := []struct {
		name      string
		login     http.HandlerFunc
		wantIs    []error
		wantInErr string
	}{
		{
			name:      "401",
			login:     func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusUnauthorized) },
			wantIs:    []error{ErrUnauthorized},
			wantInErr: "post /login: status 401 unauthorized",
		},
		{
			name: "200 without cookies",
			login: func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, `{"status":"ok"}`)
			},
			wantIs:    []error{ErrNoSession, ErrUnauthorized},
			wantInErr: "post /login: login answer carries no session cookie",
		},
		{
			name: "200 with unrelated cookie",
			login: func(w http.ResponseWriter, r *http.Request) {
				http.SetCookie(w, &http.Cookie{Name: "other", Value: "x"})
			},
			wantIs: []error{ErrNoSession},
		},
		{
			name: "204 with cookies",
			login: func(w http.ResponseWriter, r *http.Request) {
				http.SetCookie(w, &http.Cookie{Name: cookieSession, Value: "s"})
				w.WriteHeader(http.StatusNoContent)
			},
			wantIs:    []error{ErrUnauthorized},
			wantInErr: "status 204, want 200",
		},
		{
			name:   "500",
			login:  func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) },
			wantIs: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			f.setLogin(tt.login)
			var memCalls atomic.Int32
			f.mux.HandleFunc("/memory", func(w http.ResponseWriter, r *http.Request) { memCalls.Add(1) })

			err := f.client.Login(t.Context())
			if err == nil {
				t.Fatal("Login() succeeded, want an error")
			}
			for _, target := range tt.wantIs {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(%v, %v) = false, want true", err, target)
				}
			}
			if !strings.Contains(err.Error(), tt.wantInErr) {
				t.Errorf("Login() error %q does not contain %q", err, tt.wantInErr)
			}
			// A request without a session tries to log in once and stops.
			if _, err := f.client.Memory(t.Context()); err == nil {
				t.Error("Memory() without a session succeeded")
			}
			if got := f.logins.Load(); got != 2 {
				t.Errorf("login calls = %d, want 2 (never retried)", got)
			}
			if got := memCalls.Load(); got != 0 {
				t.Errorf("memory calls = %d, want 0", got)
			}
		})
	}
}

func TestLogout(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		wantErr bool
	}{
		{name: "ok", status: 200},
		{name: "fails but session is dropped", status: 500, wantErr: true},
		{name: "401 is not retried", status: 401, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			var logouts atomic.Int32
			f.mux.HandleFunc("/logout", func(w http.ResponseWriter, r *http.Request) {
				logouts.Add(1)
				testMethod(t, r, http.MethodGet)
				testQuery(t, r, source)
				f.requireSession(r)
				w.WriteHeader(tt.status)
			})
			var sawCookie atomic.Bool
			f.mux.HandleFunc("/memory", func(w http.ResponseWriter, r *http.Request) {
				if _, err := r.Cookie(cookieSession); err == nil && f.logins.Load() == 1 {
					sawCookie.Store(true)
				}
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, memoryJSON)
			})
			if err := f.client.Login(t.Context()); err != nil {
				t.Fatalf("Login() error = %v", err)
			}
			err := f.client.Logout(t.Context())
			if (err != nil) != tt.wantErr {
				t.Fatalf("Logout() error = %v, want error %v", err, tt.wantErr)
			}
			if got := logouts.Load(); got != 1 {
				t.Errorf("logout calls = %d, want 1", got)
			}
			if cks := f.client.sess.Jar.Cookies(f.client.baseURL); len(cks) != 0 {
				t.Errorf("cookies after Logout = %v, want none", cks)
			}
			// A second Logout without a session sends nothing.
			if err := f.client.Logout(t.Context()); err != nil {
				t.Errorf("second Logout() error = %v", err)
			}
			if got := logouts.Load(); got != 1 {
				t.Errorf("logout calls after second Logout = %d, want 1", got)
			}
			// The next request opens a new session.
			if _, err := f.client.Memory(t.Context()); err != nil {
				t.Fatalf("Memory() after Logout error = %v", err)
			}
			if got := f.logins.Load(); got != 2 {
				t.Errorf("login calls = %d, want 2", got)
			}
			if sawCookie.Load() {
				t.Error("the old session cookie was sent after Logout")
			}
		})
	}
}

func TestConcurrentRequestsShareOneRelogin(t *testing.T) {
	f := setup(t)
	f.mux.HandleFunc("/memory", func(w http.ResponseWriter, r *http.Request) {
		if f.logins.Load() < 2 || !f.sessionValid(r) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, memoryJSON)
	})
	if err := f.client.Login(t.Context()); err != nil {
		t.Fatalf("Login() error = %v", err)
	}
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = f.client.Memory(t.Context())
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("goroutine %d: Memory() error = %v", i, err)
		}
	}
	// Every request that saw the first session expire shares one re-login.
	if got := f.logins.Load(); got != 2 {
		t.Errorf("login calls = %d, want 2", got)
	}
}
