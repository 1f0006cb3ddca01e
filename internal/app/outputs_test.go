package app

import (
	"slices"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/metrics"
)

func TestNewOutputsFollowsOUTPUTS(t *testing.T) {
	m := metrics.New()
	fo, err := NewOutputs(config.Config{Outputs: "influxdb"}, zerolog.Nop(), m)
	if err != nil || fo != nil {
		t.Fatalf("OUTPUTS=influxdb: %v, %v; want no secondary outputs", fo, err)
	}
	cfg := config.Config{Outputs: "influxdb,mqtt", MQTTURL: "tcp://127.0.0.1:1883", MQTTQoS: 1, MQTTQueuePoints: 10}
	fo, err = NewOutputs(cfg, zerolog.Nop(), m)
	if err != nil || fo == nil || !slices.Equal(fo.Names(), []string{"mqtt"}) {
		t.Fatalf("OUTPUTS=influxdb,mqtt: %v, %v; want the mqtt output", fo, err)
	}
	cfg.MQTTURL = "http://u:hunter2@127.0.0.1:1883"
	if _, err := NewOutputs(cfg, zerolog.Nop(), m); err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "MQTT_URL") {
		t.Errorf("bad MQTT_URL: %v, want an MQTT_URL error without the password", err)
	}
}

func TestNewOutputsOTLP(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317")
	cfg := config.Config{Outputs: "influxdb,mqtt,otlp", MQTTURL: "tcp://127.0.0.1:1883", MQTTQoS: 1}
	fo, err := NewOutputs(cfg, zerolog.Nop(), metrics.New())
	if err != nil || fo == nil || !slices.Equal(fo.Names(), []string{"mqtt", "otlp"}) {
		t.Fatalf("OUTPUTS=influxdb,mqtt,otlp: %v, %v; want mqtt and otlp", fo, err)
	}
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
	if _, err := NewOutputs(config.Config{Outputs: "influxdb,otlp"}, zerolog.Nop(), metrics.New()); err == nil || !strings.Contains(err.Error(), "OTEL_EXPORTER_OTLP_PROTOCOL") {
		t.Errorf("http/json: %v, want an OTEL_EXPORTER_OTLP_PROTOCOL error", err)
	}
}
