package influx

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

func TestCheckBucketInfluxDB18(t *testing.T) {
	t.Parallel()
	db := testenv.StartInfluxDB(t)
	tests := []struct {
		name, org, bucket string
		wantErr           string
		notFound          bool
	}{
		{name: "database", bucket: db.Database},
		{name: "database and retention policy", bucket: db.Bucket},
		{name: "org set: 1.8 ignores it", org: "ECTELEM", bucket: db.Database},
		{name: "missing", bucket: "ectelemx", notFound: true,
			wantErr: `influx: database "ectelemx" not found; the server has ectelem`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			testCheckBucket(t, Options{URL: db.URL, Org: tc.org, Bucket: tc.bucket}, tc.wantErr, tc.notFound)
		})
	}
}

// TestCheckBucketInfluxDB2 runs against the answers of InfluxDB 2.x's
// GET /api/v2/buckets (no 2.x server in the test environment).
func TestCheckBucketInfluxDB2(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		status   int
		body     string
		wantErr  string
		notFound bool
	}{
		{name: "found", status: 200, body: `{"links":{"self":"/api/v2/buckets"},"buckets":[{"id":"0a1b","orgID":"9f","name":"ECTELEM","retentionRules":[]}]}`},
		{name: "missing", status: 200, body: `{"links":{"self":"/api/v2/buckets"},"buckets":[]}`, notFound: true,
			wantErr: `influx: bucket "ECTELEM" not found in organization "ECTELEM"`},
		{name: "missing org", status: 404, body: `{"code":"not found","message":"organization name \"ECTELEM\" not found"}`, notFound: true,
			wantErr: `influx: organization "ECTELEM" not found`},
		{name: "bad token", status: 401, body: `{"code":"unauthorized","message":"unauthorized access"}`,
			wantErr: `influx: GET /api/v2/buckets: status 401: {"code":"unauthorized","message":"unauthorized access"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mux := http.NewServeMux()
			mux.HandleFunc("GET /ping", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Influxdb-Version", "v2.7.11")
				w.WriteHeader(http.StatusNoContent)
			})
			mux.HandleFunc("GET /api/v2/buckets", func(w http.ResponseWriter, r *http.Request) {
				if got := r.Header.Get("Authorization"); got != "Token tok-secret" {
					t.Errorf("Authorization = %q, want the token", got)
				}
				if q := r.URL.Query(); q.Get("org") != "ECTELEM" || q.Get("name") != "ECTELEM" {
					t.Errorf("query = %v, want org and name ECTELEM", q)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			})
			srv := httptest.NewServer(mux)
			defer srv.Close()
			testCheckBucket(t, Options{URL: srv.URL, Token: "tok-secret", Org: "ECTELEM", Bucket: "ECTELEM"}, tc.wantErr, tc.notFound)
		})
	}
}

// testCheckBucket checks the exact error of CheckBucket with opts, and
// whether it is ErrBucketNotFound.
func testCheckBucket(t *testing.T, opts Options, wantErr string, notFound bool) {
	t.Helper()
	w, err := NewWriter(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	err = w.CheckBucket(t.Context())
	got := ""
	if err != nil {
		got = err.Error()
	}
	if got != wantErr {
		t.Errorf("CheckBucket = %q, want %q", got, wantErr)
	}
	if errors.Is(err, ErrBucketNotFound) != notFound {
		t.Errorf("errors.Is(%v, ErrBucketNotFound) = %v, want %v", err, !notFound, notFound)
	}
}
