package influx

import (
	"context"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
)

// A write's line protocol is built in a buffer that is kept for reuse
// once nothing can read it any more. influxdb-client-go takes the body as a
// string and net/http may read a request body after the response came back
// (it writes bodies on a goroutine of its own), so a buffer is reused only
// when every body net/http made of it was closed: net/http closes a
// request body when it is done with it, on errors too. The Writer's client
// wraps each body of a write in one that counts itself open until it is
// closed (trackBodies); a buffer whose count is not zero when the write
// returns is left to the garbage collector.

// bodyUse counts the request bodies of one write's buffer that are open.
type bodyUse struct{ open atomic.Int32 }

type bodyUseKey struct{}

// withBodyUse returns ctx carrying use, for trackBodies.
func withBodyUse(ctx context.Context, use *bodyUse) context.Context {
	return context.WithValue(ctx, bodyUseKey{}, use)
}

// track returns rc counted in u until it is first closed.
func (u *bodyUse) track(rc io.ReadCloser) io.ReadCloser {
	u.open.Add(1)
	return &trackedBody{ReadCloser: rc, use: u}
}

type trackedBody struct {
	io.ReadCloser
	use    *bodyUse
	closed atomic.Bool
}

// WriteTo hands the body over in one piece where the body underneath can
// (a strings.Reader), as io.Copy would without the wrapper.
func (b *trackedBody) WriteTo(w io.Writer) (int64, error) { return io.Copy(w, b.ReadCloser) }

func (b *trackedBody) Close() error {
	err := b.ReadCloser.Close()
	if b.closed.CompareAndSwap(false, true) {
		b.use.open.Add(-1)
	}
	return err
}

// trackBodies is the outermost http.RoundTripper of a Writer's client: it
// counts the bodies of requests whose context carries a bodyUse, and the
// bodies net/http makes again from GetBody to resend a request.
type trackBodies struct {
	next http.RoundTripper
}

func (t trackBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	use, _ := r.Context().Value(bodyUseKey{}).(*bodyUse)
	if use == nil || r.Body == nil || r.Body == http.NoBody {
		return t.next.RoundTrip(r)
	}
	out := *r // a RoundTripper must not change the request it was given
	out.Body = use.track(r.Body)
	if get := r.GetBody; get != nil {
		out.GetBody = func() (io.ReadCloser, error) {
			b, err := get()
			if err != nil {
				return nil, err
			}
			return use.track(b), nil
		}
	}
	return t.next.RoundTrip(&out)
}

// CloseIdleConnections closes the idle connections of the transport
// underneath, as http.Client.CloseIdleConnections asks.
func (t trackBodies) CloseIdleConnections() { closeIdle(t.next) }

// Request buffers are kept for reuse, newest first, up to bodyBudget bytes
// in all; a buffer kept past the budget pushes the oldest out, so that
// sizes no longer asked for (an outage's catch-up) leave. A request takes
// the newest kept buffer that is large enough and at most a quarter
// larger than asked: a job's write and a catch-up write differ twentyfold,
// and a buffer sized for the largest would hold that much memory for every
// small write in flight. A sync.Pool kept every buffer of the writes in
// flight through the pause between two cycles, and the worker's memory
// peaks at the start of a cycle. Buffers under 4 KiB are not worth keeping,
// nor those over 1 MiB.
const (
	minBodyBuffer = 4 << 10
	maxBodyBuffer = 1 << 20
	bodyBudget    = 4 << 20
)

var bodyBuffers struct {
	sync.Mutex
	free  [][]byte // oldest first
	bytes int
}

// getBody returns an empty buffer of at least n bytes, a kept one when one
// fits.
func getBody(n int) []byte {
	if n >= minBodyBuffer && n <= maxBodyBuffer {
		p := &bodyBuffers
		p.Lock()
		for i := len(p.free) - 1; i >= 0; i-- {
			if c := cap(p.free[i]); c >= n && c <= n+n/4 {
				b := p.free[i]
				p.free = slices.Delete(p.free, i, i+1)
				p.bytes -= c
				p.Unlock()
				return b
			}
		}
		p.Unlock()
	}
	return make([]byte, 0, n)
}

// putBody keeps b for a later getBody; nothing may use b afterwards.
func putBody(b []byte) {
	n := cap(b)
	if n < minBodyBuffer || n > maxBodyBuffer {
		return
	}
	p := &bodyBuffers
	p.Lock()
	defer p.Unlock()
	p.free = append(p.free, b[:0])
	p.bytes += n
	drop := 0
	for p.bytes > bodyBudget {
		p.bytes -= cap(p.free[drop])
		drop++
	}
	p.free = slices.Delete(p.free, 0, drop)
}
