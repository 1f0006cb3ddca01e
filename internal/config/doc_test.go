package config

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestConfigurationDocListsEveryVariable keeps docs/configuration.md true.
func TestConfigurationDocListsEveryVariable(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	typ := reflect.TypeOf(Config{})
	for i := 0; i < typ.NumField(); i++ {
		name := typ.Field(i).Tag.Get("envconfig")
		row := ""
		for _, line := range strings.Split(string(doc), "\n") {
			if strings.HasPrefix(line, "| `"+name+"`") || strings.HasPrefix(line, "| `") && strings.Contains(strings.SplitN(line, " | ", 2)[0], "`"+name+"`") {
				row = line
				break
			}
		}
		if row == "" {
			t.Errorf("docs/configuration.md has no table row for %s", name)
			continue
		}
		if def := typ.Field(i).Tag.Get("default"); def != "" && !strings.Contains(row, "| `"+def+"` |") {
			t.Errorf("docs/configuration.md: %s row %q does not give the default %q", name, row, def)
		}
		role, ok := variableRoles[name]
		if !ok {
			t.Errorf("variableRoles has no entry for %s: add its role (D, W, D W or compose)", name)
			continue
		}
		if cols := strings.Split(row, " | "); len(cols) < 4 || cols[2] != role {
			t.Errorf("docs/configuration.md: %s row %q does not give the role %q of variableRoles", name, row, role)
		}
	}
}

// TestVariableRolesNameConfigFields keeps variableRoles free of stale names.
func TestVariableRolesNameConfigFields(t *testing.T) {
	fields := map[string]bool{}
	typ := reflect.TypeOf(Config{})
	for i := 0; i < typ.NumField(); i++ {
		fields[typ.Field(i).Tag.Get(varTag)] = true
	}
	for name, role := range variableRoles {
		if !fields[name] {
			t.Errorf("variableRoles names %s, which Config does not have", name)
		}
		switch role {
		case "D", "W", "D W", "compose":
		default:
			t.Errorf("variableRoles[%s] = %q, want D, W, D W or compose", name, role)
		}
	}
}

func TestVariables(t *testing.T) {
	names := func(vs []Variable) string {
		var out []string
		for _, v := range vs {
			out = append(out, v.Name)
		}
		return strings.Join(out, " ")
	}
	d := names(Variables(RoleDiscovery))
	w := names(Variables(RoleWorker))
	all := names(Variables(RoleAll))
	for _, tc := range []struct {
		list, name string
		want       bool
	}{
		{d, "ORCH_URL", true}, {d, "EC_USER", false}, {d, "REDIS_ADDR", true}, {d, "DB_PW", false},
		{w, "ORCH_URL", false}, {w, "COLLECT_VIA", true}, {d, "COLLECT_VIA", false}, {w, "EC_PW", true}, {w, "BACKFILL_MAX", true}, {d, "BACKFILL_MAX", true}, {w, "WORKER_COUNT", false},
		{all, "ORCH_URL", true}, {all, "EC_PW", true}, {all, "DB_RETENTION", false},
	} {
		if got := slices.Contains(strings.Fields(tc.list), tc.name); got != tc.want {
			t.Errorf("Variables lists %s: %v, want %v (%s)", tc.name, got, tc.want, tc.list)
		}
	}
	for _, v := range Variables(RoleDiscovery) {
		if v.Name == "DISCOVERY_INTERVAL" && (v.Default != "60s" || v.Secret) {
			t.Errorf("Variables: %+v, want default 60s, not secret", v)
		}
		if v.Name == "ORCH_API_KEY" && !v.Secret {
			t.Errorf("Variables: %+v, want secret", v)
		}
	}
}

// TestExamplePlaceholdersMatchExampleEnv: example.env holds no real address,
// user or secret, so every value it gives a variable of PlaceholderVariables
// is a placeholder, as is every value in <angle brackets>; each must be in
// ExamplePlaceholders, which check refuses.
func TestExamplePlaceholdersMatchExampleEnv(t *testing.T) {
	defaults := map[string]string{}
	typ := reflect.TypeOf(Config{})
	for i := 0; i < typ.NumField(); i++ {
		defaults[typ.Field(i).Tag.Get(varTag)] = typ.Field(i).Tag.Get(defaultTag)
	}
	found := 0
	for _, kv := range readEnvFile(t, filepath.Join("..", "..", "example.env")) {
		name, value := kv[0], kv[1]
		checked := slices.Contains(PlaceholderVariables, name) && value != "" && value != defaults[name]
		if !checked && !angleBracketed.MatchString(value) {
			continue
		}
		found++
		if !slices.Contains(ExamplePlaceholders, value) {
			t.Errorf("example.env sets %s=%s, a placeholder missing from config.ExamplePlaceholders", name, value)
		}
		if !slices.Contains(PlaceholderVariables, name) {
			t.Errorf("example.env has a placeholder for %s, which config.PlaceholderVariables does not list", name)
		}
	}
	t.Logf("%d placeholders in example.env", found)
}

func TestPlaceholders(t *testing.T) {
	env := map[string]string{
		"ORCH_URL": "<orchestrator_ip_or_fqdn>", "ORCH_API_KEY": "<my key>", "EC_USER": "admin", "EC_PW": "changeme-not-listed",
		"DB_TOKEN": "<database_token>", "DB_PW": "change-me-later-is-a-password", "LOG_LEVEL": "<info>",
	}
	got := strings.Join(Placeholders(mapLookup(env)), " ")
	if want := "ORCH_URL ORCH_API_KEY EC_PW DB_TOKEN"; got != want {
		t.Errorf("Placeholders = %q, want %q", got, want)
	}
}
