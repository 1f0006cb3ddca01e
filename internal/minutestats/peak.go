package minutestats

import (
	"math"
	"time"
)

// DecodePeak unpacks a packed peak word of tunnel_v2.txt: the upper 32 bits
// are the IEEE-754 single-precision bits of the peak value, the lower 32
// bits the epoch second at which the peak happened. ok is false for the
// word 0 (no peak in the minute) and for words whose value is NaN or
// infinite (such as the all-ones invalid-counter marker), which cannot be
// stored.
func DecodePeak(word uint64) (value float32, at time.Time, ok bool) {
	if word == 0 {
		return 0, time.Time{}, false
	}
	value = math.Float32frombits(uint32(word >> 32))
	if f := float64(value); math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, time.Time{}, false
	}
	return value, time.Unix(int64(uint32(word)), 0).UTC(), true
}
