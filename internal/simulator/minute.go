package simulator

import (
	"math"
)

// markerInvalid is the invalid-counter marker (2^64-1) that ECOS releases
// before 9.1.3.0 write; the demo replaces it with 0 before parsing.
const markerInvalid = math.MaxUint64

// Column counts of the header-less files (the demo's column maps and the
// real captures).
const (
	colsInterface    = 31
	colsTunnel       = 72
	colsFlow         = 26
	colsBoost        = 6
	colsDrops        = 4
	colsOverlay      = 24
	colsTClass       = 20
	colsShaper       = 11
	colsAvailability = 29
	colsProbeRaw     = 16
)

// Traffic types (1-based, as the demo decodes them).
const (
	ttOptimized = 1
	ttShaped    = 2
	ttUnshaped  = 3
	ttAll       = 4
)

// The rows below hold every column of every file as numbers; the string
// columns are kept beside them. render.go writes them out, expected.go maps
// them to points. Column indexes are the files' own (0-based).

type tunnelRow struct {
	t    *tunnel
	down int64 // seconds down in the minute (tunnel_availability col 8)
	v    [colsTunnel]uint64
}

type ifaceRow struct {
	it    *iface
	ttype int
	v     [colsInterface]uint64
}

type overlayRow struct {
	it      *iface
	overlay int
	tuntype int
	v       [colsOverlay]uint64
}

type flowRow struct {
	ftype, ttype int
	v            [colsFlow]uint64
}

type dropRow struct {
	code  int
	count uint64
}

type tclassRow struct {
	class, ttype int
	v            [colsTClass]uint64
}

type shaperRow struct {
	class, dir int
	v          [colsShaper]uint64
}

type probeRow struct {
	p *probe
	v [colsProbeRaw]uint64 // plain-split fields 6..21
}

// minuteData is one appliance's minute: everything its st2-<m>.tgz holds.
type minuteData struct {
	a        *applianceDef
	m        int64
	tunnels  []tunnelRow
	ifaces   []ifaceRow
	overlays []overlayRow
	flows    []flowRow
	boost    [colsBoost]uint64
	drops    []dropRow
	tclass   []tclassRow
	shaper   []shaperRow
	probes   []probeRow
}

// pack builds a packed peak word: float32 bits of v in the upper 32 bits,
// the epoch second in the lower 32. Zero when there is no peak.
func pack(v float64, t int64) uint64 {
	if v <= 0 {
		return 0
	}
	return uint64(math.Float32bits(float32(v)))<<32 | uint64(uint32(t))
}

// unpack returns the float value of a packed word.
func unpack(w uint64) float64 { return float64(math.Float32frombits(uint32(w >> 32))) }

// dailyCurve is the traffic level, 0.15 at 04:00 local time up to 1.0 at
// 16:00, for the minute ending at m.
func dailyCurve(a *applianceDef, m int64) float64 {
	x := float64(((m+a.tzShift)%86400+86400)%86400) / 86400
	c := 0.5 - 0.5*math.Cos(2*math.Pi*(x-1.0/6))
	return 0.15 + 0.85*c
}

// Traffic split of an appliance's LAN traffic.
const (
	shareOptimized = 0.70
	shareBreakout  = 0.22
	shareUnshaped  = 0.08
	shareOutbound  = 0.4 // LAN rx -> WAN tx
)

var (
	overlayShare   = [5]float64{0, 0.10, 0.30, 0.40, 0.20}
	overlayPktSize = [5]float64{0, 220, 700, 1150, 820}
	// flowSplit[ttype][ftype] is the share of each flow type.
	flowSplit = [4][4]float64{
		ttOptimized: {0, 0.6, 0.25, 0.15},
		ttShaped:    {0, 0, 0.7, 0.3},
		ttUnshaped:  {0, 0, 0.6, 0.4},
	}
)

// flowsExist is the number of flows of a type at the end of minute m; a
// smooth function of time so that consecutive minutes agree.
func (f *fleet) flowsExist(a *applianceDef, ftype, ttype int, m int64) uint64 {
	base := 100 + a.capacity/5e5
	tshare := [4]float64{0, shareOptimized, shareBreakout, shareUnshaped}[ttype]
	noise := 1 + 0.06*(2*unit(f.seed, streamFlows, uint64(a.idx), uint64(ftype), uint64(ttype), uint64(m))-1)
	return round(base * tshare * flowSplit[ttype][ftype] * dailyCurve(a, m) * noise)
}

