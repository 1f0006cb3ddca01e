package main

import (
	"errors"
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/logging"
)

// TestMain sets the process-wide log settings main sets, so that the
// commands log here as they do in production.
func TestMain(m *testing.M) {
	logging.UseIntegerMilliseconds()
	os.Exit(m.Run())
}

// TestHelp: every subcommand has a description, lists its flags as --name
// under a Flags heading only when it has flags, and 'help <subcommand>'
// prints the same as '<subcommand> --help'.
func TestHelp(t *testing.T) {
	singleDash := regexp.MustCompile(`(?m)^\s+-[a-z]`)
	for name := range commands() {
		t.Run(name, func(t *testing.T) {
			_, help, err := runCmd(t, name, "--help")
			if !errors.Is(err, flag.ErrHelp) || exitCode(err) != 0 {
				t.Fatalf("%s --help = %v, want flag.ErrHelp (exit 0)", name, err)
			}
			if !strings.HasPrefix(help, "Usage: ectelemetry "+name) {
				t.Errorf("%s --help does not start with its usage line:\n%s", name, help)
			}
			if parts := strings.SplitN(help, "\n\n", 3); len(parts) < 2 || strings.HasPrefix(parts[1], "Flags:") {
				t.Errorf("%s --help has no description:\n%s", name, help)
			}
			if strings.HasSuffix(strings.TrimSpace(help), "Flags:") {
				t.Errorf("%s --help ends with an empty Flags heading:\n%s", name, help)
			}
			if singleDash.MatchString(help) {
				t.Errorf("%s --help lists a flag as -name, want --name:\n%s", name, help)
			}
			_, viaHelp, err := runCmd(t, "help", name)
			if exitCode(err) != 0 {
				t.Errorf("help %s = %v, want exit 0", name, err)
			}
			if viaHelp != help {
				t.Errorf("help %s =\n%s\nwant the same as %s --help:\n%s", name, viaHelp, name, help)
			}
		})
	}
}

func TestHelpText(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"version", "--help"}, "Usage: ectelemetry version\n\nPrint the version and build information.\n"},
		{[]string{"check", "--help"}, "Flags:\n  --role string\n    \twhich process to check for: all, discovery or worker (default \"all\")\n" +
			"  --timeout duration\n    \ttime limit of each connectivity check (default 10s)\n"},
		{[]string{"health", "--help"}, "\n\nProbe a running process's /healthz (for container health checks).\n\nFlags:\n  --quiet\n    \tprint nothing on success\n"},
		{[]string{"discover", "--help"}, "\n  DISCOVERY_INTERVAL        default 60s\n"},
		{[]string{"discover", "--help"}, "\n  ORCH_API_KEY              secret\n"},
		{[]string{"worker", "--help"}, "\n  BACKFILL_MAX              default 24h\n"},
	}
	for _, tc := range tests {
		_, out, _ := runCmd(t, tc.args...)
		if !strings.Contains(out, tc.want) {
			t.Errorf("%s lacks %q:\n%s", strings.Join(tc.args, " "), tc.want, out)
		}
	}
}

// TestHelpListsTheRoleVariables: discover and worker list exactly the
// variables internal/config says they read.
func TestHelpListsTheRoleVariables(t *testing.T) {
	listed := regexp.MustCompile(`(?m)^  ([A-Z][A-Z0-9_]+)\b`)
	for _, tc := range []struct {
		cmd  string
		role config.Role
	}{{"discover", config.RoleDiscovery}, {"worker", config.RoleWorker}} {
		_, out, _ := runCmd(t, tc.cmd, "--help")
		var got, want []string
		for _, m := range listed.FindAllStringSubmatch(out, -1) {
			got = append(got, m[1])
		}
		for _, v := range config.Variables(tc.role) {
			want = append(want, v.Name)
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s --help lists\n%v\nwant\n%v", tc.cmd, got, want)
		}
	}
}

// TestUsageErrors checks the exact text main prints for command-line
// mistakes: flags written --name, no trailing ": usage", exit status 2.
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"version", "--x"}, "flag provided but not defined: --x (see 'ectelemetry version --help')"},
		{[]string{"check", "--role"}, "flag needs an argument: --role (see 'ectelemetry check --help')"},
		{[]string{"check", "--timeout", "abc"}, `invalid value "abc" for flag --timeout: parse error (see 'ectelemetry check --help')`},
		{[]string{"check", "--role", "both"}, `--role "both" must be all, discovery or worker`},
		{[]string{"check", "extra"}, `check takes no arguments, got ["extra"]`},
		{[]string{"health", "--quiet=maybe"}, `invalid boolean value "maybe" for --quiet: parse error (see 'ectelemetry health --help')`},
		{[]string{"bench", "--outputs", "influxdb,mqtt"}, `--outputs influxdb,mqtt needs a broker at MQTT_URL ('make bench' starts one)`},
		{[]string{"nope"}, `unknown subcommand "nope"`},
		{[]string{"help", "nope"}, `unknown subcommand "nope"`},
		{[]string{"help", "check", "worker"}, `help takes one subcommand, got ["check" "worker"]`},
		{nil, "no subcommand given"},
	}
	for _, tc := range tests {
		_, out, err := runCmd(t, tc.args...)
		if err == nil {
			t.Errorf("%q: err = nil, want %q", tc.args, tc.want)
			continue
		}
		if got := errorText(err); got != tc.want {
			t.Errorf("errorText(%q) = %q, want %q", tc.args, got, tc.want)
		}
		if exitCode(err) != 2 {
			t.Errorf("exitCode(%q) = %d, want 2", tc.args, exitCode(err))
		}
		if strings.Contains(out, "Flags:") {
			t.Errorf("%q printed the help for a mistake:\n%s", tc.args, out)
		}
	}
}

func TestVersion(t *testing.T) {
	out, _, err := runCmd(t, "version")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^ectelemetry dev \(go[0-9.]+[^)]*\)\n$`).MatchString(out) {
		t.Errorf("version = %q, want \"ectelemetry dev (goX.Y...)\"", out)
	}
}
