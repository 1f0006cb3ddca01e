package simulator

import (
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"time"
)

// label is an Orchestrator interface label.
type label struct {
	ID   string // "1", "2", ...
	Name string // "MPLS1", ...
	WAN  bool
}

// overlay is an Orchestrator business-intent overlay.
type overlay struct {
	ID           int
	Name         string
	TrafficClass string
}

// The Orchestrator maps. Every id written into an archive is a key of these.
var (
	wanLabels = []label{{"1", "MPLS1", true}, {"2", "INET1", true}, {"3", "LTE", true}}
	lanLabels = []label{{"5", "Data", false}, {"6", "Voice", false}}
	overlays  = []overlay{
		{1, "RealTime", "1"},
		{2, "CriticalApps", "2"},
		{3, "BulkApps", "3"},
		{4, "DefaultOverlay", "4"},
	}
	// trafficClassNames is what GET /trafficclass serves, keys "1".."10".
	trafficClassNames = [11]string{1: "RealTime", 2: "Interactive", 3: "Default", 4: "BestEffort",
		5: "5", 6: "6", 7: "7", 8: "8", 9: "9", 10: "10"}
)

const (
	labelMPLS  = 1
	labelINET  = 2
	labelLTE   = 3
	labelData  = 5
	labelVoice = 6
)

func labelName(id int) string {
	for _, l := range wanLabels {
		if l.ID == strconv.Itoa(id) {
			return l.Name
		}
	}
	for _, l := range lanLabels {
		if l.ID == strconv.Itoa(id) {
			return l.Name
		}
	}
	return ""
}

// labelTag is the demo's mapping of a label id: 0 → "None".
func labelTag(id int) string {
	if id == 0 {
		return "None"
	}
	return labelName(id)
}

// overlayTag is the demo's mapping of an overlay id: 0 → "underlay".
func overlayTag(id int) string {
	if id == 0 {
		return "underlay"
	}
	return overlays[id-1].Name
}

type modelSpec struct {
	name        string
	capacityBW  int64 // Kbps
	cores       int
	memKiB      int64
	platforms   []string
	tiers       []int // indexes into licenceTiers
	hasBootDisk bool
}

type licenceTier struct {
	display string
	kbps    int64 // 0 = unlimited
}

var licenceTiers = []licenceTier{
	{"20 Mbps", 20000},
	{"50 Mbps", 50000},
	{"200 Mbps", 200000},
	{"500 Mbps", 500000},
	{"1 Gbps", 1000000},
	{"2 Gbps", 2000000},
	{"Unlimited", 0}, // unlimited is encoded as bandwidth 0 (docs/simulator.md)
}

var models = map[string]modelSpec{
	"EC-XS": {"EC-XS", 200000, 2, 3945080, []string{"EdgeConnect EC-XS"}, []int{0, 1}, true},
	"EC-S":  {"EC-S", 1000000, 4, 8029184, []string{"EdgeConnect EC-S"}, []int{1, 2}, true},
	"EC-M":  {"EC-M", 2000000, 8, 16252928, []string{"EdgeConnect EC-M"}, []int{2, 3, 4}, true},
	"EC-L":  {"EC-L", 5000000, 16, 32505856, []string{"EdgeConnect EC-L"}, []int{4, 5, 6}, true},
	"EC-V": {"EC-V", 1000000, 4, 8029184,
		[]string{"VMware ESXi", "KVM", "Microsoft Hyper-V", "AWS", "Azure"}, []int{1, 2, 3, 4, 6}, false},
}

var releases = []struct {
	version string
	old     bool // before 9.1.3.0: emits the 2^64-1 invalid-counter marker
	weight  float64
}{
	{"9.4.2.1_102134", false, 0.35},
	{"9.3.2.1_100012", false, 0.35},
	{"9.2.9.0_98213", false, 0.2},
	{"9.1.1.3_91760", true, 0.1},
}

