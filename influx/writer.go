package influx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/influxdata/influxdb-client-go/v2/api"
	influxhttp "github.com/influxdata/influxdb-client-go/v2/api/http"

	"github.com/ec-telemetry/ec-telemetry/internal/redact"
	"github.com/ec-telemetry/ec-telemetry/internal/restapi"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// Defaults for the zero values of Options.
const (
	DefaultBatchSize    = 5000
	DefaultTimeout      = 10 * time.Second
	DefaultMaxRetries   = 3
	DefaultMaxRetryWait = 30 * time.Second
	// DefaultMaxConcurrentWrites: hundreds of jobs writing at once held
	// hundreds of request bodies; 16 cut an overloaded InfluxDB 1.8's
	// throughput (make bench N=5000), 64 did not.
	DefaultMaxConcurrentWrites = 64
)

// firstBackoff is the wait before the first retry when the server gives no
// Retry-After; it doubles for every further retry, up to MaxRetryWait.
const firstBackoff = time.Second

// maxMessage bounds the server reason kept in a WriteError.
const maxMessage = 1024

// Options configures a Writer. Zero values take the defaults.
type Options struct {
	// URL is the server's base URL, e.g. "http://influxdb:8086".
	URL string
	// Token is an InfluxDB 2.x/3 API token. For InfluxDB 1.8 it is
	// "user:password", or "" when authentication is off. It never appears
	// in errors.
	Token string
	// Org is the 2.x organization; "" for InfluxDB 1.8.
	Org string
	// Bucket is the 2.x bucket; for InfluxDB 1.8 "database/retention-policy"
	// or "database" (default retention policy).
	Bucket string
	// BatchSize is the number of points per HTTP request. Default 5000.
	BatchSize int
	// MaxConcurrentWrites bounds the Write and WriteLineProtocol calls that
	// encode and send at once; the others wait their turn holding their
	// points, which take less memory than request bodies. Default
	// DefaultMaxConcurrentWrites; negative means no bound.
	MaxConcurrentWrites int
	// Timeout bounds one HTTP request. Default 10 s.
	Timeout time.Duration
	// MaxRetries is how many times a request is retried after a retryable
	// failure (429, 5xx, transport error). Default 3; negative means never.
	MaxRetries int
	// MaxRetryWait caps a single wait between attempts, including the one a
	// Retry-After header asks for. Default 30 s.
	MaxRetryWait time.Duration
	// UseGzip compresses request bodies (Content-Encoding: gzip), at the
	// fastest level: about a seventh of the bytes, for more CPU.
	UseGzip bool
	// CAFile is a PEM bundle of extra certificate authorities trusted for
	// an https URL, besides the system ones.
	CAFile string
	// InsecureSkipVerify turns certificate verification off for an https
	// URL. It and CAFile are mutually exclusive.
	InsecureSkipVerify bool
}

// Writer writes telemetry points to InfluxDB through /api/v2/write with the
// blocking client of influxdb-client-go, at second precision. It never logs:
// every failure is returned to the caller. A Writer is safe for concurrent
// use.
type Writer struct {
	opts   Options
	hc     *http.Client // health, bucket and database requests
	wc     *http.Client // the writes', with the client library
	client influxdb2.Client
	write  api.WriteAPIBlocking
	hide   *redact.Replacer // every form of the token and of a URL password
	slots  chan struct{}    // MaxConcurrentWrites tokens; nil for no bound

	// lineSize sizes the request buffers of writes of up to smallWrite
	// points (a job's point-in-time points) and of larger ones (minute
	// statistics, whose lines are longer).
	lineSize [2]lineSizer

	// sleep waits d or until ctx is done; now reads the clock. Tests
	// replace both.
	sleep func(ctx context.Context, d time.Duration) error
	now   func() time.Time
}

