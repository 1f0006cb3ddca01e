package deploytest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ec-telemetry/ec-telemetry/internal/config"
)

// TestComposeOrchestratorsOverlay checks docker-compose.orchestrators.yml on
// top of docker-compose.yml with the example env file: discovery and the
// workers read ORCHESTRATORS_FILE from the mounted config folder, and
// discovery gets none of the single-Orchestrator variables, which the
// configuration refuses beside the file.
func TestComposeOrchestratorsOverlay(t *testing.T) {
	p := mustLoad(t, loadOpts{files: []string{composeFile, "docker-compose.orchestrators.yml"}, env: []string{"COMPOSE_PROFILES=live"}})
	const file = "/etc/ec-telemetry/orchestrators.yaml"
	configDir := filepath.Join(repoRoot(t), "config")
	for _, tc := range []struct {
		name     string
		readOnly bool
	}{{"ec-telemetry-discover", false}, {"ec-telemetry-worker", true}} {
		s := service(t, p, tc.name)
		if got, _ := envValue(s, "ORCHESTRATORS_FILE"); got != file {
			t.Errorf("%s ORCHESTRATORS_FILE = %q, want %s", tc.name, got, file)
		}
		mounted := false
		for _, v := range s.Volumes {
			if v.Target == filepath.Dir(file) {
				mounted = true
				if v.Source != configDir || v.ReadOnly != tc.readOnly {
					t.Errorf("%s mounts %s at %s read-only %v, want %s read-only %v", tc.name, v.Source, v.Target, v.ReadOnly, configDir, tc.readOnly)
				}
			}
		}
		if !mounted {
			t.Errorf("%s does not mount the config folder at %s", tc.name, filepath.Dir(file))
		}
	}
	d := service(t, p, "ec-telemetry-discover")
	for _, v := range []string{"ORCH_URL", "ORCH_API_KEY", "ORCH_API_KEY_FILE", "ORCH_USER", "ORCH_PW", "ORCH_PW_FILE", "ORCH_CA_FILE", "ORCH_LOGIN_TYPE"} {
		if got, ok := envValue(d, v); ok && got != "" {
			t.Errorf("discover %s = %q beside ORCHESTRATORS_FILE, want it empty", v, got)
		}
	}
	if got, _ := envValue(d, "ORCH_NAME"); got != "" && got != "default" {
		t.Errorf("discover ORCH_NAME = %q beside ORCHESTRATORS_FILE", got)
	}

	// Discovery's environment as compose gives it, with the file at a
	// temporary path, is a valid configuration with two Orchestrators.
	orchFile := filepath.Join(t.TempDir(), "orchestrators.yaml")
	if err := os.WriteFile(orchFile, []byte("orchestrators:\n"+
		"  - {name: emea, url: orch-emea.example.net, api_key: k-emea-123456, collect_all: true}\n"+
		"  - {name: amer, url: orch-amer.example.net, api_key: k-amer-123456, collect_all: true}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.LoadFrom(func(k string) (string, bool) {
		if k == "ORCHESTRATORS_FILE" {
			return orchFile, true
		}
		return envValue(d, k)
	})
	if err != nil {
		t.Fatalf("config from discover's environment: %v", err)
	}
	if err := c.Validate(config.RoleDiscovery); err != nil {
		t.Fatalf("discover's environment under the overlay is refused:\n%v", err)
	}
	orchs, err := c.Orchestrators()
	if err != nil || len(orchs) != 2 || orchs[0].Name != "emea" || orchs[1].Name != "amer" {
		t.Fatalf("Orchestrators() = %+v, %v; want emea and amer", orchs, err)
	}
}