var cities = []string{"DALLAS", "BOSTON", "DENVER", "SEATTLE", "MIAMI", "CHICAGO", "AUSTIN", "PHOENIX",
	"ATLANTA", "PORTLAND", "LONDON", "PARIS", "BERLIN", "MADRID", "MILAN", "TOKYO", "SYDNEY", "TORONTO",
	"DUBLIN", "ZURICH"}

// iface is one interface of an appliance.
type iface struct {
	name    string // wan0, wan1, wan0.100, lan0, lan1
	ifName  string // deployment modeIfs ifName
	vlan    string // "" or the VLAN id
	labelID int    // 0 = no label
	wan     bool
	maxIn   int64 // Kbps
	maxOut  int64 // Kbps
	share   float64
	ip      string
	mask    int
	nexthop string
}

type tunnelKind uint8

const (
	kindPseudo      tunnelKind = iota + 1 // pass-through, pass-through-unshaped
	kindPassThrough                       // passThrough_N
	kindUnderlay                          // tunnel_N
	kindBonded                            // bondedTunnel_N
	kindAggregate                         // all traffic, optimized traffic
)

// tunnel is one row of tunnel_v2.txt, in row order.
type tunnel struct {
	id, alias string
	kind      tunnelKind
	overlay   int
	hexID     string
	ifIdx     int // interface for passThrough rows bound to an interface, else -1
	labelID   int // local WAN label of underlay and passThrough rows
	peer      int // peer appliance index for underlay and bonded, else -1
	// weight is the tunnel's share of its parent traffic (underlay: of the
	// peer's traffic; bonded: of the overlay's traffic; passThrough: of the
	// breakout traffic).
	weight     float64
	latencyMs  float64
	alwaysDown bool
	outageProb float64
	availLabel string
	availColor string
}

func (t *tunnel) availKind() uint64 {
	switch t.kind {
	case kindBonded:
		return 0
	case kindUnderlay:
		return 1
	}
	return 2
}

// sdwanFlag is column 4 of tunnel_v2.txt: 1 on pass-through and aggregate
// rows, 0 on tunnel_N and bondedTunnel_N (as in the real captures).
func (t *tunnel) sdwanFlag() uint64 {
	if t.kind == kindUnderlay || t.kind == kindBonded {
		return 0
	}
	return 1
}

type probe struct {
	name     string
	target   string
	settings string
	typ      string
	interval int64
	tunnel   int // index into tunnels of the passThrough it runs on
}

// applianceDef is everything fixed about one appliance.
type applianceDef struct {
	idx        int
	id         string
	hostname   string
	site       string
	hub        bool
	model      modelSpec
	platform   string
	version    string
	oldRelease bool
	state      int
	channel    int
	serial     string
	uuid       string
	dynUUID    string
	portalID   string
	licence    licenceTier
	boostMbps  int64
	systemBW   int64 // Kbps
	ifaces     []iface
	tunnels    []tunnel
	peers      []int
	capacity   float64 // LAN bytes per minute at the daily peak
	tzShift    int64   // seconds added to UTC for the daily curve
	bootTime   int64   // epoch seconds
	probes     []probe
	sampleInt  int64
	routesV4   int
	routesV6   int
	lanPrefix  string
}

// fleet is the whole simulated network.
type fleet struct {
	seed uint64
	apps []*applianceDef
	hubs []int
	byID map[string]*applianceDef
}

func pickWeighted(r *rng, weights []float64) int {
	var sum float64
	for _, w := range weights {
		sum += w
	}
	x := r.float() * sum
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

func hexID(seed uint64, idx, num int) string {
	var b [16]byte
	a := hashKeys(seed, streamHex, uint64(idx), uint64(num))
	c := mix64(a ^ 0x5bd1e995)
	for i := 0; i < 8; i++ {
		b[i] = byte(a >> (8 * i))
		b[8+i] = byte(c >> (8 * i))
	}
	return hex.EncodeToString(b[:])
}

func uuidFrom(seed uint64, idx int, kind uint64) string {
	a := hashKeys(seed, streamFleet, uint64(idx), kind)
	b := mix64(a)
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", uint32(a>>32), uint16(a>>16), uint16(a)&0xfff,
		uint16(b>>48)&0x3fff|0x8000, b&0xffffffffffff)
}

