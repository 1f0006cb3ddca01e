package metrics

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

func TestServeMetricsAndHealth(t *testing.T) {
	m := New()
	m.Jobs.WithLabelValues("ok").Add(3)
	m.PointsWritten.Add(1234)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var healthy atomic.Bool
	healthy.Store(true)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- ServeListener(ctx, ln, m.Registry, func(context.Context) error {
			if healthy.Load() {
				return nil
			}
			return errors.New("redis down")
		}, false)
	}()
	base := "http://" + ln.Addr().String()
	body := get(t, base+"/metrics", 200)
	for _, want := range []string{`ectelemetry_worker_jobs_total{result="ok"} 3`, "ectelemetry_worker_points_written_total 1234", "go_goroutines"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if got := get(t, base+"/healthz", 200); got != "ok\n" {
		t.Errorf("/healthz = %q, want ok", got)
	}
	get(t, base+"/debug/pprof/heap", 404) // only with METRICS_PPROF
	healthy.Store(false)
	if got := get(t, base+"/healthz", 503); !strings.Contains(got, "redis down") {
		t.Errorf("/healthz = %q, want the reason", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("ServeListener = %v, want nil after cancel", err)
	}
}

func TestServePprof(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- ServeListener(ctx, ln, New().Registry, nil, true) }()
	base := "http://" + ln.Addr().String()
	if body := get(t, base+"/debug/pprof/", 200); !strings.Contains(body, "goroutine") {
		t.Errorf("/debug/pprof/ lists no goroutine profile: %.200q", body)
	}
	if body := get(t, base+"/debug/pprof/heap?debug=1", 200); !strings.Contains(body, "heap profile") {
		t.Errorf("/debug/pprof/heap?debug=1 = %.200q, want a heap profile", body)
	}
	if got := get(t, base+"/healthz", 200); got != "ok\n" {
		t.Errorf("/healthz = %q beside pprof", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("ServeListener = %v", err)
	}
}

func get(t *testing.T, url string, wantStatus int) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("GET %s = %d, want %d", url, resp.StatusCode, wantStatus)
	}
	return string(b)
}
