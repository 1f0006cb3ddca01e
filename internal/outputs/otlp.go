package outputs

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// NameOTLP is the OTLP output's name in OUTPUTS, metrics and logs.
const NameOTLP = "otlp"

// OTLP protocols, the values of OTEL_EXPORTER_OTLP_PROTOCOL.
const (
	ProtocolGRPC         = "grpc"
	ProtocolHTTPProtobuf = "http/protobuf" // the default, as the OpenTelemetry specification recommends
)

// DefaultServiceName is service.name unless OTEL_SERVICE_NAME or
// OTEL_RESOURCE_ATTRIBUTES set it.
const DefaultServiceName = "ec-telemetry"

// scopeName names the instrumentation scope of every exported metric.
const scopeName = "github.com/ec-telemetry/ec-telemetry"

// metricExporter is what the OTLP output needs of the SDK's exporters.
type metricExporter interface {
	Export(context.Context, *metricdata.ResourceMetrics) error
	Shutdown(context.Context) error
}

// OTLP exports points as OpenTelemetry metrics with the OpenTelemetry Go
// SDK's own OTLP metric exporters (gRPC or HTTP/protobuf), which read the
// standard OTEL_EXPORTER_OTLP_* variables themselves: endpoint, headers
// (Bearer or Basic authorization), TLS CA certificate, insecure,
// compression and timeout. Each batch is exported as it comes, with the
// points' own timestamps: the SDK's instruments are not used, as they can
// only stamp the time of export.
type OTLP struct {
	exp      metricExporter
	res      *resource.Resource
	protocol string
}

