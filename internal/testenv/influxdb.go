package testenv

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/procstat"
)

// InfluxDB is an InfluxDB 1.8 server (influxd) started for one test, with
// authentication off and one database created.
type InfluxDB struct {
	// URL is the server's base URL, "http://127.0.0.1:port".
	URL string
	// Database is the database created at start ("ectelem").
	Database string
	// Bucket is the /api/v2/write bucket for Database and its default
	// retention policy ("ectelem/autogen").
	Bucket string

	// User and Password are the admin's when the server was started with
	// StartInfluxDBWithAuth; Query and WriteLines use them.
	User, Password string

	opts     InfluxDBOptions
	t        testing.TB
	bin      string
	dir      string
	httpPort int
	rpcPort  int
	client   *http.Client

	mu   sync.Mutex
	proc *process // nil while stopped
}

// Series is one series of an InfluxQL result. Numbers are json.Number, so
// integers stay exact; time is in epoch seconds.
type Series struct {
	Name    string            `json:"name"`
	Tags    map[string]string `json:"tags,omitempty"`
	Columns []string          `json:"columns"`
	Values  [][]any           `json:"values"`
}

const testDatabase = "ectelem"

// StartInfluxDB starts influxd on free loopback ports (HTTP and the RPC
// service) with a temporary directory, waits until GET /ping answers 204,
// creates the database "ectelem" and stops the server at t.Cleanup. It
// fails the test when influxd is missing, and skips it in -short mode.
func StartInfluxDB(t testing.TB) *InfluxDB {
	t.Helper()
	return StartInfluxDBWith(t, InfluxDBOptions{})
}

// StartInfluxDBWithAuth is StartInfluxDB with authentication on and one
// admin user, user with password.
func StartInfluxDBWithAuth(t testing.TB, user, password string) *InfluxDB {
	t.Helper()
	return StartInfluxDBWith(t, InfluxDBOptions{User: user, Password: password})
}

// InfluxDBOptions are the settings of StartInfluxDBWith; the zero value
// is StartInfluxDB's.
type InfluxDBOptions struct {
	// User and Password turn authentication on with one admin user.
	User, Password string
	// CacheSnapshot, CacheMax and WALFsyncDelay set influxd's
	// cache-snapshot-memory-size, cache-max-memory-size and
	// wal-fsync-delay ("1g", "4g", "100ms"); empty: influxd's defaults,
	// and no fsync delay.
	CacheSnapshot, CacheMax, WALFsyncDelay string
}

// StartInfluxDBWith is StartInfluxDB with options, such as the cache
// settings of the bench's influxd for benchmarks of InfluxDB's own cost.
func StartInfluxDBWith(t testing.TB, o InfluxDBOptions) *InfluxDB {
	t.Helper()
	if testing.Short() {
		t.Skip("testenv: -short: skipping a test that needs a real InfluxDB")
	}
	db := &InfluxDB{
		Database: testDatabase,
		Bucket:   testDatabase + "/autogen",
		t:        t,
		bin:      influxdPath(t),
		dir:      t.TempDir(),
		client:   &http.Client{Timeout: 30 * time.Second},
		User:     o.User,
		Password: o.Password,
		opts:     o,
	}
	t.Cleanup(db.cleanup)
	var err error
	for range 3 { // new ports when a chosen one was taken meanwhile
		ports, perr := freePorts(2)
		if perr != nil {
			t.Fatalf("testenv: %v", perr)
		}
		db.httpPort, db.rpcPort = ports[0], ports[1]
		db.URL = "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(db.httpPort))
		if err = db.writeConfig(); err != nil {
			t.Fatalf("testenv: %v", err)
		}
		if err = db.start(t.Context()); !errors.Is(err, errExited) {
			break
		}
	}
	if err != nil {
		t.Fatalf("testenv: start influxd: %v\nlog %s:\n%s", err, db.logPath(), logTail(db.logPath()))
	}
	if o.User != "" { // with no user yet, influxd lets the first admin be created without credentials
		if _, err := db.Query(t.Context(), "CREATE USER "+strconv.Quote(o.User)+" WITH PASSWORD '"+o.Password+"' WITH ALL PRIVILEGES"); err != nil {
			t.Fatalf("testenv: create admin user: %v", err)
		}
	}
	if _, err := db.Query(t.Context(), "CREATE DATABASE "+testDatabase); err != nil {
		t.Fatalf("testenv: create database: %v", err)
	}
	return db
}

// Stop stops the server (SIGTERM, then SIGKILL after a grace period) and
// waits for it to exit. Its data stays in place for Restart; connections are
// refused meanwhile. Stop on a stopped server does nothing.
func (db *InfluxDB) Stop() {
	db.t.Helper()
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.proc != nil {
		db.proc.stop()
		db.proc = nil
	}
	db.client.CloseIdleConnections()
}

// Restart stops the server if it runs, then starts it again on the same
// port with the same data.
func (db *InfluxDB) Restart() {
	db.t.Helper()
	db.Stop()
	db.mu.Lock()
	defer db.mu.Unlock()
	if err := db.start(context.Background()); err != nil {
		db.t.Fatalf("testenv: restart influxd on %s: %v\nlog %s:\n%s", db.URL, err, db.logPath(), logTail(db.logPath()))
	}
}

