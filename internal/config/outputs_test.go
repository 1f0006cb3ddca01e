package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestOutputsDefaultIsInfluxDBOnly(t *testing.T) {
	setEnv(t, validEnv())
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(RoleWorker); err != nil {
		t.Fatalf("Validate = %v", err)
	}
	if got := c.OutputList(); !slices.Equal(got, []string{OutputInfluxDB}) || c.HasOutput(OutputMQTT) {
		t.Errorf("OutputList = %v, want [influxdb]", got)
	}
	if c.MQTTQoS != 1 || c.MQTTRetain || c.MQTTTopicPrefix != "ectelemetry" || c.MQTTQueuePoints != 20000 || c.MQTTMaxAge != 5*time.Minute ||
		c.OTLPQueuePoints != 20000 || c.OTLPMaxAge != 5*time.Minute {
		t.Errorf("output defaults: MQTT qos %d retain %t prefix %q queue %d age %s, OTLP queue %d age %s",
			c.MQTTQoS, c.MQTTRetain, c.MQTTTopicPrefix, c.MQTTQueuePoints, c.MQTTMaxAge, c.OTLPQueuePoints, c.OTLPMaxAge)
	}
}

func TestOutputsValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string // substrings of the error; none: valid
	}{
		{"mqtt", map[string]string{"OUTPUTS": "influxdb, MQTT", "MQTT_URL": "ssl://broker.example:8883", "MQTT_USER": "u", "MQTT_PW": "secret-pw", "MQTT_MEASUREMENTS": "cpu_stats, memory_stats"}, nil},
		{"otlp", map[string]string{"OUTPUTS": "influxdb,otlp"}, nil},
		{"otlp bad values", map[string]string{"OUTPUTS": "influxdb,otlp", "OTLP_QUEUE_POINTS": "0", "OTLP_MAX_AGE": "1s"}, []string{"OTLP_QUEUE_POINTS 0", "OTLP_MAX_AGE 1s"}},
		{"otlp vars ignored without otlp", map[string]string{"OTLP_QUEUE_POINTS": "0"}, nil},
		{"influxdb missing", map[string]string{"OUTPUTS": "mqtt", "MQTT_URL": "tcp://127.0.0.1:1883"}, []string{"must list influxdb", "primary output", "watermark"}},
		{"unknown", map[string]string{"OUTPUTS": "influxdb,kafka"}, []string{`unknown output "kafka"`, "use influxdb, mqtt and otlp"}},
		{"mqtt needs url", map[string]string{"OUTPUTS": "influxdb,mqtt"}, []string{"MQTT_URL is required"}},
		{"mqtt bad values", map[string]string{"OUTPUTS": "influxdb,mqtt", "MQTT_URL": "http://u:hunter2@broker:1883", "MQTT_QOS": "2",
			"MQTT_TOPIC_PREFIX": "a/#", "MQTT_QUEUE_POINTS": "0", "MQTT_MAX_AGE": "1s", "MQTT_PW": "pw-only"},
			[]string{`scheme "http"`, "must not hold a user or password", "MQTT_QOS 2", "MQTT_TOPIC_PREFIX", "MQTT_QUEUE_POINTS 0", "MQTT_MAX_AGE 1s", "MQTT_PW is set without MQTT_USER"}},
		{"mqtt vars ignored without mqtt", map[string]string{"MQTT_QOS": "7"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			setEnv(t, validEnv())
			setEnv(t, tc.env)
			c, err := Load()
			if err != nil {
				t.Fatal(err)
			}
			err = c.Validate(RoleWorker)
			if len(tc.want) == 0 {
				if err != nil {
					t.Errorf("Validate = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate = nil, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error shows the URL's password: %v", err)
			}
		})
	}
}

func TestMQTTPasswordFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(f, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	setEnv(t, validEnv())
	t.Setenv("MQTT_PW_FILE", f)
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.MQTTPassword != "from-file" || !slices.Contains(c.SecretValues(), "from-file") {
		t.Errorf("MQTTPassword = %q, want from-file and listed as a secret", c.MQTTPassword)
	}
}