type traffic struct {
	wanTx, wanRx, lanTx, lanRx     float64
	pWanTx, pWanRx, pLanTx, pLanRx float64
}

// generate builds the minute ending at m for appliance a.
func (f *fleet) generate(a *applianceDef, m int64) *minuteData {
	r := newRNG(f.seed, streamMinute, uint64(a.idx), uint64(m))
	d := &minuteData{a: a, m: m}
	curve := dailyCurve(a, m)
	total := a.capacity * curve * r.jitter(1, 0.08)
	peakT := func() int64 { return m - 60 + r.between(0, 57) }

	// Flows first: the tunnel flow counters are shares of them.
	var flowCnt [4][4][3]uint64 // [ttype][ftype]{exist, created, deleted}
	for tt := 1; tt <= 3; tt++ {
		for ft := 1; ft <= 3; ft++ {
			now, prev := f.flowsExist(a, ft, tt, m), f.flowsExist(a, ft, tt, m-60)
			churn := round(float64(now) * 0.08 * r.jitter(1, 0.5))
			created := churn
			if now > prev {
				created += now - prev
			}
			deleted := created + prev - now
			flowCnt[tt][ft] = [3]uint64{now, created, deleted}
		}
	}

	// Row slices at their final size, so that filling them never grows
	// them: 4 traffic types per interface; per WAN interface 2 underlay
	// rows and 2 per overlay, per LAN interface 1 per overlay; 3 flow
	// types x 4 traffic types; up to 5 classes x 4 types and x 2 directions.
	nOverlayRows := 0
	for k := range a.ifaces {
		if a.ifaces[k].wan {
			nOverlayRows += 2 + 2*len(overlays)
		} else {
			nOverlayRows += len(overlays)
		}
	}
	d.ifaces = make([]ifaceRow, 0, 4*len(a.ifaces))
	d.overlays = make([]overlayRow, 0, nOverlayRows)
	d.flows = make([]flowRow, 0, 12)
	d.tclass = make([]tclassRow, 0, 20)
	d.shaper = make([]shaperRow, 0, 10)
	d.probes = make([]probeRow, 0, len(a.probes))

	// Tunnels.
	d.tunnels = make([]tunnelRow, len(a.tunnels))
	var optLAN traffic // payload of the overlays, before compression
	for i := range a.tunnels {
		row := &d.tunnels[i]
		row.t = &a.tunnels[i]
		if row.t.kind != kindAggregate {
			row.down = f.downSeconds(a, i, m)
		}
	}
	optTotal := total * shareOptimized
	brkTotal := total * shareBreakout
	for i := range d.tunnels {
		row := &d.tunnels[i]
		t := row.t
		v := &row.v
		v[3] = uint64(t.overlay)
		v[4] = t.sdwanFlag()
		up := float64(60-row.down) / 60
		var tr traffic
		var pktSize float64
		switch t.kind {
		case kindBonded:
			base := optTotal * overlayShare[t.overlay] * t.weight * up * r.jitter(1, 0.1)
			comp := 1.0
			if t.overlay != 1 {
				comp = r.jitter(0.9, 0.05)
			}
			pktSize = r.jitter(overlayPktSize[t.overlay], 0.1)
			tr.lanRx = base * shareOutbound
			tr.lanTx = base * (1 - shareOutbound)
			tr.wanTx, tr.wanRx = tr.lanRx*comp, tr.lanTx*comp
			optLAN.lanRx += tr.lanRx
			optLAN.lanTx += tr.lanTx
		case kindUnderlay:
			base := optTotal * t.weight * up * r.jitter(1, 0.1) * 0.9
			pktSize = r.jitter(760, 0.1)
			tr.lanRx, tr.lanTx = base*shareOutbound, base*(1-shareOutbound)
			tr.wanTx, tr.wanRx = tr.lanRx, tr.lanTx
		case kindPassThrough:
			base := brkTotal * t.weight * up * r.jitter(1, 0.1)
			pktSize = r.jitter(900, 0.1)
			tr.lanRx, tr.lanTx = base*shareOutbound, base*(1-shareOutbound)
			tr.wanTx, tr.wanRx = tr.lanRx, tr.lanTx
		case kindPseudo:
			if t.id == "pass-through-unshaped" {
				base := total * shareUnshaped * r.jitter(1, 0.1)
				pktSize = r.jitter(600, 0.1)
				tr.lanRx, tr.lanTx = base*shareOutbound, base*(1-shareOutbound)
				tr.wanTx, tr.wanRx = tr.lanRx, tr.lanTx
			}
			// "pass-through" stays all zero, as in the real captures.
		}
		if t.kind == kindAggregate {
			continue
		}
		for k, b := range []float64{tr.wanTx, tr.wanRx, tr.lanTx, tr.lanRx} {
			v[6+k] = round(b)
			if pktSize > 0 && v[6+k] > 0 {
				v[10+k] = max(1, round(b/pktSize))
			}
		}
		f.fillTunnelQuality(&r, a, row, flowCnt, peakT)
	}
	f.fillAggregates(d)

	f.fillInterfaces(&r, d, total)
	f.fillOverlays(&r, d)
	f.fillFlows(d, flowCnt)
	f.fillTClassShaper(&r, d, curve)
	f.fillBoost(&r, d, curve)
	f.fillDrops(&r, d, curve)
	f.fillProbes(&r, d)
	return d
}

