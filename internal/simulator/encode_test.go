package simulator

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
	"time"
)

// The hand-written encoders must write exactly what encoding/json writes
// for the same values.

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "lan0", "10.16.1.0/24", `a"b`, `back\slash`, "tab\there", "<&>", "héllo",
		"bad\xffutf8", "line\u2028sep", "EC-\x01"} {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	}
}

func TestAppendCPUStat(t *testing.T) {
	s, err := New(Config{Appliances: 40, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	type cpu struct {
		CPUNumber string `json:"cpu_number"`
		Idle      string `json:"pIdle"`
		User      string `json:"pUser"`
		Sys       string `json:"pSys"`
		IRQ       string `json:"pIRQ"`
		Nice      string `json:"pNice"`
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
	reference := func(samples []CPUSample) []byte {
		data := []map[string][]cpu{}
		var latest int64
		for i := 0; i < len(samples); {
			key := samples[i].Time.UnixMilli()
			var cpus []cpu
			for ; i < len(samples) && samples[i].Time.UnixMilli() == key; i++ {
				c := samples[i]
				cpus = append(cpus, cpu{c.CPUNumber, f(c.Idle), f(c.User), f(c.Sys), f(c.IRQ), f(c.Nice)})
			}
			data = append(data, map[string][]cpu{strconv.FormatInt(key, 10): cpus})
			latest = key
		}
		b, _ := json.Marshal(map[string]any{"latestTimestamp": latest, "data": data})
		return b
	}
	for _, d := range s.fleet.apps {
		for _, tc := range []struct {
			now time.Time
			ms  int64
		}{{testNow, 0}, {testNow.Add(7 * time.Hour), 0}, {testNow, testNow.Add(-time.Hour).UnixMilli()},
			{testNow, testNow.Add(-48 * time.Hour).UnixMilli()}} {
			samples := s.fleet.cpuSamples(d, tc.now, tc.ms)
			want, got := reference(samples), appendCPUStat(nil, samples)
			if !bytes.Equal(got, want) {
				t.Fatalf("appendCPUStat(%s at %v, time=%d) =\n%s\nwant\n%s", d.id, tc.now, tc.ms, got, want)
			}
		}
	}
}

func TestAppendSubnets(t *testing.T) {
	s, err := New(Config{Appliances: 40, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	reference := func(entries []routeEntry) []byte {
		b, _ := json.Marshal(map[string]any{"subnets": map[string]any{
			"count": len(entries), "max": 60000, "entries": entries,
			"disabledByIPSLA": false, "metricAddedByIPSLA": 0,
		}})
		return b
	}
	check := func(name string, entries []routeEntry) {
		t.Helper()
		if want, got := reference(entries), appendSubnets(nil, entries); !bytes.Equal(got, want) {
			t.Fatalf("appendSubnets(%s) =\n%s\nwant\n%s", name, got, want)
		}
	}
	for _, d := range s.fleet.apps {
		for h := range 3 {
			check(d.id, s.fleet.routes(d, testNow.Add(time.Duration(h)*time.Hour)))
		}
	}
	check("empty", []routeEntry{})
	check("every field", []routeEntry{{routeState{Version: 6, Prefix: "<p>", NextHop: `"q"`, Metric: -1,
		IfName: "é", PeerID: 7, Learned: true, Configured: true, Advert: true, Local: true, State: "DOWN",
		RouteType: "x", AdminDist: 3, ZoneID: 9}}})
}
