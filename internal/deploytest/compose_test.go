package deploytest

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/ec-telemetry/ec-telemetry/internal/config"
)

const (
	composeFile = "docker-compose.yml"
	monitorFile = "docker-compose.monitor.yml"
	otelFile    = "docker-compose.otel.yml"
	envFile     = "example.env"
)

// allComposeFiles and allProfiles load every service of every file.
var (
	allComposeFiles = []string{composeFile, monitorFile, otelFile}
	allProfiles     = []string{"live", "demo", "mqtt"}
)

// repoRoot returns the repository root (two levels above this package).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root %s: %v", root, err)
	}
	return root
}

// loadOpts describes one "docker compose ... config" run.
type loadOpts struct {
	files    []string // default docker-compose.yml
	profiles []string // --profile flags; nil means COMPOSE_PROFILES from the env file
	env      []string // variables that override the env file (as the shell would)
}

// loadProject loads the compose files the way the docker compose CLI does
// with --env-file example.env: the env file feeds interpolation and
// COMPOSE_PROFILES/COMPOSE_PROJECT_NAME; --profile replaces COMPOSE_PROFILES.
// The test process environment is not used.
func loadProject(t *testing.T, o loadOpts) (*types.Project, error) {
	t.Helper()
	root := repoRoot(t)
	files := o.files
	if files == nil {
		files = []string{composeFile}
	}
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = filepath.Join(root, f)
	}
	opts, err := cli.NewProjectOptions(paths,
		cli.WithWorkingDirectory(root),
		cli.WithEnv(o.env),
		cli.WithEnvFiles(filepath.Join(root, envFile)),
		cli.WithDotEnv,
		cli.WithDefaultProfiles(o.profiles...),
	)
	if err != nil {
		return nil, err
	}
	return opts.LoadProject(t.Context())
}

func mustLoad(t *testing.T, o loadOpts) *types.Project {
	t.Helper()
	p, err := loadProject(t, o)
	if err != nil {
		t.Fatalf("load %v (profiles %v, env %v): %v", o.files, o.profiles, o.env, err)
	}
	return p
}

func serviceNames(p *types.Project) []string {
	names := make([]string, 0, len(p.Services))
	for n := range p.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, err := p.GetService(name)
	if err != nil {
		t.Fatalf("GetService(%q): %v (services: %v)", name, err, serviceNames(p))
	}
	return s
}

func envValue(s types.ServiceConfig, key string) (string, bool) {
	v, ok := s.Environment[key]
	if !ok || v == nil {
		return "", false
	}
	return *v, true
}

func TestComposeProfiles(t *testing.T) {
	core := []string{"ec-telemetry-worker", "grafana", "influxdb", "redis", "renderer"}
	tests := []struct {
		name     string
		o        loadOpts
		want     []string
		disabled []string
		orchURL  string
	}{
		{
			name:     "default: COMPOSE_PROFILES=live from the env file",
			o:        loadOpts{},
			want:     append([]string{"ec-telemetry-discover"}, core...),
			disabled: []string{"ec-telemetry-discover-demo", "simulator"},
			orchURL:  "changeme-orchestrator",
		},
		{
			name:     "--profile demo replaces COMPOSE_PROFILES",
			o:        loadOpts{profiles: []string{"demo"}},
			want:     append([]string{"ec-telemetry-discover-demo", "simulator"}, core...),
			disabled: []string{"ec-telemetry-discover"},
			orchURL:  "https://simulator:8443",
		},
		{
			name:     "COMPOSE_PROFILES=live from the shell",
			o:        loadOpts{env: []string{"COMPOSE_PROFILES=live", "ORCH_URL=orch.example.net"}},
			want:     append([]string{"ec-telemetry-discover"}, core...),
			disabled: []string{"ec-telemetry-discover-demo", "simulator"},
			orchURL:  "orch.example.net",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustLoad(t, tt.o)
			want := slices.Clone(tt.want)
			sort.Strings(want)
			if diff := cmp.Diff(want, serviceNames(p)); diff != "" {
				t.Errorf("services (-want +got):\n%s", diff)
			}
			for _, d := range tt.disabled {
				if _, ok := p.DisabledServices[d]; !ok {
					t.Errorf("service %s is not disabled", d)
				}
			}
			discover := "ec-telemetry-discover"
			if _, ok := p.Services[discover]; !ok {
				discover = "ec-telemetry-discover-demo"
			}
			if got, _ := envValue(service(t, p, discover), "ORCH_URL"); got != tt.orchURL {
				t.Errorf("%s ORCH_URL = %q, want %q", discover, got, tt.orchURL)
			}
			assertRunnable(t, p)
		})
	}
}