// newFleet builds the fleet for n appliances. now anchors boot times.
func newFleet(seed int64, n int, now time.Time, hostnamePrefix string) *fleet {
	s := uint64(seed)
	f := &fleet{seed: s, byID: make(map[string]*applianceDef, n)}
	off := int(hashKeys(s, streamFleet, 0xfeed) % 10)
	for i := 0; i < n; i++ {
		if (i+off)%10 == 0 {
			f.hubs = append(f.hubs, i)
		}
	}
	if len(f.hubs) == 0 {
		f.hubs = []int{0}
	}
	isHub := make(map[int]bool, len(f.hubs))
	for _, h := range f.hubs {
		isHub[h] = true
	}
	for i := 0; i < n; i++ {
		a := f.newAppliance(i, isHub[i], now)
		a.hostname = hostnamePrefix + a.hostname
		f.apps = append(f.apps, a)
	}
	f.wirePeers()
	for _, a := range f.apps {
		f.buildTunnels(a)
		f.buildProbes(a)
		f.byID[a.id] = a
	}
	return f
}

func (f *fleet) newAppliance(i int, hub bool, now time.Time) *applianceDef {
	r := newRNG(f.seed, streamFleet, uint64(i))
	a := &applianceDef{idx: i, id: fmt.Sprintf("%d.NE", i+1), hub: hub}
	city := cities[r.intn(len(cities))]
	if hub {
		a.hostname = fmt.Sprintf("HUB-%s-%04d", city, i+1)
		a.site = city + "-DC"
	} else {
		a.hostname = fmt.Sprintf("EC-%s-%04d", city, i+1)
		a.site = fmt.Sprintf("%s-BR%04d", city, i+1)
	}
	var name string
	if hub {
		name = []string{"EC-L", "EC-M", "EC-V"}[pickWeighted(&r, []float64{0.4, 0.3, 0.3})]
	} else {
		name = []string{"EC-XS", "EC-S", "EC-M", "EC-V"}[pickWeighted(&r, []float64{0.35, 0.3, 0.15, 0.2})]
	}
	a.model = models[name]
	a.platform = a.model.platforms[r.intn(len(a.model.platforms))]
	w := make([]float64, len(releases))
	for k, rel := range releases {
		w[k] = rel.weight
	}
	rel := releases[pickWeighted(&r, w)]
	a.version, a.oldRelease = rel.version, rel.old
	a.state = []int{1, 0, 2, 4}[pickWeighted(&r, []float64{0.85, 0.03, 0.06, 0.06})]
	if hub {
		a.state = 1
	}
	a.channel = 2
	if r.chance(0.2) {
		a.channel = 4
	}
	a.serial = fmt.Sprintf("001BBC%06X", hashKeys(f.seed, uint64(i), 0x5e)&0xffffff)
	a.uuid = uuidFrom(f.seed, i, 1)
	a.dynUUID = uuidFrom(f.seed, i, 2)
	a.portalID = fmt.Sprintf("%016x%08x", hashKeys(f.seed, uint64(i), 0x90), uint32(hashKeys(f.seed, uint64(i), 0x91)))
	a.licence = licenceTiers[a.model.tiers[r.intn(len(a.model.tiers))]]
	if r.chance(0.3) {
		a.boostMbps = []int64{10, 25, 50}[r.intn(3)]
	}
	a.systemBW = a.licence.kbps
	if a.systemBW == 0 || a.systemBW > a.model.capacityBW {
		a.systemBW = a.model.capacityBW
	}
	a.tzShift = int64(r.between(-8, 9)) * 3600
	a.bootTime = now.Unix() - r.between(3600, 200*86400)
	a.sampleInt = []int64{300, 60}[pickWeighted(&r, []float64{0.8, 0.2})]
	if hub {
		a.routesV4, a.routesV6 = int(r.between(200, 400)), int(r.between(10, 40))
	} else {
		a.routesV4, a.routesV6 = int(r.between(20, 80)), int(r.between(2, 10))
	}
	a.lanPrefix = fmt.Sprintf("10.%d.%d", 16+i/250, i%250)

	// Interfaces: wan0 INET1 always; wan1 MPLS1 or LTE; wan0.100 on some;
	// lan0 Data; lan1 Voice or unlabelled on some.
	wanBW := func(label int) int64 {
		var opts []int64
		switch label {
		case labelINET:
			opts = []int64{100000, 200000, 500000, 1000000}
		case labelMPLS:
			opts = []int64{20000, 50000, 100000}
		default:
			opts = []int64{20000, 50000}
		}
		bw := opts[r.intn(len(opts))]
		if bw > a.systemBW {
			bw = a.systemBW
		}
		return bw
	}
	oct := i%250 + 2
	a.ifaces = append(a.ifaces, iface{name: "wan0", ifName: "wan0", labelID: labelINET, wan: true,
		ip: fmt.Sprintf("203.0.113.%d", oct%254+1), mask: 30, nexthop: "203.0.113.254"})
	wan1 := labelMPLS
	if !hub && r.chance(0.3) {
		wan1 = labelLTE
	}
	a.ifaces = append(a.ifaces, iface{name: "wan1", ifName: "wan1", labelID: wan1, wan: true,
		ip: fmt.Sprintf("198.51.100.%d", oct%254+1), mask: 30, nexthop: "198.51.100.254"})
	if !hub && r.chance(0.25) {
		vl := labelLTE
		if wan1 == labelLTE {
			vl = labelMPLS
		}
		a.ifaces = append(a.ifaces, iface{name: "wan0.100", ifName: "wan0", vlan: "100", labelID: vl, wan: true,
			ip: fmt.Sprintf("192.0.2.%d", oct%254+1), mask: 30, nexthop: "192.0.2.254"})
	}
	a.ifaces = append(a.ifaces, iface{name: "lan0", ifName: "lan0", labelID: labelData,
		ip: a.lanPrefix + ".1", mask: 24})
	if hub || r.chance(0.5) {
		l := labelVoice
		if !hub && r.chance(0.4) {
			l = 0
		}
		a.ifaces = append(a.ifaces, iface{name: "lan1", ifName: "lan1", labelID: l,
			ip: fmt.Sprintf("10.%d.%d.1", 128+i/250, i%250), mask: 24})
	}
	var wanSum, lanCount float64
	for k := range a.ifaces {
		it := &a.ifaces[k]
		if it.wan {
			it.maxOut = wanBW(it.labelID)
			it.maxIn = it.maxOut
			wanSum += float64(it.maxOut)
		} else {
			it.maxIn, it.maxOut = 1000000, 1000000
			lanCount++
		}
	}
	for k := range a.ifaces {
		it := &a.ifaces[k]
		if it.wan {
			it.share = float64(it.maxOut) / wanSum
		} else if it.name == "lan0" {
			it.share = 0.8
			if lanCount == 1 {
				it.share = 1
			}
		} else {
			it.share = 0.2
		}
	}
	usable := wanSum
	if float64(a.systemBW) < usable {
		usable = float64(a.systemBW)
	}
	// Peak LAN traffic in bytes per minute: about a third of the usable WAN
	// bandwidth, both directions together.
	a.capacity = usable * 1000 / 8 * 60 * r.jitter(0.3, 0.3)
	return a
}

