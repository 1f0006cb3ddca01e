package app

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// A worker offers appliances the key exchanges of EC_TLS_CURVES, and
// counts its handshakes by the one the appliance chose.
func TestWorkerOffersECTLSCurves(t *testing.T) {
	rs := testenv.StartRedis(t)
	db := testenv.StartInfluxDB(t)
	sim := testenv.StartSimulator(t, simulator.Config{Appliances: 3, Seed: 2, ApplianceHosts: simulator.LoopbackHosts(3)})
	var ap simulator.ApplianceInfo
	for _, a := range sim.Appliances() {
		if a.Reachable {
			ap = a
		}
	}
	if ap.ID == "" {
		t.Fatal("no reachable appliance with this seed")
	}
	cfg, d, stop := startWorkerDeps(t, map[string]string{"DB_URL": db.URL, "DB_BUCKET": db.Database, "REDIS_ADDR": rs.Addr,
		"METRICS_ADDR": "", "EC_USER": simulator.DefaultECUser, "EC_PW": simulator.DefaultECPassword, "REACHABILITY": "tcp",
		"EC_TLS_CURVES": "P-256"})
	defer stop()
	w, err := NewWorker(cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	task, err := tasks.NewAppliancePollTask(pollOf(ap, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Mux.ProcessTask(t.Context(), task); err != nil {
		t.Fatalf("job of %s: %v", ap.ID, err)
	}
	if n, err := db.QueryValue(t.Context(), `SELECT count("bytes_tx") FROM "interface_stats" WHERE "hostname" = '`+ap.Hostname+`'`); err != nil || n == nil {
		t.Errorf("no interface statistics of %s stored (%v)", ap.Hostname, err)
	}
	hs := d.Metrics.TLSHandshakes
	if n := testutil.ToFloat64(hs.WithLabelValues("full", "CurveP256")); n < 1 {
		t.Errorf("%v full handshakes with P-256, want at least 1", n)
	}
	for _, s := range []string{"full", "resumed"} {
		if n := testutil.ToFloat64(hs.WithLabelValues(s, "X25519MLKEM768")); n != 0 {
			t.Errorf("%v %s handshakes with X25519MLKEM768, want none", n, s)
		}
	}
}