// assertRunnable checks what "docker compose up" needs beyond a valid file:
// every dependency is an active service, every bind-mount source from this
// repository exists (host paths such as /var/lib/docker exist on a Docker
// host, not here), every service has an image.
func assertRunnable(t *testing.T, p *types.Project) {
	t.Helper()
	root := repoRoot(t) + string(filepath.Separator)
	for name, s := range p.Services {
		if s.Image == "" {
			t.Errorf("service %s has no image", name)
		}
		for dep := range s.DependsOn {
			if _, ok := p.Services[dep]; !ok {
				t.Errorf("service %s depends on %s, which is not active", name, dep)
			}
		}
		for _, v := range s.Volumes {
			if v.Type != types.VolumeTypeBind || !strings.HasPrefix(v.Source, root) {
				continue
			}
			if _, err := os.Stat(v.Source); err != nil {
				t.Errorf("service %s: bind mount source %s: %v", name, v.Source, err)
			}
		}
		if s.Build != nil {
			if _, err := os.Stat(filepath.Join(s.Build.Context, "Dockerfile")); err != nil {
				t.Errorf("service %s: build context %s has no Dockerfile: %v", name, s.Build.Context, err)
			}
		}
	}
}

func TestComposeDemoWiring(t *testing.T) {
	p := mustLoad(t, loadOpts{profiles: []string{"demo"}})
	sim := service(t, p, "simulator")
	disc := service(t, p, "ec-telemetry-discover-demo")
	worker := service(t, p, "ec-telemetry-worker")

	flags := map[string]string{}
	if len(sim.Command) == 0 || sim.Command[0] != "simulate" {
		t.Fatalf("simulator command = %q, want simulate ...", sim.Command)
	}
	for _, a := range sim.Command[1:] {
		k, v, ok := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !ok {
			t.Fatalf("simulator argument %q is not --flag=value", a)
		}
		flags[k] = v
	}
	wantFlags := map[string]string{
		"listen": "0.0.0.0:8443", "advertise": "simulator", "appliances": "20", "seed": "1",
		"api-key": "changeme-orch-api-key", "user": "changeme-ec-user", "password": "changeme-ec-password",
	}
	if diff := cmp.Diff(wantFlags, flags); diff != "" {
		t.Errorf("simulator flags (-want +got):\n%s", diff)
	}
	// The discovery and the workers use exactly what the simulator accepts.
	for _, c := range []struct {
		svc  types.ServiceConfig
		key  string
		flag string
	}{
		{disc, "ORCH_API_KEY", "api-key"},
		{worker, "EC_USER", "user"},
		{worker, "EC_PW", "password"},
	} {
		if got, _ := envValue(c.svc, c.key); got != flags[c.flag] {
			t.Errorf("%s %s = %q, want the simulator's --%s %q", c.svc.Name, c.key, got, c.flag, flags[c.flag])
		}
	}
	for key, want := range map[string]string{"COLLECT_ALL": "true", "ORCH_TLS_VERIFY": "false", "ORCH_USER": ""} {
		if got, ok := envValue(disc, key); !ok || got != want {
			t.Errorf("discover-demo %s = %q (set %v), want %q", key, got, ok, want)
		}
	}
	for _, v := range disc.Volumes {
		if strings.HasSuffix(v.Source, "limit_appliances.json") {
			t.Errorf("discover-demo mounts %s: the demo must neither read nor rewrite the limit file", v.Source)
		}
	}
	if got := disc.DependsOn["simulator"].Condition; got != types.ServiceConditionStarted {
		t.Errorf("discover-demo depends on simulator with %q, want %q", got, types.ServiceConditionStarted)
	}
	if sim.HealthCheck == nil || !sim.HealthCheck.Disable {
		t.Errorf("simulator health check = %+v, want disabled (it serves no /healthz)", sim.HealthCheck)
	}

	t.Run("SIM_APPLIANCES from the shell", func(t *testing.T) {
		p := mustLoad(t, loadOpts{profiles: []string{"demo"}, env: []string{"SIM_APPLIANCES=200"}})
		if cmd := service(t, p, "simulator").Command; !slices.Contains(cmd, "--appliances=200") {
			t.Errorf("simulator command = %q, want --appliances=200", cmd)
		}
	})
}

