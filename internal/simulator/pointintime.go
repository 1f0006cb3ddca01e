package simulator

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Values of the point-in-time endpoints: deterministic functions of (seed,
// appliance, clock time), so that two simulators with the same seed and
// clock serve the same values.

func (f *fleet) memory(a *applianceDef, now time.Time) Memory {
	sec := now.Unix()
	r := newRNG(f.seed, streamPoint, uint64(a.idx), 1, uint64(sec))
	total := a.model.memKiB
	frac := 0.55 + 0.2*dailyCurve(a, sec) + 0.03*(2*r.float()-1)
	used := int64(float64(total) * frac)
	m := Memory{Total: total, Used: used, Free: total - used,
		Buffers: int64(float64(total) * 0.0007 * r.jitter(1, 0.2)),
		Cached:  int64(float64(total) * 0.18 * r.jitter(1, 0.1))}
	if a.model.name == "EC-V" {
		m.SwapTotal = 2097148
		m.SwapUsed = r.between(0, 4096)
		m.SwapFree = m.SwapTotal - m.SwapUsed
	}
	return m
}

// cpuSamples returns the 5-second samples for /cpustat?time=<ms>. time=0
// means the last minute up to now (12 samples ending at the last 5-second
// boundary); another value means the 12 samples of the minute starting at
// that time, limited to samples not in the future and not older than 24 h.
func (f *fleet) cpuSamples(a *applianceDef, now time.Time, timeMs int64) []CPUSample {
	var from, to int64
	nowS := now.Unix()
	if timeMs == 0 {
		to = floorDiv(nowS, 5) * 5
		from = to - 55
	} else {
		from = floorDiv(timeMs/1000, 60) * 60
		to = min(from+55, floorDiv(nowS, 5)*5)
		if from < nowS-86400 {
			return nil
		}
	}
	var out []CPUSample
	for t := from; t <= to; t += 5 {
		load := 4 + 45*dailyCurve(a, t)
		var sum [5]float64
		start := len(out)
		out = append(out, CPUSample{}) // ALL, filled below
		for c := 0; c < a.model.cores; c++ {
			r := newRNG(f.seed, streamCPU, uint64(a.idx), uint64(t), uint64(c))
			busy := math.Min(98, load*r.jitter(1, 0.35))
			s := CPUSample{Time: time.Unix(t, 0).UTC(), CPUNumber: strconv.Itoa(c),
				User: round2(busy * 0.62), Sys: round2(busy * 0.28), IRQ: round2(busy * 0.07)}
			s.Nice = round2(math.Max(0, busy-s.User-s.Sys-s.IRQ))
			s.Idle = round2(100 - s.User - s.Sys - s.IRQ - s.Nice)
			for k, v := range []float64{s.Idle, s.User, s.Sys, s.IRQ, s.Nice} {
				sum[k] += v
			}
			out = append(out, s)
		}
		n := float64(a.model.cores)
		all := CPUSample{Time: time.Unix(t, 0).UTC(), CPUNumber: "ALL", User: round2(sum[1] / n),
			Sys: round2(sum[2] / n), IRQ: round2(sum[3] / n), Nice: round2(sum[4] / n)}
		all.Idle = round2(100 - all.User - all.Sys - all.IRQ - all.Nice)
		out[start] = all
	}
	return out
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

type routeEntry struct {
	State routeState `json:"state"`
}

type routeState struct {
	Version    int    `json:"version"`
	Prefix     string `json:"prefix"`
	NextHop    string `json:"nextHop"`
	Metric     int    `json:"metric"`
	IfName     string `json:"ifName"`
	PeerID     int    `json:"peerid"`
	Learned    bool   `json:"learned"`
	Configured bool   `json:"configured"`
	Advert     bool   `json:"advert"`
	Local      bool   `json:"local"`
	State      string `json:"state"`
	RouteType  string `json:"routeType"`
	AdminDist  int    `json:"adminDistance"`
	ZoneID     int    `json:"zone_id"`
}

// routes returns the route table: local LAN subnets and subnets learned from
// peers; the learned count varies a little by hour.
func (f *fleet) routes(a *applianceDef, now time.Time) []routeEntry {
	hour := floorDiv(now.Unix(), 3600)
	r := newRNG(f.seed, streamPoint, uint64(a.idx), 3, uint64(hour))
	n4 := a.routesV4 + int(r.between(-2, 2))
	n6 := a.routesV6 + int(r.between(0, 1))
	out := make([]routeEntry, 0, n4+n6)
	for i := 0; i < n4; i++ {
		e := routeState{Version: 4, Metric: 50, State: "UP", AdminDist: 10}
		if i == 0 {
			e.Prefix, e.NextHop, e.Local, e.IfName, e.RouteType = a.lanPrefix+".0/24", "0.0.0.0", true, "lan0", "local"
		} else {
			e.Prefix = "10." + strconv.Itoa(16+(a.idx+i)/250%100) + "." + strconv.Itoa((a.idx+i)%250) + ".0/24"
			e.NextHop = "169.254." + strconv.Itoa(i/250%250) + "." + strconv.Itoa(i%250+1)
			e.Learned, e.PeerID, e.IfName, e.RouteType = true, i, "sdwan", "subnet-shared"
		}
		out = append(out, routeEntry{e})
	}
	for i := 0; i < n6; i++ {
		e := routeState{Version: 6, Metric: 50, State: "UP", AdminDist: 10,
			Prefix:  "2001:db8:" + strconv.FormatInt(int64(a.idx), 16) + ":" + strconv.FormatInt(int64(i), 16) + "::/64",
			NextHop: "::", Local: i == 0, Learned: i != 0,
			IfName: "lan0", RouteType: "local"}
		out = append(out, routeEntry{e})
	}
	return out
}

type alarm struct {
	Severity        int    `json:"severity"`
	SequenceID      int64  `json:"sequenceId"`
	Source          string `json:"source"`
	Acknowledged    bool   `json:"acknowledged"`
	Clearable       bool   `json:"clearable"`
	Time            int64  `json:"time"`
	Description     string `json:"description"`
	Type            string `json:"type"`
	Recommendation  string `json:"recommendation"`
	ServiceAffect   bool   `json:"serviceAffect"`
	TypeID          int    `json:"typeId"`
	Name            string `json:"name"`
	OccurrenceCount int    `json:"occurrenceCount"`
	Active          bool   `json:"active"`
	AckedBy         string `json:"ackedBy"`
	AckedTime       int64  `json:"ackedTime"`
	ClearedBy       string `json:"clearedBy"`
	ClearedTime     int64  `json:"clearedTime"`
	Note            string `json:"note"`
	category        string
}

// alarms returns the outstanding alarms at now: one per tunnel that is down
// at that instant, plus a few daily alarms, and the summary counted from
// them.
func (f *fleet) alarms(a *applianceDef, now time.Time) ([]alarm, AlarmSummary) {
	sec := now.Unix()
	var out []alarm
	seq := int64(1000 + a.idx)
	for i := range a.tunnels {
		t := &a.tunnels[i]
		if t.kind == kindPseudo || t.kind == kindAggregate || !f.downAt(a, i, sec) {
			continue
		}
		sev := map[tunnelKind]int{kindUnderlay: 3, kindBonded: 4, kindPassThrough: 2}[t.kind]
		start, _, _ := f.outage(a, i, sec)
		out = append(out, alarm{Severity: sev, SequenceID: seq + int64(i), Source: t.alias, Time: start * 1000,
			Description: "Tunnel " + t.alias + " is down", Type: "SW", Recommendation: "Check the WAN path to the peer",
			ServiceAffect: t.kind == kindBonded, TypeID: 262150, Name: "tunnel_down", OccurrenceCount: 1,
			Active: true, category: "tunnel"})
	}
	day := floorDiv(sec, 86400)
	r := newRNG(f.seed, streamPoint, uint64(a.idx), 4, uint64(day))
	dayStart := day * 86400
	type daily struct {
		p              float64
		sev            int
		typ, name, cat string
		desc, rec      string
		typeID         int
	}
	for k, d := range []daily{
		{0.3, 1, "SW", "tca_latency", "tca", "Latency threshold crossed on a tunnel", "Review the SLA thresholds", 262400},
		{0.1, 2, "HW", "disk_health", "equipment", "Disk health degraded", "Replace the disk at the next window", 131073},
		{0.15, 0, "SW", "config_unsaved", "software", "Configuration has unsaved changes", "Save the configuration", 262201},
		{0.08, 1, "SW", "tclass_drops", "traffic_class", "Traffic class drops above threshold", "Review shaper settings", 262500},
	} {
		if !r.chance(d.p) {
			continue
		}
		at := dayStart + r.between(0, 86399)
		if at > sec {
			continue
		}
		out = append(out, alarm{Severity: d.sev, SequenceID: seq + 5000 + int64(k), Source: "System", Time: at * 1000,
			Description: d.desc, Type: d.typ, Recommendation: d.rec, TypeID: d.typeID, Name: d.name,
			OccurrenceCount: int(r.between(1, 4)), Active: true, Clearable: d.typ == "SW", category: d.cat})
	}
	s := countAlarms(out)
	s.NumCleared = int(r.between(0, 12))
	return out, s
}

// countAlarms is the summary of GET /alarm counted from the outstanding
// alarms (num_cleared and num_raise_ignore left 0).
func countAlarms(out []alarm) AlarmSummary {
	var s AlarmSummary
	for _, al := range out {
		switch al.Severity {
		case 4:
			s.NumCritical++
		case 3:
			s.NumMajor++
		case 2:
			s.NumMinor++
		case 1:
			s.NumWarning++
		}
		switch al.Type {
		case "SW":
			s.NumSoftwareOutstanding++
		case "HW":
			s.NumEquipmentOutstanding++
		}
		switch al.category {
		case "tunnel":
			s.NumTunnelOutstanding++
		case "tca":
			s.NumTCAOutstanding++
		case "traffic_class":
			s.NumTrafficClassOutstanding++
		}
	}
	s.NumOutstanding = len(out)
	return s
}

// tunnelStatus is the status text of a tunnel at second t.
func (f *fleet) tunnelStatus(a *applianceDef, i int, t int64) string {
	tn := &a.tunnels[i]
	if f.downAt(a, i, t) {
		if tn.alwaysDown {
			return "Down - IKE failed"
		}
		return "Down"
	}
	if tn.kind == kindPassThrough && tn.weight == 0 {
		return "Up - Idle"
	}
	return "Up - Active"
}

func (f *fleet) disk(a *applianceDef, now time.Time) map[string]DiskUsage {
	day := floorDiv(now.Unix(), 86400)
	r := newRNG(f.seed, streamPoint, uint64(a.idx), 5)
	mk := func(blocks, used int64, fs string) DiskUsage {
		avail := blocks - used - blocks/20
		return DiskUsage{Blocks: blocks, Used: used, Available: avail,
			UsedPercent: int64(math.Ceil(float64(used) * 100 / float64(used+avail))), Filesystem: fs}
	}
	// /var grows a little every day and is cleaned every 30 days.
	varUsed := r.between(3000000, 8000000) + (((day%30)+30)%30)*r.between(20000, 90000)
	out := map[string]DiskUsage{
		"/":    mk(6126976, r.between(1100000, 1900000), "/dev/disk/by-label/ROOT_1"),
		"/var": mk(42030588, varUsed, "/dev/sda6"),
	}
	if a.model.hasBootDisk {
		out["/boot"] = mk(253871, r.between(40000, 90000), "/dev/sda1")
	}
	return out
}

// realtime returns the per-second samples of POST /stats/realtimeStats for
// the three whole seconds before now, scaled by factor.
func (f *fleet) realtime(a *applianceDef, now time.Time, factor float64) map[string][][2]int64 {
	keys := []string{"LRX_PKTS", "LTX_PKTS", "WRX_PKTS", "WTX_PKTS", "LRX_BYTES", "LTX_BYTES", "WRX_BYTES", "WTX_BYTES"}
	out := make(map[string][][2]int64, len(keys))
	sec := now.Unix()
	for k, key := range keys {
		for t := sec - 3; t < sec; t++ {
			r := newRNG(f.seed, streamPoint, uint64(a.idx), 6, uint64(t), uint64(k))
			bps := a.capacity / 60 * dailyCurve(a, t) * factor * r.jitter(1, 0.15)
			dir := shareOutbound
			if k%2 == 1 {
				dir = 1 - shareOutbound
			}
			v := bps * dir
			if k < 4 {
				v /= 780
			}
			out[key] = append(out[key], [2]int64{t * 1_000_000, int64(math.Round(v))})
		}
	}
	return out
}

// uptimeString renders a duration like "9d 10h 52m 25s".
func uptimeString(d time.Duration) string {
	s := int64(d / time.Second)
	return fmt.Sprintf("%dd %dh %dm %ds", s/86400, s%86400/3600, s%3600/60, s%60)
}
