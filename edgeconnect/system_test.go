package edgeconnect

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Payloads in the shape pyedgeconnect documents for these ECOS calls.
const (
	memoryJSON = `{"total": 3945080, "free": 770848, "buffers": 2516, "cached": 729568, "used": 3174232,
 "swapTotal": 0, "swapFree": 0, "swapUsed": 0}`

	cpuStringsJSON = `{
  "latestTimestamp": 1736503255000,
  "data": [
    {"1736503200000": [
      {"cpu_number": "ALL", "pIdle": "91.20", "pUser": "5.10", "pSys": "3.00", "pIRQ": "0.50", "pNice": "0.20"},
      {"cpu_number": "0",   "pIdle": "90.00", "pUser": "6.00", "pSys": "3.20", "pIRQ": "0.60", "pNice": "0.20"}]},
    {"1736503205000": [
      {"cpu_number": "ALL", "pIdle": "92.00", "pUser": "4.80", "pSys": "2.70", "pIRQ": "0.40", "pNice": "0.10"}]}
  ]
}`

	cpuNumbersJSON = `{"data": [
    {"1736503210000": [{"cpu_number": "ALL", "pIdle": 91.2, "pUser": 5.1, "pSys": 3, "pIRQ": 0.5, "pNice": 0.2}]},
    {"1736503200000": [{"cpu_number": 1, "pIdle": 50, "pUser": 50, "pSys": 0, "pIRQ": 0, "pNice": 0}],
     "1736503205000": [{"cpu_number": 1, "pIdle": 60, "pUser": 40, "pSys": 0, "pIRQ": 0, "pNice": 0}]}
  ]}`

	diskJSON = `{"/": {"1k-blocks": 6126976, "used": 1193348, "available": 4619060, "usedpercent": 21, "filesystem": "/dev/disk/by-label/ROOT_1"},
 "/var": {"1k-blocks": 42030588, "used": 4328968, "available": 35553256, "usedpercent": 11, "filesystem": "/dev/sda6"}}`

	systemInfoJSON = `{"hostName": "HQ-EC-01", "applianceid": 101, "model": "EC-S-P", "modelShort": "EC-S-P", "status": "Normal",
 "uptime": 816745152, "uptimeString": "9d 10h 52m 25s", "datetime": "2025/01/10 10:00:55 Etc/UTC",
 "timezone": "Etc/UTC", "gmtOffset": 0, "release": "ECOS 9.3.2.1_100012", "releaseWithoutPrefix": "9.3.2.1_100012",
 "serial": "001BBC000001", "deploymentMode": "router", "inlineRouter": true, "rebootRequired": false}`
)

func ms(v int64) time.Time { return time.UnixMilli(v).UTC() }

func TestMemory(t *testing.T) {
	f := setup(t)
	f.handleJSON("/memory", source, memoryJSON)
	got, err := f.client.Memory(t.Context())
	if err != nil {
		t.Fatalf("Memory() error = %v", err)
	}
	want := Memory{Total: 3945080, Free: 770848, Buffers: 2516, Cached: 729568, Used: 3174232}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Memory() mismatch (-want +got):\n%s", diff)
	}
}

func TestParseMemory(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Memory
		wantErr string
	}{
		{name: "strings", in: `{"total":"10","free":"1","buffers":"2","cached":"3","used":"4","swapTotal":"5","swapFree":"6","swapUsed":"7"}`,
			want: Memory{10, 1, 2, 3, 4, 5, 6, 7}},
		{name: "missing swap keys (integration fake)", in: `{"total": 1, "free": 1, "buffers": 1, "cached": 1, "used": 1}`,
			wantErr: "missing or null keys: swapTotal, swapFree, swapUsed"},
		{name: "null value", in: `{"total":null,"free":1,"buffers":1,"cached":1,"used":1,"swapTotal":1,"swapFree":1,"swapUsed":1}`,
			wantErr: "missing or null keys: total"},
		{name: "pyedgeconnect error dict", in: `{"request":"[GET]","api_path":"/memory","status_code":500,"text":""}`,
			wantErr: "missing or null keys: total, free, buffers, cached, used, swapTotal, swapFree, swapUsed"},
		{name: "array", in: `[]`, wantErr: "answer: got array, want an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMemory([]byte(tt.in))
			checkParse(t, "parseMemory", tt.in, got, err, tt.want, tt.wantErr)
		})
	}
}

