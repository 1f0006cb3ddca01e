package main

import (
	"context"
	"errors"

	"github.com/ec-telemetry/ec-telemetry/internal/app"
	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/metrics"
)

func runDiscover(ctx context.Context, e env) error {
	fs := newFlagSet(e, "discover", "discover\n\nRuns the discovery loop. Configured by environment variables (see docs/configuration.md).")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	cfg, err := app.LoadConfig(config.RoleDiscovery)
	if err != nil {
		return err
	}
	log, closeLog, err := app.NewLogger(cfg, "discovery", e.stdout)
	if err != nil {
		return err
	}
	defer closeLog()
	m := metrics.New()
	rdb := app.NewRedis(cfg)
	defer rdb.Close()
	w, err := app.NewWriter(cfg)
	if err != nil {
		return err
	}
	defer w.Close()
	d, err := app.NewDiscovery(cfg, app.Deps{Log: log, Metrics: m, Redis: rdb, Writer: w})
	if err != nil {
		return err
	}
	m.Registry.MustRegister(metrics.NewQueueCollector(rdb, cfg.Queue))
	go func() {
		if err := metrics.Serve(ctx, cfg.MetricsAddr, m.Registry, app.RedisCheck(rdb)); err != nil {
			log.Error().Err(err).Msg("metrics server stopped")
		}
	}()
	log.Info().Str("orchestrator", cfg.OrchURL).Dur("interval", cfg.DiscoveryInterval).Bool("collect_all", cfg.CollectAll).
		Str("limit_file", cfg.LimitFile).Msg("discovery started")
	if err := d.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	log.Info().Msg("discovery stopped")
	return nil
}
