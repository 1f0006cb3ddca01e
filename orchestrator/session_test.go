package orchestrator

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

func TestAPIKeyOnEveryRequest(t *testing.T) {
	f := setup(t)
	f.handleJSON("/gmsserver/briefInfo", briefInfoJSON)
	f.handleJSON("/appliance", appliancesJSON)
	f.handleJSON("/gms/interfaceLabels", labelsJSON)
	f.handleJSON("/gms/overlays/config", overlaysJSON)
	f.handleJSON("/license/portal/appliance", licensesJSON)
	f.mux.HandleFunc("/gmsserver/hello", func(w http.ResponseWriter, r *http.Request) {
		testQuery(t, r, source)
		f.checkAuth(r)
		fmt.Fprint(w, "hello")
	})
	ctx := t.Context()
	calls := []struct {
		name string
		fn   func() error
	}{
		{"BriefInfo", func() error { _, err := f.client.BriefInfo(ctx); return err }},
		{"Hello", func() error { _, err := f.client.Hello(ctx); return err }},
		{"Appliances", func() error { _, err := f.client.Appliances(ctx); return err }},
		{"InterfaceLabels", func() error { _, err := f.client.InterfaceLabels(ctx); return err }},
		{"Overlays", func() error { _, err := f.client.Overlays(ctx); return err }},
		{"LicensedAppliances", func() error { _, err := f.client.LicensedAppliances(ctx); return err }},
		{"Login is a no-op", func() error { return f.client.Login(ctx) }},
	}
	for _, c := range calls {
		if err := c.fn(); err != nil {
			t.Errorf("%s() error = %v", c.name, err)
		}
	}
	if got := f.logins.Load(); got != 0 {
		t.Errorf("login calls with an API key = %d, want 0", got)
	}
}

func TestSessionLoginAndCSRF(t *testing.T) {
	f := setup(t, withSession)
	f.handleJSON("/appliance", appliancesJSON)
	f.handleJSON("/gms/overlays/config", overlaysJSON)
	if _, err := f.client.Appliances(t.Context()); err != nil {
		t.Fatalf("Appliances() error = %v", err)
	}
	if _, err := f.client.Overlays(t.Context()); err != nil {
		t.Fatalf("Overlays() error = %v", err)
	}
	if got := f.logins.Load(); got != 1 {
		t.Errorf("login calls = %d, want 1", got)
	}
}

func TestSessionWithoutCSRFCookie(t *testing.T) {
	f := setup(t, withSession)
	f.setLogin(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "JSESSIONID", Value: "only", Path: "/"})
	})
	f.mux.HandleFunc("/appliance", func(w http.ResponseWriter, r *http.Request) {
		testHeader(t, r, headerCSRF, "")
		if ck, err := r.Cookie("JSESSIONID"); err != nil || ck.Value != "only" {
			t.Errorf("session cookie = %v, want only", ck)
		}
		fmt.Fprint(w, `[]`)
	})
	if got, err := f.client.Appliances(t.Context()); err != nil || len(got) != 0 {
		t.Fatalf("Appliances() = %v, %v, want an empty list", got, err)
	}
}

func TestSessionReloginOnce(t *testing.T) {
	f := setup(t, withSession)
	var calls atomic.Int32
	f.mux.HandleFunc("/appliance", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if f.logins.Load() < 2 || !f.sessionValid(r) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, appliancesJSON)
	})
	if err := f.client.Login(t.Context()); err != nil {
		t.Fatalf("Login() error = %v", err)
	}
	got, err := f.client.Appliances(t.Context())
	if err != nil {
		t.Fatalf("Appliances() error = %v", err)
	}
	if len(got) != 2 {
		t.Errorf("Appliances() returned %d appliances, want 2", len(got))
	}
	if f.logins.Load() != 2 || calls.Load() != 2 {
		t.Errorf("logins = %d, appliance calls = %d, want 2 and 2", f.logins.Load(), calls.Load())
	}
}

func TestSessionUnauthorizedTwice(t *testing.T) {
	f := setup(t, withSession)
	var calls atomic.Int32
	f.mux.HandleFunc("/appliance", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
	})
	_, err := f.client.Appliances(t.Context())
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("Appliances() error = %v, want ErrUnauthorized", err)
	}
	if f.logins.Load() != 2 || calls.Load() != 2 {
		t.Errorf("logins = %d, appliance calls = %d, want 2 and 2", f.logins.Load(), calls.Load())
	}
}

func TestSessionLoginFailures(t *testing.T) {
	tests := []struct {
		name      string
		login     http.HandlerFunc
		wantIs    []error
		wantInErr string
	}{
		{name: "401", login: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(401) },
			wantIs: []error{ErrUnauthorized}, wantInErr: "post /authentication/login: status 401 unauthorized"},
		{name: "200 without cookies", login: func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{}`) },
			wantIs: []error{ErrNoSession, ErrUnauthorized}, wantInErr: "login answer carries no session cookie"},
		{name: "500", login: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) },
			wantInErr: "status 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, withSession)
			f.setLogin(tt.login)
			var calls atomic.Int32
			f.mux.HandleFunc("/appliance", func(w http.ResponseWriter, r *http.Request) { calls.Add(1) })
			_, err := f.client.Appliances(t.Context())
			if err == nil {
				t.Fatal("Appliances() succeeded, want a login error")
			}
			for _, target := range tt.wantIs {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(%v, %v) = false", err, target)
				}
			}
			if !strings.Contains(err.Error(), tt.wantInErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantInErr)
			}
			if f.logins.Load() != 1 || calls.Load() != 0 {
				t.Errorf("logins = %d, appliance calls = %d, want 1 and 0", f.logins.Load(), calls.Load())
			}
		})
	}
}
