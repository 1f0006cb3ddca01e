package influx

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

var t0 = time.Unix(1736503200, 0).UTC()

// roundTripPoints carry every field type and the awkward names of the
// Python demo's schema.
func roundTripPoints(variant string) []telemetry.Point {
	return []telemetry.Point{
		{
			Measurement: "tunnel_stats",
			Tags:        telemetry.TagsOf(map[string]string{"variant": variant, "appliance_id": "3.NE", "hostname": "HQ-EC-01", "tunnel_id": "all traffic", "overlay": ""}),
			Fields: telemetry.FieldsOf(map[string]any{
				"Post_FEC_MOS_Score_(*100)": int64(440),
				"non-TCP_flow_count":        int64(-3),
				"sdwan_tunnel":              true,
				"latency":                   12.5,
				"name":                      `to "DC 1"`,
			}),
			Time: t0,
		},
		{
			Measurement: "deployment_info",
			Tags:        telemetry.TagsOf(map[string]string{"variant": variant, "appliance_id": "3.NE", "hostname": "HQ-EC-01", "lan/wan": "WAN", "interface_label": "INET 1"}),
			Fields: telemetry.FieldsOf(map[string]any{
				"1k-blocks":  int64(9007199254740993), // not exact as a float64
				"used_ratio": 0.1,
				"whole":      float64(2),
				"mounted":    false,
				"filesystem": `C:\data x`,
			}),
			Time: t0.Add(time.Minute),
		},
	}
}

func TestWriterRoundTripInfluxDB18(t *testing.T) {
	t.Parallel()
	db := testenv.StartInfluxDB(t)

	tests := []struct {
		name   string
		token  string
		bucket string
		gzip   bool
	}{
		{name: "db/rp bucket, no token", bucket: db.Bucket},
		{name: "db bucket, user:password token", token: "admin:pw", bucket: db.Database},
		{name: "gzip", bucket: db.Bucket, gzip: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWriter(t, Options{URL: db.URL, Token: tc.token, Bucket: tc.bucket, UseGzip: tc.gzip})
			points := roundTripPoints(tc.name)
			n, err := w.Write(t.Context(), points)
			if err != nil || n != len(points) {
				t.Fatalf("Write = %d, %v, want %d, nil", n, err, len(points))
			}

			// The empty "overlay" tag is not stored, so it has no column.
			wantRows := []map[string]any{
				{
					"time": json.Number("1736503200"), "variant": tc.name, "appliance_id": "3.NE", "hostname": "HQ-EC-01", "tunnel_id": "all traffic",
					"Post_FEC_MOS_Score_(*100)": json.Number("440"), "non-TCP_flow_count": json.Number("-3"),
					"sdwan_tunnel": true, "latency": json.Number("12.5"), "name": `to "DC 1"`,
				},
				{
					"time": json.Number("1736503260"), "variant": tc.name, "appliance_id": "3.NE", "hostname": "HQ-EC-01", "lan/wan": "WAN",
					"interface_label": "INET 1", "1k-blocks": json.Number("9007199254740993"), "used_ratio": json.Number("0.1"),
					"whole": json.Number("2"), "mounted": false, "filesystem": `C:\data x`,
				},
			}
			for i, p := range points {
				q := fmt.Sprintf(`SELECT * FROM %q WHERE "variant" = '%s'`, p.Measurement, tc.name)
				got := rows(t, db, q)
				if diff := cmp.Diff([]map[string]any{wantRows[i]}, got); diff != "" {
					t.Errorf("%s mismatch (-want +got):\n%s", q, diff)
				}
			}
		})
	}

	// Field types as InfluxDB stored them.
	wantTypes := map[string]string{
		"Post_FEC_MOS_Score_(*100)": "integer", "non-TCP_flow_count": "integer", "sdwan_tunnel": "boolean",
		"latency": "float", "name": "string",
		"1k-blocks": "integer", "used_ratio": "float", "whole": "float", "mounted": "boolean", "filesystem": "string",
	}
	gotTypes := map[string]string{}
	for _, r := range rows(t, db, `SHOW FIELD KEYS`) {
		gotTypes[r["fieldKey"].(string)] = r["fieldType"].(string)
	}
	if diff := cmp.Diff(wantTypes, gotTypes); diff != "" {
		t.Errorf("field types (-want +got):\n%s", diff)
	}
}

