package edgeconnect

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/apijson"
	"github.com/ec-telemetry/ec-telemetry/internal/restapi"
	"github.com/go-json-experiment/json/jsontext"
)

// MinuteRange is the span of minute-statistics archives an appliance holds,
// as epoch seconds of minute boundaries.
type MinuteRange struct {
	Newest int64 // newest archive; always set
	Oldest int64 // oldest archive kept (about 24 h back); 0 when not sent
}

// MinuteRange returns the newest and oldest minute archive:
// GET /stats/minuteRange. Both keys may be numbers or numeric strings;
// a missing newest is a *DecodeError.
func (c *Client) MinuteRange(ctx context.Context) (MinuteRange, error) {
	return getJSON(ctx, c, call{method: http.MethodGet, path: "/stats/minuteRange"}, parseMinuteRange)
}

func parseMinuteRange(b []byte) (MinuteRange, error) {
	var w struct {
		Newest apijson.Int `json:"newest"`
		Oldest apijson.Int `json:"oldest"`
	}
	if err := unmarshal(b, &w); err != nil {
		return MinuteRange{}, err
	}
	var chk apijson.Checker
	r := MinuteRange{Newest: chk.Int("newest", w.Newest), Oldest: w.Oldest.Value}
	return r, chk.Err()
}

// MinuteFile is the name of the archive of one minute: st2-<minute>.tgz.
func MinuteFile(minute int64) string {
	return "st2-" + strconv.FormatInt(minute, 10) + ".tgz"
}

// gzipMagic starts every gzip stream.
var gzipMagic = []byte{0x1f, 0x8b}

// MinuteStats streams the minute-statistics archive of one minute (epoch
// seconds): GET /stats/minuteStats/st2-<minute>.tgz.
//
// The body is not buffered: the caller reads the gzip-compressed tar from
// the returned reader and must Close it. The reader fails with an error
// wrapping ErrTooLarge once more than MaxArchiveBytes arrive, and the whole
// download, reading included, is bounded by ArchiveTimeout. A body that
// does not arrive whole (cut off before its Content-Length, a reset, the
// ArchiveTimeout or ctx ending while it is read) fails with a
// *TransportError, never with a plain EOF, so a caller can tell an
// incomplete download from a complete but damaged archive. A 404 (archive
// not held) wraps ErrNotFound. A body that does not start like gzip (an HTML
// or JSON page) is a *DecodeError. The request is never retried, except for
// the one re-login when the session expired before any byte was read.
func (c *Client) MinuteStats(ctx context.Context, minute int64) (io.ReadCloser, error) {
	cl := call{
		method:   http.MethodGet,
		path:     "/stats/minuteStats/" + MinuteFile(minute),
		accept:   "application/gzip, application/octet-stream, */*",
		identity: true, // the archive is gzip already; never let the transport unpack it
	}
	if minute <= 0 {
		return nil, c.fail(cl, fmt.Errorf("minute %d is not an epoch second", minute))
	}
	fl, err := c.exchange(ctx, cl, c.archiveTimeout)
	if err != nil {
		return nil, err
	}
	resp := fl.Resp
	if resp.ContentLength > c.maxArchive {
		_ = resp.Body.Close()
		fl.Done()
		return nil, c.fail(cl, fmt.Errorf("%w: content length %d exceeds %d bytes", ErrTooLarge, resp.ContentLength, c.maxArchive))
	}
	a := &archive{c: c, cl: cl, ctx: ctx, fl: fl, body: resp.Body, left: c.maxArchive}
	a.br = bufio.NewReaderSize(limitedBody{a}, 4096)
	magic, err := a.br.Peek(len(gzipMagic))
	if err != nil && !errors.Is(err, io.EOF) {
		_ = a.Close()
		return nil, err
	}
	if !bytes.Equal(magic, gzipMagic) {
		head, _ := a.br.Peek(excerptBytes + c.ep.LongestSecret())
		head = bytes.Clone(head)
		_ = a.Close()
		return nil, c.decodeError(cl, resp.Header.Get("Content-Type"), head, -1, errors.New("body is not a gzip archive"))
	}
	return a, nil
}

// TransportError reports that a minute archive did not arrive whole: the
// connection broke off (an unexpected EOF before the promised
// Content-Length, a reset), the download outlasted ArchiveTimeout, or the
// caller's ctx ended while the body was read. The bytes read before it are
// an incomplete archive; fetching it again later may succeed. Find it with
// errors.As; Unwrap gives the cause (io.ErrUnexpectedEOF,
// context.DeadlineExceeded, a net error, ...).
type TransportError struct {
	Err error // the whole error, naming the appliance and the archive
}

// Error implements error.
func (e *TransportError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *TransportError) Unwrap() error { return e.Err }

// archive is the body of a minute download: bounded in size, with errors
// that name the appliance and the file.
type archive struct {
	c    *Client
	cl   call
	ctx  context.Context // the caller's, to tell cancellation from timeout
	fl   *flight
	body io.ReadCloser
	br   *bufio.Reader
	left int64 // bytes still allowed

	err    error       // sticky read error; only the reading goroutine touches it
	closed atomic.Bool // Close may run concurrently with a blocked Read
}

