package config

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Output names OUTPUTS accepts.
const (
	OutputInfluxDB = "influxdb" // the primary output, always listed
	OutputMQTT     = "mqtt"
	OutputOTLP     = "otlp" // configured by the standard OTEL_* variables
)

// OutputList returns the outputs of OUTPUTS, lower-case, without
// duplicates or empty entries.
func (c Config) OutputList() []string { return splitList(strings.ToLower(c.Outputs)) }

// MQTTMeasurementList returns the measurements of MQTT_MEASUREMENTS (nil:
// all).
func (c Config) MQTTMeasurementList() []string { return splitList(c.MQTTMeasurements) }

// HasOutput reports whether OUTPUTS lists the output.
func (c Config) HasOutput(name string) bool { return slices.Contains(c.OutputList(), name) }

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// validateOutputs checks OUTPUTS and the variables of the outputs it lists.
func (c Config) validateOutputs() error {
	var errs []error
	list := c.OutputList()
	for _, o := range list {
		switch o {
		case OutputInfluxDB, OutputMQTT, OutputOTLP:
		default:
			errs = append(errs, fmt.Errorf("OUTPUTS: unknown output %q: use influxdb, mqtt and otlp", o))
		}
	}
	if !slices.Contains(list, OutputInfluxDB) {
		errs = append(errs, fmt.Errorf("OUTPUTS %q must list influxdb: it is the primary output, whose writes move the backfill watermark and fill the spool", c.Outputs))
	}
	if slices.Contains(list, OutputOTLP) {
		if c.OTLPQueuePoints < 1 {
			errs = append(errs, fmt.Errorf("OTLP_QUEUE_POINTS %d must be at least 1", c.OTLPQueuePoints))
		}
		if c.OTLPMaxAge < 10*time.Second {
			errs = append(errs, fmt.Errorf("OTLP_MAX_AGE %s must be at least 10s", c.OTLPMaxAge))
		}
	}
	if !slices.Contains(list, OutputMQTT) {
		return errors.Join(errs...)
	}
	if strings.TrimSpace(c.MQTTURL) == "" {
		errs = append(errs, errors.New("MQTT_URL is required with OUTPUTS=...,mqtt and empty"))
	} else if u, err := url.Parse(c.MQTTURL); err != nil || u.Host == "" {
		errs = append(errs, fmt.Errorf("MQTT_URL %s must be a tcp://, ssl://, ws:// or wss:// URL with host:port", showURL(c.MQTTURL)))
	} else {
		switch u.Scheme {
		case "tcp", "ssl", "ws", "wss":
		default:
			errs = append(errs, fmt.Errorf("MQTT_URL %s: scheme %q is not supported: use tcp://, ssl://, ws:// or wss://", showURL(c.MQTTURL), u.Scheme))
		}
		if u.User != nil {
			errs = append(errs, fmt.Errorf("MQTT_URL %s must not hold a user or password: use MQTT_USER and MQTT_PW", showURL(c.MQTTURL)))
		}
	}
	if c.MQTTPassword != "" && c.MQTTUser == "" {
		errs = append(errs, errors.New("MQTT_PW is set without MQTT_USER"))
	}
	if c.MQTTQoS != 0 && c.MQTTQoS != 1 {
		errs = append(errs, fmt.Errorf("MQTT_QOS %d must be 0 or 1", c.MQTTQoS))
	}
	if p := c.MQTTTopicPrefix; p == "" || strings.ContainsAny(p, "+#\x00") || strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") {
		errs = append(errs, fmt.Errorf("MQTT_TOPIC_PREFIX %q must be non-empty, without + or #, and not start or end with /", p))
	}
	if c.MQTTQueuePoints < 1 {
		errs = append(errs, fmt.Errorf("MQTT_QUEUE_POINTS %d must be at least 1", c.MQTTQueuePoints))
	}
	if c.MQTTMaxAge < 10*time.Second {
		errs = append(errs, fmt.Errorf("MQTT_MAX_AGE %s must be at least 10s", c.MQTTMaxAge))
	}
	errs = append(errs, checkFile("MQTT_CA_FILE", c.MQTTCAFile))
	return errors.Join(errs...)
}
