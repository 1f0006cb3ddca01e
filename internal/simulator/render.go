package simulator

import (
	"archive/tar"
	"bytes"
	"container/list"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
)

// Member names of an archive, in the order they are written.
const (
	fileInterface    = "interface_v2.txt"
	fileOverlay      = "interface_overlay_v2.txt"
	fileTunnel       = "tunnel_v2.txt"
	fileFlow         = "flow_v2.txt"
	fileBoost        = "boost_v2.txt"
	fileDrops        = "drops_v2.txt"
	fileTClass       = "tclass_v2.txt"
	fileShaper       = "shaper_v2.txt"
	fileAvailability = "tunnel_availability_v2.txt"
	fileProbe        = "probe_v2.txt"
	fileInterfaceCSV = "interface.csv"
	fileTunnelPeak   = "tunnel_peak.csv"
	fileJitter       = "jitter.csv"
	fileMOS          = "mos.csv"
)

// archiveMembers lists the base names of the members of every archive, in
// archive order.
var archiveMembers = []string{fileInterface, fileOverlay, fileTunnel, fileFlow, fileBoost, fileDrops,
	fileTClass, fileShaper, fileAvailability, fileProbe, fileInterfaceCSV, fileTunnelPeak, fileJitter, fileMOS}

// lineWriter appends comma-separated lines to a byte slice.
type lineWriter struct{ b []byte }

func (w *lineWriter) str(s string) {
	w.b = append(w.b, s...)
	w.b = append(w.b, ',')
}

func (w *lineWriter) num(v uint64) {
	if v < 10 { // most counters of a quiet row are 0
		w.b = append(w.b, byte('0'+v), ',')
		return
	}
	w.b = strconv.AppendUint(w.b, v, 10)
	w.b = append(w.b, ',')
}

func (w *lineWriter) nums(vs []uint64) {
	for _, v := range vs {
		w.num(v)
	}
}

// end writes the minute timestamp as last column and the newline.
func (w *lineWriter) end(m int64) {
	w.b = strconv.AppendInt(w.b, m, 10)
	w.b = append(w.b, '\n')
}

// render writes one member of d into w.b.
func (d *minuteData) render(name string, w *lineWriter) {
	id, m := d.a.id, d.m
	switch name {
	case fileInterface:
		for i := range d.ifaces {
			r := &d.ifaces[i]
			w.str(id)
			w.str(r.it.name)
			w.nums(r.v[2 : colsInterface-1])
			w.end(m)
		}
	case fileOverlay:
		for i := range d.overlays {
			r := &d.overlays[i]
			w.str(id)
			w.str(r.it.name)
			w.nums(r.v[2 : colsOverlay-1])
			w.end(m)
		}
	case fileTunnel:
		for i := range d.tunnels {
			r := &d.tunnels[i]
			w.str(id)
			w.str(r.t.id)
			w.str(r.t.alias)
			w.nums(r.v[3:5])
			w.str(r.t.hexID)
			w.nums(r.v[6 : colsTunnel-1])
			w.end(m)
		}
	case fileFlow:
		for i := range d.flows {
			w.str(id)
			w.nums(d.flows[i].v[1 : colsFlow-1])
			w.end(m)
		}
	case fileBoost:
		w.str(id)
		w.nums(d.boost[1 : colsBoost-1])
		w.end(m)
	case fileDrops:
		for _, r := range d.drops {
			w.str(id)
			w.num(uint64(r.code))
			w.num(r.count)
			w.end(m)
		}
	case fileTClass:
		for i := range d.tclass {
			w.str(id)
			w.nums(d.tclass[i].v[1 : colsTClass-1])
			w.end(m)
		}
	case fileShaper:
		for i := range d.shaper {
			w.str(id)
			w.nums(d.shaper[i].v[1 : colsShaper-1])
			w.end(m)
		}
	case fileAvailability:
		for i := range d.tunnels {
			r := &d.tunnels[i]
			if r.t.kind == kindAggregate {
				continue
			}
			w.str(id)
			w.str(r.t.id)
			w.str(r.t.alias)
			w.num(uint64(r.t.overlay))
			w.num(r.t.sdwanFlag())
			w.num(r.t.availKind())
			w.str(r.t.hexID)
			w.num(0)
			w.num(uint64(r.down))
			w.num(0)
			w.num(0)
			w.num(1)
			w.str(r.t.availLabel)
			w.str(r.t.availColor)
			for c := 14; c < colsAvailability-1; c++ {
				w.num(0)
			}
			w.end(m)
		}
	case fileProbe:
		for i := range d.probes {
			r := &d.probes[i]
			w.str(id)
			w.num(uint64(i))
			w.str(r.p.name)
			w.str(r.p.target)
			w.str(r.p.settings)
			w.nums(r.v[:])
			w.end(m)
		}
	case fileInterfaceCSV:
		w.b = append(w.b, "ifname,traftype,bytes_tx,bytes_rx,pkts_tx,pkts_rx,ohead_bytes_tx,ohead_bytes_rx,"+
			"ohead_pkts_tx,ohead_pkts_rx,fwdrops_bytes_tx,fwdrops_bytes_rx,fwdrops_pkts_tx,fwdrops_pkts_rx,"+
			"max_bw_tx,max_bw_rx\n"...)
		for i := range d.ifaces {
			r := &d.ifaces[i]
			w.str(r.it.name)
			w.str(csvTrafficType[r.ttype])
			w.nums(r.v[4:17])
			w.b = strconv.AppendUint(w.b, r.v[17], 10)
			w.b = append(w.b, '\n')
		}
	case fileTunnelPeak:
		d.renderTunnelPeak(w)
	case fileJitter:
		w.b = append(w.b, "tunnel, jitter, peak_jitter, timestamp\n"...)
		for i := range d.tunnels {
			r := &d.tunnels[i]
			if r.t.kind == kindAggregate {
				continue
			}
			w.b = append(w.b, r.t.id...)
			w.b = append(w.b, ", "...)
			w.b = strconv.AppendUint(w.b, r.v[69], 10)
			w.b = append(w.b, ", "...)
			w.b = appendPeakValue(w.b, r.v[70])
			w.b = append(w.b, ", "...)
			w.b = strconv.AppendUint(w.b, peakTime(r.v[70]), 10)
			w.b = append(w.b, '\n')
		}
	case fileMOS:
		w.b = append(w.b, "tunnel, mos_postfec, min_mos_postfec, min_mos_postfec_ts, mos_prefec, min_mos_prefec, "+
			"min_mos_prefec_ts\n"...)
		for i := range d.tunnels {
			r := &d.tunnels[i]
			if r.t.kind == kindAggregate {
				continue
			}
			w.b = append(w.b, r.t.id...)
			for _, c := range [2][2]int{{65, 67}, {66, 68}} { // post-FEC, pre-FEC
				w.b = append(w.b, ", "...)
				w.b = strconv.AppendFloat(w.b, float64(r.v[c[0]])/100, 'f', 2, 64)
				w.b = append(w.b, ", "...)
				w.b = strconv.AppendFloat(w.b, unpack(r.v[c[1]])/100, 'f', 2, 64)
				w.b = append(w.b, ", "...)
				w.b = strconv.AppendUint(w.b, peakTime(r.v[c[1]]), 10)
			}
			w.b = append(w.b, '\n')
		}
	}
}

