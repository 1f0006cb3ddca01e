// Package otlptest is an OTLP metrics receiver for tests: the OTLP
// metrics service over real gRPC and real HTTP/protobuf on loopback, with
// the protocol's own generated types.
package otlptest

import (
	"compress/gzip"
	"context"
	"crypto/tls"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	metricpb "go.opentelemetry.io/proto/otlp/metrics/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
)

// Receiver records every export request it gets.
type Receiver struct {
	colmetricpb.UnimplementedMetricsServiceServer

	// Endpoint is the URL to put in OTEL_EXPORTER_OTLP_ENDPOINT.
	Endpoint string
	// CAFile is the PEM file of the server certificate (TLS only).
	CAFile string

	mu      sync.Mutex
	reqs    []*colmetricpb.ExportMetricsServiceRequest
	headers []map[string]string // lower-case keys
}

// Start starts a receiver for the protocol (grpc or http/protobuf) on
// 127.0.0.1 and stops it when the test ends. With useTLS the HTTP
// receiver serves HTTPS with a test certificate written to CAFile.
func Start(t testing.TB, protocol string, useTLS bool) *Receiver {
	t.Helper()
	r := &Receiver{}
	if protocol == "grpc" {
		if useTLS {
			t.Fatal("otlptest: TLS is only implemented for http/protobuf")
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s := grpc.NewServer()
		colmetricpb.RegisterMetricsServiceServer(s, r)
		go func() { _ = s.Serve(l) }()
		t.Cleanup(s.Stop)
		r.Endpoint = "http://" + l.Addr().String()
		return r
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/metrics", r.serveHTTP)
	if !useTLS {
		s := httptest.NewServer(mux)
		t.Cleanup(s.Close)
		r.Endpoint = s.URL
		return r
	}
	s := httptest.NewUnstartedServer(mux)
	s.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	s.StartTLS()
	t.Cleanup(s.Close)
	r.Endpoint = s.URL
	r.CAFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(r.CAFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return r
}

// Export implements the gRPC metrics service.
func (r *Receiver) Export(ctx context.Context, req *colmetricpb.ExportMetricsServiceRequest) (*colmetricpb.ExportMetricsServiceResponse, error) {
	h := map[string]string{}
	md, _ := metadata.FromIncomingContext(ctx)
	for k, v := range md {
		h[strings.ToLower(k)] = strings.Join(v, ",")
	}
	r.record(req, h)
	return &colmetricpb.ExportMetricsServiceResponse{}, nil
}

func (r *Receiver) serveHTTP(w http.ResponseWriter, req *http.Request) {
	var body io.Reader = req.Body
	if req.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if ct := req.Header.Get("Content-Type"); ct != "application/x-protobuf" {
		http.Error(w, "content type "+ct, http.StatusUnsupportedMediaType)
		return
	}
	m := &colmetricpb.ExportMetricsServiceRequest{}
	if err := proto.Unmarshal(raw, m); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h := map[string]string{}
	for k, v := range req.Header {
		h[strings.ToLower(k)] = strings.Join(v, ",")
	}
	r.record(m, h)
	out, _ := proto.Marshal(&colmetricpb.ExportMetricsServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func (r *Receiver) record(req *colmetricpb.ExportMetricsServiceRequest, h map[string]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, req)
	r.headers = append(r.headers, h)
}

// Headers returns the headers (gRPC metadata) of every request so far.
func (r *Receiver) Headers() []map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]map[string]string(nil), r.headers...)
}

// Point is one received data point, flattened.
type Point struct {
	Resource    map[string]string
	Scope       string
	Name, Unit  string
	Kind        string // gauge or sum
	Monotonic   bool
	Temporality metricpb.AggregationTemporality
	Start, Time uint64 // Unix ns
	Int         bool   // an integer value, else a double
	Value       float64
	Attrs       map[string]string
}

// Points returns every data point received so far.
func (r *Receiver) Points() []Point {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Point
	for _, req := range r.reqs {
		for _, rm := range req.GetResourceMetrics() {
			res := attrs(rm.GetResource().GetAttributes())
			for _, sm := range rm.GetScopeMetrics() {
				for _, m := range sm.GetMetrics() {
					base := Point{Resource: res, Scope: sm.GetScope().GetName(), Name: m.GetName(), Unit: m.GetUnit()}
					var dps []*metricpb.NumberDataPoint
					switch d := m.GetData().(type) {
					case *metricpb.Metric_Gauge:
						base.Kind, dps = "gauge", d.Gauge.GetDataPoints()
					case *metricpb.Metric_Sum:
						base.Kind, dps = "sum", d.Sum.GetDataPoints()
						base.Monotonic, base.Temporality = d.Sum.GetIsMonotonic(), d.Sum.GetAggregationTemporality()
					default:
						base.Kind = "other"
						out = append(out, base)
					}
					for _, dp := range dps {
						p := base
						p.Start, p.Time, p.Attrs = dp.GetStartTimeUnixNano(), dp.GetTimeUnixNano(), attrs(dp.GetAttributes())
						switch v := dp.GetValue().(type) {
						case *metricpb.NumberDataPoint_AsInt:
							p.Int, p.Value = true, float64(v.AsInt)
						case *metricpb.NumberDataPoint_AsDouble:
							p.Value = v.AsDouble
						}
						out = append(out, p)
					}
				}
			}
		}
	}
	return out
}

func attrs(kvs []*commonpb.KeyValue) map[string]string {
	out := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		out[kv.GetKey()] = kv.GetValue().GetStringValue()
	}
	return out
}