// NewWriter checks opts, fills in defaults and returns a Writer. It does not
// contact the server; use Health for that.
func NewWriter(opts Options) (*Writer, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if opts.BatchSize == 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	switch {
	case opts.MaxRetries == 0:
		opts.MaxRetries = DefaultMaxRetries
	case opts.MaxRetries < 0:
		opts.MaxRetries = 0
	}
	if opts.MaxRetryWait == 0 {
		opts.MaxRetryWait = DefaultMaxRetryWait
	}
	var slots chan struct{}
	switch {
	case opts.MaxConcurrentWrites == 0:
		slots = make(chan struct{}, DefaultMaxConcurrentWrites)
	case opts.MaxConcurrentWrites > 0:
		slots = make(chan struct{}, opts.MaxConcurrentWrites)
	}

	tc, err := restapi.TLSConfig(opts.InsecureSkipVerify, opts.CAFile)
	if err != nil {
		return nil, fmt.Errorf("influx tls: %w", err)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 16
	transport.TLSClientConfig = tc
	var rt http.RoundTripper = transport
	if opts.UseGzip {
		rt = gzipBodies{next: transport}
	}
	hc := &http.Client{Timeout: opts.Timeout, Transport: rt}
	// The writes' client counts their bodies (trackBodies). It has no
	// timeout of its own: send gives every attempt a deadline instead. An
	// http.Client with a timeout and a RoundTripper other than
	// *http.Transport cancels by a goroutine and a timer of its own per
	// request.
	wc := &http.Client{Transport: trackBodies{next: rt}}

	co := influxdb2.DefaultOptions().
		SetHTTPClient(wc).
		SetPrecision(time.Second).
		SetUseGZip(false). // gzipBodies compresses, when UseGzip is set
		SetBatchSize(uint(opts.BatchSize)).
		SetApplicationName("ec-telemetry").
		SetLogLevel(0) // errors only; the blocking write path logs nothing at that level
	client := influxdb2.NewClientWithOptions(opts.URL, opts.Token, co)

	return &Writer{
		opts:   opts,
		hc:     hc,
		wc:     wc,
		client: client,
		write:  client.WriteAPIBlocking(opts.Org, opts.Bucket),
		hide:   redact.NewReplacer(append(secretsOf(opts.Token), redact.URLSecrets(opts.URL)...), 1),
		slots:  slots,
		sleep:  sleepCtx,
		now:    time.Now,
	}, nil
}

func (o Options) validate() error {
	var errs []error
	u, err := url.Parse(o.URL)
	switch {
	case o.URL == "":
		errs = append(errs, errors.New("influx url is empty"))
	case err != nil:
		errs = append(errs, errors.New("influx url is not a valid URL"))
	case u.Scheme != "http" && u.Scheme != "https":
		errs = append(errs, fmt.Errorf("influx url %s: scheme must be http or https", u.Redacted()))
	case u.Host == "":
		errs = append(errs, fmt.Errorf("influx url %s: host is missing", u.Redacted()))
	}
	if o.Bucket == "" {
		errs = append(errs, errors.New("influx bucket is empty"))
	}
	if o.BatchSize < 0 {
		errs = append(errs, fmt.Errorf("influx batch size %d is negative", o.BatchSize))
	}
	if o.Timeout < 0 {
		errs = append(errs, fmt.Errorf("influx timeout %v is negative", o.Timeout))
	}
	if o.MaxRetryWait < 0 {
		errs = append(errs, fmt.Errorf("influx max retry wait %v is negative", o.MaxRetryWait))
	}
	if o.InsecureSkipVerify && o.CAFile != "" {
		errs = append(errs, errors.New("influx ca file and insecure skip verify are mutually exclusive"))
	}
	return errors.Join(errs...)
}

// WriteError reports points that were not written. Write returns at most
// one, describing the whole call; find it with errors.As.
type WriteError struct {
	// StatusCode is the HTTP status of the failed request; 0 for transport
	// failures and for points that could not be encoded.
	StatusCode int
	// Permanent is true when sending the same points again cannot succeed
	// (a 4xx other than 401, 403, 404 and 429, or points that cannot be
	// encoded), so the caller should not retry. It is false when any part
	// of the failure is retryable. 401, 403 and 404 (a revoked token, a
	// missing database or bucket) are not permanent: the points are fine
	// and an operator's fix lets them in; see Kind.
	Permanent bool
	// Message is the server's reason (or the transport or encoding error),
	// with secrets removed.
	Message string
	// Points is the number of points not written.
	Points int

	err error // transport or encoding error, for errors.Is
}

// Kinds of write failure, as Kind returns them and the metrics count them.
const (
	KindRetryable = "retryable" // 429, 5xx, transport: may pass on its own
	KindPermanent = "permanent" // the points are refused: sending them again cannot succeed
	KindAuth      = "auth"      // 401/403: the token is wrong or lacks write permission
	KindNotFound  = "not_found" // 404: the database, bucket or organization does not exist
)

// Kind sorts the failure: KindAuth and KindNotFound need an operator's fix
// and are not retried within a Write, yet are not Permanent.
func (e *WriteError) Kind() string {
	switch {
	case e.Permanent:
		return KindPermanent
	case e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden:
		return KindAuth
	case e.StatusCode == http.StatusNotFound:
		return KindNotFound
	}
	return KindRetryable
}

// ErrorKind is the Kind of the *WriteError in err; KindRetryable for any
// other error and "" for nil.
func ErrorKind(err error) string {
	if err == nil {
		return ""
	}
	var we *WriteError
	if errors.As(err, &we) {
		return we.Kind()
	}
	return KindRetryable
}

func (e *WriteError) Error() string {
	kind := e.Kind()
	if e.StatusCode != 0 {
		return fmt.Sprintf("influx write: %d points not written (status %d, %s): %s", e.Points, e.StatusCode, kind, e.Message)
	}
	return fmt.Sprintf("influx write: %d points not written (%s): %s", e.Points, kind, e.Message)
}

// Unwrap returns the transport or encoding error behind e, if any.
func (e *WriteError) Unwrap() error { return e.err }

// Write encodes points as line protocol (second precision) and writes them
// in requests of at most BatchSize points. It returns how many points the
// server accepted.
//
// Retryable failures (429, 5xx, transport errors) are retried up to
// MaxRetries times, waiting as Retry-After asks (capped by MaxRetryWait) or
// with exponential backoff; when they persist, Write stops and returns a
// *WriteError with Permanent false. 401, 403 and 404 (a token or a database
// problem) stop Write at once with Permanent false too, without retrying:
// only an operator can fix them. Other 4xx responses drop that request's
// points and Write goes on with the next request. Points that cannot be
// encoded are dropped and counted; the others are still written. When ctx
// ends, Write returns ctx's error.
func (w *Writer) Write(ctx context.Context, points []telemetry.Point) (written int, err error) {
	if len(points) == 0 {
		return 0, nil
	}
	if err := w.acquire(ctx); err != nil {
		return 0, err
	}
	defer w.release()
	le := encoders.Get().(*LineEncoder)
	defer encoders.Put(le)
	sizer := &w.lineSize[0]
	if len(points) > smallWrite {
		sizer = &w.lineSize[1]
	}
	var (
		failures []*WriteError
		encErrs  []error
		buf      []byte
		inBatch  int
	)
	flush := func() *WriteError {
		if inBatch == 0 {
			return nil
		}
		n, b := inBatch, buf
		sizer.learn(len(b), n)
		buf, inBatch = nil, 0
		var use bodyUse
		accepted, werr := w.send(withBodyUse(ctx, &use), ownString(b[:len(b)-1]), n) // without the final newline
		if use.open.Load() == 0 {
			putBody(b)
		}
		written += accepted
		return werr
	}
	for i := range points {
		if err := ctx.Err(); err != nil {
			return written, err
		}
		if buf == nil {
			buf = getBody(sizer.bytesFor(min(w.opts.BatchSize, len(points)-i)))
		}
		start := len(buf)
		var encErr error
		buf, encErr = le.AppendLine(buf, points[i])
		if encErr != nil {
			buf = buf[:start]
			encErrs = append(encErrs, encErr)
			continue
		}
		inBatch++
		if inBatch < w.opts.BatchSize && i < len(points)-1 {
			continue
		}
		if werr := flush(); werr != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return written, ctxErr
			}
			failures = append(failures, werr)
			if !werr.Permanent { // the server is unwell: do not hammer it with the rest
				werr.Points += len(points) - 1 - i // never sent
				break
			}
		}
	}
	if inBatch > 0 { // only reached when the last points failed to encode after a partial batch
		if werr := flush(); werr != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return written, ctxErr
			}
			failures = append(failures, werr)
		}
	}
	if len(encErrs) > 0 {
		failures = append(failures, &WriteError{
			Permanent: true,
			Message:   w.redact(fmt.Sprintf("%d points cannot be encoded; first: %v", len(encErrs), encErrs[0])),
			Points:    len(encErrs),
			err:       errors.Join(encErrs...),
		})
	}
	if len(failures) == 0 {
		return written, nil
	}
	return written, merge(failures)
}

