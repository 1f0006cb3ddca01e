package influx

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// heldBodies is a transport that answers 204 at once and keeps every
// request body it was given open and unread, as net/http's may while it
// still writes a body after the response came back; the test closes them.
type heldBodies struct {
	mu     sync.Mutex
	bodies []io.ReadCloser
	resend bool // also make the body again from GetBody, as a resend does, and close the first
}

func (h *heldBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	body := r.Body
	if h.resend {
		again, err := r.GetBody()
		if err != nil {
			return nil, err
		}
		r.Body.Close()
		body = again
	}
	h.mu.Lock()
	h.bodies = append(h.bodies, body)
	h.mu.Unlock()
	return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody, Header: http.Header{}, Request: r}, nil
}

// A write's buffer is not reused while a body made of it is open: a
// write's body, held open by the transport, reads as it was sent after
// twenty more writes of the same size, which would each have taken its
// buffer from the pool.
func TestWriterKeepsBuffersOfOpenBodies(t *testing.T) {
	for _, resend := range []bool{false, true} {
		t.Run(fmt.Sprintf("resend=%t", resend), func(t *testing.T) {
			w := newWriter(t, Options{URL: "http://127.0.0.1:1", Bucket: "b"})
			held := &heldBodies{resend: resend}
			w.wc.Transport = trackBodies{next: held}
			write := func(m string) string {
				t.Helper()
				points := seqPoints(m, 400)
				if n, err := w.Write(t.Context(), points); err != nil || n != len(points) {
					t.Fatalf("Write(%s) = %d, %v", m, n, err)
				}
				want, err := Encode(points)
				if err != nil {
					t.Fatal(err)
				}
				return strings.TrimSuffix(string(want), "\n")
			}
			for range 60 { // the line sizer settles: the writes below ask for one size
				write("m000")
			}
			held.mu.Lock()
			for _, b := range held.bodies {
				b.Close()
			}
			held.bodies = nil
			held.mu.Unlock()
			want := write("m000")
			for i := range 20 {
				write(fmt.Sprintf("m%03d", i+1)) // as long as the first
			}
			held.mu.Lock()
			defer held.mu.Unlock()
			got, err := io.ReadAll(held.bodies[0])
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != want {
				t.Errorf("the first write's body changed while it was open: %.80q..., want %.80q...", got, want)
			}
			for _, b := range held.bodies {
				b.Close()
			}
		})
	}
}

