// Package outputs sends collected points to the secondary outputs, the
// destinations besides InfluxDB (MQTT and OTLP). InfluxDB stays the primary
// output: the worker writes to it synchronously and its answer drives the
// backfill watermark and the spool. Every secondary output is a plugin
// behind the small Output interface, fed by a Fanout that gives it its own
// bounded queue and goroutine, so a slow or dead output never delays
// InfluxDB, the job or the other outputs. What an output cannot take in
// time is dropped, counted and logged once a minute.
package outputs

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// Output is one secondary destination of points. The Fanout calls Publish
// from one goroutine per output, never concurrently; an error makes it try
// the same batch again later, until the batch is too old. Close releases
// the output's connections; Publish is not called after it.
type Output interface {
	Name() string
	Publish(ctx context.Context, points []telemetry.Point) error
	Close()
}

// NameMQTT is the MQTT output's name in OUTPUTS, metrics and logs.
const NameMQTT = "mqtt"

// Drop reasons, the reason label of ectelemetry_output_dropped_points_total.
const (
	DropQueueFull = "queue_full" // the output's queue held its bound of points
	DropTooOld    = "too_old"    // the batch waited longer than MaxAge
	DropShutdown  = "shutdown"   // still queued when the process stopped
)

// Options configures a Fanout. Zero values take the defaults. The queue,
// timeout and retry values apply to every output that PerOutput does not
// give its own.
type Options struct {
	QueuePoints    int           // points queued per output before new batches are dropped; default 50000
	MaxAge         time.Duration // a batch not delivered within MaxAge is dropped; default 5m
	PublishTimeout time.Duration // one Publish call; default 10s
	RetryMin       time.Duration // wait after the first failed Publish; default 1s
	RetryMax       time.Duration // longest wait between attempts; default 30s
	LogEvery       time.Duration // drop and error summaries at most this often; default 1m
	PerOutput      map[string]Limits
	Registerer     prometheus.Registerer
	Logger         zerolog.Logger
}

// Limits are one output's own queue, timeout and retry rules; a zero
// value takes the Fanout's.
type Limits struct {
	QueuePoints                                int
	MaxAge, PublishTimeout, RetryMin, RetryMax time.Duration
}

// limits returns the rules of the named output.
func (o Options) limits(name string) Limits {
	l := o.PerOutput[name]
	pick := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	pick(&l.MaxAge, o.MaxAge)
	pick(&l.PublishTimeout, o.PublishTimeout)
	pick(&l.RetryMin, o.RetryMin)
	pick(&l.RetryMax, o.RetryMax)
	if l.QueuePoints <= 0 {
		l.QueuePoints = o.QueuePoints
	}
	return l
}

// Fanout hands batches of points to every secondary output without
// waiting for any of them. Run delivers them; Offer only queues.
type Fanout struct {
	o      Options
	queues []*queue
}

type queue struct {
	out       Output
	lim       Limits
	wake      chan struct{}
	published *prometheus.CounterVec // shared by the queues of a Fanout
	droppedC  *prometheus.CounterVec

	mu      sync.Mutex
	batches []batch
	points  int // points in batches

	sent    atomic.Int64
	dropped atomic.Int64
	// since the last summary log line
	droppedLog map[string]int64
	lastErr    error
	failures   int
}

type batch struct {
	points []telemetry.Point
	at     time.Time
}

// NewFanout returns a Fanout for the outputs. It registers the output
// counters on o.Registerer when it is set.
func NewFanout(o Options, outs ...Output) (*Fanout, error) {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.MaxAge, 5*time.Minute)
	def(&o.PublishTimeout, 10*time.Second)
	def(&o.RetryMin, time.Second)
	def(&o.RetryMax, 30*time.Second)
	def(&o.LogEvery, time.Minute)
	if o.QueuePoints <= 0 {
		o.QueuePoints = 50000
	}
	published := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ectelemetry_output_published_points_total",
		Help: "Points delivered to a secondary output (mqtt, otlp).",
	}, []string{"output"})
	dropped := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ectelemetry_output_dropped_points_total",
		Help: "Points a secondary output dropped: queue_full, too_old or shutdown.",
	}, []string{"output", "reason"})
	if o.Registerer != nil {
		var err error
		if published, err = register(o.Registerer, published); err != nil {
			return nil, err
		}
		if dropped, err = register(o.Registerer, dropped); err != nil {
			return nil, err
		}
	}
	f := &Fanout{o: o}
	for _, out := range outs {
		f.queues = append(f.queues, &queue{out: out, lim: o.limits(out.Name()), wake: make(chan struct{}, 1), droppedLog: map[string]int64{},
			published: published, droppedC: dropped})
	}
	return f, nil
}

// register registers c, or returns the counter registered before under
// its name.
func register(r prometheus.Registerer, c *prometheus.CounterVec) (*prometheus.CounterVec, error) {
	err := r.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if old, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
			return old, nil
		}
	}
	return c, err
}

