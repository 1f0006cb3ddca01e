package logging

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/ec-telemetry/ec-telemetry/internal/redact"
)

// Field names shared by every component, so that the human log file can
// find them.
const (
	FieldHostname    = "hostname"
	FieldApplianceID = "appliance_id"
	FieldAddress     = "address"
	FieldElapsed     = "elapsed"
	FieldService     = "service"
)

// Options configures New.
type Options struct {
	Service     string    // "discovery", "worker", ... (field service)
	Level       string    // error, warn, info, debug
	Format      string    // json or console for stdout
	Stdout      io.Writer // defaults to os.Stdout
	File        string    // human log file; "" disables it
	MaxBytes    int64     // rotate the file at this size
	MaxBackups  int       // rotated files kept
	ContainerID string    // "cid" in the human file; defaults to os.Hostname()
	Secrets     []string  // values replaced by *** wherever, and in whatever encoding, they would appear
}

// New returns the root logger and a close function that flushes and closes
// the log file.
func New(opts Options) (zerolog.Logger, func() error, error) {
	lvl, err := zerolog.ParseLevel(opts.Level)
	if err != nil || opts.Level == "" {
		lvl = zerolog.InfoLevel
	}
	out := opts.Stdout
	if out == nil {
		out = os.Stdout
	}
	if opts.Format == "console" {
		color := false
		if f, ok := out.(*os.File); ok {
			color = isatty.IsTerminal(f.Fd())
		}
		out = zerolog.ConsoleWriter{Out: out, TimeFormat: time.RFC3339, NoColor: !color}
	}
	writers := []io.Writer{out}
	closeFn := func() error { return nil }
	if opts.File != "" {
		cid := opts.ContainerID
		if cid == "" {
			cid, _ = os.Hostname()
		}
		if err := os.MkdirAll(filepath.Dir(opts.File), 0o755); err != nil {
			return zerolog.Nop(), closeFn, fmt.Errorf("log file: %w", err)
		}
		maxMB := int((opts.MaxBytes + (1 << 20) - 1) >> 20)
		if maxMB < 1 {
			maxMB = 1
		}
		rot := &lumberjack.Logger{Filename: PerProcessFile(opts.File, cid), MaxSize: maxMB, MaxBackups: opts.MaxBackups}
		// The human line unescapes the JSON event once: redact it again.
		out := &redacting{w: rot, rep: redact.NewReplacer(opts.Secrets, 4)}
		writers = append(writers, &HumanWriter{Out: out, ContainerID: cid})
		closeFn = rot.Close
	}
	w := NewRedactor(zerolog.MultiLevelWriter(writers...), opts.Secrets)
	l := zerolog.New(w).Level(lvl).With().Timestamp().Str(FieldService, opts.Service).Logger()
	return l, closeFn, nil
}

// UseIntegerMilliseconds makes every Dur field an integer number of
// milliseconds ("duration":57338) instead of zerolog's default float
// ("duration":57338.291877). zerolog keeps this in package variables, with
// no per-logger option, so main calls it once before any logger is built
// and nothing else changes them. The human log file shows durations in
// seconds either way.
func UseIntegerMilliseconds() {
	zerolog.DurationFieldUnit = time.Millisecond
	zerolog.DurationFieldFormat = zerolog.DurationFormatInt
}

// durationFields are the Dur fields the human log file shows in seconds
// (zerolog writes milliseconds); elapsed has its own place in the line.
var durationFields = map[string]bool{"duration": true, "retry_in": true, "interval": true, "shutdown_timeout": true}

// PerProcessFile inserts the container id before the extension of path:
// /logging/ec-telemetry.log → /logging/ec-telemetry-<cid>.log. Rotation
// tracks the size in memory, so two processes must never share one file;
// with WORKER_COUNT replicas on one volume each writes its own.
func PerProcessFile(path, cid string) string {
	if cid == "" {
		return path
	}
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "-" + cid + ext
}

// HumanWriter turns zerolog JSON events into the demo's human log lines.
type HumanWriter struct {
	Out         io.Writer
	ContainerID string
	mu          sync.Mutex
}

