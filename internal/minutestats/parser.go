package minutestats

import (
	"encoding/binary"
	"fmt"
	"math"
	"path"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/klauspost/compress/gzip"

	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// sentinel is the invalid-counter marker (2^64-1) written by ECOS releases
// before 9.1.3.0 and 9.2.2.0.
const sentinel = "18446744073709551615"

// The minute timestamp must lie in [minTimestamp, maxTimestamp]
// (2000-01-01 to the year 2242); anything else is a corrupt cell, not a
// minute an appliance reported.
const (
	minTimestamp = 946684800
	maxTimestamp = 1 << 33
)

// parser holds the state of one ParseArchive or ParseDir call. It is not
// shared between calls.
type parser struct {
	opt Options
	res *Result

	members  map[string]bool // base names already parsed
	index    map[string]int  // merge key -> point number (emitted + index in res.Points)
	emitted  int             // points handed to Options.Emit
	stopErr  error           // Options.Emit failed: the parse ends
	reported map[string]bool // once-per-file issue keys of the current member

	// Per line, reused.
	cols    []string
	tags    []kv
	tagRow  telemetry.Tags   // a point's tags, for emit to copy
	row     telemetry.Fields // the line's fields, for emit to copy
	row2    telemetry.Fields // a second point's fields (tunnel peaks)
	perms   []permCache      // the key order of recent rows, by measurement
	key     []byte
	keyText []byte // the bytes of the keys of index, one after the other
	pending []pendingIssue
	buf     []byte       // copy buffer for reading members
	zr      *gzip.Reader // reused by every archive this parser reads

	// Storage the points' tags and fields are cut from, a chunk at a time:
	// a point then costs no allocation of its own. Chunks belong to the
	// points once handed out, so they are never reused by another parse.
	tagSlab   []telemetry.Tag
	fieldSlab []telemetry.Field

	// emitBuf gathers the points for Options.Emit, kept from parse to parse
	// (it holds no point between them).
	emitBuf []telemetry.Point

	// Current member.
	file string
	line int
	cur  *FileSummary
}

type kv struct{ k, v string }

// permCache remembers the key order of the last row of a measurement and
// the permutation that sorts it: the rows of a file mostly have the same
// keys in the same order, so emit sorts once per file, not once per row.
type permCache struct {
	meas string
	keys []string
	perm []int
}

// slabSize is how many tags or fields one chunk of a parser's storage
// holds (a steady appliance-minute uses a few thousand fields).
const slabSize = 512

type pendingIssue struct {
	reason string
	once   string // dedupe key within the member, "" for none
}

func newParser(opt Options) (*parser, error) {
	if err := opt.validate(); err != nil {
		return nil, fmt.Errorf("minute stats options: %w", err)
	}
	p, _ := parsers.Get().(*parser)
	if p == nil {
		p = &parser{
			members:  make(map[string]bool, len(knownFiles)),
			index:    make(map[string]int, 256),
			reported: make(map[string]bool),
			cols:     make([]string, 0, 80),
			tags:     make([]kv, 0, 8),
			key:      make([]byte, 0, 128),
		}
	}
	p.opt, p.res = opt.withDefaults(), &Result{}
	if p.opt.Emit != nil {
		// The points go to Emit, which copies them: the slice that gathers
		// them is the parser's to keep.
		p.res.Points, p.emitBuf = p.emitBuf, nil
	}
	return p, nil
}

// parsers holds parsers whose parse ended, so that the next parse reuses
// their maps, buffers and gzip reader instead of allocating them again.
var parsers sync.Pool

// maxPooledIndex is the largest merge index a parser keeps for reuse; a
// parser that needed more gives its map up to the garbage collector.
const maxPooledIndex = 4096

// maxPooledKeyText is the most key bytes (see indexKey) a parser keeps
// for reuse: those of about maxPooledIndex keys.
const maxPooledKeyText = 256 << 10

// maxPooledPoints is the largest Emit buffer a parser keeps for reuse.
const maxPooledPoints = DefaultEmitPoints

// release returns p to the pool: it drops everything that belonged to its
// parse (options, result, text of the members) and keeps the storage. p
// must not be used afterwards.
func (p *parser) release() {
	if len(p.index) > maxPooledIndex {
		p.index = make(map[string]int, 256)
	}
	if cap(p.keyText) > maxPooledKeyText {
		p.keyText = nil
	}
	clear(p.members)
	clear(p.index)
	clear(p.reported)
	clear(p.cols[:cap(p.cols)])
	clear(p.tags[:cap(p.tags)])
	clear(p.pending[:cap(p.pending)])
	clear(p.tagRow[:cap(p.tagRow)])
	clear(p.row[:cap(p.row)])
	clear(p.row2[:cap(p.row2)])
	*p = parser{
		members: p.members, index: p.index, reported: p.reported,
		cols: p.cols[:0], tags: p.tags[:0], key: p.key[:0], keyText: p.keyText[:0], pending: p.pending[:0],
		tagRow: p.tagRow[:0], row: p.row[:0], row2: p.row2[:0], perms: p.perms[:0],
		buf: p.buf, zr: p.zr, emitBuf: p.emitBuf,
	}
	parsers.Put(p)
}

// seen marks a base name as parsed and reports whether it already was.
func (p *parser) seen(base string) bool {
	if p.members[base] {
		return true
	}
	p.members[base] = true
	return false
}

// handOver passes the points gathered so far to Options.Emit, if set.
func (p *parser) handOver() {
	if p.opt.Emit == nil || len(p.res.Points) == 0 || p.stopErr != nil {
		return
	}
	if err := p.opt.Emit(p.res.Points); err != nil {
		p.stopErr = fmt.Errorf("hand over points: %w", err)
	}
	p.emitted += len(p.res.Points)
	clear(p.res.Points) // the receiver holds the maps now, not this parser
	p.res.Points = p.res.Points[:0]
}

// finish hands over the last points, fills Result.Missing and returns the
// error of Options.Emit, if any.
func (p *parser) finish() error {
	p.handOver()
	if p.opt.Emit != nil {
		if cap(p.res.Points) <= maxPooledPoints {
			clear(p.res.Points) // left after a failed Emit: not to be pinned by the pool
			p.emitBuf = p.res.Points[:0]
		}
		p.res.Points = nil
	}
	for _, f := range knownFiles {
		if !p.members[f] {
			p.res.Missing = append(p.res.Missing, f)
		}
	}
	return p.stopErr
}

func (p *parser) issue(file string, line int, reason string) {
	p.res.IssueCount++
	if len(p.res.Issues) < MaxIssues {
		p.res.Issues = append(p.res.Issues, Issue{File: file, Line: line, Reason: reason})
	}
}

// note queues an issue of the current line; it is recorded only if the line
// is kept.
func (p *parser) note(reason string) {
	p.pending = append(p.pending, pendingIssue{reason: reason})
}

// noteOnce is note, reported only for the first kept line of the member
// that raises the same key.
func (p *parser) noteOnce(key, reason string) {
	p.pending = append(p.pending, pendingIssue{reason: reason, once: key})
}

// parseMember parses one member. name is the member path used in issues.
func (p *parser) parseMember(name, data string) {
	base := path.Base(name)
	parse := lineParser(base)
	if parse == nil {
		return
	}
	p.members[base] = true
	p.res.Files = append(p.res.Files, FileSummary{Name: name})
	p.cur = &p.res.Files[len(p.res.Files)-1]
	p.file = name
	p.line = 0
	clear(p.reported)
	for data != "" && p.stopErr == nil {
		var line string
		if i := strings.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, ""
		}
		p.line++
		p.cur.Lines++
		p.pending = p.pending[:0]
		line = strings.TrimSuffix(line, "\r")
		reason := "blank line"
		if !isBlank(line) {
			p.cols = splitComma(p.cols[:0], line)
			reason = parse(p, line)
		}
		if reason != "" {
			p.cur.Skipped++
			p.issue(p.file, p.line, reason)
			continue
		}
		for _, pi := range p.pending {
			if pi.once != "" {
				if p.reported[pi.once] {
					continue
				}
				p.reported[pi.once] = true
			}
			p.issue(p.file, p.line, pi.reason)
		}
	}
	if p.cur.Dropped > 0 {
		p.issue(p.file, 0, fmt.Sprintf("the archive reached the limit of %d points: %d more points of this file dropped", p.opt.MaxPoints, p.cur.Dropped))
	}
	p.cur = nil
}

func isBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\r', '\v', '\f':
		default:
			return false
		}
	}
	return true
}

// splitComma appends the comma-separated cells of line to dst. A plain
// loop: cells are a few bytes long, too short for strings.IndexByte to pay
// for its call.
func splitComma(dst []string, line string) []string {
	start := 0
	for i := 0; i < len(line); i++ {
		if line[i] == ',' {
			dst = append(dst, line[start:i])
			start = i + 1
		}
	}
	return append(dst, line[start:])
}

// emit adds a point built from p.tags (in the measurement's tag order),
// fields and ts, or merges it into an earlier point with the same identity.
// fields is scratch space: emit copies what it keeps.
func (p *parser) emit(meas string, fields telemetry.Fields, ts time.Time) {
	p.key = append(p.key[:0], meas...)
	for _, t := range p.tags {
		p.key = append(p.key, 0)
		p.key = append(p.key, t.v...)
	}
	p.key = append(p.key, 0)
	p.key = binary.BigEndian.AppendUint64(p.key, uint64(ts.Unix()))
	if i, ok := p.index[string(p.key)]; ok {
		if i < p.emitted {
			p.note(fmt.Sprintf("same %s series and minute as a point already handed over (more than %d points ago): row not merged, dropped", meas, p.opt.EmitPoints))
			return
		}
		p.merge(&p.res.Points[i-p.emitted], fields)
		p.cur.Merged++
		return
	}
	if p.emitted+len(p.res.Points) >= p.opt.MaxPoints {
		p.cur.Dropped++
		p.res.Dropped++
		return
	}
	p.tagRow = append(p.tagRow[:0], telemetry.Tag{Key: telemetry.TagApplianceID, Value: p.opt.ApplianceID},
		telemetry.Tag{Key: telemetry.TagHostname, Value: p.opt.Hostname})
	if p.opt.Orchestrator != "" {
		p.tagRow = append(p.tagRow, telemetry.Tag{Key: telemetry.TagOrchestrator, Value: p.opt.Orchestrator})
	}
	for _, t := range p.tags {
		if t.v != "" { // an empty optional tag is left out, as InfluxDB does
			p.tagRow = append(p.tagRow, telemetry.Tag{Key: t.k, Value: t.v})
		}
	}
	tags := p.newTags(len(p.tagRow))
	copy(tags, p.tagRow)
	out := p.newFields(len(fields))
	for i, j := range p.keyOrder(meas, fields) {
		out[i] = fields[j]
	}
	p.index[p.indexKey()] = p.emitted + len(p.res.Points)
	p.res.Points = append(p.res.Points, telemetry.Point{Measurement: meas, Tags: tags, Fields: out, Time: ts})
	p.cur.Points++
	if len(p.res.Points) >= p.opt.EmitPoints {
		p.handOver()
	}
}

