package app

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ec-telemetry/ec-telemetry/edgeconnect"
	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/logging"
	"github.com/ec-telemetry/ec-telemetry/internal/redact"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// TestEchoedLoginPasswordsNeverLogged: an appliance and an Orchestrator
// that refuse the login and echo its body (credentials included) in the
// 401 answer. The login errors, logged the way the worker and discovery
// log them, must show neither EC_PW nor ORCH_PW in any encoding, on stdout
// or in LOG_FILE.
func TestEchoedLoginPasswordsNeverLogged(t *testing.T) {
	const ecPW = `P@ss"w0rd<&>\zzQ`
	const orchPW = `0rch"Pw<&>\yyK`
	echo := simulator.Fault{EchoLogin: true}
	sim := testenv.StartSimulator(t, simulator.Config{Appliances: 2, Seed: 4,
		Faults: simulator.Faults{Appliances: echo, Orchestrator: echo}})
	dir := t.TempDir()
	cfg := config.Config{
		OrchURL: sim.OrchestratorURL(), OrchUser: "admin", OrchPassword: orchPW, ECUser: "admin", ECPassword: ecPW,
		LogLevel: "DEBUG", LogFormat: "json", LogFile: filepath.Join(dir, "ec-telemetry.log"),
		LogMaxBytes: 1 << 20, LogMaxBackups: 1,
	}
	var stdout bytes.Buffer
	log, closeLog, err := NewLogger(cfg, "worker", &stdout)
	if err != nil {
		t.Fatal(err)
	}

	oc, err := NewOrchestrator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := oc.Appliances(t.Context()); err == nil {
		t.Fatal("Orchestrator login with a wrong password succeeded")
	} else {
		log.Error().Err(err).Str("detail", err.Error()).Msg("cannot list appliances")
	}
	var addr string
	for _, a := range sim.Appliances() {
		if a.Reachable {
			addr = a.Address
		}
	}
	ec, err := edgeconnect.New(edgeconnect.Options{Address: addr, User: cfg.ECUser, Password: cfg.ECPassword,
		InsecureSkipVerify: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := ec.Login(t.Context()); err == nil {
		t.Fatal("appliance login with a wrong password succeeded")
	} else {
		log.Error().Err(err).Str(logging.FieldHostname, "EC-1").Str(logging.FieldAddress, addr).Msg("FAILED TO LOGIN")
	}
	if err := closeLog(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	if len(files) != 1 {
		t.Fatalf("log files = %v, want 1", files)
	}
	file, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{"stdout": stdout.String(), "LOG_FILE": string(file)}
	for name, out := range outputs {
		if strings.Count(out, "\n") < 2 {
			t.Fatalf("%s holds fewer than 2 lines:\n%s", name, out)
		}
		if !strings.Contains(out, "401") {
			t.Errorf("%s does not tell the login was refused:\n%s", name, out)
		}
		// Every encoding keeps these fragments, except base64 (checked
		// through Forms).
		for _, frag := range []string{"w0rd", "zzQ", "0rch", "yyK"} {
			if strings.Contains(out, frag) {
				t.Errorf("%s contains %q of a password:\n%s", name, frag, out)
			}
		}
		for _, pw := range []string{ecPW, orchPW} {
			for _, f := range redact.Forms(pw) {
				if strings.Contains(out, f) {
					t.Errorf("%s contains the password as %q", name, f)
				}
			}
		}
	}
}

// TestOTLPHeaderCredentialsAreSecrets: with OUTPUTS=...,otlp the values of
// credential headers in OTEL_EXPORTER_OTLP_HEADERS never reach a log line.
func TestOTLPHeaderCredentialsAreSecrets(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20tok-9f8e7d,x-tenant=lab")
	var out bytes.Buffer
	log, closeLog, err := logging.New(logging.Options{Service: "worker", Level: "info", Format: "json", Stdout: &out,
		Secrets: Secrets(config.Config{Outputs: "influxdb,otlp"})})
	if err != nil {
		t.Fatal(err)
	}
	defer closeLog()
	log.Warn().Str("err", "receiver said: bad header Bearer tok-9f8e7d").Str("token", "tok-9f8e7d").Msg("output cannot deliver")
	if s := out.String(); strings.Contains(s, "tok-9f8e7d") || !strings.Contains(s, "output cannot deliver") {
		t.Errorf("log line shows the token or is missing: %s", s)
	}
	if s := Secrets(config.Config{Outputs: "influxdb"}); len(s) != 0 {
		t.Errorf("without otlp: secrets %q", s)
	}
	// OTLP_SELF_METRICS sends the same headers, whatever OUTPUTS says.
	if s := Secrets(config.Config{Outputs: "influxdb", OTLPSelfMetrics: true}); !slices.Contains(s, "tok-9f8e7d") {
		t.Errorf("with OTLP_SELF_METRICS: secrets %q lack the token", s)
	}
}