func (f *fleet) fillTunnelQuality(r *rng, a *applianceDef, row *tunnelRow, flowCnt [4][4][3]uint64, peakT func() int64) {
	t, v := row.t, &row.v
	active := row.down < 60
	// Flow counters 16..20: shares of the appliance's flows.
	var share float64
	var tt int
	switch t.kind {
	case kindBonded:
		share, tt = overlayShare[t.overlay]*t.weight, ttOptimized
	case kindPassThrough:
		share, tt = t.weight, ttShaped
	case kindPseudo:
		if t.id == "pass-through-unshaped" {
			share, tt = 1, ttUnshaped
		}
	}
	if active && share > 0 {
		v[16] = round(float64(flowCnt[tt][2][0]) * share) // external TCP
		v[17] = round(float64(flowCnt[tt][1][0]) * share) // TCP accelerated
		v[18] = round(float64(flowCnt[tt][3][0]) * share) // non-TCP
		v[19] = round(float64(flowCnt[tt][1][1]+flowCnt[tt][2][1]+flowCnt[tt][3][1]) * share)
		v[20] = round(float64(flowCnt[tt][1][2]+flowCnt[tt][2][2]+flowCnt[tt][3][2]) * share)
	}
	sdwan := t.kind == kindUnderlay || t.kind == kindBonded
	if sdwan && active {
		lat := t.latencyMs * 100 * r.jitter(1, 0.08)
		v[14] = round(lat)
		v[15] = round(lat * r.jitter(0.85, 0.05))
		lossRate := 0.0004 * r.float()
		if t.labelID == labelLTE {
			lossRate *= 8
		}
		if r.chance(0.1) {
			lossRate *= 10 // a lossy minute
		}
		rx := v[11]
		v[21] = round(float64(rx) * lossRate)
		v[22] = v[21] / 5
		if rx > 0 {
			v[23] = round(float64(v[21]) / float64(rx) * 10000)
			v[24] = round(float64(v[22]) / float64(rx) * 10000)
		}
		v[25] = round(float64(rx) * 0.0002 * r.float())
		v[26] = v[25] / 4
		if rx > 0 {
			v[27] = round(float64(v[25]) / float64(rx) * 10000)
			v[28] = round(float64(v[26]) / float64(rx) * 10000)
		}
		// Overhead: keepalives and headers.
		v[29] = round(float64(v[11])*0.02) + 58
		v[30] = round(float64(v[10])*0.02) + 58
		v[31] = v[29] * 96
		v[32] = v[30] * 96
		v[33] = v[11] * 52
		v[34] = v[10] * 52
		jit := float64(r.between(1, 6))
		if t.labelID == labelLTE {
			jit += float64(r.between(3, 14))
		}
		mos := 441 - round(lat/400) - round(float64(v[23])/4) - round(jit)
		mos = min(max(mos, 300), 441)
		v[65] = mos
		v[66] = mos - min(mos-300, uint64(r.between(0, 3)))
		v[67] = pack(float64(v[66]), peakT())
		v[68] = v[67]
		v[69] = uint64(jit) * 100
		v[70] = pack(jit, peakT())
		v[44] = pack(math.Round(lat*r.jitter(1.35, 0.25)), peakT())
	} else if t.kind == kindPseudo && t.id == "pass-through-unshaped" {
		v[34] = v[10] * 14
	}
	// Packed per-second peaks of bytes and packets (36..43) and flows (45..49).
	for k := 0; k < 8; k++ {
		tot := v[6+k]
		if tot == 0 {
			continue
		}
		p := math.Ceil(float64(tot) / 60 * r.jitter(2.2, 0.6))
		p = math.Min(p, float64(tot))
		v[36+k] = pack(p, peakT())
	}
	for k := 0; k < 5; k++ {
		if c := v[16+k]; c > 0 {
			v[45+k] = pack(float64(max(1, c/uint64(r.between(1, 4)))), peakT())
		}
	}
}