// wirePeers connects each branch to one or two hubs and each hub to its ring
// neighbours and to the branches that chose it.
func (f *fleet) wirePeers() {
	h := len(f.hubs)
	hubPos := make(map[int]int, h)
	for k, idx := range f.hubs {
		hubPos[idx] = k
	}
	peers := make([]map[int]bool, len(f.apps))
	for i := range peers {
		peers[i] = map[int]bool{}
	}
	link := func(a, b int) {
		if a != b {
			peers[a][b] = true
			peers[b][a] = true
		}
	}
	for _, a := range f.apps {
		if a.hub {
			k := hubPos[a.idx]
			if h > 1 {
				link(a.idx, f.hubs[(k+1)%h])
			}
			continue
		}
		p := int(hashKeys(f.seed, streamFleet, uint64(a.idx), 0x4b) % uint64(h))
		link(a.idx, f.hubs[p])
		if h > 1 {
			link(a.idx, f.hubs[(p+1)%h])
		}
	}
	for i, m := range peers {
		for p := range m {
			f.apps[i].peers = append(f.apps[i].peers, p)
		}
		sort.Ints(f.apps[i].peers)
	}
}

func (a *applianceDef) wanLabelIDs() []int {
	var out []int
	for _, it := range a.ifaces {
		if it.wan {
			out = append(out, it.labelID)
		}
	}
	return out
}