func TestWriterChunksRequests(t *testing.T) {
	t.Parallel()
	db := testenv.StartInfluxDB(t)
	target, err := url.Parse(db.URL)
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu         sync.Mutex
		perRequest []int
	)
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("read body: %v", err)
		}
		mu.Lock()
		perRequest = append(perRequest, len(strings.Split(string(body), "\n")))
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		proxy.ServeHTTP(rw, r)
	}))
	t.Cleanup(front.Close)

	w := newWriter(t, Options{URL: front.URL, Bucket: db.Bucket, BatchSize: 2})
	points := seqPoints("chunked", 5)
	if n, err := w.Write(t.Context(), points); err != nil || n != 5 {
		t.Fatalf("Write = %d, %v, want 5, nil", n, err)
	}
	if diff := cmp.Diff([]int{2, 2, 1}, perRequest); diff != "" {
		t.Errorf("lines per request (-want +got):\n%s", diff)
	}
	if got, err := db.QueryValue(t.Context(), `SELECT count("v") FROM "chunked"`); err != nil || got != json.Number("5") {
		t.Errorf("count(v) = %v, %v, want 5", got, err)
	}
}

// A Write reuses the line-protocol buffer of the one before once the
// request's body is closed: what it allocates is well under one copy of
// the request body, not the four or five copies a buffer grown from
// nothing leaves behind. Not parallel, so that no other test allocates
// meanwhile. The least of ten writes counts: under the race detector
// sync.Pool drops a quarter of what it is given, at random.
func TestWriterReusesItsBuffer(t *testing.T) {
	db := testenv.StartInfluxDB(t)
	w := newWriter(t, Options{URL: db.URL, Bucket: db.Bucket})
	points := seqPoints("reused", 3000)
	body, err := Encode(points)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := w.Write(t.Context(), points); err != nil || n != len(points) { // fills the pool
		t.Fatalf("Write = %d, %v", n, err)
	}
	var perWrite []uint64
	for range 10 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if n, err := w.Write(t.Context(), points); err != nil || n != len(points) {
			t.Fatalf("Write = %d, %v", n, err)
		}
		runtime.ReadMemStats(&after)
		perWrite = append(perWrite, after.TotalAlloc-before.TotalAlloc)
	}
	if least, limit := slices.Min(perWrite), uint64(len(body)/2); least > limit {
		t.Errorf("a Write of %d points (%d bytes of line protocol) allocates at least %d bytes (of %v), want at most %d",
			len(points), len(body), least, perWrite, limit)
	}
}

func TestWriterIsIdempotent(t *testing.T) {
	t.Parallel()
	db := testenv.StartInfluxDB(t)
	w := newWriter(t, Options{URL: db.URL, Bucket: db.Bucket})
	points := seqPoints("again", 3)
	for range 2 {
		if n, err := w.Write(t.Context(), points); err != nil || n != 3 {
			t.Fatalf("Write = %d, %v, want 3, nil", n, err)
		}
	}
	if got, err := db.QueryValue(t.Context(), `SELECT count("v") FROM "again"`); err != nil || got != json.Number("3") {
		t.Errorf("count(v) after two writes = %v, %v, want 3", got, err)
	}
}

func TestWriterPartialWriteInfluxDB18(t *testing.T) {
	t.Parallel()
	db := testenv.StartInfluxDB(t)
	w := newWriter(t, Options{URL: db.URL, Bucket: db.Bucket})
	ctx := t.Context()
	if _, err := w.Write(ctx, seqPoints("conflict", 1)); err != nil {
		t.Fatal(err)
	}
	points := seqPoints("conflict", 3)
	points[1].Fields.Set("v", "now a string") // field type conflict for one point

	n, err := w.Write(ctx, points)
	var werr *WriteError
	if !errors.As(err, &werr) {
		t.Fatalf("Write error = %v, want *WriteError", err)
	}
	if n != 2 || werr.StatusCode != http.StatusBadRequest || !werr.Permanent || werr.Points != 1 || !strings.Contains(werr.Message, "field type conflict") {
		t.Errorf("Write = %d, %+v; want 2 written and a permanent 400 for 1 point about a field type conflict", n, werr)
	}
	if got, err := db.QueryValue(ctx, `SELECT count("v") FROM "conflict"`); err != nil || got != json.Number("2") {
		t.Errorf("count(v) = %v, %v, want 2", got, err)
	}
}

