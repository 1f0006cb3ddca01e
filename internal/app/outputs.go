package app

import (
	"context"
	"fmt"
	"os"

	"github.com/rs/zerolog"

	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/metrics"
	"github.com/ec-telemetry/ec-telemetry/internal/outputs"
)

// NewOutputs returns the Fanout of the secondary outputs OUTPUTS lists,
// or nil when it lists only influxdb. It does no network I/O.
func NewOutputs(cfg config.Config, log zerolog.Logger, m *metrics.Metrics) (*outputs.Fanout, error) {
	var outs []outputs.Output
	o := outputs.Options{Logger: log.With().Str("component", "outputs").Logger(), PerOutput: map[string]outputs.Limits{}}
	if m != nil {
		o.Registerer = m.Registry
	}
	if cfg.HasOutput(config.OutputMQTT) {
		id := cfg.MQTTClientID
		if id == "" {
			host, _ := os.Hostname()
			id = fmt.Sprintf("ectelemetry-%s-%d", host, os.Getpid())
		}
		mq, err := outputs.NewMQTT(outputs.MQTTOptions{
			URL: cfg.MQTTURL, ClientID: id, User: cfg.MQTTUser, Password: cfg.MQTTPassword, CAFile: cfg.MQTTCAFile,
			QoS: byte(cfg.MQTTQoS), Retain: cfg.MQTTRetain, TopicPrefix: cfg.MQTTTopicPrefix,
			Measurements: cfg.MQTTMeasurementList(), Logger: log,
		})
		if err != nil {
			return nil, err
		}
		outs = append(outs, mq)
		o.PerOutput[outputs.NameMQTT] = outputs.Limits{QueuePoints: cfg.MQTTQueuePoints, MaxAge: cfg.MQTTMaxAge}
	}
	if cfg.HasOutput(config.OutputOTLP) {
		// The OTEL_* variables configure it; NewOTLP does no network I/O.
		ot, err := outputs.NewOTLP(context.Background())
		if err != nil {
			return nil, err
		}
		outs = append(outs, ot)
		o.PerOutput[outputs.NameOTLP] = outputs.Limits{QueuePoints: cfg.OTLPQueuePoints, MaxAge: cfg.OTLPMaxAge}
	}
	if len(outs) == 0 {
		return nil, nil
	}
	return outputs.NewFanout(o, outs...)
}
