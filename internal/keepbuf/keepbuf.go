// Package keepbuf keeps byte buffers for reuse, within a budget of bytes.
//
// Buffers are kept newest first; a buffer kept past the budget pushes the
// oldest out, so that sizes no longer asked for (an outage's catch-up)
// leave. Get takes the newest kept buffer that is large enough and at most
// a quarter larger than asked: sizes differ twentyfold between ordinary
// and catch-up work, and a buffer sized for the largest would hold that
// much memory for every small use. Unlike a sync.Pool, a List holds no
// more than its budget through a pause between two bursts of work, which
// is when a collector's memory peaks.
package keepbuf

import (
	"slices"
	"sync"
)

// List keeps buffers of Min to Max bytes, Budget bytes in all. The zero
// List keeps nothing. A List is safe for concurrent use.
type List struct {
	Min, Max, Budget int

	mu    sync.Mutex
	free  [][]byte // oldest first
	bytes int
}

// Get returns an empty buffer of at least n bytes, a kept one when one
// fits.
func (l *List) Get(n int) []byte {
	if n >= l.Min && n <= l.Max {
		l.mu.Lock()
		for i := len(l.free) - 1; i >= 0; i-- {
			if c := cap(l.free[i]); c >= n && c <= n+n/4 {
				b := l.free[i]
				l.free = slices.Delete(l.free, i, i+1)
				l.bytes -= c
				l.mu.Unlock()
				return b
			}
		}
		l.mu.Unlock()
	}
	return make([]byte, 0, n)
}

// Put keeps b for a later Get; nothing may use b afterwards.
func (l *List) Put(b []byte) {
	n := cap(b)
	if n < l.Min || n > l.Max || n > l.Budget {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.free = append(l.free, b[:0])
	l.bytes += n
	drop := 0
	for l.bytes > l.Budget {
		l.bytes -= cap(l.free[drop])
		drop++
	}
	l.free = slices.Delete(l.free, 0, drop)
}

// Kept returns the number of buffers kept and their bytes.
func (l *List) Kept() (buffers, bytes int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.free), l.bytes
}
