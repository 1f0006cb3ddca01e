package main

import (
	"context"

	"github.com/ec-telemetry/ec-telemetry/internal/app"
	"github.com/ec-telemetry/ec-telemetry/internal/config"
)

func runWorker(ctx context.Context, e env) error {
	fs := newFlagSet(e, "worker", "worker\n\nRuns a worker: takes appliance tasks from the Redis queue, polls each\n"+
		"appliance and writes the points to InfluxDB. It takes no flags; the\n"+
		"environment configures it.\n\n"+envHelp(config.RoleWorker))
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	cfg, err := app.LoadConfig(config.RoleWorker)
	if err != nil {
		return err
	}
	deps, stop, err := app.Start(ctx, cfg, "worker", e.stdout)
	if err != nil {
		return err
	}
	defer stop()
	log := deps.Log
	wk, err := app.NewWorker(cfg, deps)
	if err != nil {
		return err
	}
	if err := wk.Start(ctx); err != nil {
		return err
	}
	log.Info().Int("concurrency", cfg.WorkerConcurrency).Str("queue", cfg.Queue).Str("reachability", cfg.Reachability).Msg("worker started")
	<-ctx.Done()
	log.Info().Dur("shutdown_timeout", cfg.ShutdownTimeout).Msg("worker stopping: finishing running jobs")
	wk.Shutdown()
	log.Info().Msg("worker stopped")
	return nil
}