func TestTrackBodiesCountsEveryBody(t *testing.T) {
	var got *http.Request
	next := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		got = r
		return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody}, nil
	})
	tb := trackBodies{next: next}

	// Without a bodyUse in the context the request passes as it is.
	plain, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://127.0.0.1:1/api/v2/write", strings.NewReader("m v=1i"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tb.RoundTrip(plain); err != nil || got != plain {
		t.Fatalf("RoundTrip without a bodyUse passed %p (%v), want the request itself %p", got, err, plain)
	}

	var use bodyUse
	r, err := http.NewRequestWithContext(withBodyUse(t.Context(), &use), http.MethodPost, "http://127.0.0.1:1/api/v2/write", strings.NewReader("m v=1i"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tb.RoundTrip(r); err != nil {
		t.Fatal(err)
	}
	if got == r || got.Body == r.Body {
		t.Fatal("RoundTrip with a bodyUse passed the request's own body on")
	}
	if n := use.open.Load(); n != 1 {
		t.Errorf("open bodies after RoundTrip = %d, want 1", n)
	}
	again, err := got.GetBody()
	if err != nil {
		t.Fatal(err)
	}
	if n := use.open.Load(); n != 2 {
		t.Errorf("open bodies after GetBody = %d, want 2", n)
	}
	if b, err := io.ReadAll(again); err != nil || string(b) != "m v=1i" {
		t.Errorf("GetBody's body reads %q, %v", b, err)
	}
	for range 2 { // closing twice counts once
		got.Body.Close()
	}
	if n := use.open.Load(); n != 1 {
		t.Errorf("open bodies after closing the first twice = %d, want 1", n)
	}
	again.Close()
	if n := use.open.Load(); n != 0 {
		t.Errorf("open bodies after closing both = %d, want 0", n)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Every attempt of a write has Timeout to be answered: a server that keeps
// the first two waiting is asked a third time, and one that never answers
// gives an error that says so, after MaxRetries more attempts.
func TestWriterTimesOutEachAttempt(t *testing.T) {
	t.Parallel()
	for _, answerAt := range []int{3, 0} { // 0: never
		t.Run(fmt.Sprintf("answer at %d", answerAt), func(t *testing.T) {
			t.Parallel()
			var (
				mu       sync.Mutex
				requests int
				ended    int // requests the client gave up on
			)
			srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				mu.Lock()
				requests++
				n := requests
				mu.Unlock()
				if n == answerAt {
					rw.WriteHeader(http.StatusNoContent)
					return
				}
				select {
				case <-r.Context().Done():
					mu.Lock()
					ended++
					mu.Unlock()
				case <-time.After(10 * time.Second):
				}
			}))
			t.Cleanup(srv.Close)
			w := newWriter(t, Options{URL: srv.URL, Bucket: "b", Timeout: 200 * time.Millisecond, MaxRetries: 3})
			w.sleep = func(context.Context, time.Duration) error { return nil }
			points := seqPoints("slow", 10)
			n, err := w.Write(t.Context(), points)
			srv.Close() // waits for the handlers
			if answerAt != 0 {
				if err != nil || n != len(points) {
					t.Fatalf("Write = %d, %v, want %d, nil", n, err, len(points))
				}
			} else {
				if n != 0 || err == nil || !strings.Contains(err.Error(), "no answer within 200ms") {
					t.Fatalf("Write = %d, %v, want 0 and an error saying no answer came within 200ms", n, err)
				}
				if !Retryable(err) {
					t.Errorf("Retryable(%v) = false, want true", err)
				}
			}
			wantReqs, wantEnded := answerAt, answerAt-1
			if answerAt == 0 {
				wantReqs, wantEnded = 4, 4
			}
			if requests != wantReqs || ended != wantEnded {
				t.Errorf("server saw %d requests, %d of them given up by the client; want %d and %d", requests, ended, wantReqs, wantEnded)
			}
		})
	}
}

// The buffers kept never add up to more than bodyBudget; the newest push
// the oldest out; a request takes a buffer at most a quarter larger than
// asked.
func TestBodyBuffersKeepWithinBudget(t *testing.T) {
	kept := func() (n, bytes int) {
		bodyBuffers.Lock()
		defer bodyBuffers.Unlock()
		return len(bodyBuffers.free), bodyBuffers.bytes
	}
	for range 100 {
		putBody(make([]byte, 1000, 256<<10))
	}
	if n, bytes := kept(); bytes != bodyBudget || n != bodyBudget/(256<<10) {
		t.Errorf("after 100 buffers of 256 KiB: %d kept, %d bytes, want %d bytes", n, bytes, bodyBudget)
	}
	if b := getBody(100 << 10); cap(b) != 100<<10 {
		t.Errorf("getBody(100 KiB) took a buffer of %d bytes, want a new one of 100 KiB", cap(b))
	}
	if b := getBody(220 << 10); len(b) != 0 || cap(b) != 256<<10 {
		t.Errorf("getBody(220 KiB) = len %d cap %d, want a kept buffer of 256 KiB, empty", len(b), cap(b))
	}
	for range 100 { // a new size pushes the old one out
		putBody(make([]byte, 0, 64<<10))
	}
	if n, bytes := kept(); bytes != bodyBudget || n != bodyBudget/(64<<10) {
		t.Errorf("after 100 buffers of 64 KiB: %d kept, %d bytes, want %d of 64 KiB", n, bytes, bodyBudget/(64<<10))
	}
	putBody(make([]byte, 0, 2*maxBodyBuffer)) // too large to keep
	putBody(make([]byte, 0, minBodyBuffer-1)) // too small
	if _, bytes := kept(); bytes != bodyBudget {
		t.Errorf("%d bytes kept, want %d", bytes, bodyBudget)
	}
}
