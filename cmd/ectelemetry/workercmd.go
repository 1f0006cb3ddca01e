package main

import (
	"context"
	"fmt"

	"github.com/ec-telemetry/ec-telemetry/internal/app"
	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/metrics"
)

func runWorker(ctx context.Context, e env) error {
	fs := newFlagSet(e, "worker", "worker\n\nRuns an asynq worker collecting appliances. Configured by environment variables (see docs/configuration.md).")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	cfg, err := app.LoadConfig(config.RoleWorker)
	if err != nil {
		return err
	}
	log, closeLog, err := app.NewLogger(cfg, "worker", e.stdout)
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
	srv, mux, err := app.NewWorkerServer(cfg, app.Deps{Log: log, Metrics: m, Redis: rdb, Writer: w})
	if err != nil {
		return err
	}
	m.Registry.MustRegister(metrics.NewQueueCollector(rdb, cfg.Queue))
	go func() {
		if err := metrics.Serve(ctx, cfg.MetricsAddr, m.Registry, app.RedisCheck(rdb)); err != nil {
			log.Error().Err(err).Msg("metrics server stopped")
		}
	}()
	if err := srv.Start(mux); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	log.Info().Int("concurrency", cfg.WorkerConcurrency).Str("queue", cfg.Queue).Str("reachability", cfg.Reachability).Msg("worker started")
	<-ctx.Done()
	log.Info().Dur("shutdown_timeout", cfg.ShutdownTimeout).Msg("worker stopping: finishing running jobs")
	srv.Shutdown()
	log.Info().Msg("worker stopped")
	return nil
}