func TestWriterAcrossInfluxRestart(t *testing.T) {
	t.Parallel()
	db := testenv.StartInfluxDB(t)
	w := newWriter(t, Options{URL: db.URL, Bucket: db.Bucket, MaxRetries: -1})
	ctx := t.Context()

	db.Stop()
	n, err := w.Write(ctx, seqPoints("outage", 2))
	var werr *WriteError
	if !errors.As(err, &werr) || werr.Permanent || n != 0 {
		t.Fatalf("Write while InfluxDB is down = %d, %v; want 0 and a retryable *WriteError", n, err)
	}

	db.Restart()
	if n, err := w.Write(ctx, seqPoints("outage", 2)); err != nil || n != 2 {
		t.Fatalf("Write after restart = %d, %v, want 2, nil", n, err)
	}
	if got, err := db.QueryValue(ctx, `SELECT count("v") FROM "outage"`); err != nil || got != json.Number("2") {
		t.Errorf("count(v) = %v, %v, want 2", got, err)
	}
}

func TestWriterDropsUnencodablePoints(t *testing.T) {
	t.Parallel()
	db := testenv.StartInfluxDB(t)
	w := newWriter(t, Options{URL: db.URL, Bucket: db.Bucket, BatchSize: 2})
	points := seqPoints("enc", 4)
	points[1].Fields = telemetry.Fields{telemetry.FloatField("v", math.Inf(1))} // line protocol has no infinity
	points[3].Fields = nil

	n, err := w.Write(t.Context(), points)
	var werr *WriteError
	if !errors.As(err, &werr) {
		t.Fatalf("Write error = %v, want *WriteError", err)
	}
	if n != 2 || !werr.Permanent || werr.StatusCode != 0 || werr.Points != 2 || !strings.HasPrefix(werr.Message, "2 points cannot be encoded") {
		t.Errorf("Write = %d, %+v; want 2 written and a permanent error for 2 unencodable points", n, werr)
	}
	if got, err := db.QueryValue(t.Context(), `SELECT count("v") FROM "enc"`); err != nil || got != json.Number("2") {
		t.Errorf("count(v) = %v, %v, want 2", got, err)
	}
}

func TestWriterHealth(t *testing.T) {
	t.Parallel()
	db := testenv.StartInfluxDB(t)
	pingOnly := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ping" {
			rw.WriteHeader(http.StatusNoContent)
			return
		}
		http.NotFound(rw, r)
	}))
	t.Cleanup(pingOnly.Close)
	unhealthy := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(rw, `{"status":"fail"}`)
	}))
	t.Cleanup(unhealthy.Close)

	tests := []struct {
		name    string
		url     string
		wantErr string // "" for healthy
	}{
		{name: "InfluxDB 1.8 /health", url: db.URL},
		{name: "only /ping", url: pingOnly.URL},
		{name: "503", url: unhealthy.URL, wantErr: `influx health: GET /health: status 503: {"status":"fail"}`},
		{name: "down", url: "http://" + testenv.ClosedPort(t), wantErr: "connection refused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := newWriter(t, Options{URL: tc.url, Bucket: "b"}).Health(t.Context())
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("Health = %v, want nil", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("Health = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

// standIn is an httptest server that answers /api/v2/write from a script
// of responses and records the requests.
type standIn struct {
	*httptest.Server
	mu        sync.Mutex
	responses []response
	requests  []*http.Request
	bodies    []string
}

type response struct {
	status int
	header map[string]string
	body   string
}

func newStandIn(t *testing.T, responses ...response) *standIn {
	t.Helper()
	s := &standIn{responses: responses}
	s.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, err := readBody(r)
		if err != nil {
			t.Errorf("read request body: %v", err)
		}
		s.mu.Lock()
		s.requests = append(s.requests, r)
		s.bodies = append(s.bodies, body)
		resp := response{status: http.StatusNoContent}
		if len(s.responses) > 0 {
			resp = s.responses[0]
			if len(s.responses) > 1 {
				s.responses = s.responses[1:]
			}
		}
		s.mu.Unlock()
		for k, v := range resp.header {
			rw.Header().Set(k, strings.ReplaceAll(v, "$AUTH", r.Header.Get("Authorization")))
		}
		rw.WriteHeader(resp.status)
		io.WriteString(rw, strings.ReplaceAll(resp.body, "$AUTH", r.Header.Get("Authorization")))
	}))
	t.Cleanup(s.Close)
	return s
}

func readBody(r *http.Request) (string, error) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return "", err
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	return string(b), err
}

