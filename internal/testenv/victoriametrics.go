package testenv

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const victoriaMetricsHint = "run `make deps`, or `apt-get install victoria-metrics`, or point $EC_VICTORIA_METRICS at a victoria-metrics binary"

// VictoriaMetrics is a single-node VictoriaMetrics started for one test. It
// takes InfluxDB line protocol on /write and /api/v2/write.
type VictoriaMetrics struct {
	// URL is the server's "http://127.0.0.1:port", for DB_URL.
	URL string

	t   testing.TB
	dir string

	mu   sync.Mutex
	proc *process
}

// VMSeries is one series of /api/v1/export: its labels (the metric name in
// "__name__") and its samples.
type VMSeries struct {
	Metric     map[string]string `json:"metric"`
	Values     []float64         `json:"values"`
	Timestamps []int64           `json:"timestamps"` // Unix milliseconds
}

// StartVictoriaMetrics starts victoria-metrics on a free loopback port with
// a temporary storage directory, waits until /health answers and stops it
// at t.Cleanup. It fails the test when the binary is missing and skips it
// in -short mode.
func StartVictoriaMetrics(t testing.TB) *VictoriaMetrics {
	t.Helper()
	if testing.Short() {
		t.Skip("testenv: -short: skipping a test that needs a real victoria-metrics")
	}
	bin := victoriaMetricsPath(t)
	vm := &VictoriaMetrics{t: t, dir: t.TempDir()}
	t.Cleanup(vm.cleanup)
	startOnFreePort(t, "victoria-metrics", vm.logPath(), func(port int) error {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		vm.URL = "http://" + addr
		args := []string{
			"-httpListenAddr=" + addr,
			"-storageDataPath=" + filepath.Join(vm.dir, "data"),
			"-retentionPeriod=10y", // the simulator's clock may be ahead of or behind the real one
			"-loggerLevel=WARN",
			"-search.latencyOffset=0s", // queries see the newest samples at once
		}
		p, err := startReady(t.Context(), "victoria-metrics", vm.logPath(), bin, args, vm.health)
		vm.proc = p
		return err
	})
	return vm
}

// Export flushes what VictoriaMetrics buffers and returns every series that
// matches the series selector match (e.g. `{__name__=~"cpu_stats_.+"}`),
// with its samples up to a week ahead of the current time.
func (vm *VictoriaMetrics) Export(ctx context.Context, match string) ([]VMSeries, error) {
	if _, err := vm.get(ctx, "/internal/force_flush", nil); err != nil {
		return nil, err
	}
	// Without end, export stops at the current time: a test clock that
	// runs ahead of it would hide its newest samples.
	end := strconv.FormatInt(time.Now().Add(7*24*time.Hour).Unix(), 10)
	body, err := vm.get(ctx, "/api/v1/export", url.Values{"match[]": {match}, "start": {"0"}, "end": {end}})
	if err != nil {
		return nil, err
	}
	var out []VMSeries
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var s VMSeries
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			return nil, fmt.Errorf("victoria-metrics export: %w", err)
		}
		out = append(out, s)
	}
	return out, sc.Err()
}

func (vm *VictoriaMetrics) health(ctx context.Context) error {
	body, err := vm.get(ctx, "/health", nil)
	if err != nil {
		return err
	}
	if strings.TrimSpace(body) != "OK" {
		return fmt.Errorf("/health answered %q", body)
	}
	return nil
}

// get sends a GET to the server and returns the body of a 2xx answer.
func (vm *VictoriaMetrics) get(ctx context.Context, path string, q url.Values) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	u := vm.URL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode/100 != 2 {
		return "", fmt.Errorf("GET %s: status %d: %s", path, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return string(b), nil
}

func (vm *VictoriaMetrics) cleanup() {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	cleanupServer(vm.t, &vm.proc, "victoria-metrics", vm.URL, vm.logPath())
}

func (vm *VictoriaMetrics) logPath() string { return filepath.Join(vm.dir, "victoria-metrics.log") }

// victoriaMetricsPath finds victoria-metrics or fails the test with
// instructions.
func victoriaMetricsPath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("EC_VICTORIA_METRICS"); p != "" {
		if !isExecutable(p) {
			t.Fatalf("testenv: $EC_VICTORIA_METRICS=%s is not an executable file; %s", p, victoriaMetricsHint)
		}
		return p
	}
	if p, err := exec.LookPath("victoria-metrics"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/bin/victoria-metrics", "/usr/local/bin/victoria-metrics"} {
		if isExecutable(p) {
			return p
		}
	}
	t.Fatalf("testenv: victoria-metrics not found ($EC_VICTORIA_METRICS, PATH, /usr/bin); %s", victoriaMetricsHint)
	return ""
}