// Offer queues a copy of the batch for every output and returns at once.
// An output whose queue cannot take the whole batch drops it and counts
// it. Offer on a nil Fanout does nothing.
func (f *Fanout) Offer(points []telemetry.Point) {
	if f == nil || len(points) == 0 {
		return
	}
	b := batch{points: slices.Clone(points), at: time.Now()}
	for _, q := range f.queues {
		q.mu.Lock()
		if q.points+len(b.points) > q.lim.QueuePoints {
			q.mu.Unlock()
			q.drop(DropQueueFull, len(b.points))
			continue
		}
		q.batches = append(q.batches, b)
		q.points += len(b.points)
		q.mu.Unlock()
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
}

// Stats counts the points of one output.
type Stats struct {
	Published int64 // delivered
	Dropped   int64 // dropped for any reason
	Queued    int64 // waiting in the output's queue
}

// Stats returns the counts of the named output so far.
func (f *Fanout) Stats(name string) Stats {
	for _, q := range f.queues {
		if q.out.Name() == name {
			q.mu.Lock()
			queued := q.points
			q.mu.Unlock()
			return Stats{Published: q.sent.Load(), Dropped: q.dropped.Load(), Queued: int64(queued)}
		}
	}
	return Stats{}
}

// Names lists the outputs of the Fanout.
func (f *Fanout) Names() []string {
	var out []string
	for _, q := range f.queues {
		out = append(out, q.out.Name())
	}
	return out
}

// Run delivers queued batches until ctx ends, one goroutine per output,
// then counts what is still queued as dropped and closes the outputs.
func (f *Fanout) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, q := range f.queues {
		wg.Go(func() { f.run(ctx, q) })
	}
	wg.Wait()
}

func (q *queue) drop(reason string, n int) {
	if n == 0 {
		return
	}
	q.dropped.Add(int64(n))
	q.droppedC.WithLabelValues(q.out.Name(), reason).Add(float64(n))
	q.mu.Lock()
	q.droppedLog[reason] += int64(n)
	q.mu.Unlock()
}

// head returns the oldest batch, dropping those older than maxAge.
func (q *queue) head(maxAge time.Duration) (batch, bool) {
	q.mu.Lock()
	var old int
	for len(q.batches) > 0 && time.Since(q.batches[0].at) > maxAge {
		old += len(q.batches[0].points)
		q.points -= len(q.batches[0].points)
		q.batches[0] = batch{}
		q.batches = q.batches[1:]
	}
	var b batch
	ok := len(q.batches) > 0
	if ok {
		b = q.batches[0]
	}
	q.mu.Unlock()
	q.drop(DropTooOld, old)
	return b, ok
}

func (q *queue) pop() {
	q.mu.Lock()
	q.points -= len(q.batches[0].points)
	q.batches[0] = batch{}
	q.batches = q.batches[1:]
	q.mu.Unlock()
}

func (f *Fanout) run(ctx context.Context, q *queue) {
	name := q.out.Name()
	log := f.o.Logger.With().Str("output", name).Logger()
	defer q.out.Close()
	summary := time.NewTicker(f.o.LogEvery)
	defer summary.Stop()
	var retry <-chan time.Time // set while waiting to try again
	wait := q.lim.RetryMin
	for {
		if retry == nil {
			if b, ok := q.head(q.lim.MaxAge); ok {
				pctx, cancel := context.WithTimeout(ctx, q.lim.PublishTimeout)
				err := q.out.Publish(pctx, b.points)
				cancel()
				if err == nil {
					q.pop()
					q.sent.Add(int64(len(b.points)))
					q.published.WithLabelValues(name).Add(float64(len(b.points)))
					if q.failures > 0 {
						log.Info().Int("failed_attempts", q.failures).Msg("output delivers again")
					}
					q.failures, q.lastErr, wait = 0, nil, q.lim.RetryMin
					continue
				}
				if ctx.Err() != nil {
					break
				}
				if q.failures == 0 { // the first failure at once, later ones in the summary
					log.Warn().Err(err).Msg("output cannot deliver: points stay queued and are tried again")
				}
				q.failures++
				q.lastErr = err
				retry = time.After(wait)
				wait = min(2*wait, q.lim.RetryMax)
			}
		}
		select {
		case <-ctx.Done():
		case <-q.wake:
		case <-retry:
			retry = nil
		case <-summary.C:
			q.logSummary(log)
		}
		if ctx.Err() != nil {
			break
		}
	}
	q.mu.Lock()
	n := q.points
	q.batches, q.points = nil, 0
	q.mu.Unlock()
	q.drop(DropShutdown, n)
	q.logSummary(log)
}

// logSummary logs what was dropped, and the last delivery error, since
// the previous summary; nothing when all went well.
func (q *queue) logSummary(log zerolog.Logger) {
	q.mu.Lock()
	dropped := q.droppedLog
	q.droppedLog = map[string]int64{}
	queued := q.points
	q.mu.Unlock()
	if len(dropped) == 0 && q.lastErr == nil {
		return
	}
	ev := log.Warn().Int("queued_points", queued)
	var total int64
	for reason, n := range dropped {
		ev = ev.Int64("dropped_"+reason, n)
		total += n
	}
	if q.lastErr != nil {
		ev = ev.Err(q.lastErr).Int("failed_attempts", q.failures)
	}
	ev.Int64("dropped_points", total).Msg("output summary: points dropped or not delivered")
}