func TestComposeWorkerReplicasFollowWorkerCount(t *testing.T) {
	tests := []struct {
		env  []string
		want int
	}{
		{nil, 4}, // example.env
		{[]string{"WORKER_COUNT=1"}, 1},
		{[]string{"WORKER_COUNT=12"}, 12},
	}
	for _, tt := range tests {
		for _, profiles := range [][]string{nil, {"demo"}} {
			p := mustLoad(t, loadOpts{env: tt.env, profiles: profiles})
			w := service(t, p, "ec-telemetry-worker")
			if w.Deploy == nil || w.Deploy.Replicas == nil {
				t.Fatalf("worker has no deploy.replicas")
			}
			if got := *w.Deploy.Replicas; got != tt.want {
				t.Errorf("env %v profiles %v: worker replicas = %d, want %d", tt.env, profiles, got, tt.want)
			}
		}
	}
	if _, err := loadProject(t, loadOpts{env: []string{"WORKER_COUNT=four"}}); err == nil {
		t.Error("WORKER_COUNT=four loaded without error")
	}
}

func TestComposeRequiredVariables(t *testing.T) {
	for _, name := range []string{"DB_PW", "DB_TOKEN", "WORKER_COUNT", "RENDERER_TOKEN", "ORCH_URL", "EC_USER", "GRAFANA_PW"} {
		t.Run(name, func(t *testing.T) {
			for _, profiles := range [][]string{nil, {"demo"}} {
				_, err := loadProject(t, loadOpts{env: []string{name + "="}, profiles: profiles})
				want := "required variable " + name + " is missing a value"
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("profiles %v, %s empty: error = %v, want %q", profiles, name, err, want)
				}
			}
		})
	}
}

func TestComposeDemoProjectNameIsRefused(t *testing.T) {
	// The demo's example.env used COMPOSE_PROJECT_NAME=EC-Telemetry; Compose
	// v2 refuses upper-case project names (docs/deployment.md says so).
	_, err := loadProject(t, loadOpts{env: []string{"COMPOSE_PROJECT_NAME=EC-Telemetry"}})
	if err == nil || !strings.Contains(err.Error(), "invalid project name") {
		t.Fatalf("COMPOSE_PROJECT_NAME=EC-Telemetry: error = %v, want invalid project name", err)
	}
	p := mustLoad(t, loadOpts{})
	if p.Name != "ec-telemetry" {
		t.Errorf("project name = %q, want ec-telemetry (example.env)", p.Name)
	}
}

var pinnedTag = regexp.MustCompile(`^[a-z0-9./_-]+:v?[0-9]+\.[0-9]+[0-9a-z.+-]*$`)