// fillAggregates computes the "all traffic" and "optimized traffic" rows:
// traffic and flows summed over the rows that carry user traffic (all: bonded,
// pass-through and the pseudo rows; optimized: bonded only), overhead and
// loss summed over the underlay tunnels, peaks the maximum of the same rows.
// Latency and MOS stay 0 on aggregate rows, as in the real captures.
func (f *fleet) fillAggregates(d *minuteData) {
	n := len(d.tunnels)
	all, opt := &d.tunnels[n-2], &d.tunnels[n-1]
	maxPeak := func(dst *uint64, w uint64) {
		if w != 0 && (*dst == 0 || unpack(w) > unpack(*dst)) {
			*dst = w
		}
	}
	all.v[4], opt.v[4] = 1, 1
	for i := range d.tunnels[:n-2] {
		row := &d.tunnels[i]
		k := row.t.kind
		for _, agg := range []*tunnelRow{all, opt} {
			carries := k == kindBonded || (agg == all && (k == kindPassThrough || k == kindPseudo))
			if carries {
				for c := 6; c <= 13; c++ {
					agg.v[c] += row.v[c]
				}
				for c := 16; c <= 20; c++ {
					agg.v[c] += row.v[c]
				}
				for c := 36; c <= 43; c++ {
					maxPeak(&agg.v[c], row.v[c])
				}
				for c := 45; c <= 49; c++ {
					maxPeak(&agg.v[c], row.v[c])
				}
			}
			if k == kindUnderlay {
				for _, c := range []int{21, 22, 25, 26, 29, 30, 31, 32, 33, 34} {
					agg.v[c] += row.v[c]
				}
				maxPeak(&agg.v[44], row.v[44])
			}
			if k == kindUnderlay || k == kindBonded {
				maxPeak(&agg.v[70], row.v[70])
			}
		}
		if k == kindPseudo {
			all.v[34] += row.v[34]
		}
	}
}

func (d *minuteData) sumTunnels(pred func(*tunnel) bool, col int) uint64 {
	var s uint64
	for i := range d.tunnels {
		if pred(d.tunnels[i].t) {
			s += d.tunnels[i].v[col]
		}
	}
	return s
}