func (s *standIn) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

func TestWriterRequestShape(t *testing.T) {
	t.Parallel()
	s := newStandIn(t)
	w := newWriter(t, Options{URL: s.URL + "/", Token: "tok-123", Org: "my org", Bucket: "telemetry", UseGzip: true})
	if n, err := w.Write(t.Context(), seqPoints("m", 2)); err != nil || n != 2 {
		t.Fatalf("Write = %d, %v, want 2, nil", n, err)
	}
	if s.count() != 1 {
		t.Fatalf("requests = %d, want 1", s.count())
	}
	r := s.requests[0]
	got := map[string]string{
		"method":           r.Method,
		"path":             r.URL.Path,
		"org":              r.URL.Query().Get("org"),
		"bucket":           r.URL.Query().Get("bucket"),
		"precision":        r.URL.Query().Get("precision"),
		"authorization":    r.Header.Get("Authorization"),
		"content-encoding": r.Header.Get("Content-Encoding"),
		"body":             s.bodies[0],
	}
	want := map[string]string{
		"method":           "POST",
		"path":             "/api/v2/write",
		"org":              "my org",
		"bucket":           "telemetry",
		"precision":        "s",
		"authorization":    "Token tok-123",
		"content-encoding": "gzip",
		"body":             "m,src=test v=0i 1736503200\nm,src=test v=1i 1736503201",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
}

func TestWriterRetries(t *testing.T) {
	t.Parallel()
	json400 := response{status: 400, header: map[string]string{"Content-Type": "application/json"}, body: `{"code":"invalid","message":"unable to parse 'm v=': missing field value"}`}
	tests := []struct {
		name       string
		responses  []response
		maxRetries int
		batchSize  int
		points     int
		wantN      int
		wantReqs   int
		wantSleeps []time.Duration // exact waits; nil when backoff is checked by range
		wantErr    *WriteError     // nil for success
	}{
		{
			name:       "429 with Retry-After is honoured",
			responses:  []response{{status: 429, header: map[string]string{"Retry-After": "1"}}, {status: 204}},
			points:     3,
			wantN:      3,
			wantReqs:   2,
			wantSleeps: []time.Duration{time.Second},
		},
		{
			name:       "Retry-After is capped by MaxRetryWait",
			responses:  []response{{status: 503, header: map[string]string{"Retry-After": "3600"}}, {status: 204}},
			points:     1,
			wantN:      1,
			wantReqs:   2,
			wantSleeps: []time.Duration{30 * time.Second},
		},
		{
			name:       "503 until MaxRetries is exhausted",
			responses:  []response{{status: 503, body: "overloaded"}},
			maxRetries: 2,
			points:     3,
			wantReqs:   3,
			wantErr:    &WriteError{StatusCode: 503, Message: "overloaded", Points: 3},
		},
		{
			name:       "negative MaxRetries never retries",
			responses:  []response{{status: 500}},
			maxRetries: -1,
			points:     1,
			wantReqs:   1,
			wantSleeps: []time.Duration{},
			wantErr:    &WriteError{StatusCode: 500, Message: "Internal Server Error", Points: 1},
		},
		{
			name:       "400 with a JSON body is permanent",
			responses:  []response{json400},
			points:     2,
			wantReqs:   1,
			wantSleeps: []time.Duration{},
			wantErr:    &WriteError{StatusCode: 400, Permanent: true, Message: "unable to parse 'm v=': missing field value", Points: 2},
		},
		{
			name:       "InfluxDB 1.x error header",
			responses:  []response{{status: 404, header: map[string]string{"X-Influxdb-Error": `database not found: "x"`, "Content-Type": "application/json"}, body: `{"error":"database not found: \"x\""}`}},
			points:     1,
			wantReqs:   1,
			wantSleeps: []time.Duration{},
			wantErr:    &WriteError{StatusCode: 404, Message: `database not found: "x"`, Points: 1},
		},
		{
			name:       "a permanent failure drops one batch and the rest is written",
			responses:  []response{{status: 204}, json400, {status: 204}},
			batchSize:  2,
			points:     5,
			wantN:      3,
			wantReqs:   3,
			wantSleeps: []time.Duration{},
			wantErr:    &WriteError{StatusCode: 400, Permanent: true, Message: "unable to parse 'm v=': missing field value", Points: 2},
		},
		{
			name:       "a retryable failure stops the remaining batches",
			responses:  []response{{status: 204}, {status: 502}},
			maxRetries: -1,
			batchSize:  2,
			points:     5,
			wantN:      2,
			wantReqs:   2,
			wantSleeps: []time.Duration{},
			wantErr:    &WriteError{StatusCode: 502, Message: "Bad Gateway", Points: 3},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newStandIn(t, tc.responses...)
			w := newWriter(t, Options{URL: s.URL, Bucket: "b", MaxRetries: tc.maxRetries, BatchSize: tc.batchSize})
			var sleeps []time.Duration
			w.sleep = func(_ context.Context, d time.Duration) error {
				sleeps = append(sleeps, d)
				return nil
			}
			n, err := w.Write(t.Context(), seqPoints("m", tc.points))
			if n != tc.wantN {
				t.Errorf("Write written = %d, want %d", n, tc.wantN)
			}
			if got := s.count(); got != tc.wantReqs {
				t.Errorf("requests = %d, want %d", got, tc.wantReqs)
			}
			if tc.wantSleeps != nil {
				if diff := cmp.Diff(tc.wantSleeps, sleeps, cmp.Comparer(func(a, b []time.Duration) bool { return fmt.Sprint(a) == fmt.Sprint(b) })); diff != "" {
					t.Errorf("waits (-want +got):\n%s", diff)
				}
			} else {
				checkBackoff(t, sleeps)
			}
			checkWriteError(t, err, tc.wantErr)
		})
	}
}

