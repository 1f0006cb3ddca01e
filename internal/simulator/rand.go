package simulator

import "math"

// Everything the simulator generates comes from splitmix64 streams keyed by
// (seed, appliance, minute, purpose, ...). A stream is a plain value: no
// shared state, so any minute of any appliance can be regenerated alone.

// Stream purposes, so that unrelated draws never share a stream.
const (
	streamFleet uint64 = iota + 1
	streamMinute
	streamOutage
	streamFlows
	streamPoint
	streamErrorRate
	streamHex
	streamUnreachable
	streamCPU
)

func mix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// hashKeys folds keys into one well-mixed 64-bit value.
func hashKeys(keys ...uint64) uint64 {
	h := uint64(0x6a09e667f3bcc909)
	for _, k := range keys {
		h = mix64(h ^ k)
	}
	return h
}

// rng is a splitmix64 generator.
type rng struct{ s uint64 }

func newRNG(keys ...uint64) rng { return rng{s: hashKeys(keys...)} }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// float returns a value in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// intn returns a value in [0, n); n must be positive.
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// between returns an integer in [lo, hi].
func (r *rng) between(lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return lo + int64(r.next()%uint64(hi-lo+1))
}

// jitter returns v scaled by a factor in [1-frac, 1+frac].
func (r *rng) jitter(v, frac float64) float64 { return v * (1 + frac*(2*r.float()-1)) }

// chance reports true with probability p.
func (r *rng) chance(p float64) bool { return r.float() < p }

// unit returns a deterministic value in [0, 1) for the keys.
func unit(keys ...uint64) float64 { return float64(hashKeys(keys...)>>11) / (1 << 53) }

// round converts a non-negative float to an integer counter.
func round(v float64) uint64 {
	if v <= 0 || math.IsNaN(v) {
		return 0
	}
	return uint64(math.Round(v))
}

// strKey hashes a string into a key.
func strKey(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