// indexKey returns p.key as a string for index: its bytes are appended to
// keyText and the string is a view of them, so a point's key costs no
// allocation of its own. The bytes are never written again while index
// holds the key: keyText only grows until release, which clears index
// before it reuses keyText. A reallocation of keyText leaves the earlier
// keys on the old array, which they keep alive.
func (p *parser) indexKey() string {
	start := len(p.keyText)
	p.keyText = append(p.keyText, p.key...)
	return unsafe.String(unsafe.SliceData(p.keyText[start:]), len(p.key))
}

// keyOrder returns the positions of fields in key order, which the line
// encoder then writes without sorting.
func (p *parser) keyOrder(meas string, fields telemetry.Fields) []int {
	var c *permCache
	for i := range p.perms {
		if p.perms[i].meas == meas {
			c = &p.perms[i]
			break
		}
	}
	if c == nil {
		// An entry of an earlier parse keeps its slices for this one.
		p.perms = slices.Grow(p.perms, 1)[:len(p.perms)+1]
		c = &p.perms[len(p.perms)-1]
		c.meas = meas
	} else if len(c.keys) == len(fields) {
		same := true
		for i := range fields {
			if fields[i].Key != c.keys[i] {
				same = false
				break
			}
		}
		if same {
			return c.perm
		}
	}
	c.keys, c.perm = c.keys[:0], c.perm[:0]
	for i := range fields {
		c.keys = append(c.keys, fields[i].Key)
		c.perm = append(c.perm, i)
	}
	slices.SortFunc(c.perm, func(a, b int) int { return strings.Compare(fields[a].Key, fields[b].Key) })
	return c.perm
}

// newTags and newFields cut n tags or fields from the parser's storage.
// The result's capacity is n: appending to it (a merge adding a field)
// copies it instead of overwriting a neighbour.
func (p *parser) newTags(n int) telemetry.Tags {
	if a := p.opt.Arena; a != nil {
		return a.tags.cut(n)
	}
	return cut(&p.tagSlab, n)
}

