package orchestrator

import (
	"testing"
	"time"
)

const pingJSON = `{"hostname": "orch-lab", "dbHealth": true, "timeStr": "2025-01-10 10:00:00", "time": 1736503200000,
  "message": "I am alive!", "version": "9.3.2.40201", "uptime": "9d 2h 52m 39s"}`

func TestPing(t *testing.T) {
	f := setup(t)
	f.handleJSON("/gmsserver/ping", pingJSON)
	got, err := f.client.Ping(t.Context())
	if err != nil {
		t.Fatalf("Ping() error = %v", err)
	}
	want := Ping{Hostname: "orch-lab", DBHealth: true, DBHealthKnown: true, Message: "I am alive!", Version: "9.3.2.40201",
		Uptime: "9d 2h 52m 39s", Time: time.UnixMilli(1736503200000).UTC()}
	if got != want {
		t.Errorf("Ping() = %+v, want %+v", got, want)
	}
}

func TestParsePingSpellings(t *testing.T) {
	tests := []struct {
		name, in string
		want     Ping
	}{
		{"hostName and dbHeatlh", `{"hostName": "o", "dbHeatlh": false}`, Ping{Hostname: "o", DBHealthKnown: true}},
		{"nothing", `{}`, Ping{}},
		{"db as 1", `{"dbHealth": 1}`, Ping{DBHealth: true, DBHealthKnown: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePing([]byte(tt.in))
			if err != nil || got != tt.want {
				t.Errorf("parsePing(%s) = %+v, %v, want %+v", tt.in, got, err, tt.want)
			}
		})
	}
	for _, in := range []string{`[]`, `{"dbHealth": "maybe"}`, `{"time": "x"}`, `null x`} {
		if got, err := parsePing([]byte(in)); err == nil {
			t.Errorf("parsePing(%s) = %+v, want an error", in, got)
		}
	}
}

func TestParseUptime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"9d 2h 52m 39s", 9*24*time.Hour + 2*time.Hour + 52*time.Minute + 39*time.Second, true},
		{"12d 4h 3m", 12*24*time.Hour + 4*time.Hour + 3*time.Minute, true},
		{"45s", 45 * time.Second, true},
		{"", 0, false},
		{"3d 3d", 0, false},
		{"3w", 0, false},
		{"d", 0, false},
		{"-1h", 0, false},
	}
	for _, tt := range tests {
		if got, ok := ParseUptime(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("ParseUptime(%q) = %v, %v, want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzParsePing(f *testing.F) {
	f.Add([]byte(pingJSON))
	f.Add([]byte(`{"hostName": "o", "dbHeatlh": "0"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parsePing(b)
		if err != nil {
			return
		}
		if !p.DBHealthKnown && p.DBHealth {
			t.Fatalf("DBHealth true but not known: %+v", p)
		}
		if d, ok := ParseUptime(p.Uptime); ok && d < 0 {
			t.Fatalf("ParseUptime(%q) = %v", p.Uptime, d)
		}
	})
}