// smallWrite separates the writes of a job's point-in-time points from
// larger ones (minute statistics, a spool) for the sizing of buffers.
const smallWrite = 500

// encoders keeps LineEncoders (their key scratch) from one Write to the
// next.
var encoders = sync.Pool{New: func() any { return new(LineEncoder) }}

// A request's line protocol is built in a buffer sized from the line length
// of the requests before it and handed to the client as a string without a
// copy; the buffer is kept for a later write only when no request body
// made of it is open (bodies.go). Copying each body into a string was a
// tenth of the bytes a worker allocated, and a pool of buffers grown for
// the largest requests held about 14 MB of its live heap at 256 jobs in
// flight: the buffers kept are bounded in bytes and matched to the size
// asked.
//
// ownString returns b's bytes as a string without copying them; b must not
// be modified while the string is in use.
func ownString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// lineSizer tracks the length of a line of line protocol over the last
// requests, to size the next request's buffer. It follows a longer mean at
// once and a shorter one slowly: a buffer too small is grown by doubling,
// which leaves the first half as garbage and costs more than a buffer
// somewhat too large.
type lineSizer struct{ mean atomic.Int64 } // bytes per line, scaled by 16

// learn records a request of n lines in size bytes.
func (l *lineSizer) learn(size, n int) {
	v := int64(size) * 16 / int64(n)
	if old := l.mean.Load(); old > v {
		v = old - (old-v)/8
	}
	l.mean.Store(v) // a lost update between writers only slows the average
}

