package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter paces the requests of one process to the Orchestrator: at most
// Rate requests start per second and at most MaxConcurrency are in flight
// (from sending until the body is closed). Share one Limiter between every
// Client of a process. It is safe for concurrent use.
type Limiter struct {
	rl     *rate.Limiter // nil: no rate limit
	slots  chan struct{} // nil: no concurrency cap
	onWait func(time.Duration)
}

// LimiterOptions configures NewLimiter.
type LimiterOptions struct {
	// Rate is the most requests started per second; 0 means unlimited. The
	// burst is one request, so no second of wall-clock time sees more than
	// about Rate+1 requests start.
	Rate float64
	// MaxConcurrency bounds the requests in flight; 0 means unbounded.
	MaxConcurrency int
	// OnWait, when set, is told how long each request waited for its turn
	// (zero included), e.g. to feed a histogram.
	OnWait func(time.Duration)
}

// NewLimiter builds a Limiter. It fails on a negative rate or concurrency.
func NewLimiter(o LimiterOptions) (*Limiter, error) {
	if o.Rate < 0 || o.MaxConcurrency < 0 {
		return nil, errors.New("orchestrator: limiter rate and concurrency must not be negative")
	}
	l := &Limiter{onWait: o.OnWait}
	if o.Rate > 0 {
		l.rl = rate.NewLimiter(rate.Limit(o.Rate), 1)
	}
	if o.MaxConcurrency > 0 {
		l.slots = make(chan struct{}, o.MaxConcurrency)
	}
	return l, nil
}

// acquire waits for a free slot and then for the rate, and returns the
// function that frees the slot (safe to call more than once). A nil
// Limiter lets everything through.
func (l *Limiter) acquire(ctx context.Context) (release func(), err error) {
	if l == nil {
		return func() {}, nil
	}
	start := time.Now()
	release = func() {}
	if l.slots != nil {
		select {
		case l.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for a request slot: %w", ctx.Err())
		}
		var once sync.Once
		release = func() { once.Do(func() { <-l.slots }) }
	}
	if l.rl != nil {
		if err := l.rl.Wait(ctx); err != nil {
			release()
			if ctx.Err() != nil {
				err = ctx.Err()
			}
			return nil, fmt.Errorf("wait for the request rate: %w", err)
		}
	}
	if l.onWait != nil {
		l.onWait(time.Since(start))
	}
	return release, nil
}
