package config

import (
	"os"
	"path/filepath"
	"reflect"
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
	}
}
