package simulator

// Tunnel outages. Time is cut into blocks of outageBlock seconds; in each
// block a tunnel has at most one outage, drawn from (seed, appliance, tunnel,
// block). Minutes never straddle a block (outageBlock is a multiple of 60),
// so the down seconds of any minute need one draw.

const outageBlock = 1800

// outage returns the down interval [start, end) of the tunnel in the block
// that holds second t, or ok=false when the block has none.
func (f *fleet) outage(a *applianceDef, ti int, t int64) (start, end int64, ok bool) {
	tn := &a.tunnels[ti]
	block := floorDiv(t, outageBlock)
	b0 := block * outageBlock
	if tn.alwaysDown {
		return b0, b0 + outageBlock, true
	}
	if tn.outageProb == 0 {
		return 0, 0, false
	}
	r := newRNG(f.seed, streamOutage, uint64(a.idx), uint64(ti), uint64(block))
	if !r.chance(tn.outageProb) {
		return 0, 0, false
	}
	start = b0 + r.between(0, outageBlock-1)
	var dur int64
	if r.chance(0.3) {
		dur = r.between(5, 55) // a blip inside one minute
	} else {
		dur = r.between(60, 900)
	}
	end = min(start+dur, b0+outageBlock)
	return start, end, true
}

// downSeconds is how many seconds of the minute ending at m the tunnel was
// down (0..60).
func (f *fleet) downSeconds(a *applianceDef, ti int, m int64) int64 {
	s, e, ok := f.outage(a, ti, m-60)
	if !ok {
		return 0
	}
	lo, hi := max(s, m-60), min(e, m)
	if hi <= lo {
		return 0
	}
	return hi - lo
}

// downAt reports whether the tunnel is down at second t.
func (f *fleet) downAt(a *applianceDef, ti int, t int64) bool {
	s, e, ok := f.outage(a, ti, t)
	return ok && t >= s && t < e
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
