package outputs_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ec-telemetry/ec-telemetry/internal/outputs"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// failing is an output whose every Publish fails.
type failing struct{}

func (failing) Name() string { return outputs.NameMQTT }
func (failing) Publish(context.Context, []telemetry.Point) error {
	return errors.New("broker away")
}
func (failing) Close() {}

func TestFanoutLogsDropsInSummariesNotPerPoint(t *testing.T) {
	var buf testenv.LogBuffer
	f := runFanout(t, outputs.Options{QueuePoints: 2, LogEvery: 20 * time.Millisecond, Logger: zerolog.New(&buf)}, failing{})
	for range 10 {
		f.Offer([]telemetry.Point{samplePoint("h")})
	}
	if st := f.Stats(outputs.NameMQTT); st != (outputs.Stats{Dropped: 8, Queued: 2}) {
		t.Fatalf("stats %+v, want 8 dropped and 2 queued", st)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(buf.String(), "output summary") {
		if time.Now().After(deadline) {
			t.Fatalf("no summary line; log:\n%s", buf.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	var first, summaries, queueFull int
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		switch e["message"] {
		case "output cannot deliver: points stay queued and are tried again":
			first++
		case "output summary: points dropped or not delivered":
			summaries++
			if n, ok := e["dropped_queue_full"].(float64); ok {
				queueFull += int(n)
			}
			if e["error"] != "broker away" || e["output"] != outputs.NameMQTT {
				t.Errorf("summary %v lacks the output or the last error", e)
			}
		default:
			t.Errorf("unexpected log line %q", line)
		}
	}
	if first != 1 || queueFull != 8 {
		t.Errorf("%d first-failure lines (want 1), %d queue_full drops in %d summaries (want 8)", first, queueFull, summaries)
	}
}

func TestFanoutDropsBatchesOlderThanMaxAge(t *testing.T) {
	f := runFanout(t, outputs.Options{MaxAge: time.Millisecond, RetryMin: time.Millisecond, RetryMax: time.Millisecond}, failing{})
	f.Offer([]telemetry.Point{samplePoint("h"), samplePoint("h")})
	deadline := time.Now().Add(10 * time.Second)
	for f.Stats(outputs.NameMQTT) != (outputs.Stats{Dropped: 2}) {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v, want the 2 points dropped as too old", f.Stats(outputs.NameMQTT))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestFanoutPerOutputLimits(t *testing.T) {
	f := runFanout(t, outputs.Options{QueuePoints: 100, PerOutput: map[string]outputs.Limits{outputs.NameMQTT: {QueuePoints: 1}}}, failing{})
	for range 3 {
		f.Offer([]telemetry.Point{samplePoint("h")})
	}
	if st := f.Stats(outputs.NameMQTT); st != (outputs.Stats{Dropped: 2, Queued: 1}) {
		t.Errorf("stats %+v: the output's own bound of 1 point was not applied", st)
	}
}