// checkBackoff checks exponential backoff with jitter: wait i lies in
// [2^i/2 s, 2^i s].
func checkBackoff(t *testing.T, sleeps []time.Duration) {
	t.Helper()
	for i, d := range sleeps {
		hi := time.Second << i
		if d < hi/2 || d > hi {
			t.Errorf("wait %d = %v, want within [%v, %v]", i, d, hi/2, hi)
		}
	}
}

func checkWriteError(t *testing.T, err error, want *WriteError) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Errorf("Write error = %v, want nil", err)
		}
		return
	}
	var got *WriteError
	if !errors.As(err, &got) {
		t.Fatalf("Write error = %v (%T), want *WriteError", err, err)
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(WriteError{}), cmp.FilterPath(func(p cmp.Path) bool {
		return p.Last().String() == ".err"
	}, cmp.Ignore())); diff != "" {
		t.Errorf("WriteError (-want +got):\n%s", diff)
	}
}

func TestWriterCancelDuringBackoff(t *testing.T) {
	t.Parallel()
	s := newStandIn(t, response{status: 503})
	w := newWriter(t, Options{URL: s.URL, Bucket: "b"})
	ctx, cancel := context.WithCancel(t.Context())
	w.sleep = func(ctx context.Context, d time.Duration) error {
		cancel()
		<-ctx.Done()
		return ctx.Err()
	}
	n, err := w.Write(ctx, seqPoints("m", 2))
	var werr *WriteError
	if n != 0 || !errors.Is(err, context.Canceled) || errors.As(err, &werr) {
		t.Errorf("Write = %d, %v; want 0 and context.Canceled, not a *WriteError", n, err)
	}
	if got := s.count(); got != 1 {
		t.Errorf("requests = %d, want 1", got)
	}
}

