package edgeconnect

import (
	"bytes"
	"crypto/tls"

	lru "github.com/hashicorp/golang-lru/v2"
)

// sessionCache is a tls.ClientSessionCache that keeps each appliance's TLS
// session as the bytes of its resumption state rather than as crypto/tls's
// parsed objects: a worker keeps one session per appliance of its fleet,
// and held parsed (the appliance's certificate with its public key, and
// the session's secrets) a session took about 4.9 KB of heap against
// about 1.6 KB as bytes, map entry included. A resumption parses the
// state again, once per connection.
type sessionCache struct {
	lru     *lru.Cache[string, resumption]
	evicted func() // nil, or called when a session goes to make room
}

// resumption is one cached session: the ticket the appliance issued and
// the client's state for it (tls.SessionState.Bytes).
type resumption struct {
	ticket, state []byte
}

// newSessionCache returns a cache of at most capacity (at least 1)
// sessions, the least recently used going first; evicted, when not nil, is
// called for each.
func newSessionCache(capacity int, evicted func()) *sessionCache {
	c, _ := lru.New[string, resumption](max(capacity, 1)) // fails only below 1
	return &sessionCache{lru: c, evicted: evicted}
}

// Get returns the session kept for key, parsed again. A state that no
// longer parses is dropped.
func (c *sessionCache) Get(key string) (*tls.ClientSessionState, bool) {
	r, ok := c.lru.Get(key)
	if !ok {
		return nil, false
	}
	st, err := tls.ParseSessionState(r.state)
	var cs *tls.ClientSessionState
	if err == nil {
		cs, err = tls.NewResumptionState(r.ticket, st)
	}
	if err != nil {
		c.lru.Remove(key)
		return nil, false
	}
	return cs, true
}

// Put keeps cs for key; a nil cs, or one that cannot be encoded, removes
// what was kept.
func (c *sessionCache) Put(key string, cs *tls.ClientSessionState) {
	r, ok := encodeSession(cs)
	if !ok {
		c.lru.Remove(key)
		return
	}
	if c.lru.Add(key, r) && c.evicted != nil {
		c.evicted()
	}
}

// encodeSession returns cs as the cache keeps it; false for a nil cs or
// one that cannot be encoded.
func encodeSession(cs *tls.ClientSessionState) (resumption, bool) {
	if cs == nil {
		return resumption{}, false
	}
	ticket, st, err := cs.ResumptionState()
	if err != nil || st == nil {
		return resumption{}, false
	}
	state, err := st.Bytes()
	if err != nil {
		return resumption{}, false
	}
	return resumption{ticket: bytes.Clone(ticket), state: state}, true
}