// bytesFor is the buffer to start n lines with: an eighth above the mean,
// for a request whose lines are longer than those before it.
func (l *lineSizer) bytesFor(n int) int {
	mean := l.mean.Load() / 16
	if mean == 0 {
		mean = 256
	}
	return int(mean+mean/8)*n + 64
}

// WriteLineProtocol writes body, n points of second-precision line protocol
// as AppendLine makes them (one per line), with Write's retry rules. It is
// for points that were encoded earlier, such as a spool's. Unlike Write it
// sends body in one request whatever its size.
func (w *Writer) WriteLineProtocol(ctx context.Context, body []byte, n int) (int, error) {
	body = bytes.TrimRight(body, "\n")
	if len(body) == 0 {
		return 0, nil
	}
	if err := w.acquire(ctx); err != nil {
		return 0, err
	}
	defer w.release()
	accepted, werr := w.send(ctx, string(body), n)
	if werr != nil {
		if ctx.Err() != nil {
			return accepted, ctx.Err()
		}
		return accepted, werr
	}
	return accepted, nil
}

// acquire waits for one of the MaxConcurrentWrites slots, or for ctx.
func (w *Writer) acquire(ctx context.Context) error {
	if w.slots == nil {
		return nil
	}
	select {
	case w.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for one of %d concurrent InfluxDB writes: %w", cap(w.slots), ctx.Err())
	}
}

func (w *Writer) release() {
	if w.slots != nil {
		<-w.slots
	}
}

// Retryable reports whether writing the same points again later may
// succeed: false for nil and for a *WriteError marked Permanent, true for
// every other error (a retryable WriteError, an ended context).
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	var we *WriteError
	if errors.As(err, &we) {
		return !we.Permanent
	}
	return true
}

// BeyondRetention reports whether err is InfluxDB refusing points older than
// the retention period ("points beyond retention policy"), as opposed to
// another permanent refusal such as a series limit.
func BeyondRetention(err error) bool {
	var we *WriteError
	return errors.As(err, &we) && we.Permanent && strings.Contains(we.Message, "beyond retention")
}

// send writes one request body of n points, retrying retryable failures. It
// returns the number of points the server accepted.
func (w *Writer) send(ctx context.Context, body string, n int) (int, *WriteError) {
	for attempt := 0; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, w.opts.Timeout)
		err := w.write.WriteRecord(actx, body)
		timedOut := actx.Err() != nil
		cancel()
		if err == nil {
			return n, nil
		}
		if ctx.Err() != nil {
			return 0, &WriteError{Message: "context done", Points: n, err: ctx.Err()}
		}
		werr, retryAfter := w.classify(err, n)
		if timedOut && werr.StatusCode == 0 {
			werr.Message = fmt.Sprintf("no answer within %v: %s", w.opts.Timeout, werr.Message)
		}
		if werr.Permanent {
			return n - werr.Points, werr
		}
		if k := werr.Kind(); k == KindAuth || k == KindNotFound {
			return 0, werr // retrying now cannot help: it needs an operator
		}
		if attempt >= w.opts.MaxRetries {
			return 0, werr
		}
		wait := w.backoff(attempt, retryAfter)
		if dl, ok := ctx.Deadline(); ok && dl.Sub(w.now()) < wait {
			return 0, werr // the deadline would pass while waiting; fail now
		}
		if err := w.sleep(ctx, wait); err != nil {
			return 0, &WriteError{Message: "context done", Points: n, err: err}
		}
	}
}

