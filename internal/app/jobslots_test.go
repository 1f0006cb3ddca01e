package app

import (
	"io"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// A worker reports its WORKER_CONCURRENCY as ectelemetry_worker_job_slots,
// the denominator of the alert on full workers; discovery reports none.
func TestWorkerReportsItsJobSlots(t *testing.T) {
	rs := testenv.StartRedis(t)
	cfg, d, stop := startWorkerDeps(t, map[string]string{"DB_URL": "http://127.0.0.1:1", "REDIS_ADDR": rs.Addr, "METRICS_ADDR": "", "WORKER_CONCURRENCY": "37"})
	defer stop()
	if got := testutil.ToFloat64(d.Metrics.JobSlots); got != 0 {
		t.Errorf("before the worker exists: job_slots = %v, want 0", got)
	}
	if _, err := NewWorker(cfg, d); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(d.Metrics.JobSlots); got != 37 {
		t.Errorf("job_slots = %v, want WORKER_CONCURRENCY 37", got)
	}
}

// startWorkerDeps loads the configuration from env alone (nothing from the
// process's environment) and starts a worker's dependencies with it.
func startWorkerDeps(t *testing.T, env map[string]string) (config.Config, Deps, func()) {
	t.Helper()
	cfg, err := config.LoadFrom(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	d, stop, err := Start(t.Context(), cfg, "worker", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, d, stop
}
