package outputs

import (
	"context"
	"fmt"

	promclient "github.com/prometheus/client_golang/prometheus"
	promb "go.opentelemetry.io/contrib/bridges/prometheus"
	"go.opentelemetry.io/contrib/instrumentation/runtime"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// StartSelfMetrics exports the collector's own metrics by OTLP, configured
// by the same OTEL_* variables as the OTLP output: everything gatherer
// holds (what /metrics shows, converted by the OpenTelemetry Prometheus
// bridge) and the Go runtime metrics of the OpenTelemetry runtime
// instrumentation (go.memory.used, go.goroutine.count and so on). The
// SDK's periodic reader exports every OTEL_METRIC_EXPORT_INTERVAL
// milliseconds (60000 unless set) within OTEL_METRIC_EXPORT_TIMEOUT. It
// does no network I/O until the first export. shutdown exports a last
// time and stops.
func StartSelfMetrics(ctx context.Context, gatherer promclient.Gatherer) (shutdown func(context.Context) error, err error) {
	exp, res, _, err := NewOTLPExporter(ctx, true)
	if err != nil {
		return nil, err
	}
	reader := sdkmetric.NewPeriodicReader(exp, sdkmetric.WithProducer(promb.NewMetricProducer(promb.WithGatherer(gatherer))))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithResource(res), sdkmetric.WithReader(reader))
	if err := runtime.Start(runtime.WithMeterProvider(mp)); err != nil {
		_ = mp.Shutdown(ctx)
		return nil, fmt.Errorf("Go runtime metrics: %w", err)
	}
	return mp.Shutdown, nil
}