// droppedRe finds InfluxDB 1.x's count of rejected points in a partial write
// message ("... dropped=3").
var droppedRe = regexp.MustCompile(`\bdropped=(\d+)\s*$`)

// classify turns a client error for a request of n points into a
// WriteError, and returns how long the server asked to wait (-1 when it did
// not say).
func (w *Writer) classify(err error, n int) (*WriteError, time.Duration) {
	var he *influxhttp.Error
	if !errors.As(err, &he) {
		return &WriteError{Message: w.redact(err.Error()), Points: n, err: err}, -1
	}
	if he.StatusCode == 0 { // transport failure
		return &WriteError{Message: w.redact(he.Error()), Points: n, err: he.Err}, -1
	}
	msg := serverMessage(he)
	werr := &WriteError{StatusCode: he.StatusCode, Message: w.redact(msg), Points: n}
	switch he.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
		return werr, -1 // the points are fine: keep them until an operator fixes access
	}
	if he.StatusCode == http.StatusTooManyRequests || he.StatusCode >= 500 {
		return werr, retryAfter(he.Header, w.now())
	}
	werr.Permanent = true
	if m := droppedRe.FindStringSubmatch(msg); m != nil {
		if d, err := strconv.Atoi(m[1]); err == nil && d < n {
			werr.Points = d // a partial write: the rest of the request was stored
		}
	}
	return werr, -1
}

// serverMessage extracts the reason from an error response: the client's
// parsed message, InfluxDB 1.x's X-Influxdb-Error header, or a JSON body
// ({"code","message"} from 2.x, {"error"} from 1.x) that arrived as text.
func serverMessage(he *influxhttp.Error) string {
	msg := strings.TrimSpace(he.Message)
	if strings.HasPrefix(msg, "{") {
		var body struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Error   string `json:"error"`
		}
		if json.Unmarshal([]byte(msg), &body) == nil {
			switch {
			case body.Message != "":
				msg = body.Message
			case body.Error != "":
				msg = body.Error
			}
		}
	}
	if msg == "" && he.Header != nil {
		msg = he.Header.Get("X-Influxdb-Error")
	}
	if msg == "" {
		msg = http.StatusText(he.StatusCode)
	}
	if len(msg) > maxMessage {
		msg = msg[:maxMessage] + "..."
	}
	return msg
}