var csvTrafficType = [5]string{"", "optimized traffic", "pass-through", "pass-through-unshaped", "all traffic"}

// appendPeakValue appends the value of a packed peak word, 0 for none.
func appendPeakValue(b []byte, w uint64) []byte {
	if w == 0 {
		return append(b, '0')
	}
	return strconv.AppendFloat(b, unpack(w), 'f', -1, 64)
}

func peakTime(w uint64) uint64 {
	if w == 0 {
		return 0
	}
	return uint64(uint32(w))
}

// tunnelPeakHeader is the header of tunnel_peak.csv: tunname and 34 value/_ts
// pairs.
var tunnelPeakHeader = func() string {
	names := []string{"bytes_wtx", "bytes_wrx", "bytes_ltx", "bytes_lrx", "pkts_wtx", "pkts_wrx", "pkts_ltx",
		"pkts_lrx", "comp_l2w", "comp_w2l", "comp_noohead_l2w", "comp_noohead_w2l", "latency_s", "latency_min_s",
		"flow_ext_tcp", "flow_ext_tcpacc", "flow_ext_non", "flow_add", "flow_rem", "loss_prefec_wrx_pkts",
		"loss_postfec_wrx_pkts", "loss_prefec_wrx_pct", "loss_postfec_wrx_pct", "ooo_prepoc_wrx_pkts",
		"ooo_postpoc_wrx_pkts", "ooo_prepoc_wrx_pct", "ooo_postpoc_wrx_pct", "ohead_wrx_pkts", "ohead_wtx_pkts",
		"ohead_wrx_bytes", "ohead_wtx_bytes", "ohead_wrx_hdr_bytes", "ohead_wtx_hdr_bytes", "bw_util_pct"}
	b := []byte("tunname")
	for _, n := range names {
		b = append(b, ',')
		b = append(b, n...)
		b = append(b, ',')
		b = append(b, n...)
		b = append(b, "_ts"...)
	}
	return string(append(b, '\n'))
}()

