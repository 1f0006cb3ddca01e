package minutestats

import (
	"slices"

	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

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
// from it before must be used no more. A Reset keeps as many chunks as
// the parses used at most between any two of the last eight Resets
// (keptResets): appliances differ in size, and a chunk let go after a
// small one would be allocated again for the next larger one. An Arena
// grown by one large backfill shrinks back after eight ordinary ones.
func (a *Arena) Reset() {
	a.tags.reset()
	a.fields.reset()
}

// keptResets is how many resets an arena's chunks stay after their last use.
const keptResets = 8

// chunks is a list of slabSize chunks handed out in turn.
type chunks[E any] struct {
	list [][]E
	next int             // chunks handed out since the last reset
	cur  []E             // the rest of the chunk handed out last
	used [keptResets]int // chunks handed out between the last resets, by reset modulo keptResets
	n    int             // resets
	made int             // chunks allocated, ever (for tests)
}

func (c *chunks[E]) cut(n int) []E {
	if len(c.cur) < n {
		if n > slabSize { // larger than a chunk: its own, not kept
			return make([]E, n)
		}
		if c.next == len(c.list) {
			c.list = append(c.list, make([]E, slabSize))
			c.made++
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
	// The chunks past next were cleared by the reset after their last use.
	c.used[c.n%keptResets] = c.next
	c.n++
	keep := slices.Max(c.used[:])
	clear(c.list[keep:])
	c.list, c.next, c.cur = c.list[:keep], 0, nil
}