func (p *parser) newFields(n int) telemetry.Fields {
	if a := p.opt.Arena; a != nil {
		return a.fields.cut(n)
	}
	return cut(&p.fieldSlab, n)
}

func cut[E any](slab *[]E, n int) []E {
	if len(*slab) < n {
		*slab = make([]E, max(n, slabSize))
	}
	s := (*slab)[:n:n]
	*slab = (*slab)[n:]
	return s
}

type mergeRule uint8

const (
	mergeSum mergeRule = iota
	mergeMax
	mergeMin
	mergeFirst
)

// ruleFor says how two colliding values of a field combine: counters add
// up, configured limits and worst-case gauges keep the maximum, "higher is
// better" gauges the minimum, and text, flags and values of unknown meaning
// keep the first row's value.
func ruleFor(meas, field string, v telemetry.Value) mergeRule {
	switch field {
	case telemetry.FieldMaxBandwidthTx, telemetry.FieldMaxBandwidthRx,
		telemetry.FieldMaxBWTx, telemetry.FieldMaxBWRx,
		telemetry.FieldBoostConfiguredKbps, telemetry.FieldSecondsNotBoostedInMinute,
		telemetry.FieldAverageLatency,
		telemetry.FieldLossPctPreFEC, telemetry.FieldLossPctPostFEC,
		telemetry.FieldOutOfOrderPctPrePOC, telemetry.FieldOutOfOrderPctPostPOC,
		telemetry.FieldJitterMs, telemetry.FieldDownSeconds:
		return mergeMax
	case telemetry.FieldMinLatency, telemetry.FieldPostFECMOSScore, telemetry.FieldPreFECMOSScore,
		telemetry.FieldAvailabilityPct:
		return mergeMin
	}
	if meas == telemetry.MeasProbeStats {
		return mergeFirst
	}
	switch v.Type() {
	case telemetry.Integer:
		return mergeSum
	case telemetry.Float:
		return mergeMax
	}
	return mergeFirst
}

func (p *parser) merge(dst *telemetry.Point, fields telemetry.Fields) {
	for _, nf := range fields {
		ov, ok := dst.Fields.Value(nf.Key)
		if !ok {
			dst.Fields = append(dst.Fields, nf)
			continue
		}
		switch rule := ruleFor(dst.Measurement, nf.Key, ov); rule {
		case mergeFirst:
		default:
			dst.Fields.SetValue(nf.Key, p.combine(rule, nf.Key, ov, nf.Value))
		}
	}
}

func (p *parser) combine(rule mergeRule, field string, ov, nv telemetry.Value) telemetry.Value {
	if nv.Type() != ov.Type() {
		return ov
	}
	switch ov.Type() {
	case telemetry.Integer:
		o, n := ov.Int(), nv.Int()
		switch rule {
		case mergeMax:
			return telemetry.IntValue(max(o, n))
		case mergeMin:
			return telemetry.IntValue(min(o, n))
		}
		if s := o + n; s >= o { // both are non-negative
			return telemetry.IntValue(s)
		}
		p.note(fmt.Sprintf("sum of merged %s overflows int64, capped", field))
		return telemetry.IntValue(math.MaxInt64)
	case telemetry.Float:
		o, n := ov.Float(), nv.Float()
		if rule == mergeMin {
			return telemetry.FloatValue(min(o, n))
		}
		return telemetry.FloatValue(max(o, n))
	}
	return ov
}

// Cell parsing.

type cellStatus uint8

const (
	cellOK cellStatus = iota
	cellSentinel
	cellBad
)

func trimSpace(s string) string {
	for s != "" && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for s != "" && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// parseDigits parses a non-negative decimal that fits int64 (surrounding
// blanks and leading zeros allowed, as Python's int() allows them). canon
// is the number's text without blanks and leading zeros.
func parseDigits(s string) (v int64, canon string, st cellStatus) {
	s = trimSpace(s)
	if s == sentinel {
		return 0, "", cellSentinel
	}
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	if s == "" || len(s) > 19 {
		return 0, "", cellBad
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i] - '0'
		if c > 9 {
			return 0, "", cellBad
		}
		n = n*10 + uint64(c)
	}
	if n > math.MaxInt64 {
		return 0, "", cellBad
	}
	return int64(n), s, cellOK
}