func (a *applianceDef) hasLabel(id int) bool {
	for _, it := range a.ifaces {
		if it.wan && it.labelID == id {
			return true
		}
	}
	return false
}

func underlayWeight(label int) float64 {
	switch label {
	case labelMPLS:
		return 0.6
	case labelINET:
		return 0.4
	}
	return 0.15
}

func baseLatencyMs(label int) float64 {
	switch label {
	case labelMPLS:
		return 18
	case labelINET:
		return 30
	}
	return 55
}

func (f *fleet) buildTunnels(a *applianceDef) {
	r := newRNG(f.seed, streamFleet, uint64(a.idx), 0x7e)
	zeros := "00000000000000000000000000000000"
	ts := []tunnel{
		{id: "pass-through", alias: "pass-through", kind: kindPseudo, hexID: zeros, ifIdx: -1, peer: -1,
			availLabel: "none", availColor: "unassigned"},
		{id: "pass-through-unshaped", alias: "pass-through-unshaped", kind: kindPseudo, hexID: zeros, ifIdx: -1,
			peer: -1, availLabel: "none", availColor: "unassigned"},
	}
	num := 0
	var pts []tunnel
	var wanPT float64
	for k, it := range a.ifaces {
		if it.labelID == 0 {
			continue
		}
		num++
		w := 0.0
		if it.wan {
			w = 0.6 * it.share
			wanPT += w
		}
		pts = append(pts, tunnel{id: fmt.Sprintf("passThrough_%d", num),
			alias: fmt.Sprintf("Passthrough_%s_%s", labelName(it.labelID), it.name),
			kind:  kindPassThrough, hexID: zeros, ifIdx: k, labelID: it.labelID, peer: -1, weight: w,
			outageProb: 0.01, availLabel: labelName(it.labelID), availColor: "unassigned"})
	}
	for _, l := range a.wanLabelIDs() {
		share := 0.0
		for _, it := range a.ifaces {
			if it.wan && it.labelID == l {
				share += it.share
			}
		}
		for _, o := range overlays {
			num++
			color := "unassigned"
			if l == labelINET && o.ID != 1 {
				color = "Overlay_" + o.Name + "_Primary"
			}
			// Breakout of each overlay: RealTime never breaks out.
			w := 0.0
			if o.ID != 1 {
				w = 0.4 * share / 3
			}
			pts = append(pts, tunnel{id: fmt.Sprintf("passThrough_%d", num),
				alias: fmt.Sprintf("Passthrough_%s_%s", labelName(l), o.Name),
				kind:  kindPassThrough, overlay: o.ID, hexID: zeros, ifIdx: -1, labelID: l, peer: -1, weight: w,
				outageProb: 0.01, availLabel: "none", availColor: color})
		}
	}
	sort.Slice(pts, func(i, j int) bool { return pts[i].id < pts[j].id }) // real files sort ids as text
	ts = append(ts, pts...)

	// Peer weights: the first hub a branch chose carries most traffic.
	peerW := make([]float64, len(a.peers))
	var sum float64
	for k := range a.peers {
		peerW[k] = 1 / float64(k+1)
		sum += peerW[k]
	}
	for k, p := range a.peers {
		peer := f.apps[p]
		type pair struct{ local, remote int }
		var pairs []pair
		for _, l := range a.wanLabelIDs() {
			switch {
			case peer.hasLabel(l):
				pairs = append(pairs, pair{l, l})
			case l == labelLTE && peer.hasLabel(labelINET):
				pairs = append(pairs, pair{l, labelINET})
			case peer.hasLabel(labelLTE) && l == labelINET:
				pairs = append(pairs, pair{l, labelLTE})
			}
		}
		var uw float64
		for _, pr := range pairs {
			uw += underlayWeight(pr.local)
		}
		dist := r.jitter(1.3, 0.5)
		for _, pr := range pairs {
			num++
			ts = append(ts, tunnel{id: fmt.Sprintf("tunnel_%d", num),
				alias: fmt.Sprintf("to_%s_%s-%s", peer.hostname, labelName(pr.local), labelName(pr.remote)),
				kind:  kindUnderlay, hexID: hexID(f.seed, a.idx, num), ifIdx: -1, labelID: pr.local, peer: p,
				weight:     peerW[k] / sum * underlayWeight(pr.local) / uw,
				latencyMs:  baseLatencyMs(pr.local) * dist * r.jitter(1, 0.1),
				alwaysDown: pr.local == labelLTE && r.chance(0.15),
				outageProb: 0.03, availLabel: labelName(pr.local), availColor: "unassigned"})
		}
		for _, o := range overlays {
			num++
			ts = append(ts, tunnel{id: fmt.Sprintf("bondedTunnel_%d", num),
				alias: fmt.Sprintf("to_%s_%s", peer.hostname, o.Name),
				kind:  kindBonded, overlay: o.ID, hexID: hexID(f.seed, a.idx, num), ifIdx: -1, peer: p,
				weight:     peerW[k] / sum,
				latencyMs:  baseLatencyMs(labelMPLS) * dist * r.jitter(1, 0.1),
				outageProb: 0.015, availLabel: "none", availColor: "unassigned"})
		}
	}
	ts = append(ts,
		tunnel{id: "all traffic", alias: "all traffic", kind: kindAggregate, hexID: "unknown", ifIdx: -1, peer: -1},
		tunnel{id: "optimized traffic", alias: "optimized traffic", kind: kindAggregate, hexID: "unknown", ifIdx: -1, peer: -1},
	)
	a.tunnels = ts
}

