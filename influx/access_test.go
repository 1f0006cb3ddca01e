package influx

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// A revoked token or a missing database is an operator's fix, not a bad
// point: the write fails with a retryable (spoolable) error of its own
// kind, at once, and CheckWrite reports it although /health passes.
func TestAccessFailuresAreNotPermanentInfluxDB18(t *testing.T) {
	t.Parallel()
	db := testenv.StartInfluxDBWithAuth(t, "admin", "right-pw")
	tests := []struct {
		name     string
		token    string
		bucket   string
		wantKind string
		wantCode int
	}{
		{name: "wrong password", token: "admin:wrong-pw", bucket: db.Bucket, wantKind: KindAuth, wantCode: http.StatusUnauthorized},
		{name: "missing database", token: "admin:right-pw", bucket: "nosuchdb/autogen", wantKind: KindNotFound, wantCode: http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWriter(t, Options{URL: db.URL, Token: tc.token, Bucket: tc.bucket})
			if err := w.Health(t.Context()); err != nil {
				t.Fatalf("Health = %v, want nil (the server is up)", err)
			}
			n, err := w.Write(t.Context(), seqPoints("m", 3))
			var werr *WriteError
			if !errors.As(err, &werr) || n != 0 {
				t.Fatalf("Write = %d, %v, want 0 and a *WriteError", n, err)
			}
			if werr.Permanent || !Retryable(err) || werr.StatusCode != tc.wantCode || werr.Points != 3 || ErrorKind(err) != tc.wantKind {
				t.Errorf("Write error = %+v (kind %q, retryable %v), want status %d, kind %q, not permanent, 3 points",
					werr, ErrorKind(err), Retryable(err), tc.wantCode, tc.wantKind)
			}
			if strings.Contains(err.Error(), "right-pw") || strings.Contains(err.Error(), "wrong-pw") {
				t.Errorf("error %q contains the password", err)
			}
			err = w.CheckWrite(t.Context())
			if ErrorKind(err) != tc.wantKind {
				t.Errorf("CheckWrite = %v (kind %q), want kind %q", err, ErrorKind(err), tc.wantKind)
			}
		})
	}
	t.Run("good credentials", func(t *testing.T) {
		w := newWriter(t, Options{URL: db.URL, Token: "admin:right-pw", Bucket: db.Bucket})
		if err := w.CheckWrite(t.Context()); err != nil {
			t.Errorf("CheckWrite = %v, want nil", err)
		}
		if n, err := w.Write(t.Context(), seqPoints("m", 2)); n != 2 || err != nil {
			t.Errorf("Write = %d, %v, want 2, nil", n, err)
		}
	})
}

func TestAccessFailuresAreNotRetriedWithinAWrite(t *testing.T) {
	t.Parallel()
	for _, status := range []int{401, 403, 404} {
		s := newStandIn(t, response{status: status})
		w := newWriter(t, Options{URL: s.URL, Bucket: "b", BatchSize: 1})
		w.sleep = func(_ context.Context, d time.Duration) error {
			t.Errorf("status %d: waited %v, want no retry", status, d)
			return nil
		}
		_, err := w.Write(t.Context(), seqPoints("m", 3))
		if !Retryable(err) || len(s.requests) != 1 {
			t.Errorf("status %d: Write = %v after %d requests, want a retryable error after 1", status, err, len(s.requests))
		}
	}
}

// TLS toward InfluxDB over https: an httptest server on loopback stands in
// for /health and /api/v2/write.
func TestWriterTLSOptions(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/health":
			rw.Header().Set("Content-Type", "application/json")
			rw.Write([]byte(`{"status":"pass"}`))
		case "/api/v2/write":
			rw.WriteHeader(http.StatusNoContent)
		default:
			http.NotFound(rw, r)
		}
	}))
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		opts     Options
		wantFail string // "" when every call passes
	}{
		{name: "verify with the CA file", opts: Options{CAFile: caFile}},
		{name: "verify without the CA", opts: Options{}, wantFail: "certificate signed by unknown authority"},
		{name: "verification off", opts: Options{InsecureSkipVerify: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts
			o.URL, o.Bucket, o.MaxRetries = srv.URL, "db", -1
			w := newWriter(t, o)
			errs := map[string]error{"Health": w.Health(t.Context()), "CheckWrite": w.CheckWrite(t.Context())}
			_, errs["Write"] = w.Write(t.Context(), seqPoints("m", 1))
			for call, err := range errs {
				switch {
				case tc.wantFail == "" && err != nil:
					t.Errorf("%s = %v, want nil", call, err)
				case tc.wantFail != "" && (err == nil || !strings.Contains(err.Error(), tc.wantFail)):
					t.Errorf("%s = %v, want an error naming %q", call, err, tc.wantFail)
				}
			}
		})
	}
	if _, err := NewWriter(Options{URL: srv.URL, Bucket: "db", CAFile: filepath.Join(t.TempDir(), "missing.pem")}); err == nil || !strings.Contains(err.Error(), "ca file") {
		t.Errorf("NewWriter with a missing CA file = %v, want an error naming the ca file", err)
	}
	if _, err := NewWriter(Options{URL: srv.URL, Bucket: "db", CAFile: caFile, InsecureSkipVerify: true}); err == nil {
		t.Error("NewWriter with a CA file and verification off = nil error, want mutually exclusive")
	}
}

// BeyondRetention tells InfluxDB's refusal of points older than the
// retention period from its other refusals, also when wrapped.
func TestBeyondRetention(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&WriteError{StatusCode: 400, Message: "partial write: points beyond retention policy dropped=1", Permanent: true}, true},
		{fmt.Errorf("write 1 points: %w", &WriteError{StatusCode: 400, Message: "partial write: points beyond retention policy dropped=2", Permanent: true}), true},
		{&WriteError{StatusCode: 400, Message: "partial write: max-series-per-database limit exceeded: (1000000) dropped=1", Permanent: true}, false},
		{&WriteError{StatusCode: 503, Message: "points beyond retention policy", Permanent: false}, false},
		{errors.New("points beyond retention policy"), false},
		{nil, false},
	} {
		if got := BeyondRetention(tc.err); got != tc.want {
			t.Errorf("BeyondRetention(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
