package simulator

import "fmt"

// This file holds the faults the alerting tests inject (Fault.TunnelQuality,
// Fault.SystemBandwidthKbps) and TakeOffline: an appliance whose tunnels
// degrade, whose deployment bandwidth is too small for its traffic, or that
// goes away while serving.

// TunnelQuality overrides the quality of every underlay and overlay
// (bonded) tunnel in the minute statistics of an appliance. A zero field
// keeps the modelled value.
type TunnelQuality struct {
	// LossPct is the post-FEC loss (tunnel_v2.txt, percent; the file holds
	// percent x 100).
	LossPct float64
	// LatencyMs is the average latency (the file holds ms x 100).
	LatencyMs float64
	// JitterMs is the jitter (the file holds ms x 100).
	JitterMs float64
}

// tunnel_v2.txt columns TunnelQuality overrides (fillTunnelQuality writes
// them).
const (
	colTunnelAvgLatency  = 14
	colTunnelLossPctPost = 24
	colTunnelJitter      = 69
)

func (q TunnelQuality) validate() error {
	if q.LossPct < 0 || q.LossPct > 100 || q.LatencyMs < 0 || q.JitterMs < 0 {
		return fmt.Errorf("fault tunnel quality %+v: loss must be within 0..100, latency and jitter not negative", q)
	}
	return nil
}

// apply overrides the quality columns of the SD-WAN tunnel rows of d.
func (q TunnelQuality) apply(d *minuteData) {
	for i := range d.tunnels {
		r := &d.tunnels[i]
		if r.t.kind != kindUnderlay && r.t.kind != kindBonded {
			continue
		}
		if q.LossPct > 0 {
			r.v[colTunnelLossPctPost] = uint64(q.LossPct*100 + 0.5)
		}
		if q.LatencyMs > 0 {
			r.v[colTunnelAvgLatency] = uint64(q.LatencyMs*100 + 0.5)
		}
		if q.JitterMs > 0 {
			r.v[colTunnelJitter] = uint64(q.JitterMs*100 + 0.5)
		}
	}
}

// qualityArchive returns the archive of minute m under a TunnelQuality
// fault, built per request (not cached: the same minute served before the
// fault keeps its cached values).
func (s *Simulator) qualityArchive(t *target, m int64, q TunnelQuality, extraRows int) ([]byte, error) {
	d := s.fleet.generate(t.def, m)
	q.apply(d)
	b, err := buildArchiveRows(d, extraRows, s.cfg.ArchiveCompression)
	if err != nil {
		return nil, fmt.Errorf("appliance %s: build st2-%d.tgz: %w", t.def.id, m, err)
	}
	return b, nil
}

// TakeOffline closes the listener of the appliance id: from then on its
// address refuses connections, as an appliance that lost power. Connections
// already open are not cut. It cannot be undone.
func (s *Simulator) TakeOffline(id string) error {
	t, err := s.appliance(id)
	if err != nil {
		return err
	}
	if t.listener == nil {
		return fmt.Errorf("appliance %s has no listener (unreachable, or the simulator is not started)", id)
	}
	return t.listener.Close()
}
