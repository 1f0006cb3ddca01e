package app

import (
	"testing"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/metrics"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// TestRelayDialerReadsThroughTheOrchestrator: with COLLECT_VIA other than
// direct the worker's relay dialer reads an appliance through the
// Orchestrator with the API key only, paced, and the queueing histogram
// counts each request (also when the limiter is built twice for one
// registry, as discovery and worker in one process do).
func TestRelayDialerReadsThroughTheOrchestrator(t *testing.T) {
	sim := testenv.StartSimulator(t, simulator.Config{Appliances: 2, Seed: 4})
	cfg := config.Config{OrchURL: sim.OrchestratorURL(), OrchAPIKey: simulator.DefaultAPIKey, CollectVia: config.ViaDirect,
		OrchRateLimit: 50, OrchMaxConcurrency: 2, ECRequestTimeout: 5 * time.Second, ECArchiveTimeout: 5 * time.Second}
	m := metrics.New()
	if d, err := NewRelayDialer(cfg, m); d != nil || err != nil {
		t.Fatalf("NewRelayDialer(direct) = %v, %v; want nil, nil", d, err)
	}
	cfg.CollectVia = config.ViaOrchestrator
	dial, err := NewRelayDialer(cfg, m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewOrchestratorLimiter(cfg, m); err != nil {
		t.Fatalf("a second limiter on the same registry: %v", err)
	}
	a := sim.Appliances()[0]
	for _, x := range sim.Appliances() {
		if x.State != 2 {
			a = x
		}
	}
	c, err := dial(a.ID)
	if err != nil {
		t.Fatal(err)
	}
	mem, err := c.Memory(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	served, _ := sim.LastServed(a.ID)
	if served.Memory == nil || mem.Total != served.Memory.Total {
		t.Errorf("Memory() = %+v, want what the appliance served %+v", mem, served.Memory)
	}
	if st, _ := sim.Stats(a.ID); st.Logins != 0 {
		t.Errorf("%d appliance logins, want 0", st.Logins)
	}
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var count uint64
	for _, f := range fams {
		if f.GetName() == "ectelemetry_orchestrator_queue_wait_seconds" {
			count = f.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	// briefInfo (the URL form) and the pass-through read.
	if count != 2 {
		t.Errorf("queue wait histogram counted %d requests, want 2", count)
	}
}

func TestBGPBudget(t *testing.T) {
	for _, tt := range []struct {
		rate     int
		interval time.Duration
		want     int
	}{
		{20, time.Minute, 600}, // the defaults: 600 appliances a cycle
		{100, 5 * time.Minute, 15000},
		{1, 10 * time.Second, 5},
		{0, time.Minute, 0}, // unlimited rate: every appliance every cycle
	} {
		cfg := config.Config{OrchRateLimit: tt.rate, DiscoveryInterval: tt.interval}
		if got := BGPBudget(cfg); got != tt.want {
			t.Errorf("BGPBudget(ORCH_RATE_LIMIT=%d, DISCOVERY_INTERVAL=%s) = %d, want %d", tt.rate, tt.interval, got, tt.want)
		}
	}
}
