package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/spool"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/check")

var envLine = regexp.MustCompile(`^([A-Z][A-Z0-9_]*)=(.*)$`)

// readCheckEnv reads the NAME=value lines of testdata/check/<name>.env.
func readCheckEnv(t *testing.T, name string) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "check", name+".env"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := envLine.FindStringSubmatch(sc.Text()); m != nil {
			out[m[1]] = m[2]
		}
	}
	return out
}

// TestCheckReports runs check on one environment per testdata/check/<name>.env
// (on top of a valid one pointing at a real simulator, Redis and InfluxDB
// 1.8) and compares the whole report with <name>.out, where the servers'
// addresses read $ORCH_URL, $ORCH_HOST, $REDIS_ADDR, $DB_URL and $CLOSED_ADDR. Run with
// -update to rewrite the .out files, then review the diff.
func TestCheckReports(t *testing.T) {
	sim := testenv.StartSimulator(t, simulator.Config{Appliances: 3, Seed: 2})
	rs := testenv.StartRedis(t)
	db := testenv.StartInfluxDB(t)
	closed := testenv.ClosedPort(t)
	rdb := rs.Client(t)
	if err := rdb.RPush(t.Context(), spool.DefaultKey, "a", "b").Err(); err != nil {
		t.Fatal(err)
	}
	// Two entries for the one simulator: ORCHESTRATORS_FILE's check lists
	// each by name.
	orchFile := filepath.Join(t.TempDir(), "orchestrators.yaml")
	if err := os.WriteFile(orchFile, []byte(fmt.Sprintf("orchestrators:\n"+
		"  - {name: emea, url: %q, api_key: %s, limit_file: testdata/check/limit_appliances.json}\n"+
		"  - {name: amer, url: %q, api_key: %s, collect_all: true, collect_via: orchestrator}\n",
		sim.OrchestratorURL(), simulator.DefaultAPIKey, sim.OrchestratorURL(), simulator.DefaultAPIKey)), 0o600); err != nil {
		t.Fatal(err)
	}
	addrs := strings.NewReplacer("$ORCH_URL", sim.OrchestratorURL(), "$REDIS_ADDR", rs.Addr, "$DB_URL", db.URL, "$CLOSED_ADDR", closed,
		"$ORCHESTRATORS_FILE", orchFile)
	orchHost := strings.TrimPrefix(sim.OrchestratorURL(), "https://")
	tokens := strings.NewReplacer(orchFile, "$ORCHESTRATORS_FILE", sim.OrchestratorURL(), "$ORCH_URL", orchHost, "$ORCH_HOST", rs.Addr, "$REDIS_ADDR", db.URL, "$DB_URL", closed, "$CLOSED_ADDR")
	secrets := []string{"pw-never-printed", "wrong-key-never-printed", simulator.DefaultAPIKey, "<orch_api_key>", "<edgeconnect_password>", "<renderer_token>"}

	tests := []struct {
		name    string
		args    []string
		wantErr bool
	}{
		{name: "valid"},
		{name: "bad-values", wantErr: true},
		{name: "placeholders", wantErr: true},
		{name: "placeholders-worker", args: []string{"--role", "worker"}, wantErr: true},
		{name: "orch-url-ftp", wantErr: true},
		{name: "db-bucket-retention-policy", wantErr: true},
		{name: "limit-file-missing", args: []string{"--role", "discovery"}, wantErr: true},
		{name: "limit-file-not-json", wantErr: true},
		{name: "limit-file-worker", args: []string{"--role", "worker"}},
		{name: "compose-project-name", wantErr: true},
		{name: "database-missing", wantErr: true},
		{name: "unreachable", wantErr: true},
		{name: "sources", args: []string{"--role", "worker"}},
		{name: "sources-bad", wantErr: true},
		{name: "orchestrators-file"},
		{name: "orchestrators-file-and-orch-url", wantErr: true},
		{name: "ec-credentials-file", args: []string{"--role", "worker"}},
		{name: "ec-credentials-file-bad", args: []string{"--role", "worker"}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{
				"ORCH_URL": sim.OrchestratorURL(), "ORCH_API_KEY": simulator.DefaultAPIKey, "EC_USER": "admin",
				"EC_PW": "pw-never-printed", "DB_URL": db.URL, "DB_BUCKET": db.Database, "DB_ORG": "", "DB_TOKEN": "",
				"REDIS_ADDR": rs.Addr, "LIMIT_FILE": "testdata/check/limit_appliances.json",
			}
			for k, v := range readCheckEnv(t, tc.name) {
				env[k] = addrs.Replace(v)
			}
			lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
			var out, errOut bytes.Buffer
			err := runEnv(t.Context(), append([]string{"check"}, tc.args...), lookup, &out, &errOut)
			if (err != nil) != tc.wantErr {
				t.Errorf("check error = %v, want an error: %v", err, tc.wantErr)
			}
			if errOut.Len() > 0 {
				t.Errorf("check wrote to stderr:\n%s", errOut.String())
			}
			got := tokens.Replace(out.String())
			for _, s := range secrets {
				if strings.Contains(got, s) {
					t.Errorf("report prints the secret %q:\n%s", s, got)
				}
			}
			golden := filepath.Join("testdata", "check", tc.name+".out")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("check report (-want +got):\n%s", diff)
			}
		})
	}
	if *update {
		t.Fatal("golden files rewritten: review the diff, then run again without -update")
	}
}

// TestCheckCasesAreTested keeps testdata/check and TestCheckReports in step.
func TestCheckCasesAreTested(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "check", "*.env"))
	src, err := os.ReadFile("check_test.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), ".env"); !strings.Contains(string(src), `{name: "`+name+`"`) {
			t.Errorf("%s has no case in TestCheckReports", f)
		}
	}
}

func TestComposeProjectNameFix(t *testing.T) {
	for in, want := range map[string]string{
		"EC-Telemetry": "ec-telemetry", "My Project": "my-project", "_x": "x", "ok_1": "", "ec-telemetry": "", "!!": "ec-telemetry",
	} {
		var out bytes.Buffer
		rep := &report{w: &out}
		checkComposeProjectName(rep, func(string) (string, bool) { return in, true })
		got := ""
		if m := regexp.MustCompile(`set COMPOSE_PROJECT_NAME=(\S+)`).FindStringSubmatch(out.String()); m != nil {
			got = m[1]
		}
		if got != want {
			t.Errorf("checkComposeProjectName(%q) proposes %q, want %q (%s)", in, got, want, out.String())
		}
	}
}