// checkParse compares a parser result or its error text.
func checkParse[T any](t *testing.T, fn, in string, got T, err error, want T, wantErr string) {
	t.Helper()
	if wantErr != "" {
		if err == nil {
			t.Fatalf("%s(%s) = %+v, want error containing %q", fn, in, got, wantErr)
		}
		if !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("%s(%s) error = %q, want it to contain %q", fn, in, err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatalf("%s(%s) error = %v", fn, in, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s(%s) mismatch (-want +got):\n%s", fn, in, diff)
	}
}

func TestCPUStat(t *testing.T) {
	tests := []struct {
		name string
		body string
		want CPUStat
	}{
		{
			name: "values as strings",
			body: cpuStringsJSON,
			want: CPUStat{
				Latest: ms(1736503255000),
				Samples: []CPUSample{
					{Time: ms(1736503200000), CPUs: []CPUUsage{
						{CPU: "ALL", Idle: 91.2, User: 5.1, Sys: 3, IRQ: 0.5, Nice: 0.2},
						{CPU: "0", Idle: 90, User: 6, Sys: 3.2, IRQ: 0.6, Nice: 0.2},
					}},
					{Time: ms(1736503205000), CPUs: []CPUUsage{
						{CPU: "ALL", Idle: 92, User: 4.8, Sys: 2.7, IRQ: 0.4, Nice: 0.1},
					}},
				},
			},
		},
		{
			name: "values as numbers, order kept",
			body: cpuNumbersJSON,
			want: CPUStat{
				Samples: []CPUSample{
					{Time: ms(1736503210000), CPUs: []CPUUsage{{CPU: "ALL", Idle: 91.2, User: 5.1, Sys: 3, IRQ: 0.5, Nice: 0.2}}},
					{Time: ms(1736503200000), CPUs: []CPUUsage{{CPU: "1", Idle: 50, User: 50}}},
					{Time: ms(1736503205000), CPUs: []CPUUsage{{CPU: "1", Idle: 60, User: 40}}},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			f.handleJSON("/cpustat", "time=0&"+source, tt.body)
			got, err := f.client.CPUStat(t.Context())
			if err != nil {
				t.Fatalf("CPUStat() error = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("CPUStat() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseCPUStatErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{name: "no data", in: `{"latestTimestamp": 1}`, wantErr: "missing or null keys: data"},
		{name: "null data", in: `{"data": null}`, wantErr: "missing or null keys: data"},
		{name: "key not a time", in: `{"data": [{"now": []}]}`, wantErr: "key data.0.now: sample key is not epoch milliseconds"},
		{name: "element not an object", in: `{"data": [[1]]}`, wantErr: "key data.0: want an object keyed by epoch milliseconds"},
		{name: "missing pNice", in: `{"data": [{"1": [{"cpu_number":"ALL","pIdle":1,"pUser":1,"pSys":1,"pIRQ":1}]}]}`, wantErr: "missing or null keys: pNice"},
		{name: "bad percent", in: `{"data": [{"1": [{"cpu_number":"ALL","pIdle":"x","pUser":1,"pSys":1,"pIRQ":1,"pNice":1}]}]}`, wantErr: "key data.0.1.0.pIdle: got non-numeric string, want a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseCPUStat([]byte(tt.in))
			checkParse(t, "parseCPUStat", tt.in, got, err, CPUStat{}, tt.wantErr)
		})
	}
	// An empty data array is a valid answer with no samples.
	got, err := parseCPUStat([]byte(`{"data": []}`))
	if err != nil || len(got.Samples) != 0 {
		t.Errorf("parseCPUStat(empty data) = %+v, %v, want no samples and no error", got, err)
	}
}

func TestDiskUsage(t *testing.T) {
	f := setup(t)
	f.handleJSON("/diskUsage", source, diskJSON)
	got, err := f.client.DiskUsage(t.Context())
	if err != nil {
		t.Fatalf("DiskUsage() error = %v", err)
	}
	want := map[string]DiskUsage{
		"/":    {Blocks1K: 6126976, Used: 1193348, Available: 4619060, UsedPercent: 21, Filesystem: "/dev/disk/by-label/ROOT_1"},
		"/var": {Blocks1K: 42030588, Used: 4328968, Available: 35553256, UsedPercent: 11, Filesystem: "/dev/sda6"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DiskUsage() mismatch (-want +got):\n%s", diff)
	}
	for _, in := range []string{`null`, `{"/": null}`, `{"/": {"used": 1}}`, `[]`} {
		if _, err := parseDiskUsage([]byte(in)); err == nil {
			t.Errorf("parseDiskUsage(%s) succeeded, want an error", in)
		}
	}
}

func TestSystemInfo(t *testing.T) {
	f := setup(t)
	f.handleJSON("/systemInfo", source, systemInfoJSON)
	got, err := f.client.SystemInfo(t.Context())
	if err != nil {
		t.Fatalf("SystemInfo() error = %v", err)
	}
	want := SystemInfo{
		HostName: "HQ-EC-01", ApplianceID: 101, Model: "EC-S-P", ModelShort: "EC-S-P", Status: "Normal",
		Uptime: 816745152 * time.Millisecond, UptimeString: "9d 10h 52m 25s", Datetime: "2025/01/10 10:00:55 Etc/UTC",
		Timezone: "Etc/UTC", Release: "ECOS 9.3.2.1_100012", ReleaseWithoutPrefix: "9.3.2.1_100012",
		Serial: "001BBC000001", DeploymentMode: "router", InlineRouter: true,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SystemInfo() mismatch (-want +got):\n%s", diff)
	}
}

func TestParseSystemInfo(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    SystemInfo
		wantErr string
	}{
		{name: "uptime as string", in: `{"uptime": "5000"}`, want: SystemInfo{Uptime: 5 * time.Second}},
		{name: "alarm summary", in: `{"uptime": 1, "alarmSummary": ` + alarmSummaryJSON + `}`,
			want: SystemInfo{Uptime: time.Millisecond, AlarmSummary: &AlarmSummary{Major: 1, Minor: 2, Warning: 1, Outstanding: 4, SoftwareOutstanding: 3, EquipmentOutstanding: 1, TunnelOutstanding: 2}}},
		{name: "incomplete alarm summary is dropped", in: `{"uptime": 1, "alarmSummary": {"num_major": 1}}`, want: SystemInfo{Uptime: time.Millisecond}},
		{name: "no uptime", in: `{"hostName": "x"}`, wantErr: "missing or null keys: uptime"},
		{name: "negative uptime", in: `{"uptime": -1}`, wantErr: "uptime is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSystemInfo([]byte(tt.in))
			checkParse(t, "parseSystemInfo", tt.in, got, err, tt.want, tt.wantErr)
		})
	}
}

// An element of the CPU answer also decodes through encoding/json, which
// does not stream, with the samples in the order sent.
func TestCPUElementWithoutStream(t *testing.T) {
	var e cpuElement
	in := `{"1736503200000": [{"cpu_number": 1, "pIdle": 50, "pUser": 50, "pSys": 0, "pIRQ": 0, "pNice": 0}],
		"1736503100000": [{"cpu_number": "ALL", "pIdle": 60, "pUser": 40, "pSys": 0, "pIRQ": 0, "pNice": 0}]}`
	if err := json.Unmarshal([]byte(in), &e); err != nil {
		t.Fatal(err)
	}
	want := cpuElement{
		{Time: time.UnixMilli(1736503200000).UTC(), CPUs: []CPUUsage{{CPU: "1", Idle: 50, User: 50}}},
		{Time: time.UnixMilli(1736503100000).UTC(), CPUs: []CPUUsage{{CPU: "ALL", Idle: 60, User: 40}}},
	}
	if diff := cmp.Diff(want, e); diff != "" {
		t.Errorf("json.Unmarshal mismatch (-want +got):\n%s", diff)
	}
	if err := json.Unmarshal([]byte(`[1]`), &e); err == nil || !strings.Contains(err.Error(), "want an object keyed by epoch milliseconds") {
		t.Errorf("json.Unmarshal([1]) error = %v, want one about the object", err)
	}
}

func FuzzParseMemory(f *testing.F) {
	f.Add([]byte(memoryJSON))
	f.Add([]byte(`{"total":"1"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseMemory(b)
	})
}

func FuzzParseCPUStat(f *testing.F) {
	f.Add([]byte(cpuStringsJSON))
	f.Add([]byte(cpuNumbersJSON))
	f.Add([]byte(`{"data":[{}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := parseCPUStat(b)
		if err != nil {
			return
		}
		for _, s := range st.Samples {
			if s.Time.IsZero() || s.Time.UnixMilli() <= 0 {
				t.Fatalf("parseCPUStat(%q) sample time %v, want a positive epoch", b, s.Time)
			}
		}
	})
}

func FuzzParseDiskUsage(f *testing.F) {
	f.Add([]byte(diskJSON))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseDiskUsage(b)
	})
}

func FuzzParseSystemInfo(f *testing.F) {
	f.Add([]byte(systemInfoJSON))
	f.Add([]byte(`{"uptime":"9223372036854775807"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		si, err := parseSystemInfo(b)
		if err == nil && si.Uptime < 0 {
			t.Fatalf("parseSystemInfo(%q).Uptime = %v, want >= 0", b, si.Uptime)
		}
	})
}
