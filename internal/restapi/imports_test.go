package restapi

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports enforces the package's boundaries: shared REST client plumbing that
// never logs and knows nothing of the queue, the logger or InfluxDB.
func TestImports(t *testing.T) {
	forbidden := []string{"log", "log/slog", "github.com/rs/zerolog", "github.com/hibiken/asynq", "github.com/influxdata/", "github.com/ec-telemetry/ec-telemetry/influx", "github.com/ec-telemetry/ec-telemetry/internal/logging"}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range forbidden {
				if path == bad || (strings.HasSuffix(bad, "/") && strings.HasPrefix(path, bad)) {
					t.Errorf("%s imports %s", name, path)
				}
			}
		}
	}
}