func (f *fleet) fillInterfaces(r *rng, d *minuteData, total float64) {
	a := d.a
	unsh := d.tunnels[1].v // pass-through-unshaped
	isBonded := func(t *tunnel) bool { return t.kind == kindBonded }
	isPT := func(t *tunnel) bool { return t.kind == kindPassThrough }
	marker := a.oldRelease && r.chance(0.1)
	for k := range a.ifaces {
		it := &a.ifaces[k]
		var rows [4]ifaceRow
		for tt := 1; tt <= 3; tt++ {
			row := &rows[tt-1]
			row.it, row.ttype = it, tt
			v := &row.v
			v[2] = uint64(it.labelID)
			v[3] = uint64(tt)
			if it.wan {
				onLabel := func(kind tunnelKind) func(*tunnel) bool {
					return func(t *tunnel) bool { return t.kind == kind && t.labelID == it.labelID }
				}
				switch tt {
				case ttOptimized:
					ul := onLabel(kindUnderlay)
					v[4] = d.sumTunnels(ul, 6) + d.sumTunnels(ul, 32)
					v[5] = d.sumTunnels(ul, 7) + d.sumTunnels(ul, 31)
					v[6] = d.sumTunnels(ul, 10) + d.sumTunnels(ul, 30)
					v[7] = d.sumTunnels(ul, 11) + d.sumTunnels(ul, 29)
					v[8] = d.sumTunnels(ul, 32)
					v[9] = d.sumTunnels(ul, 31)
					v[10] = d.sumTunnels(ul, 30)
					v[11] = d.sumTunnels(ul, 29)
				case ttShaped:
					pt := onLabel(kindPassThrough)
					v[4], v[5] = d.sumTunnels(pt, 6), d.sumTunnels(pt, 7)
					v[6], v[7] = d.sumTunnels(pt, 10), d.sumTunnels(pt, 11)
				case ttUnshaped:
					v[4], v[5] = round(float64(unsh[6])*it.share), round(float64(unsh[7])*it.share)
					v[6], v[7] = round(float64(unsh[10])*it.share), round(float64(unsh[11])*it.share)
				}
				if tt != ttOptimized && v[5] > 0 && r.chance(0.3) {
					v[15] = uint64(r.between(1, 40))
					v[13] = v[15] * uint64(r.between(60, 1400))
				}
			} else {
				switch tt {
				case ttOptimized:
					v[4] = round(float64(d.sumTunnels(isBonded, 8)) * it.share)
					v[5] = round(float64(d.sumTunnels(isBonded, 9)) * it.share)
					v[6] = round(float64(d.sumTunnels(isBonded, 12)) * it.share)
					v[7] = round(float64(d.sumTunnels(isBonded, 13)) * it.share)
				case ttShaped:
					v[4] = round(float64(d.sumTunnels(isPT, 8)) * it.share)
					v[5] = round(float64(d.sumTunnels(isPT, 9)) * it.share)
					v[6] = round(float64(d.sumTunnels(isPT, 12)) * it.share)
					v[7] = round(float64(d.sumTunnels(isPT, 13)) * it.share)
				case ttUnshaped:
					v[4], v[5] = round(float64(unsh[8])*it.share), round(float64(unsh[9])*it.share)
					v[6], v[7] = round(float64(unsh[12])*it.share), round(float64(unsh[13])*it.share)
				}
			}
			v[16], v[17] = uint64(it.maxOut), uint64(it.maxIn)
		}
		all := &rows[3]
		all.it, all.ttype = it, ttAll
		all.v[2], all.v[3] = uint64(it.labelID), ttAll
		for c := 4; c <= 15; c++ {
			for tt := 0; tt < 3; tt++ {
				all.v[c] += rows[tt].v[c]
			}
		}
		all.v[16], all.v[17] = uint64(it.maxOut), uint64(it.maxIn)
		if a.oldRelease {
			// Old releases write the invalid-counter marker into an ignored
			// column now and then, and sometimes into firewall_packets_tx of
			// the pass-through row (the demo reads it as 0; its all-traffic
			// row then counts it as 0 too).
			rows[0].v[20] = markerInvalid
			if marker && it.wan {
				rows[1].v[14] = markerInvalid
			}
		}
		d.ifaces = append(d.ifaces, rows[:]...)
	}
}

