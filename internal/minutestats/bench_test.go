package minutestats

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"
)

// benchArchive builds one appliance-minute archive of realistic size: 4
// interfaces, 30 tunnels with packed peaks, 12 probes, 10 traffic classes,
// plus CSV members the parser skips.
func benchArchive(b testing.TB) (archive []byte, uncompressed int) {
	return benchArchiveTunnels(b, 30)
}

// benchArchiveTunnels is benchArchive with the given number of tunnels
// (three points each), the rest alike.
func benchArchiveTunnels(b testing.TB, tunnels int) (archive []byte, uncompressed int) {
	const ts = 1736503200
	zeros := func(n int) string { return strings.TrimSuffix(strings.Repeat("0,", n), ",") }
	peak := func(v float32, at int) uint64 { return uint64(math.Float32bits(v))<<32 | uint64(at) }
	files := map[string]*strings.Builder{}
	add := func(name, format string, args ...any) {
		if files[name] == nil {
			files[name] = &strings.Builder{}
		}
		fmt.Fprintf(files[name], format, args...)
	}
	labels := []int{2, 1, 5, 0}
	for i, ifc := range []string{"wan0", "wan1", "lan0", "mgmt0"} {
		for tt := 1; tt <= 4; tt++ {
			add(FileInterface, "3.NE,%s,%d,%d,%d,%d,%d,%d,12672,25536,36,74,0,0,0,0,100000,100000,%s,%d\n", ifc, labels[i], tt, 91588*tt, 67298*tt, 394*tt, 255*tt, zeros(12), ts)
		}
		for ov := 0; ov <= 4; ov++ {
			add(FileInterfaceOverlay, "3.NE,%s,%d,%d,%d,12672,25344,36,72,12672,25344,36,72,100000,100000,%s,%d\n", ifc, labels[i], ov, ov%3, zeros(8), ts)
		}
	}
	for i := range tunnels {
		peaks := make([]string, 9)
		for j := range peaks {
			peaks[j] = fmt.Sprint(peak(float32(1000*i+j), ts-60+i))
		}
		add(FileTunnel, "3.NE,tunnel_%d,to_PEER-%d_INET1-INET1,%d,0,3d4d299f2d30ca90c3283cc6409b04eb,52311,48800,47000,50123,402,398,396,401,1412,1380,3,2,1,2,1,0,0,0,0,0,0,0,0,12,12,4224,4224,0,0,0,%s,%s,440,438,0,0,150,%d,%d\n",
			i, i, i%5, strings.Join(peaks, ","), zeros(20), peak(14, ts-7), ts)
		add(FileTunnelAvail, "3.NE,tunnel_%d,to_PEER-%d_INET1-INET1,%d,0,1,3d4d299f2d30ca90c3283cc6409b04eb,0,%d,0,0,1,INET1,unassigned,%s,%d\n", i, i, i%5, i%3, zeros(14), ts)
	}
	for i := range 12 {
		add(FileProbe, "3.NE,%d,om_passThrough_%d,8.8.8.%d,type=ip-monitor;tunnel-name=;src-port-label=2,proxyAddress=;sample-int=300;metric-combination=or,3717,3064,0,0,0,0,59,59,%s,%d\n", i, i/3, i, zeros(8), ts)
	}
	for ft := 1; ft <= 3; ft++ {
		for tt := 1; tt <= 4; tt++ {
			add(FileFlow, "3.NE,%d,%d,12,10,40,0,0,0,120000,450000,440000,118000,900,1100,1080,890,%s,%d\n", ft, tt, zeros(8), ts)
		}
	}
	add(FileBoost, "3.NE,10000,1500000,0,0,%d\n", ts)
	for _, code := range []int{2, 3, 8, 18, 19, 31, 53, 60, 61, 70} {
		add(FileDrops, "3.NE,%d,%d,%d\n", code, code*3, ts)
	}
	for tc := 1; tc <= 10; tc++ {
		for tt := 1; tt <= 4; tt++ {
			add(FileTrafficClass, "3.NE,%d,%d,5000,7000,6800,4900,40,50,48,39,%s,%d\n", tc, tt, zeros(8), ts)
		}
		for dir := 0; dir <= 1; dir++ {
			add(FileShaper, "3.NE,%d,%d,12884,12884,61,3,61,0,0,%d\n", tc, dir, ts)
		}
	}
	add("tunnel_peak.csv", "%s\n", strings.Repeat("tunnel_1,"+zeros(68)+"\n", tunnels))
	entries := []tarEntry{{name: "st2-1736503200/", typ: '5'}}
	for name, body := range files {
		uncompressed += body.Len()
		entries = append(entries, tarEntry{name: "st2-1736503200/" + name, body: body.String()})
	}
	return makeTGZ(b, entries...), uncompressed
}

// benchOptions are the options of a parse of benchArchive's archive.
func benchOptions() Options {
	return Options{
		ApplianceID: "3.NE", Hostname: "BRANCH-EC-07",
		Lookups: Lookups{
			WANLabels:      map[string]string{"1": "MPLS1", "2": "INET1"},
			LANLabels:      map[string]string{"5": "Data"},
			Overlays:       map[string]string{"1": "RealTime", "2": "CriticalApps", "3": "BulkApps", "4": "DefaultOverlay"},
			TrafficClasses: map[string]string{"1": "RealTime", "2": "Interactive", "3": "Default", "4": "BestEffort", "5": "5", "6": "6", "7": "7", "8": "8", "9": "9", "10": "10"},
		},
	}
}

func BenchmarkParseArchive(b *testing.B) {
	archive, size := benchArchive(b)
	opt := benchOptions()
	b.SetBytes(int64(size))
	b.ReportAllocs()
	points := 0
	for b.Loop() {
		res, err := ParseArchive(bytes.NewReader(archive), opt)
		if err != nil || res.IssueCount != 0 {
			b.Fatalf("ParseArchive: err %v, issues %v", err, res.Issues)
		}
		points = len(res.Points)
	}
	b.ReportMetric(float64(points), "points/op")
}
