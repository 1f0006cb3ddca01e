package deploytest

import (
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

// collectorConfig is the part of otel/collector.yaml the tests read.
type collectorConfig struct {
	Receivers map[string]struct {
		Protocols map[string]struct {
			Endpoint string `yaml:"endpoint"`
		} `yaml:"protocols"`
	} `yaml:"receivers"`
	Processors map[string]any `yaml:"processors"`
	Exporters  map[string]struct {
		Endpoint string `yaml:"endpoint"`
	} `yaml:"exporters"`
	Extensions map[string]any `yaml:"extensions"`
	Service    struct {
		Extensions []string `yaml:"extensions"`
		Pipelines  map[string]struct {
			Receivers  []string `yaml:"receivers"`
			Processors []string `yaml:"processors"`
			Exporters  []string `yaml:"exporters"`
		} `yaml:"pipelines"`
	} `yaml:"service"`
}

// portOf returns the port of a host:port endpoint.
func portOf(t *testing.T, endpoint string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(endpoint)
	if err != nil {
		t.Fatalf("endpoint %q: %v", endpoint, err)
	}
	return port
}

// TestComposeOtelOverlay checks docker-compose.otel.yml on top of
// docker-compose.yml (and of the monitoring overlay): the collector runs a
// pinned image with otel/collector.yaml, the workers send OTLP to it, and the
// monitoring overlay's Prometheus scrapes the port its exporter serves.
func TestComposeOtelOverlay(t *testing.T) {
	p := mustLoad(t, loadOpts{files: []string{composeFile, otelFile}})
	assertRunnable(t, p)
	col := service(t, p, "otel-collector")
	if !regexp.MustCompile(`^otel/opentelemetry-collector-contrib:0\.\d+\.\d+$`).MatchString(col.Image) {
		t.Errorf("otel-collector image = %q, want otel/opentelemetry-collector-contrib:0.N.M", col.Image)
	}
	if !col.ReadOnly || !slices.Equal(col.CapDrop, []string{"ALL"}) {
		t.Errorf("otel-collector read_only %v cap_drop %v, want a read-only root and no capabilities", col.ReadOnly, col.CapDrop)
	}

	// The configuration file: mounted where the command reads it, and valid YAML.
	var cfgPath string
	for _, v := range col.Volumes {
		if v.Target == "/etc/otelcol-contrib/config.yaml" {
			cfgPath = v.Source
			if !v.ReadOnly {
				t.Errorf("otel-collector mounts %s writable", v.Source)
			}
		}
	}
	if cfgPath != filepath.Join(repoRoot(t), "otel", "collector.yaml") {
		t.Fatalf("otel-collector config mount = %q, want otel/collector.yaml", cfgPath)
	}
	if !slices.Contains(col.Command, "--config=/etc/otelcol-contrib/config.yaml") {
		t.Errorf("otel-collector command %v does not read the mounted config", col.Command)
	}
	b, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	var cfg collectorConfig
	if err := yaml.Load(b, &cfg); err != nil {
		t.Fatalf("otel/collector.yaml: %v", err)
	}
	otlp, ok := cfg.Receivers["otlp"]
	if !ok {
		t.Fatalf("otel/collector.yaml has no otlp receiver: %+v", cfg.Receivers)
	}
	for proto, port := range map[string]string{"grpc": "4317", "http": "4318"} {
		ep, ok := otlp.Protocols[proto]
		if !ok {
			t.Errorf("otlp receiver has no %s protocol", proto)
			continue
		}
		if got := portOf(t, ep.Endpoint); got != port {
			t.Errorf("otlp %s endpoint %q, want port %s", proto, ep.Endpoint, port)
		}
		// 0.0.0.0: the workers reach it over the compose network.
		if !strings.HasPrefix(ep.Endpoint, "0.0.0.0:") {
			t.Errorf("otlp %s endpoint %q listens on loopback only, out of the workers' reach", proto, ep.Endpoint)
		}
	}
	prom, ok := cfg.Exporters["prometheus"]
	if !ok {
		t.Fatalf("otel/collector.yaml has no prometheus exporter: %+v", cfg.Exporters)
	}
	promPort := portOf(t, prom.Endpoint)
	metrics, ok := cfg.Service.Pipelines["metrics"]
	if !ok || !slices.Contains(metrics.Receivers, "otlp") || !slices.Contains(metrics.Exporters, "prometheus") {
		t.Errorf("metrics pipeline = %+v, want otlp → prometheus", metrics)
	}
	// Every component a pipeline names is defined (the collector refuses to
	// start otherwise).
	for name, pl := range cfg.Service.Pipelines {
		for _, r := range pl.Receivers {
			if _, ok := cfg.Receivers[r]; !ok {
				t.Errorf("pipeline %s: receiver %s is not defined", name, r)
			}
		}
		for _, pr := range pl.Processors {
			if _, ok := cfg.Processors[pr]; !ok {
				t.Errorf("pipeline %s: processor %s is not defined", name, pr)
			}
		}
		for _, e := range pl.Exporters {
			if _, ok := cfg.Exporters[e]; !ok {
				t.Errorf("pipeline %s: exporter %s is not defined", name, e)
			}
		}
	}
	for _, e := range cfg.Service.Extensions {
		if _, ok := cfg.Extensions[e]; !ok {
			t.Errorf("service extension %s is not defined", e)
		}
	}
	// The exporter's port is the one published (on BIND_ADDR, like every port).
	if len(col.Ports) != 1 || col.Ports[0].Target != mustAtoi(t, promPort) || col.Ports[0].HostIP != "127.0.0.1" {
		t.Errorf("otel-collector ports = %+v, want only the prometheus exporter's %s on 127.0.0.1", col.Ports, promPort)
	}

	// The workers send OTLP over HTTP to the collector, and OUTPUTS names otlp
	// unless the env file sets OUTPUTS.
	w := service(t, p, "ec-telemetry-worker")
	ep, _ := envValue(w, "OTEL_EXPORTER_OTLP_ENDPOINT")
	u, err := url.Parse(ep)
	if err != nil || u.Scheme != "http" || u.Hostname() != "otel-collector" || u.Port() != portOf(t, otlp.Protocols["http"].Endpoint) {
		t.Errorf("worker OTEL_EXPORTER_OTLP_ENDPOINT = %q, want http://otel-collector:<otlp http port>", ep)
	}
	// Discovery sends its own metrics (OTLP_SELF_METRICS) to the same place.
	if got, _ := envValue(service(t, p, "ec-telemetry-discover"), "OTEL_EXPORTER_OTLP_ENDPOINT"); got != ep {
		t.Errorf("discovery OTEL_EXPORTER_OTLP_ENDPOINT = %q, want the workers' %q", got, ep)
	}
	if got, _ := envValue(w, "OUTPUTS"); got != "influxdb,otlp" {
		t.Errorf("worker OUTPUTS = %q, want influxdb,otlp", got)
	}
	if _, ok := w.DependsOn["otel-collector"]; !ok {
		t.Errorf("worker does not depend on otel-collector: %v", w.DependsOn)
	}
	// The overlay adds to the worker's environment; it replaces nothing else.
	if got, _ := envValue(w, "EC_USER"); got != "changeme-ec-user" {
		t.Errorf("worker EC_USER with the overlay = %q, want the env file's", got)
	}
	if _, ok := w.DependsOn["redis"]; !ok {
		t.Errorf("worker with the overlay lost its dependency on redis: %v", w.DependsOn)
	}
	p2 := mustLoad(t, loadOpts{files: []string{composeFile, otelFile}, env: []string{"OUTPUTS=influxdb,mqtt,otlp"}})
	if got, _ := envValue(service(t, p2, "ec-telemetry-worker"), "OUTPUTS"); got != "influxdb,mqtt,otlp" {
		t.Errorf("worker OUTPUTS with OUTPUTS=influxdb,mqtt,otlp = %q", got)
	}

	// With the monitoring overlay too: its Prometheus scrapes the collector
	// at the exporter's port.
	pm := mustLoad(t, loadOpts{files: []string{composeFile, otelFile, monitorFile}, profiles: []string{"live", "mqtt"}})
	assertRunnable(t, pm)
	pb, err := os.ReadFile(filepath.Join(repoRoot(t), "monitor", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var pcfg struct {
		ScrapeConfigs []struct {
			JobName      string `yaml:"job_name"`
			DNSSDConfigs []struct {
				Names []string `yaml:"names"`
				Port  int      `yaml:"port"`
			} `yaml:"dns_sd_configs"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Load(pb, &pcfg); err != nil {
		t.Fatalf("monitor/prometheus.yml: %v", err)
	}
	scraped := false
	for _, sc := range pcfg.ScrapeConfigs {
		for _, d := range sc.DNSSDConfigs {
			if slices.Contains(d.Names, "otel-collector") && uint32(d.Port) == mustAtoi(t, promPort) {
				scraped = true
			}
		}
		for _, s := range sc.StaticConfigs {
			if slices.Contains(s.Targets, "otel-collector:"+promPort) {
				scraped = true
			}
		}
	}
	if !scraped {
		t.Errorf("monitor/prometheus.yml does not scrape otel-collector:%s", promPort)
	}
}

func mustAtoi(t *testing.T, s string) uint32 {
	t.Helper()
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		t.Fatalf("port %q: %v", s, err)
	}
	return uint32(n)
}

// TestComposeMosquittoProfile checks the broker of the "mqtt" profile: off
// unless the profile is selected, pinned to Mosquitto 2, unpublished, with
// its configuration file mounted and listening where MQTT_URL points.
func TestComposeMosquittoProfile(t *testing.T) {
	if p := mustLoad(t, loadOpts{}); slices.Contains(serviceNames(p), "mosquitto") {
		t.Error("mosquitto runs without the mqtt profile")
	}
	p := mustLoad(t, loadOpts{profiles: []string{"live", "mqtt"}, env: []string{"OUTPUTS=influxdb,mqtt", "MQTT_URL=tcp://mosquitto:1883"}})
	assertRunnable(t, p)
	m := service(t, p, "mosquitto")
	if !slices.Equal(m.Profiles, []string{"mqtt"}) {
		t.Errorf("mosquitto profiles = %v, want [mqtt]", m.Profiles)
	}
	if !regexp.MustCompile(`^eclipse-mosquitto:2\.\d+\.\d+$`).MatchString(m.Image) {
		t.Errorf("mosquitto image = %q, want eclipse-mosquitto:2.N.M", m.Image)
	}
	if len(m.Ports) != 0 {
		t.Errorf("mosquitto publishes %+v; it allows anonymous clients, so it stays on the compose network", m.Ports)
	}
	var conf string
	for _, v := range m.Volumes {
		if v.Target == "/mosquitto/config/mosquitto.conf" {
			conf = v.Source
		}
	}
	if conf != filepath.Join(repoRoot(t), "mosquitto", "mosquitto.conf") {
		t.Fatalf("mosquitto config mount = %q, want mosquitto/mosquitto.conf", conf)
	}
	b, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^listener 1883\s*$`).Match(b) {
		t.Error("mosquitto.conf has no plain listener on 1883 (all interfaces)")
	}
	w := service(t, p, "ec-telemetry-worker")
	for k, want := range map[string]string{"OUTPUTS": "influxdb,mqtt", "MQTT_URL": "tcp://mosquitto:1883"} {
		if got, _ := envValue(w, k); got != want {
			t.Errorf("worker %s = %q, want %q", k, got, want)
		}
	}
}