// OTLPProtocol returns the protocol the environment asks for:
// OTEL_EXPORTER_OTLP_METRICS_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL,
// else http/protobuf.
func OTLPProtocol() (string, error) {
	p := strings.TrimSpace(os.Getenv("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL"))
	if p == "" {
		p = strings.TrimSpace(os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL"))
	}
	switch p {
	case "":
		return ProtocolHTTPProtobuf, nil
	case ProtocolGRPC, ProtocolHTTPProtobuf:
		return p, nil
	}
	return "", fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL %q is not supported: use grpc or http/protobuf", p)
}

// OTLPHeaderSecrets returns the values, as written, URL-decoded and without
// the authorization scheme, of the
// credential headers of OTEL_EXPORTER_OTLP_HEADERS and
// OTEL_EXPORTER_OTLP_METRICS_HEADERS (authorization, and names with auth,
// key, token, secret, password or cookie), which no log line may show.
func OTLPHeaderSecrets() []string {
	var out []string
	for _, env := range []string{"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_METRICS_HEADERS"} {
		for _, kv := range strings.Split(os.Getenv(env), ",") {
			k, v, ok := strings.Cut(kv, "=")
			if v = strings.TrimSpace(v); !ok || v == "" || !credentialHeader(k) {
				continue
			}
			out = append(out, v)
			d, err := url.PathUnescape(v)
			if err == nil && d != v {
				out = append(out, d)
			}
			// the credential alone, without its scheme (Bearer, Basic)
			if _, cred, ok := strings.Cut(d, " "); err == nil && ok && strings.TrimSpace(cred) != "" {
				out = append(out, strings.TrimSpace(cred))
			}
		}
	}
	return out
}

func credentialHeader(name string) bool {
	name = strings.ToLower(name)
	for _, s := range []string{"auth", "key", "token", "secret", "password", "cookie"} {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}

// NewOTLP returns the OTLP output configured by the OTEL_* environment
// variables. It does no network I/O: the exporter connects on the first
// export. The exporter's own retries are off, as the Fanout retries.
func NewOTLP(ctx context.Context) (*OTLP, error) {
	exp, res, protocol, err := NewOTLPExporter(ctx, false)
	if err != nil {
		return nil, err
	}
	return &OTLP{exp: exp, res: res, protocol: protocol}, nil
}

// NewOTLPExporter returns the SDK's OTLP metric exporter for the protocol
// the OTEL_* variables ask for, with the resource they describe
// (service.name defaults to DefaultServiceName). retry turns the
// exporter's own retries on. It does no network I/O.
func NewOTLPExporter(ctx context.Context, retry bool) (exp sdkmetric.Exporter, res *resource.Resource, protocol string, err error) {
	protocol, err = OTLPProtocol()
	if err != nil {
		return nil, nil, "", err
	}
	env, err := resource.New(ctx, resource.WithFromEnv())
	if err != nil {
		return nil, nil, "", fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: %w", err)
	}
	res, err = resource.Merge(resource.NewSchemaless(attribute.String("service.name", DefaultServiceName)), env)
	if err != nil {
		return nil, nil, "", fmt.Errorf("OTLP resource: %w", err)
	}
	switch protocol {
	case ProtocolGRPC:
		exp, err = otlpmetricgrpc.New(ctx, otlpmetricgrpc.WithRetry(otlpmetricgrpc.RetryConfig{Enabled: retry}))
	default:
		exp, err = otlpmetrichttp.New(ctx, otlpmetrichttp.WithRetry(otlpmetrichttp.RetryConfig{Enabled: retry}))
	}
	if err != nil {
		return nil, nil, "", fmt.Errorf("OTLP %s exporter: %w", protocol, err)
	}
	return exp, res, protocol, nil
}

// Name is "otlp".
func (o *OTLP) Name() string { return NameOTLP }

// Protocol is grpc or http/protobuf.
func (o *OTLP) Protocol() string { return o.protocol }

// Close shuts the exporter down, waiting at most a second.
func (o *OTLP) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = o.exp.Shutdown(ctx)
}

// OTLPPointsPerRequest bounds the points of one export request, so that a
// large batch (a minute-stats backfill) stays well below the 4 MiB a
// receiver such as the OpenTelemetry Collector accepts by default.
const OTLPPointsPerRequest = 1000

// Publish exports the points, in requests of at most OTLPPointsPerRequest
// points. After a failed request the whole batch is tried again later, so
// the requests before it can arrive twice.
func (o *OTLP) Publish(ctx context.Context, points []telemetry.Point) error {
	for len(points) > 0 {
		n := min(len(points), OTLPPointsPerRequest)
		rm := ResourceMetrics(o.res, points[:n])
		points = points[n:]
		if len(rm.ScopeMetrics[0].Metrics) == 0 {
			continue
		}
		if err := o.exp.Export(ctx, rm); err != nil {
			return fmt.Errorf("OTLP %s export: %w", o.protocol, err)
		}
	}
	return nil
}

// ResourceMetrics turns points into OTel metrics, one metric per field
// name as telemetry.OTelMetricOf maps it, in the order names first appear.
// Tags become attributes, the point's time the data point's time (a delta
// sum starts one minute earlier). String fields, and fields the schema
// does not know, are left out.
func ResourceMetrics(res *resource.Resource, points []telemetry.Point) *metricdata.ResourceMetrics {
	type acc struct {
		m      telemetry.OTelMetric
		float  bool
		ints   []metricdata.DataPoint[int64]
		floats []metricdata.DataPoint[float64]
	}
	// A metric has at most one data point per point of its measurement:
	// its slice gets that capacity at once instead of growing.
	perMeasurement := map[string]int{}
	for _, p := range points {
		perMeasurement[p.Measurement]++
	}
	var order []string
	byName := map[string]*acc{}
	kvs := make([]attribute.KeyValue, 0, 16)
	for _, p := range points {
		kvs = kvs[:0]
		for _, t := range p.Tags {
			kvs = append(kvs, attribute.String(t.Key, t.Value))
		}
		attrs := attribute.NewSet(kvs...)
		for _, f := range p.Fields {
			m, ok := telemetry.OTelMetricOf(p.Measurement, f.Key)
			if !ok {
				continue
			}
			var iv int64
			var fv float64
			isFloat := m.Scale != 1
			switch f.Value.Type() {
			case telemetry.Integer:
				iv = f.Value.Int()
				fv = float64(iv) * m.Scale
			case telemetry.Float:
				fv, isFloat = f.Value.Float()*m.Scale, true
			case telemetry.Boolean:
				if f.Value.Bool() {
					iv, fv = 1, m.Scale
				}
			default:
				continue
			}
			a := byName[m.Name]
			if a == nil {
				a = &acc{m: m, float: isFloat}
				if n := perMeasurement[p.Measurement]; isFloat {
					a.floats = make([]metricdata.DataPoint[float64], 0, n)
				} else {
					a.ints = make([]metricdata.DataPoint[int64], 0, n)
				}
				byName[m.Name] = a
				order = append(order, m.Name)
			}
			var start time.Time
			if m.Kind == telemetry.OTelDeltaSum {
				start = p.Time.Add(-telemetry.MinuteSpan)
			}
			if a.float {
				if !isFloat {
					fv = float64(iv)
				}
				a.floats = append(a.floats, metricdata.DataPoint[float64]{Attributes: attrs, StartTime: start, Time: p.Time, Value: fv})
			} else {
				a.ints = append(a.ints, metricdata.DataPoint[int64]{Attributes: attrs, StartTime: start, Time: p.Time, Value: iv})
			}
		}
	}
	ms := make([]metricdata.Metrics, 0, len(order))
	for _, n := range order {
		a := byName[n]
		out := metricdata.Metrics{Name: n, Unit: a.m.Unit}
		switch {
		case a.m.Kind == telemetry.OTelDeltaSum && a.float:
			out.Data = metricdata.Sum[float64]{DataPoints: a.floats, Temporality: metricdata.DeltaTemporality, IsMonotonic: true}
		case a.m.Kind == telemetry.OTelDeltaSum:
			out.Data = metricdata.Sum[int64]{DataPoints: a.ints, Temporality: metricdata.DeltaTemporality, IsMonotonic: true}
		case a.float:
			out.Data = metricdata.Gauge[float64]{DataPoints: a.floats}
		default:
			out.Data = metricdata.Gauge[int64]{DataPoints: a.ints}
		}
		ms = append(ms, out)
	}
	return &metricdata.ResourceMetrics{Resource: res, ScopeMetrics: []metricdata.ScopeMetrics{{
		Scope: instrumentation.Scope{Name: scopeName}, Metrics: ms,
	}}}
}