// limitedBody is the raw side of archive, below the peek buffer.
type limitedBody struct{ a *archive }

func (l limitedBody) Read(p []byte) (int, error) {
	a := l.a
	if a.err != nil {
		return 0, a.err
	}
	if int64(len(p)) > a.left+1 {
		p = p[:a.left+1]
	}
	n, err := a.body.Read(p)
	if int64(n) > a.left {
		a.err = a.c.fail(a.cl, fmt.Errorf("%w: archive exceeds %d bytes", ErrTooLarge, a.c.maxArchive))
		n = int(a.left)
		a.left = 0
		return n, a.err
	}
	a.left -= int64(n)
	if errors.Is(err, io.EOF) && a.fl.Expired() {
		// The transport may report a stream cut by the deadline as EOF.
		err = a.fl.Ctx.Err()
	}
	if err != nil && !errors.Is(err, io.EOF) {
		a.err = &TransportError{Err: a.c.transportError(a.ctx, a.cl, a.c.archiveTimeout, "read body", err)}
		return n, a.err
	}
	return n, err
}

// Size returns the archive's length as the appliance announced it
// (Content-Length), -1 when it did not. A reader can size its buffer once
// instead of growing it.
func (a *archive) Size() int64 { return a.fl.Resp.ContentLength }

// Read implements io.Reader. Like any io.Reader it is meant for one
// goroutine at a time.
func (a *archive) Read(p []byte) (int, error) {
	if a.closed.Load() {
		return 0, a.c.fail(a.cl, errors.New("read after close"))
	}
	return a.br.Read(p)
}

// Close releases the connection and the download deadline. It may be called
// more than once, and from another goroutine to abort a blocked Read.
func (a *archive) Close() error {
	if a.closed.Swap(true) {
		return nil
	}
	err := a.body.Close()
	a.fl.Done()
	return err
}

// RealtimeSample is one per-second value of a realtime statistic.
type RealtimeSample struct {
	Time  time.Time // sample time (the appliance sends epoch microseconds)
	Value float64
}

// RealtimeStats returns the last seconds of one realtime statistic:
// POST /stats/realtimeStats with {"type","name","filter"} (all three
// strings, always sent). The demo asks type "trafficType", name "3", filter
// "". The answer maps a counter name (e.g. LRX_PKTS) to its samples, each
// sent as [epoch µs, value].
func (c *Client) RealtimeStats(ctx context.Context, typ, name, filter string) (map[string][]RealtimeSample, error) {
	body, err := json.Marshal(struct {
		Type   string `json:"type"`
		Name   string `json:"name"`
		Filter string `json:"filter"`
	}{typ, name, filter})
	cl := call{method: http.MethodPost, path: "/stats/realtimeStats", body: body}
	if err != nil {
		return nil, c.fail(cl, err)
	}
	return getJSON(ctx, c, cl, parseRealtimeStats)
}

// realtimePair is one [timestamp µs, value] pair.
type realtimePair struct {
	ts  apijson.Int
	val apijson.Float
}

// UnmarshalJSONFrom reads the pair from the decoder's stream: a realtime
// answer is hundreds of pairs, and decoding each element through
// encoding/json again was most of its cost.
func (p *realtimePair) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	*p = realtimePair{}
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	if tok.Kind() != '[' {
		return errors.New("sample is not an array, want [timestamp, value]")
	}
	n := 0
	for dec.PeekKind() != ']' {
		v, err := dec.ReadValue()
		if err != nil {
			return err
		}
		switch n {
		case 0:
			err = p.ts.UnmarshalJSON(v)
		case 1:
			err = p.val.UnmarshalJSON(v)
		}
		if err != nil {
			return err
		}
		n++
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	if n != 2 {
		return fmt.Errorf("sample has %d elements, want [timestamp, value]", n)
	}
	if !p.ts.Valid || !p.val.Valid {
		return errors.New("sample has a null timestamp or value")
	}
	return nil
}

// UnmarshalJSON implements json.Unmarshaler, for decoders that do not
// stream.
func (p *realtimePair) UnmarshalJSON(b []byte) error { return restapi.UnmarshalFrom(b, p) }

func parseRealtimeStats(b []byte) (map[string][]RealtimeSample, error) {
	var w map[string][]realtimePair
	if err := unmarshal(b, &w); err != nil {
		return nil, err
	}
	if w == nil {
		return nil, errors.New("answer is null, want an object")
	}
	out := make(map[string][]RealtimeSample, len(w))
	for k, pairs := range w {
		s := make([]RealtimeSample, 0, len(pairs))
		for _, p := range pairs {
			s = append(s, RealtimeSample{Time: time.UnixMicro(p.ts.Value).UTC(), Value: p.val.Value})
		}
		out[k] = s
	}
	return out, nil
}