// parseWord parses an unsigned 64-bit decimal (packed peak words).
func parseWord(s string) (uint64, cellStatus) {
	s = trimSpace(s)
	if s == sentinel {
		return 0, cellSentinel
	}
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	if s == "" || len(s) > 20 {
		return 0, cellBad
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := uint64(s[i] - '0')
		if c > 9 || n > (math.MaxUint64-c)/10 {
			return 0, cellBad
		}
		n = n*10 + c
	}
	return n, cellOK
}

// quote renders a cell for an issue, shortened.
func quote(s string) string {
	const maxLen = 40
	if len(s) > maxLen {
		s = s[:maxLen] + "..."
	}
	return fmt.Sprintf("%q", s)
}

func badCell(col int, what, cell string) string {
	return fmt.Sprintf("column %d (%s): not a non-negative integer: %s", col, what, quote(cell))
}

// timestamp parses the minute timestamp column.
func (p *parser) timestamp(col int) (time.Time, string) {
	v, _, st := parseDigits(p.cols[col])
	switch {
	case st == cellSentinel:
		return time.Time{}, fmt.Sprintf("column %d (timestamp): invalid-counter marker", col)
	case st == cellBad || v < minTimestamp || v > maxTimestamp:
		return time.Time{}, fmt.Sprintf("column %d (timestamp): not an epoch second: %s", col, quote(p.cols[col]))
	}
	return time.Unix(v, 0).UTC(), ""
}

// intField stores cols[col] as the int64 field name. The invalid-counter
// marker omits the field with an issue; any other bad cell returns a skip
// reason.
func (p *parser) intField(fields *telemetry.Fields, col int, name string) string {
	v, _, st := parseDigits(p.cols[col])
	switch st {
	case cellOK:
		*fields = append(*fields, telemetry.IntField(name, v))
	case cellSentinel:
		p.note(fmt.Sprintf("column %d (%s): invalid-counter marker, field omitted", col, name))
	default:
		return badCell(col, name, p.cols[col])
	}
	return ""
}

// intFields stores consecutive columns from first on as the named fields.
func (p *parser) intFields(fields *telemetry.Fields, first int, names ...string) string {
	for i, n := range names {
		if r := p.intField(fields, first+i, n); r != "" {
			return r
		}
	}
	return ""
}

// tagText applies telemetry.TagValue to a text that becomes a tag value,
// noting the repair when it changed anything; what names the text in the
// issue.
func (p *parser) tagText(what, s string) string {
	t := telemetry.TagValue(s)
	if t != s {
		p.noteRepair(what, s)
	}
	return t
}

func (p *parser) noteRepair(what, s string) {
	p.note(fmt.Sprintf("%s %s: control characters, invalid UTF-8 or a trailing backslash replaced by U+FFFD", what, quote(s)))
}

// textTag adds cols[col] as tag key, through telemetry.TagValue. An empty
// cell is allowed unless required (the tag is then left out of the point).
func (p *parser) textTag(col int, key string, required bool) string {
	s := p.cols[col]
	switch {
	case s == "" && !required:
	case s == "":
		return fmt.Sprintf("column %d (%s): empty", col, key)
	case s == sentinel:
		return fmt.Sprintf("column %d (%s): invalid-counter marker", col, key)
	}
	t := telemetry.TagValue(s)
	if t != s { // the issue's text is made only when it is needed
		p.noteRepair(fmt.Sprintf("column %d (%s):", col, key), s)
	}
	p.tags = append(p.tags, kv{key, t})
	return ""
}

// idCell parses a numeric id or enum column used for a tag.
func (p *parser) idCell(col int, key string) (int64, string, string) {
	v, canon, st := parseDigits(p.cols[col])
	switch st {
	case cellSentinel:
		return 0, "", fmt.Sprintf("column %d (%s): invalid-counter marker", col, key)
	case cellBad:
		return 0, "", badCell(col, key, p.cols[col])
	}
	return v, canon, ""
}

// numTag adds a numeric column as tag key, as decimal text.
func (p *parser) numTag(col int, key string) string {
	_, canon, r := p.idCell(col, key)
	if r != "" {
		return r
	}
	p.tags = append(p.tags, kv{key, canon})
	return ""
}

// enum decodes a small numeric column; names[i] is the text of value
// first+i.
type enum struct {
	what  string
	first int64
	names []string
}