func TestWriterDeadlineShorterThanRetryAfter(t *testing.T) {
	t.Parallel()
	s := newStandIn(t, response{status: 429, header: map[string]string{"Retry-After": "20"}})
	w := newWriter(t, Options{URL: s.URL, Bucket: "b"})
	w.sleep = func(context.Context, time.Duration) error {
		t.Error("Write waited although the deadline would pass first")
		return nil
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err := w.Write(ctx, seqPoints("m", 1))
	checkWriteError(t, err, &WriteError{StatusCode: 429, Message: "Too Many Requests", Points: 1})
}

func TestWriterInfluxDown(t *testing.T) {
	t.Parallel()
	w := newWriter(t, Options{URL: "http://" + testenv.ClosedPort(t), Bucket: "b", MaxRetries: 1})
	var sleeps []time.Duration
	w.sleep = func(_ context.Context, d time.Duration) error {
		sleeps = append(sleeps, d)
		return nil
	}
	n, err := w.Write(t.Context(), seqPoints("m", 2))
	var werr *WriteError
	if !errors.As(err, &werr) {
		t.Fatalf("Write error = %v, want *WriteError", err)
	}
	if n != 0 || werr.Permanent || werr.StatusCode != 0 || werr.Points != 2 || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("Write = %d, %+v; want a retryable transport error for 2 points that wraps ECONNREFUSED", n, werr)
	}
	if len(sleeps) != 1 {
		t.Errorf("waits = %v, want 1", sleeps)
	}
}

func TestWriterNeverLeaksTheToken(t *testing.T) {
	t.Parallel()
	const password = "s3cr3t-Pa55"
	echo := map[string]string{"X-Influxdb-Error": "bad auth $AUTH"}
	tests := []struct {
		name     string
		response response
	}{
		{name: "400 text body", response: response{status: 400, body: "rejected credentials $AUTH"}},
		{name: "401 header only", response: response{status: 401, header: echo}},
		{name: "503 JSON", response: response{status: 503, header: map[string]string{"Content-Type": "application/json"}, body: `{"code":"unavailable","message":"$AUTH"}`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStandIn(t, tc.response)
			w := newWriter(t, Options{URL: s.URL, Token: "admin:" + password, Bucket: "b", MaxRetries: -1})
			_, err := w.Write(t.Context(), seqPoints("m", 1))
			if err == nil {
				t.Fatal("Write succeeded, want an error")
			}
			for e := err; e != nil; e = errors.Unwrap(e) {
				if strings.Contains(e.Error(), password) {
					t.Errorf("error text %q contains the password", e.Error())
				}
			}
			if !strings.Contains(err.Error(), "[REDACTED]") {
				t.Errorf("error %q does not show where the secret was removed", err)
			}
		})
	}
}

// TestWriterNeverLeaksTheURLPassword: a password in DB_URL's userinfo
// never reaches an error, raw or escaped, even when the server echoes it.
func TestWriterNeverLeaksTheURLPassword(t *testing.T) {
	t.Parallel()
	const password = `url-P@ss"w0rd<&>`
	msg, _ := json.Marshal(map[string]string{"code": "invalid", "message": "bad url password " + password})
	s := newStandIn(t, response{status: 400, header: map[string]string{"Content-Type": "application/json"}, body: string(msg)})
	u := strings.Replace(s.URL, "http://", "http://admin:"+url.PathEscape(password)+"@", 1)
	w := newWriter(t, Options{URL: u, Token: "tok-123", Bucket: "b", MaxRetries: -1})
	_, err := w.Write(t.Context(), seqPoints("m", 1))
	if err == nil {
		t.Fatal("Write succeeded, want an error")
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		if strings.Contains(e.Error(), "w0rd") {
			t.Errorf("error text %q contains the URL password", e.Error())
		}
	}
	if !strings.Contains(err.Error(), "[REDACTED]") {
		t.Errorf("error %q does not show where the secret was removed", err)
	}
}

func TestNewWriterValidates(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{name: "empty", opts: Options{}, want: "influx url is empty\ninflux bucket is empty"},
		{name: "scheme", opts: Options{URL: "ftp://x", Bucket: "b"}, want: "influx url ftp://x: scheme must be http or https"},
		{name: "no host, password hidden", opts: Options{URL: "http://u:secret@", Bucket: "b"}, want: "influx url http://u:xxxxx@: host is missing"},
		{name: "negatives", opts: Options{URL: "http://x", Bucket: "b", BatchSize: -1, Timeout: -1, MaxRetryWait: -1},
			want: "influx batch size -1 is negative\ninflux timeout -1ns is negative\ninflux max retry wait -1ns is negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewWriter(tc.opts)
			if err == nil || err.Error() != tc.want {
				t.Errorf("NewWriter(%+v) error = %v, want %q", tc.opts, err, tc.want)
			}
		})
	}
}

