package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// tableRow matches a row of the demo's table: hostname and point count.
var tableRow = regexp.MustCompile(`(?m)^  (\S+-\d{4})\s+(\d+)$`)

func TestDemoRunsOneCycleAndShowsData(t *testing.T) {
	rs := testenv.StartRedis(t)
	db := testenv.StartInfluxDB(t)
	for k, v := range map[string]string{
		"REDIS_ADDR": rs.Addr, "DB_URL": db.URL, "DB_BUCKET": db.Database, "DB_ORG": "", "DB_TOKEN": "",
		"METRICS_ADDR": "127.0.0.1:0", "LOG_FILE": "", "LOG_FORMAT": "json", "LOG_LEVEL": "INFO",
		// The shortest interval, so the wait for the first boundary is short.
		"DISCOVERY_INTERVAL": "10s", "DISCOVERY_SPREAD": "false",
	} {
		t.Setenv(k, v)
	}
	// Points stored before the demo (a previous run's) are not the first
	// cycle's, though recent and of the same appliance.
	sim, err := simulator.New(simulator.Config{Appliances: 3, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	prev := sim.Appliances()[0].Hostname
	old := time.Now().Add(-10 * time.Minute).Unix()
	if err := db.WriteLines(t.Context(), fmt.Sprintf("interface_stats,hostname=%s,interface=wan0 bytes_tx=1i %d\n"+
		"interface_stats,hostname=%s,interface=wan0 bytes_tx=1i %d\n", prev, old, prev, old+60)); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if err := run(t.Context(), []string{"demo", "--appliances", "3", "--seed", "4", "--cycles", "1"}, nil, &out, &errb); err != nil {
		t.Fatalf("demo: %v\nstderr: %s\nstdout: %s", err, errb.String(), out.String())
	}
	t.Log(out.String())
	// The table of the first cycle: one row per reachable appliance with the
	// points that cycle stored, which is all InfluxDB holds for it.
	rows := tableRow.FindAllStringSubmatch(out.String(), -1)
	if len(rows) == 0 {
		t.Fatalf("demo printed no data rows:\n%s", out.String())
	}
	for _, r := range rows {
		n, _ := strconv.Atoi(r[2])
		v, err := db.QueryValue(t.Context(), fmt.Sprintf(`SELECT count("bytes_tx") FROM "interface_stats" WHERE "hostname"='%s'`, r[1]))
		if err != nil {
			t.Fatal(err)
		}
		stored, _ := strconv.Atoi(fmt.Sprint(v))
		if r[1] == prev {
			stored -= 2
		}
		if n == 0 || n != stored {
			t.Errorf("%s: demo shows %d points, the cycle stored %d (InfluxDB has %v)", r[1], n, stored, v)
		}
	}
	for _, want := range []string{"discovery cycle: appliances queued", "cycle summary", "Try it yourself", "points stored by the cycle of"} {
		if !bytes.Contains(out.Bytes(), []byte(want)) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	// The cycle starts on a boundary, and logs its duration as integer
	// milliseconds.
	ev := logEvent(t, out.String(), "discovery cycle: appliances queued")
	cycle, err := time.Parse(time.RFC3339, fmt.Sprint(ev["cycle"]))
	if err != nil || cycle.Unix()%10 != 0 {
		t.Errorf("cycle = %v (%v), want a 10 s boundary", ev["cycle"], err)
	}
	if d, ok := ev["duration"].(json.Number); !ok || strings.ContainsAny(d.String(), ".eE") {
		t.Errorf(`"duration" = %#v, want an integer number of milliseconds`, ev["duration"])
	}
}

// logEvent returns the first JSON log line with that message.
func logEvent(t *testing.T, out, msg string) map[string]any {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "{") || !strings.Contains(line, msg) {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(line))
		dec.UseNumber()
		var ev map[string]any
		if err := dec.Decode(&ev); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if ev["message"] == msg {
			return ev
		}
	}
	t.Fatalf("no log line %q in:\n%s", msg, out)
	return nil
}

// fakeClock is a demoClock whose sleeps return at once, moved to the time
// slept until.
type fakeClock struct{ t time.Time }

func (f *fakeClock) clock() demoClock {
	return demoClock{
		now: func() time.Time { return f.t },
		sleepUntil: func(ctx context.Context, t time.Time) bool {
			if t.After(f.t) {
				f.t = t
			}
			return ctx.Err() == nil
		},
	}
}

func TestRunCyclesStartsOnFullMinutes(t *testing.T) {
	tests := []struct {
		name     string
		now      time.Time
		work     time.Duration // how long each cycle takes
		interval time.Duration
		want     []string
	}{
		{"mid-minute", time.Date(2026, 11, 30, 2, 30, 37, 500e6, time.UTC), 5 * time.Second, time.Minute,
			[]string{"02:31:00", "02:32:00", "02:33:00"}},
		{"on the minute: the next one", time.Date(2026, 11, 30, 2, 30, 0, 0, time.UTC), 0, time.Minute,
			[]string{"02:31:00", "02:32:00", "02:33:00"}},
		{"overrun skips a boundary", time.Date(2026, 11, 30, 2, 30, 59, 0, time.UTC), 70 * time.Second, time.Minute,
			[]string{"02:31:00", "02:33:00", "02:35:00"}},
		{"10 s interval", time.Date(2026, 11, 30, 2, 30, 1, 0, time.UTC), time.Second, 10 * time.Second,
			[]string{"02:30:10", "02:30:20", "02:30:30"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := &fakeClock{t: tt.now}
			var got []string
			runCycles(t.Context(), fc.clock(), tt.interval, 3, func(i int, start time.Time) bool {
				if !start.Equal(fc.t) {
					t.Errorf("cycle %d start %s, clock %s", i, start, fc.t)
				}
				got = append(got, start.Format("15:04:05"))
				fc.t = fc.t.Add(tt.work)
				return true
			})
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("cycles started at %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRunCyclesStops(t *testing.T) {
	fc := &fakeClock{t: time.Date(2026, 11, 30, 2, 30, 5, 0, time.UTC)}
	n := 0
	runCycles(t.Context(), fc.clock(), time.Minute, 0, func(i int, _ time.Time) bool { n++; return i < 4 })
	if n != 5 {
		t.Errorf("cycle returning false after 5 calls: %d calls", n)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	n = 0
	runCycles(ctx, fc.clock(), time.Minute, 0, func(int, time.Time) bool { n++; return true })
	if n != 0 {
		t.Errorf("cancelled context: %d cycles ran, want 0", n)
	}
}
