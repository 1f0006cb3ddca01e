package simulator

import "fmt"

// hostname is the appliance's hostname as served: Fault.Hostname when set.
func (t *target) hostname() string {
	if f := t.fault.Load(); f != nil && f.Hostname != "" {
		return f.Hostname
	}
	return t.def.hostname
}

// servedArchive returns the archive of minute m as the appliance serves it:
// the cached one, or with Fault.ExtraInterfaceRows one built for the
// request.
func (s *Simulator) servedArchive(t *target, m int64) ([]byte, error) {
	n := 0
	if f := t.fault.Load(); f != nil {
		n = f.ExtraInterfaceRows
		if f.TunnelQuality != nil {
			return s.qualityArchive(t, m, *f.TunnelQuality, n)
		}
	}
	if n == 0 {
		return s.archive(t.def, m)
	}
	b, err := buildArchiveRows(s.fleet.generate(t.def, m), n, s.cfg.ArchiveCompression)
	if err != nil {
		return nil, fmt.Errorf("appliance %s: build st2-%d.tgz: %w", t.def.id, m, err)
	}
	return b, nil
}

// renderExtraInterfaces writes n distinct interface_v2.txt rows: interface
// xif<k>, label 0, all traffic, every counter 1 (about 80 bytes a row:
// 200,000 rows are 16 MB, within the parser's member limit).
func (d *minuteData) renderExtraInterfaces(n int, w *lineWriter) {
	for k := range n {
		w.str(d.a.id)
		w.str(fmt.Sprintf("xif%06d", k))
		w.num(0) // label: None
		w.num(4) // traffic type: all_traffic
		for range colsInterface - 5 {
			w.num(1)
		}
		w.end(d.m)
	}
}
