package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// setEnv sets the variables for this test only.
func setEnv(t *testing.T, kv map[string]string) {
	t.Helper()
	for k, v := range kv {
		t.Setenv(k, v)
	}
}

func validEnv() map[string]string {
	return map[string]string{
		"ORCH_URL": "orch.example:8443", "ORCH_API_KEY": "k-123456", "EC_USER": "admin",
		"EC_PW": "pw-abcdef", "DB_URL": "http://127.0.0.1:8086", "DB_TOKEN": "tok-xyz",
		"REDIS_ADDR": "127.0.0.1:6379",
	}
}

func TestLoadDefaultsAndDemoNames(t *testing.T) {
	setEnv(t, validEnv())
	t.Setenv("EC_TIMEOUT", "5")
	t.Setenv("LOG_MAX_BYTES", "2048")
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(RoleAll); err != nil {
		t.Fatalf("Validate = %v, want nil", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"OrchURL", c.OrchURL, "orch.example:8443"},
		{"ECTimeout", c.ECTimeout, 5},
		{"LogMaxBytes", c.LogMaxBytes, int64(2048)},
		{"DBBucket default", c.DBBucket, "ECTELEM"},
		{"DBOrg default", c.DBOrg, "ECTELEM"},
		{"DiscoveryInterval default", c.DiscoveryInterval, 60 * time.Second},
		{"Reachability default", c.Reachability, "icmp"},
		{"BackfillMax default", c.BackfillMax, 24 * time.Hour},
		{"FirstContactMins default", c.FirstContactMins, 3},
		{"MinuteMaxPoints default", c.MinuteMaxPoints, 50000},
		{"LogMaxBackups default", c.LogMaxBackups, 5},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestValidateReportsEveryProblemAtOnce(t *testing.T) {
	setEnv(t, map[string]string{
		"ORCH_URL": "", "ORCH_API_KEY": "", "EC_USER": "", "EC_PW": "", "DB_URL": "ftp://x",
		"REDIS_ADDR": "", "REACHABILITY": "carrier-pigeon", "LOG_LEVEL": "LOUD", "EC_TIMEOUT": "0",
		"WORKER_CONCURRENCY": "0", "DISCOVERY_INTERVAL": "1s", "MINUTE_STATS_MAX_POINTS": "10",
		"SOURCES_DISABLED": "disk,floppy", "SOURCE_INTERVALS": "cpu=10s",
		"EC_CONNECTIONS": "17", "EC_TLS_SESSION_CACHE": "0", "DB_WRITE_CONCURRENCY": "0",
		"EC_TLS_CURVES": "X25519,P-257",
	})
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate(RoleAll)
	if err == nil {
		t.Fatal("Validate = nil, want errors")
	}
	for _, want := range []string{
		"ORCH_URL is required and empty",
		"ORCH_API_KEY (or ORCH_USER and ORCH_PW) is required and empty",
		"EC_USER is required and empty",
		"EC_PW is required and empty",
		`DB_URL "ftp://x" must be an http:// or https:// URL`,
		"REDIS_ADDR is required and empty",
		`REACHABILITY "carrier-pigeon" must be icmp, tcp or none`,
		`LOG_LEVEL "LOUD" must be one of`,
		"EC_TIMEOUT 0 must be between 1 and 60 seconds",
		"WORKER_CONCURRENCY 0 must be between 1 and 4096",
		"EC_CONNECTIONS 17 must be between 1 and 16",
		"EC_TLS_SESSION_CACHE 0 must be at least 1",
		`EC_TLS_CURVES: unknown key exchange "P-257"`,
		"DB_WRITE_CONCURRENCY 0 must be between 1 and 1024",
		"DISCOVERY_INTERVAL 1s is shorter than 10s",
		"MINUTE_STATS_MAX_POINTS 10 must be at least 1000",
		`SOURCES_DISABLED: unknown source "floppy"; valid sources: minute_stats, traffic_class, deployment, memory, cpu, routes, alarms, tunnels, disk, system_info, realtime`,
		"SOURCE_INTERVALS: cpu=10s must be between 1m and 24h",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate error lacks %q; got:\n%v", want, err)
		}
	}
}

func TestValidateByRole(t *testing.T) {
	env := validEnv()
	delete(env, "EC_USER")
	delete(env, "EC_PW")
	setEnv(t, env)
	t.Setenv("EC_USER", "")
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(RoleDiscovery); err != nil {
		t.Errorf("Validate(discovery) = %v, want nil: discovery does not need EC_USER", err)
	}
	if err := c.Validate(RoleWorker); err == nil || !strings.Contains(err.Error(), "EC_USER") {
		t.Errorf("Validate(worker) = %v, want EC_USER error", err)
	}
}

// TestValidateCollectVia: a worker needs the Orchestrator's address and
// credentials only when it reads appliances through the Orchestrator.
func TestValidateCollectVia(t *testing.T) {
	for _, tc := range []struct {
		via  string
		want string
	}{
		{"direct", ""},
		{"orchestrator", "ORCH_URL is required and empty\nORCH_API_KEY (or ORCH_USER and ORCH_PW) is required and empty"},
		{"auto", "ORCH_URL is required and empty\nORCH_API_KEY (or ORCH_USER and ORCH_PW) is required and empty"},
	} {
		t.Run(tc.via, func(t *testing.T) {
			env := validEnv()
			delete(env, "ORCH_URL")
			delete(env, "ORCH_API_KEY")
			env["COLLECT_VIA"] = tc.via
			c, err := LoadFrom(mapLookup(env))
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if err := c.Validate(RoleWorker); err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("Validate(worker) with COLLECT_VIA=%s = %q, want %q", tc.via, got, tc.want)
			}
		})
	}
}

func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte("from-file-key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := validEnv()
	env["ORCH_API_KEY"] = ""
	env["ORCH_API_KEY_FILE"] = keyFile
	setEnv(t, env)
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.OrchAPIKey != "from-file-key" {
		t.Errorf("OrchAPIKey = %q, want %q (trailing newline trimmed)", c.OrchAPIKey, "from-file-key")
	}

	t.Setenv("ORCH_API_KEY", "also-set")
	t.Setenv("EC_PW", "")
	t.Setenv("EC_PW_FILE", filepath.Join(dir, "missing"))
	_, err = Load()
	if err == nil {
		t.Fatal("Load = nil, want errors")
	}
	for _, want := range []string{"ORCH_API_KEY and ORCH_API_KEY_FILE are both set", "EC_PW_FILE: cannot read secret file"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Load error lacks %q; got %v", want, err)
		}
	}
	if strings.Contains(err.Error(), "also-set") {
		t.Errorf("Load error leaks the secret: %v", err)
	}
}

func TestSecretValues(t *testing.T) {
	c := Config{OrchAPIKey: "a", ECPassword: "b", DBToken: "c", ECUser: "not-secret"}
	got := strings.Join(c.SecretValues(), ",")
	if got != "a,b,c" {
		t.Errorf("SecretValues = %q, want %q", got, "a,b,c")
	}
}

func TestParseLogLevel(t *testing.T) {
	for in, want := range map[string]string{"CRITICAL": "error", "error": "error", "WARNING": "warn", "": "info", "INFO": "info", "debug": "debug"} {
		got, err := ParseLogLevel(in)
		if err != nil || got != want {
			t.Errorf("ParseLogLevel(%q) = %q, %v, want %q", in, got, err, want)
		}
	}
}