func TestComposeImagesArePinned(t *testing.T) {
	p := mustLoad(t, loadOpts{files: allComposeFiles, profiles: allProfiles})
	want := map[string]string{
		"influxdb": "influxdb:2.9.1-alpine",
		"redis":    "redis:8.8-alpine",
		"grafana":  "grafana/grafana:13.1.0",
		"renderer": "grafana/grafana-image-renderer:v5.12.0",
	}
	for name, s := range p.Services {
		img := s.Image
		if s.Build != nil {
			if img != "ec-telemetry:local" {
				t.Errorf("service %s builds image %q, want ec-telemetry:local", name, img)
			}
			continue
		}
		if strings.HasSuffix(img, ":latest") || !strings.Contains(img, ":") || !pinnedTag.MatchString(img) {
			t.Errorf("service %s image %q is not pinned to a version", name, img)
		}
		if strings.HasPrefix(img, "influxdb:") && !strings.HasPrefix(img, "influxdb:2.") {
			t.Errorf("service %s image %q is not InfluxDB 2.x", name, img)
		}
		if w, ok := want[name]; ok && img != w {
			t.Errorf("service %s image = %q, want %q", name, img, w)
		}
	}
}

// shutdownTimeoutDefault reads SHUTDOWN_TIMEOUT's default from the config
// struct, so the test follows a change of the default.
func shutdownTimeoutDefault(t *testing.T) time.Duration {
	t.Helper()
	f, ok := reflect.TypeOf(config.Config{}).FieldByName("ShutdownTimeout")
	if !ok {
		t.Fatal("config.Config has no ShutdownTimeout field")
	}
	d, err := time.ParseDuration(f.Tag.Get("default"))
	if err != nil {
		t.Fatalf("ShutdownTimeout default: %v", err)
	}
	return d
}

func TestComposeWorker(t *testing.T) {
	p := mustLoad(t, loadOpts{})
	w := service(t, p, "ec-telemetry-worker")
	if diff := cmp.Diff([]string{"worker"}, []string(w.Command)); diff != "" {
		t.Errorf("worker command (-want +got):\n%s", diff)
	}
	if w.ContainerName != "" {
		t.Errorf("worker container_name = %q, want none (replicas)", w.ContainerName)
	}
	if !slices.Equal(w.CapDrop, []string{"ALL"}) || !slices.Equal(w.CapAdd, []string{"NET_RAW"}) {
		t.Errorf("worker cap_drop %v cap_add %v, want [ALL] and [NET_RAW]", w.CapDrop, w.CapAdd)
	}
	if got := w.Sysctls["net.ipv4.ping_group_range"]; got != "0 2147483647" {
		t.Errorf("worker sysctl net.ipv4.ping_group_range = %q, want every group", got)
	}
	if w.User != "" {
		t.Errorf("worker user = %q, want the image's non-root user", w.User)
	}
	if w.StopGracePeriod == nil || time.Duration(*w.StopGracePeriod) <= shutdownTimeoutDefault(t) {
		t.Errorf("worker stop_grace_period = %v, want more than SHUTDOWN_TIMEOUT's default %s",
			w.StopGracePeriod, shutdownTimeoutDefault(t))
	}
	if len(w.Ports) != 0 {
		t.Errorf("worker publishes ports %v; replicas cannot share host ports", w.Ports)
	}
	lim := w.Deploy.Resources.Limits
	if lim == nil || lim.NanoCPUs <= 0 || lim.MemoryBytes <= 0 {
		t.Errorf("worker resource limits = %+v, want cpus and memory", lim)
	}
	// The Go soft memory limit sits below the container's.
	if got, _ := envValue(w, "GOMEMLIMIT"); got != "400MiB" || lim == nil || 400<<20 >= int64(lim.MemoryBytes) {
		t.Errorf("worker GOMEMLIMIT = %q with a memory limit of %v bytes, want 400MiB below it", got, lim)
	}
	// As many Go scheduler threads as the CPU limit allows, rounded up.
	if got, _ := envValue(w, "GOMAXPROCS"); lim != nil && got != strconv.Itoa(int(math.Ceil(float64(lim.NanoCPUs)))) {
		t.Errorf("worker GOMAXPROCS = %q with a limit of %v CPUs, want the limit rounded up", got, lim.NanoCPUs)
	}
	// Pass-through: set in example.env → copied; not set → absent so the
	// binary's default applies.
	for key, want := range map[string]string{"EC_TIMEOUT": "2", "EC_USER": "changeme-ec-user", "DB_BUCKET": "ECTELEM",
		"LOG_LEVEL": "INFO", "EC_PW": "changeme-ec-password"} {
		if got, ok := envValue(w, key); !ok || got != want {
			t.Errorf("worker env %s = %q (set %v), want %q", key, got, ok, want)
		}
	}
	for _, key := range []string{"JOB_TIMEOUT", "SHUTDOWN_TIMEOUT", "REACHABILITY", "ORCH_API_KEY", "ORCH_URL"} {
		if v, ok := envValue(w, key); ok {
			t.Errorf("worker env %s = %q, want it unset", key, v)
		}
	}
	p2 := mustLoad(t, loadOpts{env: []string{"JOB_TIMEOUT=40s"}})
	if got, _ := envValue(service(t, p2, "ec-telemetry-worker"), "JOB_TIMEOUT"); got != "40s" {
		t.Errorf("worker JOB_TIMEOUT with JOB_TIMEOUT=40s = %q, want 40s", got)
	}
}

