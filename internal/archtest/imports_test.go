package archtest

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/ec-telemetry/ec-telemetry/"

// Rules: what each package (and everything it imports, transitively) must
// not reach. A trailing "/" forbids a whole prefix.
var rules = []struct {
	pkg       string
	forbidden []string
	why       string
}{
	{"edgeconnect", leafClient, "a REST client never logs and knows nothing of the queue or InfluxDB"},
	{"orchestrator", leafClient, "a REST client never logs and knows nothing of the queue or InfluxDB"},
	{"internal/restapi", leafClient, "shared REST plumbing never logs"},
	{"internal/apijson", leafClient, "JSON helpers never log"},
	{"internal/telemetry", []string{"github.com/"}, "the schema is a leaf: standard library only"},
	{"internal/minutestats", []string{mod + "worker", mod + "edgeconnect", mod + "influx", "github.com/rs/zerolog"}, "the parser is pure"},
	{"internal/simulator", []string{mod + "edgeconnect", mod + "orchestrator", mod + "worker", mod + "discovery", mod + "influx", mod + "internal/minutestats"}, "the simulator is an independent oracle: it imports only the schema"},
	{"discovery", []string{mod + "worker", mod + "edgeconnect", mod + "influx"}, "discovery never polls appliances nor writes to InfluxDB"},
	{"worker", []string{mod + "discovery", mod + "orchestrator"}, "workers and discovery share only internal/tasks"},
	{"worker", []string{mod + "internal/outputs", "github.com/eclipse/", "go.opentelemetry.io/", "google.golang.org/grpc"}, "the worker knows no secondary output's protocol: outputs reach it through its Outputs interface"},
	{"influx", []string{mod + "worker", mod + "discovery"}, "the writer knows points, not who makes them"},
	{"internal/spool", []string{mod + "worker", mod + "discovery", mod + "edgeconnect", mod + "orchestrator"}, "the spool keeps points, not who makes them"},
	{"internal/config", []string{mod, "github.com/rs/zerolog"}, "configuration is a leaf (its imports: internal/redact, internal/sourceplan)"},
	{"internal/sourceplan", []string{mod, "github.com/"}, "the source plan is a leaf: standard library only"},
	{"internal/redact", []string{mod, "github.com/"}, "redaction is a leaf: standard library only"},
}

// allowed are the project packages a rule's package may import although a
// forbidden prefix matches them: the one helper that hides secrets in text,
// and the source names and plan that configuration and workers share.
var allowed = map[string]bool{mod + "internal/redact": true, mod + "internal/sourceplan": true}

var leafClient = []string{"github.com/rs/zerolog", "github.com/hibiken/asynq",
	"github.com/influxdata/", mod + "influx", mod + "internal/logging", mod + "worker", mod + "discovery"}

// noLogging are standard packages a leaf must not import directly (net/http
// imports log itself, so only direct imports count).
var noLogging = map[string]bool{"edgeconnect": true, "orchestrator": true, "internal/restapi": true,
	"internal/apijson": true, "internal/telemetry": true, "internal/minutestats": true, "internal/config": true, "internal/redact": true, "internal/sourceplan": true}

func TestImportRules(t *testing.T) {
	for _, r := range rules {
		t.Run(r.pkg, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", "-json=ImportPath,Imports", "../../"+r.pkg).Output()
			if err != nil {
				t.Fatalf("go list %s: %v", r.pkg, err)
			}
			dec := json.NewDecoder(strings.NewReader(string(out)))
			seen := 0
			for {
				var p struct {
					ImportPath string
					Imports    []string
				}
				if err := dec.Decode(&p); err == io.EOF {
					break
				} else if err != nil {
					t.Fatal(err)
				}
				seen++
				if p.ImportPath == mod+r.pkg || allowed[p.ImportPath] {
					for _, imp := range p.Imports {
						if noLogging[r.pkg] && (imp == "log" || imp == "log/slog") {
							t.Errorf("%s imports %s: it must return errors, not log", r.pkg, imp)
						}
					}
					continue
				}
				for _, bad := range r.forbidden {
					if p.ImportPath == bad || (strings.HasSuffix(bad, "/") && strings.HasPrefix(p.ImportPath, bad)) {
						t.Errorf("%s depends on %s: %s", r.pkg, p.ImportPath, r.why)
					}
				}
			}
			if seen < 2 {
				t.Fatalf("go list returned %d packages for %s: the rule checks nothing", seen, r.pkg)
			}
		})
	}
}