// retryAfter parses a Retry-After header (seconds or an HTTP date); it
// returns -1 when there is none.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return -1
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(min(s, int64(24*time.Hour/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return -1
}

// backoff returns the wait before retry number attempt+1: what the server
// asked for, or firstBackoff doubled per attempt with jitter in [d/2, d];
// never more than MaxRetryWait.
func (w *Writer) backoff(attempt int, retryAfter time.Duration) time.Duration {
	limit := w.opts.MaxRetryWait
	if retryAfter >= 0 {
		return min(retryAfter, limit)
	}
	d := firstBackoff << min(attempt, 20)
	if d <= 0 || d > limit {
		d = limit
	}
	if half := d / 2; half > 0 {
		d = half + rand.N(half+1)
	}
	return d
}

// merge folds the failures of one Write call into one WriteError.
func merge(failures []*WriteError) *WriteError {
	if len(failures) == 1 {
		return failures[0]
	}
	out := &WriteError{Permanent: true}
	var (
		msgs []string
		errs []error
	)
	for _, f := range failures {
		out.Points += f.Points
		msgs = append(msgs, f.Message)
		if f.err != nil {
			errs = append(errs, f.err)
		}
		if !f.Permanent && out.Permanent {
			out.Permanent = false
			out.StatusCode = f.StatusCode
		}
	}
	if out.Permanent {
		for _, f := range failures {
			if f.StatusCode != 0 {
				out.StatusCode = f.StatusCode
				break
			}
		}
	}
	out.Message = strings.Join(msgs, "; ")
	out.err = errors.Join(errs...)
	return out
}

// Health checks that the server is up: GET /health (InfluxDB 1.8+, 2.x),
// falling back to GET /ping (204) for servers without /health.
func (w *Writer) Health(ctx context.Context) error {
	status, msg, err := w.get(ctx, "health")
	if err != nil {
		return err
	}
	switch {
	case status == http.StatusOK:
		return nil
	case status == http.StatusNotFound:
		status, msg, err = w.get(ctx, "ping")
		if err != nil {
			return err
		}
		if status == http.StatusNoContent || status == http.StatusOK {
			return nil
		}
		return fmt.Errorf("influx health: GET /ping: status %d: %s", status, msg)
	default:
		return fmt.Errorf("influx health: GET /health: status %d: %s", status, msg)
	}
}

// CheckWrite checks that the token may write to the bucket (database): it
// sends a write of no point to /api/v2/write, so a revoked token (401/403)
// or a missing database or bucket (404) shows before points are lost to
// it, while /health still passes. The error is a *WriteError of Kind
// KindAuth or KindNotFound for those. A 400 about the empty body means
// access was granted (InfluxDB 2.x parses the body last).
func (w *Writer) CheckWrite(ctx context.Context) error {
	q := url.Values{"bucket": {w.opts.Bucket}, "precision": {"s"}}
	if w.opts.Org != "" {
		q.Set("org", w.opts.Org)
	}
	status, msg, err := w.do(ctx, http.MethodPost, "api/v2/write", q, "influx write check")
	if err != nil {
		return err
	}
	if status/100 == 2 || status == http.StatusBadRequest {
		return nil
	}
	return &WriteError{StatusCode: status, Message: msg, Permanent: status/100 == 4 &&
		status != http.StatusUnauthorized && status != http.StatusForbidden && status != http.StatusNotFound && status != http.StatusTooManyRequests}
}

func (w *Writer) get(ctx context.Context, path string) (status int, msg string, err error) {
	return w.do(ctx, http.MethodGet, path, nil, "influx health")
}

// do sends an empty request to path (with the token, if any) and returns
// the status and the server's reason, secrets removed. op names the
// operation in errors.
func (w *Writer) do(ctx context.Context, method, path string, query url.Values, op string) (status int, msg string, err error) {
	base, err := url.Parse(strings.TrimSuffix(w.opts.URL, "/") + "/")
	if err != nil {
		return 0, "", fmt.Errorf("%s: %w", op, err)
	}
	u := base.JoinPath(path)
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return 0, "", fmt.Errorf("%s: %s", op, w.redact(err.Error()))
	}
	if w.opts.Token != "" {
		req.Header.Set("Authorization", "Token "+w.opts.Token)
	}
	resp, err := w.hc.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return 0, "", fmt.Errorf("%s: %w", op, ctxErr)
		}
		return 0, "", &healthError{msg: op + ": " + w.redact(err.Error()), err: err}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxMessage))
	msg = strings.TrimSpace(string(b))
	if resp.StatusCode/100 != 2 {
		if h := resp.Header.Get("X-Influxdb-Error"); h != "" {
			msg = h
		}
	}
	return resp.StatusCode, w.redact(msg), nil
}

// healthError keeps the transport error for errors.Is while its text has
// secrets removed.
type healthError struct {
	msg string
	err error
}

func (e *healthError) Error() string { return e.msg }
func (e *healthError) Unwrap() error { return e.err }

// Close releases idle connections. The Writer must not be used afterwards.
func (w *Writer) Close() {
	w.client.Close()
	w.hc.CloseIdleConnections()
}

// redact removes the token, the password of a "user:password" token and
// a password in the URL's userinfo from s, in every encoding they can take
// (see redact.Forms). The replacer is built once: the token and the URL
// never change, and failures come in bursts while InfluxDB is down.
func (w *Writer) redact(s string) string { return w.hide.String(s, "[REDACTED]") }

// secretsOf returns the strings that must never appear in errors, longest
// first so that a password inside the token is not replaced first.
func secretsOf(token string) []string {
	var out []string
	if token != "" {
		out = append(out, token)
		if _, pass, ok := strings.Cut(token, ":"); ok && pass != "" {
			out = append(out, pass)
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