func (f *fleet) fillOverlays(r *rng, d *minuteData) {
	a := d.a
	isUL := func(t *tunnel) bool { return t.kind == kindUnderlay }
	ulTx := float64(d.sumTunnels(isUL, 6))
	for k := range a.ifaces {
		it := &a.ifaces[k]
		add := func(ov, tuntype int, vals ...uint64) {
			row := overlayRow{it: it, overlay: ov, tuntype: tuntype}
			row.v[2], row.v[3], row.v[4] = uint64(it.labelID), uint64(ov), uint64(tuntype)
			copy(row.v[5:13], vals)
			if it.wan {
				row.v[13], row.v[14] = uint64(it.maxOut), uint64(it.maxIn)
			}
			d.overlays = append(d.overlays, row)
		}
		if it.wan {
			ul := func(t *tunnel) bool { return t.kind == kindUnderlay && t.labelID == it.labelID }
			add(0, 1, d.sumTunnels(ul, 6), d.sumTunnels(ul, 7), d.sumTunnels(ul, 10), d.sumTunnels(ul, 11),
				d.sumTunnels(ul, 32), d.sumTunnels(ul, 31), d.sumTunnels(ul, 30), d.sumTunnels(ul, 29))
			ptIf := func(t *tunnel) bool { return t.kind == kindPassThrough && t.ifIdx == k }
			add(0, 2, d.sumTunnels(ptIf, 6), d.sumTunnels(ptIf, 7), d.sumTunnels(ptIf, 10), d.sumTunnels(ptIf, 11))
			frac := 0.0
			if ulTx > 0 {
				frac = float64(d.sumTunnels(ul, 6)) / ulTx
			}
			for _, o := range overlays {
				bt := func(t *tunnel) bool { return t.kind == kindBonded && t.overlay == o.ID }
				tx := round(float64(d.sumTunnels(bt, 6)) * frac)
				rx := round(float64(d.sumTunnels(bt, 7)) * frac)
				ptx := round(float64(d.sumTunnels(bt, 10)) * frac)
				prx := round(float64(d.sumTunnels(bt, 11)) * frac)
				add(o.ID, 0, tx, rx, ptx, prx, tx/20, rx/20, ptx/20, prx/20)
				po := func(t *tunnel) bool {
					return t.kind == kindPassThrough && t.overlay == o.ID && t.labelID == it.labelID
				}
				add(o.ID, 2, d.sumTunnels(po, 6), d.sumTunnels(po, 7), d.sumTunnels(po, 10), d.sumTunnels(po, 11))
			}
			continue
		}
		for _, o := range overlays {
			bt := func(t *tunnel) bool { return t.kind == kindBonded && t.overlay == o.ID }
			add(o.ID, 0, round(float64(d.sumTunnels(bt, 8))*it.share), round(float64(d.sumTunnels(bt, 9))*it.share),
				round(float64(d.sumTunnels(bt, 12))*it.share), round(float64(d.sumTunnels(bt, 13))*it.share))
		}
	}
	_ = r
}

func (f *fleet) fillFlows(d *minuteData, flowCnt [4][4][3]uint64) {
	isBonded := func(t *tunnel) bool { return t.kind == kindBonded }
	isPT := func(t *tunnel) bool { return t.kind == kindPassThrough }
	unsh := d.tunnels[1].v
	var vol [4][8]float64 // [ttype] wan tx, wan rx, lan tx, lan rx, then packets
	for c := 0; c < 8; c++ {
		vol[ttOptimized][c] = float64(d.sumTunnels(isBonded, 6+c))
		vol[ttShaped][c] = float64(d.sumTunnels(isPT, 6+c))
		vol[ttUnshaped][c] = float64(unsh[6+c])
	}
	for ft := 1; ft <= 3; ft++ {
		var all flowRow
		all.ftype, all.ttype = ft, ttAll
		for tt := 1; tt <= 3; tt++ {
			row := flowRow{ftype: ft, ttype: tt}
			row.v[1], row.v[2] = uint64(ft), uint64(tt)
			row.v[3], row.v[4], row.v[5] = flowCnt[tt][ft][1], flowCnt[tt][ft][2], flowCnt[tt][ft][0]
			for c := 0; c < 8; c++ {
				row.v[9+c] = round(vol[tt][c] * flowSplit[tt][ft])
			}
			for c := 3; c <= 16; c++ {
				all.v[c] += row.v[c]
			}
			d.flows = append(d.flows, row)
		}
		all.v[1], all.v[2] = uint64(ft), ttAll
		d.flows = append(d.flows, all)
	}
}

