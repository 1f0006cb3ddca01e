package deploytest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// dockerInstruction is one Dockerfile instruction with its continuation
// lines joined.
type dockerInstruction struct {
	cmd, args string
}

func readDockerfile(t *testing.T) []dockerInstruction {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var out []dockerInstruction
	var cur strings.Builder
	for _, l := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(l)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		cont := strings.HasSuffix(trimmed, "\\")
		cur.WriteString(strings.TrimSuffix(trimmed, "\\"))
		cur.WriteString(" ")
		if cont {
			continue
		}
		cmd, args, _ := strings.Cut(strings.TrimSpace(cur.String()), " ")
		out = append(out, dockerInstruction{strings.ToUpper(cmd), strings.Join(strings.Fields(args), " ")})
		cur.Reset()
	}
	return out
}

func TestDockerfile(t *testing.T) {
	ins := readDockerfile(t)
	var froms, runtime []dockerInstruction
	for _, in := range ins {
		if in.cmd == "FROM" {
			froms = append(froms, in)
			runtime = nil
		}
		runtime = append(runtime, in)
	}
	if len(froms) != 2 {
		t.Fatalf("Dockerfile has %d stages, want 2 (build, runtime)", len(froms))
	}
	if !regexp.MustCompile(`golang:\$\{GO_VERSION\}-\w+ AS build$`).MatchString(froms[0].args) {
		t.Errorf("build stage = FROM %s, want golang:${GO_VERSION}-<distro> AS build", froms[0].args)
	}
	var goVersion string
	for _, in := range ins {
		if in.cmd == "ARG" && strings.HasPrefix(in.args, "GO_VERSION=") {
			goVersion = strings.TrimPrefix(in.args, "GO_VERSION=")
		}
	}
	if !regexp.MustCompile(`^1\.26\.[0-9]+$`).MatchString(goVersion) {
		t.Errorf("GO_VERSION = %q, want an exact 1.26.x (go.mod says go 1.26)", goVersion)
	}
	if froms[1].args != "gcr.io/distroless/static-debian12:nonroot" {
		t.Errorf("runtime stage = FROM %s, want the distroless static nonroot image", froms[1].args)
	}

	all := func(cmd string, list []dockerInstruction) []string {
		var out []string
		for _, in := range list {
			if in.cmd == cmd {
				out = append(out, in.args)
			}
		}
		return out
	}
	build := strings.Join(all("RUN", ins), "\n")
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-X main.version=${VERSION}", "./cmd/ectelemetry"} {
		if !strings.Contains(build, want) {
			t.Errorf("build RUN lacks %q", want)
		}
	}
	if strings.Contains(build, "setcap") {
		t.Error("the binary must not carry file capabilities: it would not start in containers without NET_RAW")
	}
	if users := all("USER", runtime); len(users) != 1 || users[0] != "65532:65532" {
		t.Errorf("runtime USER = %q, want 65532:65532 (non-root)", users)
	}
	if hc := all("HEALTHCHECK", runtime); len(hc) != 1 ||
		!strings.Contains(hc[0], `CMD ["/usr/local/bin/ectelemetry", "health", "--quiet"]`) {
		t.Errorf("HEALTHCHECK = %q, want the ectelemetry health subcommand", hc)
	}
	if ep := all("ENTRYPOINT", runtime); len(ep) != 1 || ep[0] != `["/usr/local/bin/ectelemetry"]` {
		t.Errorf("ENTRYPOINT = %q, want the binary", ep)
	}
	labels := strings.Join(all("LABEL", runtime), " ")
	for _, key := range []string{"title", "description", "version", "revision", "created", "source", "url",
		"documentation", "base.name"} {
		if !strings.Contains(labels, "org.opencontainers.image."+key+"=") {
			t.Errorf("runtime LABELs lack org.opencontainers.image.%s", key)
		}
	}
	for _, copyArgs := range all("COPY", runtime) {
		if strings.Contains(copyArgs, "limit_appliances.json") {
			t.Error("limit_appliances.json is baked into the image; it must be mounted")
		}
	}
}

func TestDockerignoreKeepsSourcesOnly(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		lines[strings.TrimSpace(l)] = true
	}
	for _, want := range []string{".git", "*.env", "grafana", "/ectelemetry"} {
		if !lines[want] {
			t.Errorf(".dockerignore does not exclude %s", want)
		}
	}
	for _, keep := range []string{"go.mod", "go.sum", "cmd", "internal", "*.go"} {
		if lines[keep] {
			t.Errorf(".dockerignore excludes %s, which the build needs", keep)
		}
	}
}
