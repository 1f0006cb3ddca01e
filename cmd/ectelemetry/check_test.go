package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/spool"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

func TestCheck(t *testing.T) {
	sim, err := simulator.New(simulator.Config{Appliances: 3, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	rs := testenv.StartRedis(t)
	db := testenv.StartInfluxDB(t)
	for k, v := range map[string]string{
		"ORCH_URL": sim.OrchestratorURL(), "ORCH_API_KEY": simulator.DefaultAPIKey, "EC_USER": "admin",
		"EC_PW": "pw-never-printed", "DB_URL": db.URL, "DB_BUCKET": db.Database, "DB_ORG": "", "DB_TOKEN": "",
		"REDIS_ADDR": rs.Addr, "LIMIT_FILE": "limit_appliances.json",
	} {
		t.Setenv(k, v)
	}
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr})
	t.Cleanup(func() { rdb.Close() })
	if err := rdb.RPush(t.Context(), spool.DefaultKey, "a", "b").Err(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(t.Context(), []string{"check"}, nil, &out, &out); err != nil {
		t.Fatalf("check failed: %v\n%s", err, out.String())
	}
	for _, want := range []string{"PASS  settings", "PASS  Orchestrator", "3 appliances", "PASS  Redis", "2 spool entries waiting", "PASS  InfluxDB",
		"ORCH_API_KEY set (***)", "EC_PW set (***)", "all checks passed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}

	// Redis down, a wrong key and an empty EC_USER: every problem reported, no secret printed.
	t.Setenv("REDIS_ADDR", testenv.ClosedPort(t))
	t.Setenv("ORCH_API_KEY", "wrong-key-never-printed")
	t.Setenv("EC_USER", "")
	out.Reset()
	err = run(t.Context(), []string{"check"}, nil, &out, &out)
	if err == nil {
		t.Fatalf("check passed, want failures:\n%s", out.String())
	}
	for _, want := range []string{"FAIL  setting: EC_USER is required and empty", "FAIL  Orchestrator", "401", "FAIL  Redis", "connection refused", "PASS  InfluxDB", "3 check(s) failed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	for _, secret := range []string{"wrong-key-never-printed", "pw-never-printed", simulator.DefaultAPIKey} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("report prints a secret %q:\n%s", secret, out.String())
		}
	}
}