func (f *fleet) fillTClassShaper(r *rng, d *minuteData, curve float64) {
	classes := []int{1, 2, 3, 4}
	extra := 0
	if r.chance(0.25) {
		extra = int(r.between(5, 10))
		classes = append(classes, extra)
	}
	isPTo := func(o int) func(*tunnel) bool {
		return func(t *tunnel) bool { return t.kind == kindPassThrough && t.overlay == o }
	}
	unsh := d.tunnels[1].v
	for _, c := range classes {
		var rows [4]tclassRow
		for tt := 1; tt <= 3; tt++ {
			row := &rows[tt-1]
			row.class, row.ttype = c, tt
			row.v[1], row.v[2] = uint64(c), uint64(tt)
			for k := 0; k < 8; k++ {
				var x uint64
				switch {
				case c == extra:
					if tt == ttShaped && k < 2 {
						x = uint64(r.between(0, 20000))
					}
				case tt == ttOptimized:
					x = d.sumTunnels(func(t *tunnel) bool { return t.kind == kindBonded && t.overlay == c }, 6+k)
				case tt == ttShaped:
					x = d.sumTunnels(isPTo(c), 6+k)
					if c == 4 {
						x += d.sumTunnels(isPTo(0), 6+k)
					}
				case tt == ttUnshaped && c == 4:
					x = unsh[6+k]
				}
				row.v[3+k] = x
			}
		}
		all := &rows[3]
		all.class, all.ttype = c, ttAll
		all.v[1], all.v[2] = uint64(c), ttAll
		for k := 3; k <= 10; k++ {
			all.v[k] = rows[0].v[k] + rows[1].v[k] + rows[2].v[k]
		}
		d.tclass = append(d.tclass, rows[:]...)
		for dir := 0; dir <= 1; dir++ {
			row := shaperRow{class: c, dir: dir}
			row.v[1], row.v[2] = uint64(c), uint64(dir)
			bytes, pkts := all.v[3], all.v[7] // outbound: WAN tx
			if dir == 1 {
				bytes, pkts = all.v[4], all.v[8]
			}
			row.v[3] = bytes
			row.v[4] = bytes
			row.v[5] = pkts
			if pkts > 0 {
				row.v[6] = round(float64(pkts) * 0.002 * curve * r.float()) // ms waited
				row.v[7] = round(float64(pkts) * 0.01 * r.float())
				if r.chance(0.15 * curve) {
					row.v[8] = uint64(r.between(1, 50))
				}
				if r.chance(0.03) {
					row.v[9] = uint64(r.between(1, 5))
				}
			}
			d.shaper = append(d.shaper, row)
		}
	}
}

func (f *fleet) fillBoost(r *rng, d *minuteData, curve float64) {
	a := d.a
	d.boost[1] = uint64(a.boostMbps * 1000)
	if a.boostMbps > 0 {
		d.boost[2] = round(float64(d.tunnels[len(d.tunnels)-1].v[6]) * 0.05 * r.float())
		if curve > 0.8 && r.chance(0.2) {
			d.boost[3] = uint64(r.between(1, 60))
		}
	}
}

// Drop reason codes: the five the demo names, and others that all map to
// "Other".
var (
	namedDropCodes = []int{8, 18, 19, 31, 53}
	namedDropProb  = []float64{0.1, 0.1, 0.08, 0.15, 0.08}
	otherDropCodes = []int{2, 5, 12, 27, 44, 61}
)

func (f *fleet) fillDrops(r *rng, d *minuteData, curve float64) {
	codes := make([]int, 0, len(namedDropCodes)+len(otherDropCodes))
	for k, c := range namedDropCodes {
		if r.chance(namedDropProb[k]) {
			codes = append(codes, c)
		}
	}
	for _, c := range otherDropCodes {
		if r.chance(0.35) {
			codes = append(codes, c)
		}
	}
	if len(codes) == 0 {
		codes = append(codes, otherDropCodes[0])
	}
	// Ascending code order, as a counter dump would list them.
	for i := 1; i < len(codes); i++ {
		for j := i; j > 0 && codes[j] < codes[j-1]; j-- {
			codes[j], codes[j-1] = codes[j-1], codes[j]
		}
	}
	for _, c := range codes {
		d.drops = append(d.drops, dropRow{code: c, count: uint64(r.between(1, 1+int64(500*curve)))})
	}
}

func (f *fleet) fillProbes(r *rng, d *minuteData) {
	for k := range d.a.probes {
		p := &d.a.probes[k]
		row := probeRow{p: p}
		down := d.tunnels[p.tunnel].down
		lat := baseLatencyMs(d.a.tunnels[p.tunnel].labelID) * 100
		row.v[0] = round(lat * r.jitter(1.1, 0.3))
		row.v[1] = round(float64(row.v[0]) * r.jitter(0.8, 0.1))
		ok := uint64(60 - down)
		if ok > 0 && r.chance(0.5) {
			ok-- // a probe interval that straddles the minute boundary
		}
		row.v[6], row.v[7] = ok, ok
		d.probes = append(d.probes, row)
	}
}