func TestNewWriterDefaults(t *testing.T) {
	w := newWriter(t, Options{URL: "http://127.0.0.1:1", Bucket: "b"})
	want := Options{URL: "http://127.0.0.1:1", Bucket: "b", BatchSize: 5000, Timeout: 10 * time.Second, MaxRetries: 3, MaxRetryWait: 30 * time.Second}
	if diff := cmp.Diff(want, w.opts); diff != "" {
		t.Errorf("options after defaults (-want +got):\n%s", diff)
	}
}

func newWriter(t *testing.T, opts Options) *Writer {
	t.Helper()
	w, err := NewWriter(opts)
	if err != nil {
		t.Fatalf("NewWriter: %v", err)
	}
	t.Cleanup(w.Close)
	return w
}

// seqPoints returns n points of measurement m, one second apart, with
// integer field v = 0..n-1.
func seqPoints(m string, n int) []telemetry.Point {
	out := make([]telemetry.Point, n)
	for i := range out {
		out[i] = telemetry.Point{
			Measurement: m,
			Tags:        telemetry.TagsOf(map[string]string{"src": "test"}),
			Fields:      telemetry.FieldsOf(map[string]any{"v": int64(i)}),
			Time:        t0.Add(time.Duration(i) * time.Second),
		}
	}
	return out
}

// rows runs q and returns every row of every series as column → value,
// with the series tags merged in.
func rows(t *testing.T, db *testenv.InfluxDB, q string) []map[string]any {
	t.Helper()
	series, err := db.Query(t.Context(), q)
	if err != nil {
		t.Fatalf("Query(%s): %v", q, err)
	}
	var out []map[string]any
	for _, s := range series {
		for _, v := range s.Values {
			row := map[string]any{}
			for k, tv := range s.Tags {
				row[k] = tv
			}
			for i, c := range s.Columns {
				row[c] = v[i]
			}
			out = append(out, row)
		}
	}
	return out
}

func TestWriteLineProtocol(t *testing.T) {
	t.Parallel()
	db := testenv.StartInfluxDB(t)
	w := newWriter(t, Options{URL: db.URL, Bucket: db.Bucket, MaxRetries: -1})
	body, err := Encode(seqPoints("raw", 3))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := w.WriteLineProtocol(t.Context(), body, 3); err != nil || n != 3 {
		t.Fatalf("WriteLineProtocol = %d, %v; want 3, nil", n, err)
	}
	v, err := db.QueryValue(t.Context(), `SELECT sum("v") FROM "raw"`)
	if err != nil || fmt.Sprint(v) != "3" {
		t.Errorf("sum(v) = %v, %v; want 3 (0+1+2)", v, err)
	}
	if n, err := w.WriteLineProtocol(t.Context(), []byte("\n"), 0); err != nil || n != 0 {
		t.Errorf("empty body: %d, %v; want 0, nil", n, err)
	}
	_, err = w.WriteLineProtocol(t.Context(), []byte("raw v=\"unterminated 1\n"), 1)
	var werr *WriteError
	if !errors.As(err, &werr) || !werr.Permanent || werr.StatusCode != 400 || Retryable(err) {
		t.Errorf("bad line: err = %v, want a permanent 400 WriteError", err)
	}
	down := newWriter(t, Options{URL: "http://" + testenv.ClosedPort(t), Bucket: "b", MaxRetries: -1})
	if _, err := down.WriteLineProtocol(t.Context(), body, 3); !Retryable(err) {
		t.Errorf("closed port: err = %v, want a retryable error", err)
	}
}