// Query runs InfluxQL statements against Database (POST /query, epoch=s)
// and returns the series of all statements in order. A statement error is
// returned as an error.
func (db *InfluxDB) Query(ctx context.Context, influxql string) ([]Series, error) {
	form := url.Values{"q": {influxql}, "db": {db.Database}, "epoch": {"s"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, db.URL+"/query", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if db.User != "" {
		req.SetBasicAuth(db.User, db.Password)
	}
	resp, err := db.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", influxql, err)
	}
	defer resp.Body.Close()
	var body struct {
		Results []struct {
			Series []Series `json:"series"`
			Error  string   `json:"error"`
		} `json:"results"`
		Error string `json:"error"`
	}
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		return nil, fmt.Errorf("query %q: status %d: decode response: %w", influxql, resp.StatusCode, err)
	}
	if body.Error != "" {
		return nil, fmt.Errorf("query %q: status %d: %s", influxql, resp.StatusCode, body.Error)
	}
	var out []Series
	for _, r := range body.Results {
		if r.Error != "" {
			return nil, fmt.Errorf("query %q: %s", influxql, r.Error)
		}
		out = append(out, r.Series...)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("query %q: status %d", influxql, resp.StatusCode)
	}
	return out, nil
}

// QueryValue runs a query and returns the first value column (the column
// after "time" when there is one) of the first row of the first series, for
// queries such as `SELECT last("f") FROM m`. Numbers are json.Number.
func (db *InfluxDB) QueryValue(ctx context.Context, influxql string) (any, error) {
	series, err := db.Query(ctx, influxql)
	if err != nil {
		return nil, err
	}
	if len(series) == 0 || len(series[0].Values) == 0 {
		return nil, fmt.Errorf("query %q: no rows", influxql)
	}
	col := 0
	if len(series[0].Columns) > 1 && series[0].Columns[0] == "time" {
		col = 1
	}
	row := series[0].Values[0]
	if col >= len(row) {
		return nil, fmt.Errorf("query %q: row has %d columns", influxql, len(row))
	}
	return row[col], nil
}

// WriteLines writes line protocol with second precision to Database through
// the 1.x endpoint (POST /write), for seeding tests.
func (db *InfluxDB) WriteLines(ctx context.Context, lines string) error {
	u := db.URL + "/write?" + url.Values{"db": {db.Database}, "precision": {"s"}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(lines))
	if err != nil {
		return err
	}
	if db.User != "" {
		req.SetBasicAuth(db.User, db.Password)
	}
	resp, err := db.client.Do(req)
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		return fmt.Errorf("write: status %d: %s", resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return nil
}

// start runs influxd and waits until /ping answers; db.mu is held or db is
// not shared yet.
func (db *InfluxDB) start(ctx context.Context) error {
	args := []string{"run", "-config", db.configPath()}
	p, err := startProcess("influxd", db.logPath(), db.bin, args, "INFLUXDB_")
	if err != nil {
		return err
	}
	if err := waitReady(ctx, p, db.ping); err != nil {
		p.stop()
		return err
	}
	db.proc = p
	return nil
}

func (db *InfluxDB) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, db.URL+"/ping", nil)
	if err != nil {
		return err
	}
	resp, err := db.client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("GET /ping: status %d", resp.StatusCode)
	}
	return nil
}

func (db *InfluxDB) cleanup() {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.proc != nil {
		db.proc.stop()
		db.proc = nil
	}
	db.client.CloseIdleConnections()
	if db.t.Failed() {
		db.t.Logf("testenv: influxd %s log (%s):\n%s", db.URL, db.logPath(), logTail(db.logPath()))
	}
}

func (db *InfluxDB) logPath() string    { return filepath.Join(db.dir, "influxd.log") }
func (db *InfluxDB) configPath() string { return filepath.Join(db.dir, "influxdb.conf") }

// writeConfig writes an influxd 1.8 config that binds only loopback, keeps
// everything under db.dir and switches off what tests do not need.
func (db *InfluxDB) writeConfig() error {
	path := func(name string) string { return strconv.Quote(filepath.Join(db.dir, name)) }
	addr := func(port int) string { return strconv.Quote(net.JoinHostPort("127.0.0.1", strconv.Itoa(port))) }
	conf := `reporting-disabled = true
bind-address = ` + addr(db.rpcPort) + `

[meta]
  dir = ` + path("meta") + `
  logging-enabled = false

[data]
  dir = ` + path("data") + `
  wal-dir = ` + path("wal") + `
  wal-fsync-delay = ` + strconv.Quote(cmp.Or(db.opts.WALFsyncDelay, "0s")) + cacheSettings(db.opts) + `
  index-version = "inmem"
  query-log-enabled = false
  trace-logging-enabled = false

[retention]
  enabled = false

[shard-precreation]
  enabled = false

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = ` + addr(db.httpPort) + `
  auth-enabled = ` + strconv.FormatBool(db.User != "") + `
  log-enabled = false
  write-tracing = false
  pprof-enabled = false
  flux-enabled = false

[logging]
  level = "warn"
  suppress-logo = true

[subscriber]
  enabled = false

[continuous_queries]
  enabled = false
  log-enabled = false
`
	if err := os.WriteFile(db.configPath(), []byte(conf), 0o644); err != nil {
		return fmt.Errorf("write influxd config: %w", err)
	}
	return nil
}

// cacheSettings are the [data] lines of o's cache sizes, each on a line of
// its own after a newline.
func cacheSettings(o InfluxDBOptions) string {
	var s string
	if o.CacheSnapshot != "" {
		s += "\n  cache-snapshot-memory-size = " + strconv.Quote(o.CacheSnapshot)
	}
	if o.CacheMax != "" {
		s += "\n  cache-max-memory-size = " + strconv.Quote(o.CacheMax)
	}
	return s
}

// CPU returns the user+system CPU seconds the running server has used
// (Linux only: it reads /proc).
func (db *InfluxDB) CPU() (float64, error) {
	db.mu.Lock()
	p := db.proc
	db.mu.Unlock()
	if p == nil {
		return 0, errors.New("influxd is stopped")
	}
	return procstat.CPU(p.cmd.Process.Pid)
}
