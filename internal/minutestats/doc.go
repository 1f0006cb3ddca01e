// Package minutestats turns an EdgeConnect minute-statistics archive
// (st2-<epoch>.tgz, or a folder holding the same files) into telemetry
// points.
//
// It owns the knowledge of the header-less *_v2.txt members: which column
// means what, how enum and id columns decode, how colliding rows merge and
// which lines are unusable. It reproduces the InfluxDB measurement, tag and
// field names and types of the Python "EdgeConnect Telemetry API Demo" for
// the eight files the demo read (interface, tunnel, flow, boost, drops,
// interface_overlay, tclass, shaper) and adds three measurements the demo
// did not have: tunnel_availability, tunnel_peak_stats and probe_stats.
// docs/minute-stats.md lists every demo defect fixed here.
//
// The archive is read as a stream (gzip, then tar) entirely in memory: no
// temporary files, no extraction, bounded member and total sizes. A bad line
// is skipped and reported as an Issue; it never costs the rest of its file,
// and one file never costs another. ParseArchive returns an error only when
// the archive as a whole cannot be read further, and even then returns the
// points parsed before the damage.
//
// Points are bounded: at most Options.MaxPoints distinct points per archive
// (the excess is counted and reported), and with Options.Emit they are
// handed over in batches of Options.EmitPoints while parsing, so one huge
// archive never holds more than a batch of points at once.
//
// The package does no network I/O, never logs, never writes to disk and
// never reads the clock: every point carries the timestamp column of its
// line. Names come from internal/telemetry; the package invents none.
//
// ParseArchive, ParseDir and DecodePeak are safe for concurrent use; they
// share no state. (A parse's working memory, its gzip reader included, goes
// back to a sync.Pool when the parse ends and serves one later parse at a
// time; nothing of the parse is left in it.) A Result belongs to the
// caller. The Lookups maps in
// Options are only read, so one Lookups value may be shared by concurrent
// parses as long as nobody writes to its maps meanwhile. Options.Emit is
// called from the parsing goroutine only, one call at a time.
package minutestats
