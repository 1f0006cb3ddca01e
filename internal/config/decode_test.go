package config

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// envFileLine is an active "NAME=value" line of an env file.
var envFileLine = regexp.MustCompile(`^([A-Z][A-Z0-9_]*)=(.*)$`)

// readEnvFile returns the active variables of an env file in order, as
// name=value pairs; comments and blank lines are skipped.
func readEnvFile(t *testing.T, path string) [][2]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][2]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := envFileLine.FindStringSubmatch(sc.Text()); m != nil {
			out = append(out, [2]string{m[1], m[2]})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// mapLookup turns a map into a lookup function like os.LookupEnv.
func mapLookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// TestInvalidConfigs loads each testdata/invalid/<name>.env on top of a
// valid environment and checks the exact text of every problem reported by
// LoadFrom and Validate together, as check prints them.
func TestInvalidConfigs(t *testing.T) {
	tests := []struct {
		name string
		want string
	}{
		{"bad-values", "EC_TIMEOUT=abc: not a whole number (examples: 0, 2, 64)\n" +
			"COLLECT_ALL=maybe: not a boolean (true or false)\n" +
			"BACKFILL_MAX=forever: not a duration (examples: 12s, 1m)"},
		{"duration-without-unit", "DISCOVERY_INTERVAL=60: not a duration: a number needs a unit (examples: 12s, 1m)"},
		{"number-too-large", "REDIS_DB=99999999999999999999: number too large"},
		{"value-with-space", `WORKER_CONCURRENCY="6 4": not a whole number (examples: 0, 2, 64)`},
		{"parse-and-validate", "SHUTDOWN_TIMEOUT=soon: not a duration (examples: 12s, 1m)\n" +
			"EC_USER is required and empty\n" +
			`REACHABILITY "carrier-pigeon" must be icmp, tcp or none`},
		{"status-thresholds", "STATUS_STALE_AFTER 30s must be between 2m and 24h\n" +
			"STATUS_TUNNELS_DOWN -1 must be between 0 (never) and 100000"},
		{"orch-url-ftp", `ORCH_URL "ftp://orch.example.net": scheme "ftp" is not supported: use https:// or give only host[:port]`},
		{"orch-url-http", `ORCH_URL "http://orch.example.net": scheme "http" is not supported: use https:// or give only host[:port]`},
		{"orch-url-credentials", `ORCH_URL "https://***@orch.example.net" must not hold a user or password: use ORCH_API_KEY, or ORCH_USER and ORCH_PW`},
		{"orch-url-port", `ORCH_URL "orch.example.net:84430": port "84430" is not a number between 1 and 65535`},
		{"db-url-scheme", `DB_URL "ftp://***@influxdb:8086" must be an http:// or https:// URL`},
		{"db-bucket-retention-policy", `DB_BUCKET "ectelem/week" holds a retention policy, which Grafana's datasource would take as part of the database name: ` +
			`set DB_BUCKET=ectelem and make "week" the default retention policy of "ectelem"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := validEnv()
			for _, kv := range readEnvFile(t, filepath.Join("testdata", "invalid", tc.name+".env")) {
				env[kv[0]] = kv[1]
			}
			c, err := LoadFrom(mapLookup(env))
			err = errors.Join(err, c.Validate(RoleAll))
			if err == nil {
				t.Fatalf("LoadFrom+Validate(%s) = nil, want\n%s", tc.name, tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("LoadFrom+Validate(%s) =\n%s\nwant\n%s", tc.name, err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error text shows a password: %v", err)
			}
		})
	}
}

// TestEveryInvalidCaseIsTested keeps testdata/invalid and the table in step.
func TestEveryInvalidCaseIsTested(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "invalid", "*.env"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/invalid/*.env: %v", err)
	}
	src, err := os.ReadFile("decode_test.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".env")
		if !strings.Contains(string(src), `{"`+name+`", `) {
			t.Errorf("%s has no case in TestInvalidConfigs", f)
		}
	}
}

func TestDefaultsParse(t *testing.T) {
	var c Config
	if err := decode(&c, mapLookup(nil)); err != nil {
		t.Fatalf("decode of the defaults = %v, want nil: a default tag does not parse", err)
	}
	if err := c.Validate(RoleAll); !strings.Contains(fmtErr(err), "ORCH_URL is required") {
		t.Errorf("Validate(defaults) = %v, want only the required variables missing", err)
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestDecode(t *testing.T) {
	type spec struct {
		Key     int           `envconfig:"KEY" secret:"true"`
		Wait    time.Duration `envconfig:"WAIT" default:"5s"`
		On      bool          `envconfig:"ON" default:"true"`
		Org     string        `envconfig:"ORG" default:"ECTELEM"`
		Ignored string
	}
	tests := []struct {
		name    string
		env     map[string]string
		want    spec
		wantErr string
	}{
		{"defaults", nil, spec{Wait: 5 * time.Second, On: true, Org: "ECTELEM"}, ""},
		{"set", map[string]string{"KEY": "7", "WAIT": "1m", "ON": "false", "ORG": "x"}, spec{Key: 7, Wait: time.Minute, Org: "x"}, ""},
		{"empty string stays empty", map[string]string{"ORG": ""}, spec{Wait: 5 * time.Second, On: true}, ""},
		{"empty number takes the default", map[string]string{"WAIT": " ", "ON": ""}, spec{Wait: 5 * time.Second, On: true, Org: "ECTELEM"}, ""},
		{"surrounding spaces", map[string]string{"WAIT": " 2s "}, spec{Wait: 2 * time.Second, On: true, Org: "ECTELEM"}, ""},
		{"secret masked, bad value keeps the default", map[string]string{"KEY": "s3cret", "WAIT": "x"},
			spec{Wait: 5 * time.Second, On: true, Org: "ECTELEM"},
			"KEY=***: not a whole number (examples: 0, 2, 64)\nWAIT=x: not a duration (examples: 12s, 1m)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got spec
			err := decode(&got, mapLookup(tc.env))
			if fmtErr(err) != tc.wantErr {
				t.Errorf("decode error = %q, want %q", fmtErr(err), tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("decode = %+v, want %+v", got, tc.want)
			}
		})
	}
}
