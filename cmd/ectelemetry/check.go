package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/app"
	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/redact"
	"github.com/ec-telemetry/ec-telemetry/internal/spool"
)

func runCheck(ctx context.Context, e env) error {
	fs := newFlagSet(e, "check", "check [--role all|discovery|worker]\n\nValidates the configuration from the environment, then reaches the Orchestrator, Redis and\n"+
		"InfluxDB, and prints a pass/fail report (secrets are never printed). Exit status 1 when anything fails.")
	role := fs.String("role", "all", "which process to check for: all, discovery or worker")
	timeout := fs.Duration("timeout", 10*time.Second, "time limit of each connectivity check")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	r := config.Role(*role)
	if r != config.RoleAll && r != config.RoleDiscovery && r != config.RoleWorker {
		return fmt.Errorf("--role %q must be all, discovery or worker: %w", *role, errUsage)
	}
	rep := &report{w: e.stdout}
	fmt.Fprintf(e.stdout, "Configuration (role %s)\n", r)
	cfg, err := config.Load()
	if err != nil {
		rep.fail("environment", err)
	}
	if err == nil {
		if verr := cfg.Validate(r); verr != nil {
			for _, line := range strings.Split(verr.Error(), "\n") {
				rep.fail("setting", errors.New(line))
			}
		} else {
			rep.pass("settings", "every variable valid")
		}
		rep.info("secrets", describeSecrets(cfg))
	}

	fmt.Fprintln(e.stdout, "\nConnectivity")
	check := func(name string, fn func(context.Context) (string, error)) {
		cctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		if detail, err := fn(cctx); err != nil {
			rep.fail(name, err)
		} else {
			rep.pass(name, detail)
		}
	}
	if r != config.RoleWorker {
		check("Orchestrator "+redact.URL(cfg.OrchURL), func(ctx context.Context) (string, error) {
			oc, err := app.NewOrchestrator(cfg)
			if err != nil {
				return "", err
			}
			bi, err := oc.BriefInfo(ctx)
			if err != nil {
				return "", err
			}
			apps, err := oc.Appliances(ctx)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("release %s, %d appliances", bi.Release, len(apps)), nil
		})
	}
	check("Redis "+redact.URL(cfg.RedisAddr), func(ctx context.Context) (string, error) {
		rdb := app.NewRedis(cfg)
		defer rdb.Close()
		if err := rdb.Ping(ctx).Err(); err != nil {
			return "", err
		}
		if r == config.RoleDiscovery {
			return "PING answered", nil
		}
		n, err := rdb.LLen(ctx, spool.DefaultKey).Result()
		if err != nil {
			return "", fmt.Errorf("read the spool %s: %w", spool.DefaultKey, err)
		}
		return fmt.Sprintf("PING answered; %d spool entries waiting for InfluxDB", n), nil
	})
	check("InfluxDB "+redact.URL(cfg.DBURL), func(ctx context.Context) (string, error) {
		w, err := app.NewWriter(cfg)
		if err != nil {
			return "", err
		}
		defer w.Close()
		return "healthy", w.Health(ctx)
	})
	if rep.failed > 0 {
		fmt.Fprintf(e.stdout, "\nResult: %d check(s) failed\n", rep.failed)
		return fmt.Errorf("%d check(s) failed", rep.failed)
	}
	fmt.Fprintln(e.stdout, "\nResult: all checks passed")
	return nil
}

// describeSecrets says which secrets are set, never their values.
func describeSecrets(cfg config.Config) string {
	var parts []string
	for _, s := range []struct{ name, v string }{
		{"ORCH_API_KEY", cfg.OrchAPIKey}, {"ORCH_PW", cfg.OrchPassword}, {"EC_PW", cfg.ECPassword},
		{"DB_TOKEN", cfg.DBToken}, {"DB_PW", cfg.DBPassword}, {"REDIS_PASSWORD", cfg.RedisPassword},
	} {
		state := "not set"
		if s.v != "" {
			state = "set (***)"
		}
		parts = append(parts, s.name+" "+state)
	}
	return strings.Join(parts, ", ")
}

type report struct {
	w      io.Writer
	failed int
}

func (r *report) pass(name, detail string) { fmt.Fprintf(r.w, "  PASS  %s: %s\n", name, detail) }
func (r *report) info(name, detail string) { fmt.Fprintf(r.w, "  INFO  %s: %s\n", name, detail) }
func (r *report) fail(name string, err error) {
	r.failed++
	fmt.Fprintf(r.w, "  FAIL  %s: %v\n", name, err)
}
