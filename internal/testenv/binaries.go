package testenv

import (
	"debug/buildinfo"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// InfluxdModule and InfluxdVersion name the InfluxDB build the tests run
// against; scripts/deps.sh installs exactly this one.
const (
	InfluxdModule  = "github.com/influxdata/influxdb"
	InfluxdVersion = "v1.8.10"
)

const (
	redisHint   = "run `make deps`, or `apt-get install redis-server`, or point $EC_REDIS_SERVER at a redis-server binary"
	influxdHint = "run `make deps`, or `GOBIN=$HOME/.cache/ec-telemetry/bin go install " + InfluxdModule + "/cmd/influxd@" + InfluxdVersion + "`, or point $EC_INFLUXD at an InfluxDB 1.8 influxd"
)

// redisCLIPath finds redis-cli next to the redis-server the tests use, else
// on PATH, or fails the test with instructions.
func redisCLIPath(t testing.TB) string {
	t.Helper()
	if p := filepath.Join(filepath.Dir(redisServerPath(t)), "redis-cli"); isExecutable(p) {
		return p
	}
	if p, err := exec.LookPath("redis-cli"); err == nil {
		return p
	}
	t.Fatalf("testenv: redis-cli not found next to redis-server or on PATH; run `make deps`, or `apt-get install redis-tools`")
	return ""
}

// redisServerPath finds redis-server or fails the test with instructions.
func redisServerPath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("EC_REDIS_SERVER"); p != "" {
		if !isExecutable(p) {
			t.Fatalf("testenv: $EC_REDIS_SERVER=%s is not an executable file; %s", p, redisHint)
		}
		return p
	}
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/bin/redis-server", "/usr/sbin/redis-server", "/usr/local/bin/redis-server"} {
		if isExecutable(p) {
			return p
		}
	}
	t.Fatalf("testenv: redis-server not found ($EC_REDIS_SERVER, PATH, /usr/bin, /usr/sbin); %s", redisHint)
	return ""
}

// influxdPath finds an InfluxDB 1.x influxd or fails the test with
// instructions.
func influxdPath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("EC_INFLUXD"); p != "" {
		if !isExecutable(p) {
			t.Fatalf("testenv: $EC_INFLUXD=%s is not an executable file; %s", p, influxdHint)
		}
		checkInfluxd(t, p)
		return p
	}
	var candidates []string
	if d := os.Getenv("EC_TOOLS_DIR"); d != "" {
		candidates = append(candidates, filepath.Join(d, "influxd"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		candidates = append(candidates, filepath.Join(home, ".cache", "ec-telemetry", "bin", "influxd"))
	}
	for _, p := range candidates {
		if isExecutable(p) {
			checkInfluxd(t, p)
			return p
		}
	}
	if p, err := exec.LookPath("influxd"); err == nil {
		checkInfluxd(t, p)
		return p
	}
	t.Fatalf("testenv: influxd not found (checked $EC_INFLUXD, %s and PATH); %s", strings.Join(candidates, ", "), influxdHint)
	return ""
}

// checkInfluxd fails the test when the binary at p is known to be something
// other than InfluxDB 1.x (an InfluxDB 2 influxd takes different flags and
// config). Binaries without usable Go build information, or built from a
// local checkout of the 1.x module, are accepted.
func checkInfluxd(t testing.TB, p string) {
	t.Helper()
	bi, err := buildinfo.ReadFile(p)
	if err != nil || bi.Main.Path == "" {
		return
	}
	v := bi.Main.Version
	if bi.Main.Path == InfluxdModule && (strings.HasPrefix(v, "v1.") || v == "(devel)" || v == "") {
		return
	}
	t.Fatalf("testenv: %s is %s %s, want InfluxDB 1.x (%s %s); %s", p, bi.Main.Path, v, InfluxdModule, InfluxdVersion, influxdHint)
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}
