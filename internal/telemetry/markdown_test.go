package telemetry

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the generated part of docs/metrics.md")

const (
	beginMarker = "<!-- BEGIN GENERATED SCHEMA: go test ./internal/telemetry -run TestMetricsDoc -update -->\n"
	endMarker   = "<!-- END GENERATED SCHEMA -->"
)

// TestMetricsDoc keeps docs/metrics.md equal to the schema.
func TestMetricsDoc(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "metrics.md")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	doc := string(raw)
	i := strings.Index(doc, beginMarker)
	j := strings.Index(doc, endMarker)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the generated-schema markers", path)
	}
	got := doc[i+len(beginMarker) : j]
	want := Markdown()
	if got == want {
		return
	}
	if *update {
		doc = doc[:i+len(beginMarker)] + want + doc[j:]
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s is out of date with internal/telemetry.Schema; run: go test ./internal/telemetry -run TestMetricsDoc -update", path)
}

func TestMarkdownListsEveryNameOfTheSchema(t *testing.T) {
	md := Markdown()
	for _, s := range Schema {
		if !strings.Contains(md, "### "+s.Name) {
			t.Errorf("Markdown lacks measurement %s", s.Name)
		}
		for _, f := range s.Fields {
			if !strings.Contains(md, "| `"+f.Name+"` | "+f.Type.String()) {
				t.Errorf("Markdown lacks %s.%s", s.Name, f.Name)
			}
		}
	}
}
