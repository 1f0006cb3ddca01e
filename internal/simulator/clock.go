package simulator

import (
	"sync"
	"time"
)

// Clock is a settable clock, safe for concurrent use. Its Now serves as
// Config.Now and as the clock of the collectors the simulator feeds, so
// that the bench and the tests move time for all of them with Add.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Add moves the clock forward.
func (c *Clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