func (f *fleet) buildProbes(a *applianceDef) {
	targets := []string{"sp-ipsla.silverpeak.cloud", "8.8.8.8", "8.8.4.4"}
	for k, t := range a.tunnels {
		if t.kind != kindPassThrough || t.ifIdx < 0 || !a.ifaces[t.ifIdx].wan {
			continue
		}
		for _, tg := range targets {
			typ := "ip-monitor"
			if tg == targets[0] && t.labelID == labelINET && a.hub {
				typ = "http-monitor"
			}
			// The settings text carries one unescaped comma (after
			// src-port-label), exactly as the real probe_v2.txt does.
			settings := fmt.Sprintf("type=%s;tunnel-name=;src-port-label=%d,proxyAddress=;proxyPort=0;"+
				"user-agent=;ka=1;http-timeout=0;up-thresh=3;down-thresh=30;sample-int=%d;loss_up_thresh=0;"+
				"loss_down_thresh=0;rtt_up_thresh=0;rtt_down_thresh=0;metric-combination=or",
				typ, t.labelID, a.sampleInt)
			a.probes = append(a.probes, probe{name: "om_" + t.id, target: tg, settings: settings, typ: typ,
				interval: a.sampleInt, tunnel: k})
		}
	}
}

// labelIDStr renders a label id as the Orchestrator key.
func labelIDStr(id int) string { return strconv.Itoa(id) }
