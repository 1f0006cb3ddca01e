package main

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// demoRun is one run of scripts/demo.sh until its first table, then Ctrl-C.
type demoRun struct {
	out      string
	tableSum int64 // points the table shows
	dbTotal  int64 // interface_stats points in InfluxDB when the table was printed
}

// TestDemoScriptFreshStateAndCtrlC runs scripts/demo.sh three times on one
// state directory, the way 'make demo' does: twice fresh (the default), then
// with --keep-state. Each run is stopped with SIGINT to its process group,
// as Ctrl-C in a terminal does.
func TestDemoScriptFreshStateAndCtrlC(t *testing.T) {
	if testing.Short() {
		t.Skip("runs scripts/demo.sh with redis-server and influxd")
	}
	if _, err := exec.LookPath("setsid"); err != nil {
		t.Skip("setsid not installed")
	}
	root, bin := buildEctelemetry(t)
	state := t.TempDir()
	env := append(os.Environ(),
		"EC_STATE_DIR="+state, "ECTELEMETRY_BIN="+bin,
		"EC_REDIS_PORT="+strconv.Itoa(testenv.FreePort(t)), "EC_INFLUX_PORT="+strconv.Itoa(testenv.FreePort(t)),
		"EC_INFLUX_RPC_PORT="+strconv.Itoa(testenv.FreePort(t)),
		"DISCOVERY_INTERVAL=10s", "DISCOVERY_SPREAD=false", "METRICS_ADDR=127.0.0.1:0",
		"LOG_FORMAT=json", "LOG_FILE=", "LOG_LEVEL=INFO")

	first := runDemoScript(t, root, env, false)
	if first.tableSum == 0 || first.dbTotal != first.tableSum {
		t.Errorf("run 1: table shows %d points, InfluxDB holds %d; want the same, non-zero", first.tableSum, first.dbTotal)
	}
	second := runDemoScript(t, root, env, false)
	if second.tableSum == 0 || second.dbTotal != second.tableSum {
		t.Errorf("run 2 (fresh): table shows %d points, InfluxDB holds %d: the first run's data was not removed",
			second.tableSum, second.dbTotal)
	}
	if !strings.Contains(second.out, "state: "+state+"/redis and "+state+"/influxdb, fresh") {
		t.Errorf("run 2 does not say where its fresh state lives:\n%s", second.out)
	}
	kept := runDemoScript(t, root, env, true)
	// The database holds the second run's points and the third's. The
	// third may store none: with its watermarks kept it fetches only the
	// minutes the appliances finished since, and a cycle ten seconds
	// later often finds none.
	if second.dbTotal == 0 || kept.dbTotal != second.dbTotal+kept.tableSum {
		t.Errorf("run 3 (--keep-state): table shows %d points, InfluxDB holds %d; want the earlier run's %d points kept beside them",
			kept.tableSum, kept.dbTotal, second.dbTotal)
	}
	if !strings.Contains(kept.out, "kept from the previous run") {
		t.Errorf("run 3 does not say the state was kept:\n%s", kept.out)
	}
	// With kept watermarks the first cycle fetches only the minutes since the
	// last run, not the first-contact minutes again.
	if kept.tableSum >= second.tableSum {
		t.Errorf("run 3 stored %d points in its first cycle, no fewer than a fresh run (%d): watermarks not kept?",
			kept.tableSum, second.tableSum)
	}
}

// buildEctelemetry builds the binary into a temporary directory and
// returns the repository's root and the binary's path.
func buildEctelemetry(t *testing.T) (root, bin string) {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	bin = filepath.Join(t.TempDir(), "ectelemetry")
	build := exec.Command("go", "build", "-o", bin, "./cmd/ectelemetry")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return root, bin
}

var (
	servicesLine = regexp.MustCompile(`services: redis-server (127\.0\.0\.1:\d+), influxd (http://127\.0\.0\.1:\d+)`)
	tableDone    = regexp.MustCompile(`points stored by the cycle of [^\n]*\n(?:  \S+\s+\d+\n)*\n`)
)

func runDemoScript(t *testing.T, root string, env []string, keep bool) demoRun {
	t.Helper()
	args := []string{"scripts/demo.sh", "--appliances", "3", "--seed", "4"}
	if keep {
		args = append(args, "--keep-state")
	}
	cmd := exec.Command("bash", args...)
	cmd.Dir, cmd.Env = root, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var buf testenv.LogBuffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	exited := false
	defer func() {
		if !exited { // a failed run: stop it the same way, then hard
			syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
			select {
			case <-done:
			case <-time.After(60 * time.Second):
				syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				<-done
			}
		}
	}()

	deadline := time.Now().Add(3 * time.Minute)
	for !tableDone.MatchString(buf.String()) {
		select {
		case err := <-done:
			exited = true
			t.Fatalf("demo.sh ended before its table: %v\n%s", err, buf.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no table after 3 minutes:\n%s", buf.String())
		}
	}
	out := buf.String()
	m := servicesLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no services line:\n%s", out)
	}
	var r demoRun
	for _, row := range tableRow.FindAllStringSubmatch(tableDone.FindString(out), -1) {
		n, _ := strconv.ParseInt(row[2], 10, 64)
		r.tableSum += n
	}
	r.dbTotal = influxCount(t, m[2])

	// Ctrl-C: SIGINT to the foreground process group (the script and the
	// demo; the servers run in sessions of their own).
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		exited = true
		if err != nil && cmd.ProcessState.ExitCode() != 130 {
			t.Errorf("demo.sh after Ctrl-C: %v, want exit status 0 or 130", err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatalf("demo.sh still running 2 minutes after Ctrl-C:\n%s", buf.String())
	}
	r.out = buf.String()
	after := r.out[len(out):]
	for _, bad := range []string{"dial tcp", "connection refused", "Failed to clear", "redis: client is closed"} {
		if strings.Contains(after, bad) {
			t.Errorf("output after Ctrl-C contains %q:\n%s", bad, after)
		}
	}
	if !strings.Contains(after, "demo stopping") {
		t.Errorf("the demo did not stop cleanly after Ctrl-C:\n%s", after)
	}
	// The servers are stopped after the demo.
	for _, addr := range []string{m[1], strings.TrimPrefix(m[2], "http://")} {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still answers after demo.sh ended", addr)
		}
	}
	return r
}

// influxCount returns the number of interface_stats points in the demo's
// database.
func influxCount(t *testing.T, base string) int64 {
	t.Helper()
	q := url.Values{"db": {"ectelem"}, "q": {`SELECT count("bytes_tx") FROM "interface_stats"`}}
	resp, err := http.Get(base + "/query?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Results []struct {
			Series []struct {
				Values [][]any `json:"values"`
			} `json:"series"`
		} `json:"results"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if len(body.Results) == 0 || len(body.Results[0].Series) == 0 || len(body.Results[0].Series[0].Values) == 0 {
		t.Fatalf("count query: no result: %+v", body)
	}
	n, ok := body.Results[0].Series[0].Values[0][1].(float64)
	if !ok {
		t.Fatalf("count query: %v", body.Results[0].Series[0].Values[0])
	}
	return int64(n)
}
