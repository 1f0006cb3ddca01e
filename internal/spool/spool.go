// Package spool keeps points that InfluxDB could not take in a Redis list,
// and writes them once InfluxDB answers again.
//
// Minute statistics do not need it: the appliance keeps its archives for a
// day and the worker's watermark fetches them again. The point-in-time
// sources (CPU, memory, tunnels, alarms, ...) cannot be fetched again, so a
// worker that fails to write them spools them instead of losing them.
//
// Each entry is one gzip-compressed block of line protocol (at most
// MaxPoints lines). Entries are appended at the tail and written from the
// head. An entry leaves the list only after InfluxDB accepted it, so a crash
// between the write and the removal writes it twice, which InfluxDB absorbs
// (a point with the same series and timestamp overwrites itself). One
// replica drains at a time, under a lock with a lease. The list is bounded:
// past MaxEntries the oldest entries are dropped, counted and logged.
package spool

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/ec-telemetry/ec-telemetry/influx"
	"github.com/ec-telemetry/ec-telemetry/internal/metrics"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// Defaults for the zero values of Options.
const (
	DefaultKey        = "ectelemetry:spool"
	DefaultMaxEntries = 50000
	DefaultMaxPoints  = 5000
	DefaultLease      = time.Minute
	// maxEntryBytes bounds one decompressed entry, so a corrupt or hostile
	// entry cannot exhaust memory.
	maxEntryBytes = 64 << 20
)

// Writer writes line protocol; *influx.Writer implements it.
type Writer interface {
	WriteLineProtocol(ctx context.Context, body []byte, n int) (int, error)
}

// Options configures a Spool. Client is required.
type Options struct {
	Client     redis.UniversalClient
	Key        string // Redis list; the lock is Key+":lock"
	MaxEntries int64  // oldest entries beyond this are dropped
	MaxPoints  int    // points per entry
	Lease      time.Duration
	Logger     zerolog.Logger
	Metrics    *metrics.Metrics // optional
}

// Spool is safe for concurrent use, also by several processes sharing one
// Redis.
type Spool struct {
	o Options

	fullMu      sync.Mutex
	fullLogged  time.Time // when "spool full" was last logged
	fullDropped int64     // entries dropped since then
}