func (d *minuteData) renderTunnelPeak(w *lineWriter) {
	w.b = append(w.b, tunnelPeakHeader...)
	pair := func(word uint64) {
		w.b = append(w.b, ',')
		w.b = appendPeakValue(w.b, word)
		w.b = append(w.b, ',')
		w.b = strconv.AppendUint(w.b, peakTime(word), 10)
	}
	for i := range d.tunnels {
		r := &d.tunnels[i]
		w.b = append(w.b, r.t.id...)
		for c := 36; c <= 43; c++ {
			pair(r.v[c])
		}
		for k := 0; k < 4; k++ { // compression peaks: not modelled
			pair(0)
		}
		pair(r.v[44])
		// latency_min_s: the real files hold a count of samples with no
		// time here (58 or 60); reproduce that quirk on SD-WAN tunnels.
		if r.t.kind == kindUnderlay || r.t.kind == kindBonded {
			w.b = append(w.b, ',')
			w.b = strconv.AppendInt(w.b, int64(60-r.down), 10)
			w.b = append(w.b, ",0"...)
		} else {
			pair(0)
		}
		for c := 45; c <= 49; c++ {
			pair(r.v[c])
		}
		for k := 0; k < 15; k++ { // loss, reorder, overhead and utilisation peaks: not modelled
			pair(0)
		}
		w.b = append(w.b, '\n')
	}
}

// archiveBuilder holds the reusable buffers of one archive generation.
type archiveBuilder struct {
	line  lineWriter
	out   bytes.Buffer
	gz    *gzip.Writer
	level int // of gz
}

var builderPool = sync.Pool{New: func() any { return &archiveBuilder{} }}

// gzipLevel is the compress/gzip level of an ArchiveCompression.
func (c ArchiveCompression) gzipLevel() int {
	if c == ArchiveCompressionNone {
		return gzip.NoCompression
	}
	return gzip.BestSpeed
}

// buildArchive renders d as st2-<m>.tgz: a gzip tar with one directory
// st2-<m>/ holding every member, compressed as c says. The result is a
// fresh slice owned by the caller; the bytes depend only on d and c.
func buildArchive(d *minuteData, c ArchiveCompression) ([]byte, error) {
	return buildArchiveRows(d, 0, c)
}

// buildArchiveRows is buildArchive with extraInterfaceRows distinct rows
// appended to interface_v2.txt (Fault.ExtraInterfaceRows).
func buildArchiveRows(d *minuteData, extraInterfaceRows int, c ArchiveCompression) ([]byte, error) {
	b := builderPool.Get().(*archiveBuilder)
	defer builderPool.Put(b)
	if lvl := c.gzipLevel(); b.gz == nil || b.level != lvl {
		b.gz, _ = gzip.NewWriterLevel(&b.out, lvl) // both levels are valid
		b.level = lvl
	}
	b.out.Reset()
	b.gz.Reset(&b.out)
	tw := tar.NewWriter(b.gz)
	dir := "st2-" + strconv.FormatInt(d.m, 10) + "/"
	mt := time.Unix(d.m, 0).UTC()
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: 0o755, ModTime: mt,
		Format: tar.FormatUSTAR}); err != nil {
		return nil, fmt.Errorf("write archive directory: %w", err)
	}
	for _, name := range archiveMembers {
		b.line.b = b.line.b[:0]
		d.render(name, &b.line)
		if name == fileInterface {
			d.renderExtraInterfaces(extraInterfaceRows, &b.line)
		}
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: dir + name, Mode: 0o644, Size: int64(len(b.line.b)),
			ModTime: mt, Format: tar.FormatUSTAR}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("write archive member %s: %w", name, err)
		}
		if _, err := tw.Write(b.line.b); err != nil {
			return nil, fmt.Errorf("write archive member %s: %w", name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("close tar: %w", err)
	}
	if err := b.gz.Close(); err != nil {
		return nil, fmt.Errorf("close gzip: %w", err)
	}
	return bytes.Clone(b.out.Bytes()), nil
}

// archiveCache is an LRU of generated archives bounded by total bytes.
type archiveCache struct {
	mu    sync.Mutex
	limit int64
	size  int64
	ll    *list.List
	items map[archiveKey]*list.Element
}

type archiveKey struct {
	app    int
	minute int64
}

type cacheEntry struct {
	key  archiveKey
	data []byte
}

func newArchiveCache(limit int64) *archiveCache {
	return &archiveCache{limit: limit, ll: list.New(), items: map[archiveKey]*list.Element{}}
}

func (c *archiveCache) get(k archiveKey) ([]byte, bool) {
	if c.limit <= 0 {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[k]
	if !ok {
		return nil, false
	}
	c.ll.MoveToFront(e)
	return e.Value.(*cacheEntry).data, true
}

func (c *archiveCache) put(k archiveKey, data []byte) {
	if c.limit <= 0 || int64(len(data)) > c.limit {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[k]; ok {
		return
	}
	c.items[k] = c.ll.PushFront(&cacheEntry{key: k, data: data})
	c.size += int64(len(data))
	for c.size > c.limit {
		e := c.ll.Back()
		ce := e.Value.(*cacheEntry)
		c.ll.Remove(e)
		delete(c.items, ce.key)
		c.size -= int64(len(ce.data))
	}
}
