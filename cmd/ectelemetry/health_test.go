package main

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealthCommand(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string
		wantErr    string // "" means success
		wantStdout string
	}{
		{"healthy", http.StatusOK, "ok\n", "", "healthy: "},
		{"unhealthy", http.StatusServiceUnavailable, "unhealthy: redis: connection refused\n", "status 503: unhealthy: redis: connection refused", ""},
		{"not found", http.StatusNotFound, "404 page not found\n", "status 404", ""},
		{"redirect is not healthy", http.StatusFound, "", "status 302", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotPath string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotPath = r.URL.Path
				if tt.status == http.StatusFound {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}))
			t.Cleanup(srv.Close)
			stdout, _, err := runWithEnv(t, nil, "health", "--url", srv.URL+"/healthz", "--timeout", "2s")
			if gotPath != "/healthz" {
				t.Errorf("path = %q, want /healthz", gotPath)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("health: %v", err)
				}
				if !strings.HasPrefix(stdout, tt.wantStdout) {
					t.Errorf("stdout = %q, want prefix %q", stdout, tt.wantStdout)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("health error = %v, want one containing %q", err, tt.wantErr)
			}
			if exitCode(err) != 1 {
				t.Errorf("exitCode = %d, want 1", exitCode(err))
			}
		})
	}
}

func TestHealthCommandUsesMetricsAddr(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("ok\n"))
	}))
	t.Cleanup(srv.Close)
	_, port, _ := strings.Cut(strings.TrimPrefix(srv.URL, "http://"), ":")
	if _, _, err := runWithEnv(t, map[string]string{"METRICS_ADDR": ":" + port}, "health", "--quiet"); err != nil {
		t.Fatalf("health with METRICS_ADDR=:%s: %v", port, err)
	}
}

func TestHealthCommandConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, _, err := runWithEnv(t, nil, "health", "--url", url+"/healthz")
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("health error = %v, want connection refused", err)
	}
}

func TestHealthURLFromAddr(t *testing.T) {
	tests := []struct {
		addr, want, wantErr string
	}{
		{"", "http://127.0.0.1:9090/healthz", ""},
		{":9090", "http://127.0.0.1:9090/healthz", ""},
		{"0.0.0.0:9100", "http://127.0.0.1:9100/healthz", ""},
		{"[::]:9100", "http://127.0.0.1:9100/healthz", ""},
		{"127.0.0.1:9200", "http://127.0.0.1:9200/healthz", ""},
		{"[::1]:9200", "http://[::1]:9200/healthz", ""},
		{"9090", "", "not host:port"},
	}
	for _, tt := range tests {
		got, err := healthURLFromAddr(tt.addr)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("healthURLFromAddr(%q) error = %v, want %q", tt.addr, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("healthURLFromAddr(%q) = %q, %v; want %q", tt.addr, got, err, tt.want)
		}
	}
}

func TestHealthCommandUsage(t *testing.T) {
	for _, args := range [][]string{
		{"health", "--url", "127.0.0.1:9090/healthz"},
		{"health", "--timeout", "0s"},
		{"health", "extra"},
	} {
		_, _, err := runWithEnv(t, nil, args...)
		if !errors.Is(err, errUsage) {
			t.Errorf("run(%q) = %v, want a usage error", args, err)
		}
	}
}