// New fills in defaults.
func New(o Options) (*Spool, error) {
	if o.Client == nil {
		return nil, errors.New("spool: Client is required")
	}
	if o.Key == "" {
		o.Key = DefaultKey
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.MaxPoints <= 0 {
		o.MaxPoints = DefaultMaxPoints
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	return &Spool{o: o}, nil
}

// Push appends points to the spool and returns how many it kept. Points
// that cannot be encoded are left out (InfluxDB could never take them);
// the error then says how many. When the list outgrows MaxEntries, the
// oldest entries are dropped and the loss is logged and counted.
func (s *Spool) Push(ctx context.Context, points []telemetry.Point) (int, error) {
	var (
		entries [][]byte
		lines   []byte
		inEntry int
		kept    int
		encErrs int
		encErr  error
	)
	seal := func() error {
		if inEntry == 0 {
			return nil
		}
		z, err := compress(lines)
		if err != nil {
			return err
		}
		entries = append(entries, z)
		kept += inEntry
		lines, inEntry = lines[:0], 0
		return nil
	}
	var le influx.LineEncoder
	for i := range points {
		start := len(lines)
		var err error
		if lines, err = le.AppendLine(lines, points[i]); err != nil {
			lines = lines[:start]
			if encErrs == 0 {
				encErr = err
			}
			encErrs++
			continue
		}
		if inEntry++; inEntry == s.o.MaxPoints {
			if err := seal(); err != nil {
				return 0, err
			}
		}
	}
	if err := seal(); err != nil {
		return 0, err
	}
	if len(entries) > 0 {
		args := make([]any, len(entries))
		for i, e := range entries {
			args[i] = e
		}
		var llen *redis.IntCmd
		_, err := s.o.Client.TxPipelined(ctx, func(p redis.Pipeliner) error {
			llen = p.RPush(ctx, s.o.Key, args...)
			p.LTrim(ctx, s.o.Key, -s.o.MaxEntries, -1)
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("spool %d points in redis list %s: %w", kept, s.o.Key, err)
		}
		s.count("spooled", kept)
		if over := llen.Val() - s.o.MaxEntries; over > 0 {
			s.logFull(over)
			if m := s.o.Metrics; m != nil {
				m.SpoolDroppedEntries.WithLabelValues("full").Add(float64(over))
			}
			s.setGauge(s.o.MaxEntries)
		} else {
			s.setGauge(llen.Val())
		}
	}
	if encErrs > 0 {
		return kept, fmt.Errorf("spool: %d points cannot be encoded and were left out; first: %w", encErrs, encErr)
	}
	return kept, nil
}

// Len returns the number of entries waiting.
func (s *Spool) Len(ctx context.Context) (int64, error) {
	return s.o.Client.LLen(ctx, s.o.Key).Result()
}

// DrainResult says what one Drain did.
type DrainResult struct {
	Entries int   // entries written and removed
	Points  int   // points InfluxDB accepted
	Dropped int   // entries removed unwritten: corrupt, or refused for good by InfluxDB
	Left    int64 // entries still waiting
	Busy    bool  // another process holds the lock; nothing was written
}

// Drain writes spooled entries, oldest first, until the list is empty, the
// writer fails with a retryable error (returned), or ctx ends. Entries
// InfluxDB refuses for good (a 4xx) and entries that cannot be decoded are
// removed, logged and counted, since retrying them can never succeed.
func (s *Spool) Drain(ctx context.Context, w Writer) (res DrainResult, err error) {
	lock := s.o.Key + ":lock"
	token := newToken()
	ok, err := s.o.Client.SetNX(ctx, lock, token, s.o.Lease).Result()
	if err != nil {
		return res, fmt.Errorf("spool lock %s: %w", lock, err)
	}
	defer func() { // res is the named result: Left is filled in on every return
		if n, err := s.Len(context.WithoutCancel(ctx)); err == nil {
			res.Left = n
			s.setGauge(n)
		}
	}()
	if !ok {
		res.Busy = true
		return res, nil
	}
	defer func() {
		// Release only our own lock: it may have expired and been taken.
		releaseScript.Run(context.WithoutCancel(ctx), s.o.Client, []string{lock}, token)
	}()
	for ctx.Err() == nil {
		if ok, err := extendScript.Run(ctx, s.o.Client, []string{lock}, token, s.o.Lease.Milliseconds()).Bool(); err != nil || !ok {
			if err == nil {
				err = errors.New("lease lost")
			}
			return res, fmt.Errorf("spool lock %s: %w", lock, err)
		}
		entry, err := s.o.Client.LIndex(ctx, s.o.Key, 0).Bytes()
		if errors.Is(err, redis.Nil) {
			return res, nil
		}
		if err != nil {
			return res, fmt.Errorf("spool read %s: %w", s.o.Key, err)
		}
		body, err := decompress(entry)
		if err != nil {
			s.o.Logger.Error().Err(err).Msg("spool: dropping an entry that cannot be decoded")
			if err := s.remove(ctx, entry); err != nil {
				return res, err
			}
			res.Dropped++
			s.countDropped("corrupt")
			continue
		}
		n := bytes.Count(body, []byte("\n"))
		if len(body) > 0 && body[len(body)-1] != '\n' {
			n++
		}
		accepted, werr := w.WriteLineProtocol(ctx, body, n)
		if werr != nil && influx.Retryable(werr) {
			return res, fmt.Errorf("spool replay of %d points: %w", n, werr)
		}
		if err := s.remove(ctx, entry); err != nil {
			return res, err
		}
		res.Points += accepted
		s.count("replayed", accepted)
		if werr != nil {
			s.o.Logger.Error().Err(werr).Int("points", n-accepted).Msg("spool: InfluxDB refused spooled points for good; dropped")
			res.Dropped++
			s.countDropped("refused")
			continue
		}
		res.Entries++
	}
	return res, ctx.Err()
}

// Run drains the spool every interval until ctx ends, logging when a
// backlog has been written and when replaying fails (once per failure
// spell, not every interval).
func (s *Spool) Run(ctx context.Context, w Writer, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	failing := false
	for {
		res, err := s.Drain(ctx, w)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			if !failing {
				s.o.Logger.Warn().Err(err).Int64("entries_waiting", res.Left).Msg("spool: replay paused, retrying")
			}
			failing = true
		case res.Busy: // another process replays: it says what it wrote
		default:
			switch {
			case res.Entries > 0:
				s.o.Logger.Info().Int("entries", res.Entries).Int("points", res.Points).Int("dropped", res.Dropped).
					Int64("entries_waiting", res.Left).Msg("spool: spooled points written to InfluxDB")
			case failing: // nothing left to write here: another process wrote it, or it was dropped
				s.o.Logger.Info().Int("dropped", res.Dropped).Int64("entries_waiting", res.Left).Msg("spool: replay works again")
			}
			failing = false
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// logFull logs dropped entries at most once a minute per process: with a
// full spool every job drops one.
func (s *Spool) logFull(dropped int64) {
	s.fullMu.Lock()
	defer s.fullMu.Unlock()
	s.fullDropped += dropped
	if time.Since(s.fullLogged) < time.Minute {
		return
	}
	s.o.Logger.Error().Int64("entries_dropped", s.fullDropped).Int64("max_entries", s.o.MaxEntries).
		Msg("spool full: the oldest spooled points were dropped (InfluxDB has been unavailable for long; raise SPOOL_MAX_ENTRIES to keep more; logged at most once a minute)")
	s.fullLogged, s.fullDropped = time.Now(), 0
}

func (s *Spool) remove(ctx context.Context, entry []byte) error {
	if err := s.o.Client.LRem(context.WithoutCancel(ctx), s.o.Key, 1, entry).Err(); err != nil {
		return fmt.Errorf("spool remove from %s: %w", s.o.Key, err)
	}
	return nil
}

func (s *Spool) count(event string, n int) {
	if m := s.o.Metrics; m != nil && n > 0 {
		m.SpoolPoints.WithLabelValues(event).Add(float64(n))
	}
}

func (s *Spool) countDropped(reason string) {
	if m := s.o.Metrics; m != nil {
		m.SpoolDroppedEntries.WithLabelValues(reason).Inc()
	}
}

func (s *Spool) setGauge(n int64) {
	if m := s.o.Metrics; m != nil {
		m.SpoolEntries.Set(float64(n))
	}
}

// releaseScript deletes the lock only when it still holds our token.
var releaseScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)

// extendScript renews the lease only when the lock still holds our token.
var extendScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end return 0`)

func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func compress(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func decompress(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("spool entry: %w", err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, maxEntryBytes+1))
	if err != nil {
		return nil, fmt.Errorf("spool entry: %w", err)
	}
	if len(out) > maxEntryBytes {
		return nil, fmt.Errorf("spool entry: larger than %d bytes decompressed", maxEntryBytes)
	}
	return out, nil
}