func TestComposeDiscover(t *testing.T) {
	p := mustLoad(t, loadOpts{})
	d := service(t, p, "ec-telemetry-discover")
	if diff := cmp.Diff([]string{"discover"}, []string(d.Command)); diff != "" {
		t.Errorf("discover command (-want +got):\n%s", diff)
	}
	if got, _ := envValue(d, "LIMIT_FILE"); got != "/app/limit_appliances.json" {
		t.Errorf("discover LIMIT_FILE = %q, want /app/limit_appliances.json", got)
	}
	var limit *types.ServiceVolumeConfig
	for i, v := range d.Volumes {
		if v.Target == "/app/limit_appliances.json" {
			limit = &d.Volumes[i]
		}
	}
	switch {
	case limit == nil:
		t.Error("discover does not mount limit_appliances.json at /app/limit_appliances.json")
	case limit.Source != filepath.Join(repoRoot(t), "limit_appliances.json") || limit.ReadOnly:
		t.Errorf("limit file mount = %s (read-only %v), want ./limit_appliances.json writable", limit.Source, limit.ReadOnly)
	}
	if got, _ := envValue(d, "ORCH_API_KEY"); got != "changeme-orch-api-key" {
		t.Errorf("discover ORCH_API_KEY = %q, want the env file's", got)
	}
	for _, key := range []string{"EC_USER", "EC_PW"} {
		if _, ok := envValue(d, key); ok {
			t.Errorf("discover gets %s; only workers need appliance credentials", key)
		}
	}
}

func TestComposeServicesHardening(t *testing.T) {
	p := mustLoad(t, loadOpts{files: allComposeFiles, profiles: allProfiles})
	healthy := []string{"influxdb", "redis", "grafana", "renderer", "ec-telemetry-worker", "ec-telemetry-discover",
		"ec-telemetry-discover-demo", "prometheus"}
	for name, s := range p.Services {
		if s.Logging == nil || s.Logging.Driver != "local" || s.Logging.Options["max-size"] == "" {
			t.Errorf("service %s logging = %+v, want driver local with max-size", name, s.Logging)
		}
		if s.Restart != types.RestartPolicyUnlessStopped {
			t.Errorf("service %s restart = %q, want unless-stopped", name, s.Restart)
		}
		for dep, cfg := range s.DependsOn {
			if slices.Contains(healthy, dep) && cfg.Condition != types.ServiceConditionHealthy {
				t.Errorf("service %s depends on %s with %q, want service_healthy", name, dep, cfg.Condition)
			}
		}
		if s.Image == "ec-telemetry:local" {
			if !s.ReadOnly || !slices.Equal(s.CapDrop, []string{"ALL"}) || !slices.Contains(s.SecurityOpt, "no-new-privileges:true") {
				t.Errorf("service %s: read_only %v cap_drop %v security_opt %v, want hardened", name, s.ReadOnly,
					s.CapDrop, s.SecurityOpt)
			}
		}
	}
	for _, name := range healthy {
		s := service(t, p, name)
		if s.HealthCheck == nil || s.HealthCheck.Disable || len(s.HealthCheck.Test) == 0 {
			t.Errorf("service %s has no health check", name)
		}
	}
	for _, name := range []string{"ec-telemetry-worker", "ec-telemetry-discover"} {
		want := []string{"CMD", "/usr/local/bin/ectelemetry", "health", "--quiet"}
		if got := []string(service(t, p, name).HealthCheck.Test); !slices.Equal(got, want) {
			t.Errorf("service %s health check = %q, want %q", name, got, want)
		}
	}
	for _, name := range []string{"ec-telemetry-worker", "ec-telemetry-discover", "influxdb", "grafana"} {
		for dep, cfg := range service(t, p, name).DependsOn {
			if cfg.Condition == "" {
				t.Errorf("service %s depends on %s without a condition", name, dep)
			}
		}
	}
}

