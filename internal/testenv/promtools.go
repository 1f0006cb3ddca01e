package testenv

import (
	"os"
	"os/exec"
	"testing"
)

const promToolsHint = "run `make deps` (scripts/deps.sh installs the Debian packages prometheus and prometheus-alertmanager), or point $%s at the binary"

// PromtoolPath returns Prometheus' promtool ($EC_PROMTOOL, PATH, /usr/bin)
// or fails the test with instructions: the test command installs it.
func PromtoolPath(t testing.TB) string {
	t.Helper()
	return toolPath(t, "promtool", "EC_PROMTOOL")
}

// AmtoolPath returns Alertmanager's amtool ($EC_AMTOOL, PATH, /usr/bin) or
// fails the test with instructions.
func AmtoolPath(t testing.TB) string {
	t.Helper()
	return toolPath(t, "amtool", "EC_AMTOOL")
}

func toolPath(t testing.TB, name, env string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		if !isExecutable(p) {
			t.Fatalf("testenv: $%s=%s is not an executable file; "+promToolsHint, env, p, env)
		}
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, p := range []string{"/usr/bin/" + name, "/usr/local/bin/" + name} {
		if isExecutable(p) {
			return p
		}
	}
	t.Fatalf("testenv: %s not found ($%s, PATH, /usr/bin, /usr/local/bin); "+promToolsHint, name, env, env)
	return ""
}
