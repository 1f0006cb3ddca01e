package deploytest

import (
	"bufio"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ec-telemetry/ec-telemetry/internal/config"
)

// demoVariables are the Python demo's example.env names, in its order.
var demoVariables = []string{
	"ORCH_URL", "ORCH_API_KEY", "EC_USER", "EC_PW", "DB_TOKEN", "DB_USER", "DB_PW", "WORKER_COUNT",
	"COMPOSE_PROJECT_NAME", "LOG_LEVEL", "LOG_MAX_BYTES", "LOG_MAX_BACKUPS", "EC_TIMEOUT", "DB_ORG", "DB_URL",
	"DB_BUCKET", "DB_RETENTION",
}

// envLine is one variable line of example.env: "NAME=value" (active) or
// "# NAME=value" (a documented default or example).
type envLine struct {
	name, value string
	active      bool
	line        int
	explained   bool // a "##" line precedes it in the same block
}

var (
	activeVar    = regexp.MustCompile(`^([A-Z][A-Z0-9_]*)=(.*)$`)
	commentedVar = regexp.MustCompile(`^# ([A-Z][A-Z0-9_]*)=(.*)$`)
)

func readEnvFile(t *testing.T) []envLine {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot(t), envFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []envLine
	explained := false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		switch {
		case strings.TrimSpace(l) == "":
			explained = false
		case strings.HasPrefix(l, "##"):
			explained = true
		}
		if m := activeVar.FindStringSubmatch(l); m != nil {
			out = append(out, envLine{name: m[1], value: m[2], active: true, line: n, explained: explained})
		} else if m := commentedVar.FindStringSubmatch(l); m != nil {
			out = append(out, envLine{name: m[1], value: m[2], line: n, explained: explained})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// configVariables returns every variable internal/config reads, with its
// default (envconfig tags).
func configVariables() map[string]string {
	out := map[string]string{}
	rt := reflect.TypeOf(config.Config{})
	for i := range rt.NumField() {
		f := rt.Field(i)
		if name := f.Tag.Get("envconfig"); name != "" {
			out[name] = f.Tag.Get("default")
		}
	}
	return out
}

// deploymentVariables are example.env variables the binary does not read:
// Compose's own and the compose files' knobs, and the render command's.
var deploymentVariables = []string{
	"COMPOSE_PROJECT_NAME", "COMPOSE_PROFILES", "EC_TELEMETRY_TAG", "BIND_ADDR", "GRAFANA_PORT",
	"INFLUXDB_PORT", "INFLUX_CACHE_SNAPSHOT_BYTES", "INFLUX_CACHE_MAX_BYTES", "GRAFANA_USER", "GRAFANA_PW", "WORKER_CPUS", "WORKER_MEMORY", "WORKER_GOMEMLIMIT", "WORKER_GOMAXPROCS", "RENDERER_TOKEN", "RENDERER_MEMORY",
	"RENDERER_GOMEMLIMIT", "SIM_APPLIANCES", "SIM_SEED", "GRAFANA_URL", "GRAFANA_TOKEN", "PROMETHEUS_PORT",
	"CADVISOR_PORT", "ASYNQMON_PORT", "PROMETHEUS_RETENTION",
	// Alerting (docs/alerting.md): Grafana's rules and destinations, its SMTP
	// client, the monitoring overlay's Alertmanager.
	"ALERT_EVAL_INTERVAL", "ALERT_OFFLINE_FOR", "ALERT_FOR", "ALERT_NO_DATA_SECONDS", "ALERT_TUNNELS_DOWN",
	"ALERT_LOSS_PCT", "ALERT_LATENCY_MS", "ALERT_JITTER_MS", "ALERT_WAN_UTIL_PCT", "ALERT_WEBHOOK_URL",
	"ALERT_SLACK_WEBHOOK_URL", "ALERT_EMAIL_TO", "ALERT_REPEAT_INTERVAL", "SMTP_ENABLED", "SMTP_HOST", "SMTP_USER",
	"SMTP_PASSWORD", "SMTP_FROM", "SMTP_STARTTLS_POLICY", "ALERTMANAGER_PORT", "ALERTMANAGER_WEBHOOK_URL",
}

func TestExampleEnvDocumentsEveryVariable(t *testing.T) {
	lines := readEnvFile(t)
	documented := map[string]envLine{}
	var order []string
	for _, l := range lines {
		if _, ok := documented[l.name]; !ok {
			documented[l.name] = l
			order = append(order, l.name)
		}
		if !l.explained {
			t.Errorf("example.env:%d %s has no ## explanation line above it", l.line, l.name)
		}
	}
	if diff := cmp.Diff(demoVariables, order[:min(len(order), len(demoVariables))]); diff != "" {
		t.Errorf("example.env must start with the demo's variables in the demo's order (-want +got):\n%s", diff)
	}
	cfg := configVariables()
	for name := range cfg {
		if _, ok := documented[name]; !ok {
			t.Errorf("example.env does not document %s (read by internal/config)", name)
		}
	}
	for _, name := range order {
		if _, ok := cfg[name]; !ok && !slices.Contains(deploymentVariables, name) {
			t.Errorf("example.env documents %s, which neither internal/config nor the deployment uses", name)
		}
	}
}

func TestExampleEnvDefaultsMatchConfig(t *testing.T) {
	// The container sets LIMIT_FILE to the mounted file; the binary's own
	// default is relative to its working directory.
	inContainer := map[string]string{"LIMIT_FILE": "/app/limit_appliances.json"}
	seen := map[string]bool{}
	for name, def := range configVariables() {
		for _, l := range readEnvFile(t) {
			if l.name != name || l.active || seen[name] {
				continue
			}
			seen[name] = true // the first commented line is the default
			want := def
			if v, ok := inContainer[name]; ok {
				want = v
			}
			if l.value != want {
				t.Errorf("example.env:%d documents %s default %q, internal/config says %q", l.line, name, l.value, want)
			}
		}
	}
}

func TestExampleEnvPassesConfigValidation(t *testing.T) {
	for _, l := range readEnvFile(t) {
		if l.active {
			t.Setenv(l.name, l.value)
		}
	}
	c, err := config.Load()
	if err != nil {
		t.Fatalf("config.Load with example.env: %v", err)
	}
	if err := c.Validate(config.RoleAll); err != nil {
		t.Errorf("example.env does not validate: %v", err)
	}
	if c.WorkerCount != 4 || c.ECTimeout != 2 || c.DBBucket != "ECTELEM" {
		t.Errorf("config from example.env = WORKER_COUNT %d EC_TIMEOUT %d DB_BUCKET %q, want 4, 2, ECTELEM",
			c.WorkerCount, c.ECTimeout, c.DBBucket)
	}
}

// TestComposeVariablesAreDocumented checks that every ${VAR} the compose
// files interpolate is documented in example.env.
func TestComposeVariablesAreDocumented(t *testing.T) {
	documented := map[string]bool{}
	for _, l := range readEnvFile(t) {
		documented[l.name] = true
	}
	ref := regexp.MustCompile(`\$\{([A-Z][A-Z0-9_]*)`)
	for _, f := range allComposeFiles {
		b, err := os.ReadFile(filepath.Join(repoRoot(t), f))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ref.FindAllStringSubmatch(string(b), -1) {
			if !documented[m[1]] {
				t.Errorf("%s uses ${%s}, which example.env does not document", f, m[1])
			}
		}
	}
}

func TestLimitAppliancesFile(t *testing.T) {
	lf, err := config.ReadLimitFile(filepath.Join(repoRoot(t), "limit_appliances.json"))
	if err != nil {
		t.Fatalf("limit_appliances.json: %v", err)
	}
	if len(lf.ApplianceSubset) != 0 || len(lf.Example) == 0 || lf.Comment == "" {
		t.Errorf("limit_appliances.json = %+v, want an empty appliance_subset, examples and a comment", lf)
	}
}

// TestComposePassesEveryVariable checks that every variable the
// configuration reference gives to discovery (D) or the workers (W) reaches
// that container when the env file sets it: a variable the compose file
// forgets is silently ignored in production.
func TestComposePassesEveryVariable(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("^\\| (`[A-Z][A-Z0-9_]*`(?:, `[A-Z][A-Z0-9_]*`)*) \\| [^|]* \\| ([^|]*) \\|")
	name := regexp.MustCompile("`([A-Z][A-Z0-9_]*)`")
	want := map[string][]string{} // service → variables
	var env []string
	for _, line := range strings.Split(string(doc), "\n") {
		m := row.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		roles := strings.Fields(m[2])
		for _, n := range name.FindAllStringSubmatch(m[1], -1) {
			for _, r := range roles {
				switch r {
				case "D":
					want["ec-telemetry-discover"] = append(want["ec-telemetry-discover"], n[1])
				case "W":
					want["ec-telemetry-worker"] = append(want["ec-telemetry-worker"], n[1])
				default:
					continue
				}
				env = append(env, n[1]+"=set-by-test")
			}
		}
	}
	if len(want["ec-telemetry-worker"]) < 20 || len(want["ec-telemetry-discover"]) < 15 {
		t.Fatalf("found too few variables in docs/configuration.md: %v", want)
	}
	p := mustLoad(t, loadOpts{env: env})
	for svc, vars := range want {
		s := service(t, p, svc)
		for _, v := range vars {
			if _, ok := envValue(s, v); !ok {
				t.Errorf("%s: %s is documented for it but docker-compose.yml does not pass it", svc, v)
			}
		}
	}
}

// placeholderVariables are the example.env values an operator must replace.
// Each starts with "changeme", the prefix "ectelemetry check" refuses; the
// demo profile runs with them as they are.
var placeholderVariables = []string{
	"ORCH_URL", "ORCH_API_KEY", "EC_USER", "EC_PW", "DB_TOKEN", "DB_PW", "GRAFANA_PW", "RENDERER_TOKEN",
}

func TestExampleEnvPlaceholders(t *testing.T) {
	var got []string
	for _, l := range readEnvFile(t) {
		if !l.active {
			continue
		}
		if strings.HasPrefix(l.value, "changeme") {
			got = append(got, l.name)
		}
		if strings.ContainsAny(l.value, "<>") {
			t.Errorf("example.env:%d %s=%s: mark placeholders with the changeme prefix", l.line, l.name, l.value)
		}
	}
	want := slices.Clone(placeholderVariables)
	slices.Sort(want)
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("example.env variables with a changeme placeholder (-want +got):\n%s", diff)
	}
	// The placeholders reach the containers as they are, and the Grafana and
	// InfluxDB passwords differ even there.
	p := mustLoad(t, loadOpts{})
	g, _ := envValue(service(t, p, "grafana"), "GF_SECURITY_ADMIN_PASSWORD")
	i, _ := envValue(service(t, p, "influxdb"), "DOCKER_INFLUXDB_INIT_PASSWORD")
	if !strings.HasPrefix(g, "changeme") || !strings.HasPrefix(i, "changeme") || g == i {
		t.Errorf("grafana password %q, influxdb password %q: want two different changeme placeholders", g, i)
	}
}
