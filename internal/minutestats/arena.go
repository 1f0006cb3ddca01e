package minutestats

import "github.com/ec-telemetry/ec-telemetry/internal/telemetry"

// Arena is storage for the tags and fields of parsed points that outlives
// one parse. Without one, every parse cuts its points from chunks of its
// own, which become garbage with the points: about a third of the bytes a
// worker allocates. A caller that knows when the points of its parses are
// used no more (written, and kept by nobody) gives each parse the same
// Arena (Options.Arena) and calls Reset between them.
//
// An Arena is not safe for concurrent use, nor shared by two parses at
// once.
type Arena struct {
	tags   chunks[telemetry.Tag]
	fields chunks[telemetry.Field]
}

// Reset makes the whole Arena free for the next parses. Every point cut
// from it before must be used no more. The chunks a Reset keeps are those
// the parses since the last Reset used: an Arena grown by one large
// backfill shrinks back with the next ordinary ones.
func (a *Arena) Reset() {
	a.tags.reset()
	a.fields.reset()
}

// chunks is a list of slabSize chunks handed out in turn.
type chunks[E any] struct {
	list [][]E
	next int // chunks handed out since the last reset
	cur  []E // the rest of the chunk handed out last
}

func (c *chunks[E]) cut(n int) []E {
	if len(c.cur) < n {
		if n > slabSize { // larger than a chunk: its own, not kept
			return make([]E, n)
		}
		if c.next == len(c.list) {
			c.list = append(c.list, make([]E, slabSize))
		}
		c.cur = c.list[c.next]
		c.next++
	}
	s := c.cur[:n:n]
	c.cur = c.cur[n:]
	return s
}

func (c *chunks[E]) reset() {
	for _, ch := range c.list[:c.next] {
		clear(ch) // the points' strings are garbage now
	}
	clear(c.list[c.next:])
	c.list, c.next, c.cur = c.list[:c.next], 0, nil
}