var (
	trafficTypes = enum{"traffic type", 1, []string{"optimized_traffic", "passthrough_shaped", "passthrough_unshaped", "all_traffic"}}
	flowTypes    = enum{"flow type", 1, []string{"TCP Accelerated", "TCP Non-Accelerated", "Non-TCP"}}
	directions   = enum{"shaper direction", 0, []string{"outbound", "inbound"}}
)

// enumTag decodes cols[col] with e. An unknown value is tagged
// unknown_<value> and reported once per member.
func (p *parser) enumTag(col int, key string, e enum) string {
	v, canon, r := p.idCell(col, key)
	if r != "" {
		return r
	}
	if i := v - e.first; i >= 0 && i < int64(len(e.names)) {
		p.tags = append(p.tags, kv{key, e.names[i]})
		return ""
	}
	name := "unknown_" + canon
	p.noteOnce(e.what+"\x00"+canon, fmt.Sprintf("column %d: unknown %s %s, tagged %s", col, e.what, canon, name))
	p.tags = append(p.tags, kv{key, name})
	return ""
}

// labelTag resolves an interface label id; iface decides between the WAN
// and LAN maps when both know the id.
func (p *parser) labelTag(col int, iface string) string {
	_, id, r := p.idCell(col, telemetry.TagInterfaceLabel)
	if r != "" {
		return r
	}
	if id == "0" {
		p.tags = append(p.tags, kv{telemetry.TagInterfaceLabel, "None"})
		return ""
	}
	l := p.opt.Lookups
	wan, inWAN := l.WANLabels[id]
	lan, inLAN := l.LANLabels[id]
	var name string
	switch {
	case inWAN && inLAN:
		name = wan
		if len(iface) >= 3 && strings.EqualFold(iface[:3], "lan") {
			name = lan
		}
	case inWAN:
		name = wan
	case inLAN:
		name = lan
	default:
		return p.unknownID(col, telemetry.TagInterfaceLabel, "interface label", id)
	}
	p.tags = append(p.tags, kv{telemetry.TagInterfaceLabel, p.lookupName(col, "interface label", id, name)})
	return ""
}

// overlayTag resolves an overlay id (0 is the underlay).
func (p *parser) overlayTag(col int) string {
	_, id, r := p.idCell(col, telemetry.TagOverlay)
	if r != "" {
		return r
	}
	if id == "0" {
		p.tags = append(p.tags, kv{telemetry.TagOverlay, "underlay"})
		return ""
	}
	name, ok := p.opt.Lookups.Overlays[id]
	if !ok || name == "" {
		return p.unknownID(col, telemetry.TagOverlay, "overlay", id)
	}
	p.tags = append(p.tags, kv{telemetry.TagOverlay, p.lookupName(col, "overlay", id, name)})
	return ""
}

// unknownID tags an id the lookups cannot name as unknown_<id>.
func (p *parser) unknownID(col int, key, what, id string) string {
	tag := "unknown_" + id
	p.noteOnce(what+"\x00"+id, fmt.Sprintf("column %d: unknown %s id %s, tagged %s", col, what, id, tag))
	p.tags = append(p.tags, kv{key, tag})
	return ""
}

// lookupName returns the name the lookups gave an id, through
// telemetry.TagValue; a repair is reported once per file and id.
func (p *parser) lookupName(col int, what, id, name string) string {
	t := telemetry.TagValue(name)
	if t != name {
		p.noteOnce(what+"\x00"+id, fmt.Sprintf("column %d: %s id %s has a name line protocol cannot carry (%s), written as %s", col, what, id, quote(name), quote(t)))
	}
	return t
}

// trafficClassName adds the traffic_class_name field when the lookups name
// the class. Nil TrafficClasses means names are unavailable: no issue.
func (p *parser) trafficClassName(fields *telemetry.Fields, col int, id string) {
	names := p.opt.Lookups.TrafficClasses
	if names == nil {
		return
	}
	name, ok := names[id]
	switch {
	case !ok:
		p.noteOnce("traffic class\x00"+id, fmt.Sprintf("column %d: unknown traffic class id %s, %s omitted", col, id, telemetry.FieldTrafficClassName))
	case name == "":
	case !telemetry.TagValueOK(name):
		p.noteOnce("traffic class\x00"+id, fmt.Sprintf("column %d: traffic class id %s has a name not usable in line protocol (%s), %s omitted", col, id, quote(name), telemetry.FieldTrafficClassName))
	default:
		*fields = append(*fields, telemetry.StringField(telemetry.FieldTrafficClassName, name))
	}
}