var levelNames = map[string]string{
	"trace": "DEBUG", "debug": "DEBUG", "info": "INFO", "warn": "WARNING",
	"error": "ERROR", "fatal": "CRITICAL", "panic": "CRITICAL",
}

// reserved keys are rendered in fixed places, not as key=value.
var reserved = map[string]bool{
	zerolog.TimestampFieldName: true, zerolog.LevelFieldName: true, zerolog.MessageFieldName: true,
	FieldHostname: true, FieldAddress: true, FieldElapsed: true, FieldService: true,
}

// Write implements io.Writer for one JSON event.
func (h *HumanWriter) Write(p []byte) (int, error) {
	var ev map[string]any
	dec := json.NewDecoder(bytes.NewReader(p))
	dec.UseNumber()
	if err := dec.Decode(&ev); err != nil {
		return len(p), nil // not an event: nothing to render
	}
	var b strings.Builder
	ts := time.Now()
	if s, ok := ev[zerolog.TimestampFieldName].(string); ok {
		if t, err := time.Parse(zerolog.TimeFieldFormat, s); err == nil {
			ts = t
		}
	}
	b.WriteString(ts.Format("2006-01-02 15:04:05,000"))
	lvl, _ := ev[zerolog.LevelFieldName].(string)
	name := levelNames[lvl]
	if name == "" {
		name = strings.ToUpper(lvl)
	}
	b.WriteString(" - " + name + " - ")
	if host, ok := ev[FieldHostname].(string); ok {
		addr, _ := ev[FieldAddress].(string)
		fmt.Fprintf(&b, "cid: %s - %s @ %s - ", h.ContainerID, host, addr)
		if el, ok := ev[FieldElapsed].(json.Number); ok {
			if f, err := el.Float64(); err == nil {
				fmt.Fprintf(&b, "%.4f: ", f/1000) // zerolog durations are in ms
			}
		} else {
			b.WriteString("0.0000: ")
		}
	}
	msg, _ := ev[zerolog.MessageFieldName].(string)
	b.WriteString(msg)
	keys := make([]string, 0, len(ev))
	for k := range ev {
		if !reserved[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i == 0 {
			b.WriteString(" -")
		}
		if n, ok := ev[k].(json.Number); ok && durationFields[k] {
			if f, err := n.Float64(); err == nil {
				fmt.Fprintf(&b, " %s=%.3fs", k, f/1000)
				continue
			}
		}
		fmt.Fprintf(&b, " %s=%v", k, ev[k])
	}
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, err := io.WriteString(h.Out, b.String()); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Redactor replaces secret values in everything written through it: every
// form a secret can take on its way into a line (raw, JSON-escaped at any
// depth up to redact.MaxDepth, URL-encoded, HTML-escaped, base64; see
// redact.Forms), so a password a server echoed inside an error text is
// hidden as well as the raw value.
type Redactor struct {
	w   zerolog.LevelWriter
	rep *redact.Replacer
}

// NewRedactor wraps w. Secrets shorter than 4 bytes are ignored: replacing
// them would mangle ordinary text and they are not worth protecting that way.
func NewRedactor(w zerolog.LevelWriter, secrets []string) *Redactor {
	return &Redactor{w: w, rep: redact.NewReplacer(secrets, 4)}
}

func (r *Redactor) redact(p []byte) []byte { return r.rep.Bytes(p, redact.Mask) }

// redacting is an io.Writer that hides secrets before writing to w.
type redacting struct {
	w   io.Writer
	rep *redact.Replacer
}

func (r *redacting) Write(p []byte) (int, error) {
	if _, err := r.w.Write(r.rep.Bytes(p, redact.Mask)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Write implements io.Writer.
func (r *Redactor) Write(p []byte) (int, error) {
	if _, err := r.w.Write(r.redact(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// WriteLevel implements zerolog.LevelWriter.
func (r *Redactor) WriteLevel(l zerolog.Level, p []byte) (int, error) {
	if _, err := r.w.WriteLevel(l, r.redact(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}