func TestComposeGrafanaAndRenderer(t *testing.T) {
	p := mustLoad(t, loadOpts{})
	g := service(t, p, "grafana")
	r := service(t, p, "renderer")
	want := map[string]string{
		"GF_SECURITY_ADMIN_USER":                    "admin",
		"GF_SECURITY_ADMIN_PASSWORD":                "changeme-grafana-password",
		"GF_RENDERING_SERVER_URL":                   "http://renderer:8081/render",
		"GF_RENDERING_CALLBACK_URL":                 "http://grafana:3000/",
		"GF_RENDERING_RENDERER_TOKEN":               "changeme-renderer-token",
		"GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH": "/etc/grafana/dashboards/fleet-overview.json",
		"DB_URL":    "http://influxdb:8086",
		"DB_BUCKET": "ECTELEM",
		"DB_TOKEN":  "changeme-db-token",
	}
	for k, v := range want {
		if got, _ := envValue(g, k); got != v {
			t.Errorf("grafana env %s = %q, want %q", k, got, v)
		}
	}
	if got, _ := envValue(r, "AUTH_TOKEN"); got != "changeme-renderer-token" {
		t.Errorf("renderer AUTH_TOKEN = %q, want RENDERER_TOKEN", got)
	}
	if len(r.Ports) != 0 {
		t.Errorf("renderer publishes %v; only Grafana may reach it", r.Ports)
	}
	// Grafana starts once the renderer answers its own probe (GET /healthz
	// through the image's "healthcheck" subcommand), not merely once its
	// container exists.
	if got := g.DependsOn["renderer"].Condition; got != types.ServiceConditionHealthy {
		t.Errorf("grafana depends on renderer with %q, want service_healthy", got)
	}
	wantProbe := []string{"CMD", "/usr/bin/grafana-image-renderer", "healthcheck"}
	if r.HealthCheck == nil || !slices.Equal([]string(r.HealthCheck.Test), wantProbe) {
		t.Errorf("renderer health check = %+v, want %q", r.HealthCheck, wantProbe)
	}
	root := repoRoot(t)
	mounts := map[string]types.ServiceVolumeConfig{}
	for _, v := range g.Volumes {
		mounts[v.Target] = v
	}
	for target, src := range map[string]string{
		"/etc/grafana/provisioning": filepath.Join(root, "grafana", "provisioning"),
		"/etc/grafana/dashboards":   filepath.Join(root, "grafana", "dashboards"),
	} {
		m, ok := mounts[target]
		if !ok || m.Source != src || !m.ReadOnly {
			t.Errorf("grafana mount %s = %+v, want %s read-only", target, m, src)
		}
	}
	home, _ := envValue(g, "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH")
	if _, err := os.Stat(filepath.Join(root, "grafana", "dashboards", filepath.Base(home))); err != nil {
		t.Errorf("home dashboard: %v", err)
	}
	inf := service(t, p, "influxdb")
	for k, v := range map[string]string{
		"DOCKER_INFLUXDB_INIT_MODE": "setup", "DOCKER_INFLUXDB_INIT_USERNAME": "admin",
		"DOCKER_INFLUXDB_INIT_PASSWORD": "changeme-db-password", "DOCKER_INFLUXDB_INIT_ORG": "ECTELEM",
		"DOCKER_INFLUXDB_INIT_BUCKET": "ECTELEM", "DOCKER_INFLUXDB_INIT_RETENTION": "3d",
		"DOCKER_INFLUXDB_INIT_ADMIN_TOKEN": "changeme-db-token",
	} {
		if got, _ := envValue(inf, k); got != v {
			t.Errorf("influxdb env %s = %q, want %q", k, got, v)
		}
	}
	for _, port := range inf.Ports {
		if port.HostIP != "127.0.0.1" {
			t.Errorf("influxdb publishes %+v beyond loopback by default", port)
		}
	}
	rd := service(t, p, "redis")
	if !slices.Contains(rd.Command, "--appendonly") || len(rd.Ports) != 0 {
		t.Errorf("redis command %q ports %v, want appendonly and no published port", rd.Command, rd.Ports)
	}
}

