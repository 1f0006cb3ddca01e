package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/ec-telemetry/ec-telemetry/internal/app"
	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/redact"
)

func runDiscover(ctx context.Context, e env) error {
	fs := newFlagSet(e, "discover", "discover\n\nRuns the discovery loop: lists the appliances of the Orchestrator every\n"+
		"DISCOVERY_INTERVAL, applies the limit file and queues one collection task per\n"+
		"appliance in Redis. It takes no flags; the environment configures it.\n\n"+envHelp(config.RoleDiscovery))
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	cfg, err := app.LoadConfig(config.RoleDiscovery)
	if err != nil {
		return err
	}
	if config.IsPlaceholder(cfg.OrchURL) {
		// The demo profile points discovery at its simulator; anything else
		// would try to reach a host named after the placeholder.
		return fmt.Errorf("configuration:\nORCH_URL %q is example.env's placeholder: set your Orchestrator's address "+
			"(host, host:port or https:// URL), or run the demo profile (docker compose --profile demo)", cfg.OrchURL)
	}
	deps, stop, err := app.Start(ctx, cfg, "discovery", e.stdout)
	if err != nil {
		return err
	}
	defer stop()
	log := deps.Log
	d, err := app.NewDiscovery(cfg, deps)
	if err != nil {
		return err
	}
	if cfg.OrchestratorsFile != "" {
		orchs, _ := cfg.Orchestrators() // valid: LoadConfig checked it
		names := make([]string, 0, len(orchs))
		for _, o := range orchs {
			names = append(names, o.Name)
		}
		log.Info().Strs("orchestrators", names).Str("orchestrators_file", cfg.OrchestratorsFile).Dur("interval", cfg.DiscoveryInterval).
			Msg("discovery started")
	} else {
		log.Info().Str("orchestrator", redact.URL(cfg.OrchURL)).Str("orchestrator_name", cfg.OrchName).Dur("interval", cfg.DiscoveryInterval).
			Bool("collect_all", cfg.CollectAll).Str("limit_file", cfg.LimitFile).Msg("discovery started")
	}
	if err := d.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	log.Info().Msg("discovery stopped")
	return nil
}
