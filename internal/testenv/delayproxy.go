package testenv

import (
	"net"
	"sync"
	"testing"
	"time"
)

// StartDelayProxy listens on a free loopback port and forwards each
// connection to target (a loopback "host:port"), holding every chunk of
// bytes for oneWay in each direction, as a network between the two would:
// a request and its answer take 2×oneWay more, and requests sent back to
// back (a pipeline) still overlap. Go's timers make each hold last up to
// about a quarter of a millisecond longer, and a hold under a millisecond
// about a millisecond. It returns the proxy's address and closes the
// listener and every connection at t.Cleanup.
func StartDelayProxy(t testing.TB, target string, oneWay time.Duration) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: delay proxy: %v", err)
	}
	p := &delayProxy{target: target, oneWay: oneWay, conns: map[net.Conn]bool{}}
	t.Cleanup(func() {
		ln.Close()
		p.closeAll()
		p.wg.Wait()
	})
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed at cleanup
			}
			p.wg.Go(func() { p.serve(c) })
		}
	})
	return ln.Addr().String()
}

type delayProxy struct {
	target string
	oneWay time.Duration
	wg     sync.WaitGroup

	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]bool
}

// track adds c to the connections closed at cleanup; false once closed.
func (p *delayProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.conns[c] = true
	return true
}

// untrack closes c and forgets it.
func (p *delayProxy) untrack(c net.Conn) {
	c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

func (p *delayProxy) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
}

func (p *delayProxy) serve(client net.Conn) {
	if !p.track(client) {
		return
	}
	server, err := net.Dial("tcp", p.target)
	if err != nil || !p.track(server) {
		p.untrack(client)
		return
	}
	var wg sync.WaitGroup
	wg.Go(func() { p.pump(server, client) })
	wg.Go(func() { p.pump(client, server) })
	wg.Wait()
	p.untrack(client)
	p.untrack(server)
}

// pump copies from src to dst, each chunk oneWay after it was read.
func (p *delayProxy) pump(dst, src net.Conn) {
	type chunk struct {
		b   []byte
		due time.Time
	}
	ch := make(chan chunk, 256)
	go func() {
		defer close(ch)
		for {
			b := make([]byte, 32<<10)
			n, err := src.Read(b)
			if n > 0 {
				ch <- chunk{b[:n], time.Now().Add(p.oneWay)}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range ch {
		time.Sleep(time.Until(c.due))
		if _, err := dst.Write(c.b); err != nil {
			src.Close() // stops the reader
			for range ch {
			}
			return
		}
	}
	// src has ended: pass the end on, as a half close.
	if tc, ok := dst.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
}