func TestComposeMonitorOverlay(t *testing.T) {
	p := mustLoad(t, loadOpts{files: []string{composeFile, monitorFile}})
	for _, name := range []string{"cadvisor", "prometheus", "asynqmon", "alertmanager", "redis-exporter"} {
		s := service(t, p, name)
		for _, port := range s.Ports {
			if port.HostIP != "127.0.0.1" {
				t.Errorf("%s publishes %+v beyond loopback", name, port)
			}
		}
	}
	prom := service(t, p, "prometheus")
	found := false
	for _, v := range prom.Volumes {
		if v.Target == "/etc/prometheus/prometheus.yml" {
			found = true
			b, err := os.ReadFile(v.Source)
			if err != nil {
				t.Fatal(err)
			}
			for _, target := range []string{"cadvisor:8080", "ec-telemetry-worker", "ec-telemetry-discover", "asynqmon:8080", "redis-exporter:9121"} {
				if !strings.Contains(string(b), target) {
					t.Errorf("prometheus.yml does not scrape %s", target)
				}
			}
		}
	}
	if !found {
		t.Error("prometheus does not mount monitor/prometheus.yml")
	}
	for _, name := range []string{"asynqmon", "redis-exporter"} {
		if got := service(t, p, name).DependsOn["redis"].Condition; got != types.ServiceConditionHealthy {
			t.Errorf("%s depends on redis with %q, want service_healthy", name, got)
		}
	}
	if got, _ := envValue(service(t, p, "redis-exporter"), "REDIS_ADDR"); got != "redis://redis:6379" {
		t.Errorf("redis-exporter REDIS_ADDR = %q, want redis://redis:6379 (REDIS_ADDR's default)", got)
	}
	assertRunnable(t, p)

	// asynqmon and the Redis exporter read REDIS_PASSWORD from their
	// environment; on a command line the password would show in "docker
	// inspect".
	pw := mustLoad(t, loadOpts{files: []string{composeFile, monitorFile}, env: []string{"REDIS_PASSWORD=s3cret-redis"}})
	for _, name := range []string{"asynqmon", "redis-exporter"} {
		mon := service(t, pw, name)
		if got, _ := envValue(mon, "REDIS_PASSWORD"); got != "s3cret-redis" {
			t.Errorf("%s REDIS_PASSWORD = %q, want the env file's s3cret-redis", name, got)
		}
		for _, a := range append(mon.Command, mon.Entrypoint...) {
			if strings.Contains(a, "s3cret-redis") {
				t.Errorf("%s command line carries the Redis password: %q", name, a)
			}
		}
	}

	// cAdvisor from its current registry, at a release that reads Docker's
	// containerd image store, with that store mounted.
	ca := service(t, p, "cadvisor")
	m := regexp.MustCompile(`^ghcr\.io/google/cadvisor:v0\.(\d+)\.\d+$`).FindStringSubmatch(ca.Image)
	if m == nil {
		t.Fatalf("cadvisor image = %q, want ghcr.io/google/cadvisor:v0.N.M", ca.Image)
	}
	if minor, _ := strconv.Atoi(m[1]); minor < 54 {
		t.Errorf("cadvisor image = %q, want v0.54 or newer (containerd image store)", ca.Image)
	}
	mounted := map[string]bool{}
	for _, v := range ca.Volumes {
		mounted[v.Target] = v.ReadOnly
	}
	for _, target := range []string{"/rootfs", "/var/run", "/sys", "/var/lib/docker", "/var/lib/containerd", "/dev/disk"} {
		if ro, ok := mounted[target]; !ok || !ro {
			t.Errorf("cadvisor mount %s: present %v read-only %v, want a read-only mount", target, ok, ro)
		}
	}
}