func TestRetryable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{&WriteError{StatusCode: 400, Permanent: true}, false},
		{fmt.Errorf("wrapped: %w", &WriteError{StatusCode: 400, Permanent: true}), false},
		{&WriteError{StatusCode: 503}, true},
		{context.DeadlineExceeded, true},
	} {
		if got := Retryable(tc.err); got != tc.want {
			t.Errorf("Retryable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// TestWriterBoundsConcurrentWrites writes from twelve goroutines through a
// proxy to a real InfluxDB that holds every write 50 ms and counts the
// writes in flight: never more than MaxConcurrentWrites, every point
// stored; without the bound, more.
func TestWriterBoundsConcurrentWrites(t *testing.T) {
	t.Parallel()
	db := testenv.StartInfluxDB(t)
	target, err := url.Parse(db.URL)
	if err != nil {
		t.Fatal(err)
	}
	var inFlight, peak atomic.Int32
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v2/write" {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			time.Sleep(50 * time.Millisecond)
		}
		proxy.ServeHTTP(rw, r)
	}))
	t.Cleanup(srv.Close)

	for _, tc := range []struct {
		bound    int
		wantPeak func(int32) bool
	}{
		{3, func(p int32) bool { return p == 3 }},
		{-1, func(p int32) bool { return p > 3 }},
	} {
		peak.Store(0)
		w := newWriter(t, Options{URL: srv.URL, Bucket: db.Bucket, MaxConcurrentWrites: tc.bound})
		meas := fmt.Sprintf("bound%d", tc.bound+1)
		var wg sync.WaitGroup
		for g := range 12 {
			wg.Go(func() {
				pts := seqPoints(meas, 10)
				for i := range pts {
					pts[i].Tags.Set("src", fmt.Sprint(g))
				}
				if n, err := w.Write(t.Context(), pts); n != 10 || err != nil {
					t.Errorf("Write = %d, %v; want 10, nil", n, err)
				}
			})
		}
		wg.Wait()
		if p := peak.Load(); !tc.wantPeak(p) {
			t.Errorf("MaxConcurrentWrites %d: %d writes in flight at most", tc.bound, p)
		}
		if got, err := db.QueryValue(t.Context(), fmt.Sprintf(`SELECT count("v") FROM "%s"`, meas)); err != nil || got != json.Number("120") {
			t.Errorf("MaxConcurrentWrites %d: count(v) = %v, %v, want 120", tc.bound, got, err)
		}
	}
}

// TestWriterWaitingForASlotEnds checks that a Write waiting for a write
// slot gives up with its context, with a retryable error that says why.
func TestWriterWaitingForASlotEnds(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		<-release
		rw.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	w := newWriter(t, Options{URL: srv.URL, Bucket: "db", MaxConcurrentWrites: 1})
	first := make(chan error, 1)
	go func() {
		_, err := w.Write(t.Context(), seqPoints("slot", 1))
		first <- err
	}()
	for len(w.slots) == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	n, err := w.Write(ctx, seqPoints("slot", 1))
	if n != 0 || !errors.Is(err, context.DeadlineExceeded) || !Retryable(err) ||
		!strings.Contains(fmt.Sprint(err), "wait for one of 1 concurrent InfluxDB writes") {
		t.Errorf("Write = %d, %v; want 0 and a retryable deadline error naming the write slots", n, err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Errorf("the first Write = %v, want nil", err)
	}
}

func TestLineSizerSizesFromTheRequestsBefore(t *testing.T) {
	var l lineSizer
	if got := l.bytesFor(10); got != (256+32)*10+64 {
		t.Errorf("bytesFor(10) with nothing learnt = %d, want %d", got, (256+32)*10+64)
	}
	l.learn(1000, 10) // 100 bytes a line
	if got := l.bytesFor(10); got != (100+12)*10+64 {
		t.Errorf("bytesFor(10) after 100-byte lines = %d, want %d", got, (100+12)*10+64)
	}
	l.learn(3000, 10) // longer lines: followed at once
	if got := l.bytesFor(1); got != 300+37+64 {
		t.Errorf("bytesFor(1) after 300-byte lines = %d, want %d", got, 300+37+64)
	}
	l.learn(1000, 10) // shorter ones: an eighth of the way
	if got := l.bytesFor(1); got != 275+34+64 {
		t.Errorf("bytesFor(1) after 300- then 100-byte lines = %d, want %d", got, 275+34+64)
	}
}

// With UseGzip, Close still closes the writer's idle connections to the
// database.
func TestWriterGzipCloseClosesIdleConnections(t *testing.T) {
	t.Parallel()
	var conns sync.WaitGroup
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			conns.Add(1)
		case http.StateClosed, http.StateHijacked:
			conns.Done()
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	w, err := NewWriter(Options{URL: srv.URL, Bucket: "b", UseGzip: true})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := w.Write(t.Context(), seqPoints("m", 2)); err != nil || n != 2 {
		t.Fatalf("Write = %d, %v, want 2, nil", n, err)
	}
	w.Close()
	done := make(chan struct{})
	go func() { conns.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Error("the writer's connection is still open 5 s after Close")
	}
}
