package app

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ec-telemetry/ec-telemetry/edgeconnect"
	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/metrics"
	"github.com/ec-telemetry/ec-telemetry/orchestrator"
	"github.com/ec-telemetry/ec-telemetry/worker"
)

// NewOrchestratorLimiter paces a process's Orchestrator requests with
// ORCH_RATE_LIMIT and ORCH_MAX_CONCURRENCY. With m, the time each request
// waits for its turn is observed in
// ectelemetry_orchestrator_queue_wait_seconds.
func NewOrchestratorLimiter(cfg config.Config, m *metrics.Metrics) (*orchestrator.Limiter, error) {
	o := orchestrator.LimiterOptions{Rate: float64(cfg.OrchRateLimit), MaxConcurrency: cfg.OrchMaxConcurrency}
	if m != nil {
		h, err := queueWait(m.Registry)
		if err != nil {
			return nil, err
		}
		o.OnWait = func(d time.Duration) { h.Observe(d.Seconds()) }
	}
	return orchestrator.NewLimiter(o)
}

// queueWait registers the queueing histogram on reg, or returns the one
// registered already (discovery and worker share a registry in one
// process).
func queueWait(reg prometheus.Registerer) (prometheus.Histogram, error) {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: "ectelemetry", Subsystem: "orchestrator", Name: "queue_wait_seconds",
		Help:    "Time an Orchestrator request waited for its turn under ORCH_RATE_LIMIT and ORCH_MAX_CONCURRENCY.",
		Buckets: prometheus.ExponentialBuckets(0.001, 4, 10),
	})
	if err := reg.Register(h); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if old, ok := are.ExistingCollector.(prometheus.Histogram); ok {
				return old, nil
			}
		}
		return nil, err
	}
	return h, nil
}

// NewRelayDialer returns the worker's way to read an appliance through the
// Orchestrator's pass-through (COLLECT_VIA orchestrator or auto): one
// Orchestrator client for the process, paced by its limiter, and per job
// an appliance client relayed through it. With COLLECT_VIA=direct it
// returns nil.
func NewRelayDialer(cfg config.Config, m *metrics.Metrics) (worker.RelayDialer, error) {
	if cfg.CollectVia == config.ViaDirect {
		return nil, nil
	}
	oc, err := newOrchestrator(cfg, m)
	if err != nil {
		return nil, err
	}
	return RelayDialer(oc, cfg.ECRequestTimeout, cfg.ECArchiveTimeout), nil
}

// NewRoutes returns how the worker reads the appliances of each
// Orchestrator (config.Config.Orchestrators): per Orchestrator name, its
// collect_via (or COLLECT_VIA) with a pass-through of its own client when
// not direct; and def, the route of a payload without an Orchestrator name
// (queued by an older discovery): COLLECT_VIA through the Orchestrator of
// the ORCH_* variables, or direct with ORCHESTRATORS_FILE. A worker
// without ORCHESTRATORS_FILE and with COLLECT_VIA=direct has no routes.
func NewRoutes(cfg config.Config, m *metrics.Metrics) (def worker.Route, routes map[string]worker.Route, err error) {
	def = worker.Route{CollectVia: config.ViaDirect}
	if cfg.OrchestratorsFile == "" && cfg.CollectVia == config.ViaDirect {
		return def, nil, nil
	}
	orchs, err := cfg.Orchestrators()
	if err != nil {
		return def, nil, err
	}
	routes = map[string]worker.Route{}
	for _, o := range orchs {
		r := worker.Route{CollectVia: cfg.CollectViaOf(o)}
		if r.CollectVia != config.ViaDirect {
			oc, err := NewOrchestratorClient(cfg, o, m)
			if err != nil {
				return def, nil, fmt.Errorf("orchestrator %s: %w", o.Name, err)
			}
			r.Relay = RelayDialer(oc, cfg.ECRequestTimeout, cfg.ECArchiveTimeout)
		}
		if o.Legacy {
			def = r
		}
		routes[o.Name] = r
	}
	return def, routes, nil
}

// RelayDialer returns a worker.RelayDialer that reads appliances through
// oc's pass-through with the given per-request and archive timeouts.
func RelayDialer(oc *orchestrator.Client, timeout, archiveTimeout time.Duration) worker.RelayDialer {
	return func(id string) (worker.Appliance, error) {
		return edgeconnect.NewRelayed(edgeconnect.RelayOptions{Relay: oc.ApplianceRelay(id), ApplianceID: id,
			Timeout: timeout, ArchiveTimeout: archiveTimeout})
	}
}