// TestComposePublishedPortsBindLoopback checks that every port either file
// publishes listens on 127.0.0.1 by default and on BIND_ADDR when it is set:
// nothing reaches the network unless the operator says so.
func TestComposePublishedPortsBindLoopback(t *testing.T) {
	files := allComposeFiles
	p := mustLoad(t, loadOpts{files: files, profiles: allProfiles})
	var published int
	for name, s := range p.Services {
		published += len(s.Ports)
		for _, port := range s.Ports {
			if port.HostIP != "127.0.0.1" {
				t.Errorf("%s publishes %+v beyond loopback by default", name, port)
			}
		}
	}
	// The raw files: each port entry starts with ${BIND_ADDR:-127.0.0.1}, so
	// one variable opens them all.
	var entries [][]string
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(repoRoot(t), f))
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, regexp.MustCompile(`(?m)^\s+- "([^"]*:[0-9]+)"\s*$`).FindAllStringSubmatch(string(b), -1)...)
	}
	if len(entries) != published {
		t.Errorf("found %d quoted port entries in %v for %d published ports", len(entries), files, published)
	}
	for _, e := range entries {
		if !strings.HasPrefix(e[1], "${BIND_ADDR:-127.0.0.1}:") {
			t.Errorf("port %q does not start with ${BIND_ADDR:-127.0.0.1}:", e[1])
		}
	}
	p = mustLoad(t, loadOpts{files: files, env: []string{"BIND_ADDR=0.0.0.0"}})
	for _, name := range []string{"grafana", "influxdb", "cadvisor", "prometheus", "asynqmon", "otel-collector", "alertmanager"} {
		s := service(t, p, name)
		if len(s.Ports) == 0 {
			t.Errorf("%s publishes no port", name)
		}
		for _, port := range s.Ports {
			if port.HostIP != "0.0.0.0" {
				t.Errorf("BIND_ADDR=0.0.0.0: %s publishes %+v", name, port)
			}
		}
	}
}

// TestComposeGrafanaPasswordIsItsOwn checks that Grafana's admin password
// comes from GRAFANA_PW, not from InfluxDB's DB_PW: one leaked login must not
// open the other.
func TestComposeGrafanaPasswordIsItsOwn(t *testing.T) {
	p := mustLoad(t, loadOpts{env: []string{"DB_PW=influx-password-1", "GRAFANA_PW=grafana-password-2", "GRAFANA_USER=boss"}})
	g := service(t, p, "grafana")
	if got, _ := envValue(g, "GF_SECURITY_ADMIN_PASSWORD"); got != "grafana-password-2" {
		t.Errorf("grafana admin password = %q, want GRAFANA_PW", got)
	}
	if got, _ := envValue(g, "GF_SECURITY_ADMIN_USER"); got != "boss" {
		t.Errorf("grafana admin user = %q, want GRAFANA_USER", got)
	}
	for name, s := range p.Services {
		for k, v := range s.Environment {
			if v != nil && *v == "influx-password-1" && !(name == "influxdb" && k == "DOCKER_INFLUXDB_INIT_PASSWORD") {
				t.Errorf("service %s %s carries DB_PW; only InfluxDB's setup may", name, k)
			}
		}
	}
}

func TestComposeFilesHaveNoVersionKey(t *testing.T) {
	for _, f := range allComposeFiles {
		b, err := os.ReadFile(filepath.Join(repoRoot(t), f))
		if err != nil {
			t.Fatal(err)
		}
		if regexp.MustCompile(`(?m)^version:`).Match(b) {
			t.Errorf("%s has a top-level version: key (obsolete in the compose spec)", f)
		}
	}
}
