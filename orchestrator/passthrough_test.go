package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestPathForms: the release of briefInfo picks the URL form, read
// once; the appliance path and query reach the Orchestrator as each form
// wants them (the 9.3+ url value percent-encoded whole); the appliance's
// status and body come back unchanged.
func TestPathForms(t *testing.T) {
	tests := []struct {
		release   string
		wantPath  string
		wantQuery string
	}{
		{"9.2.9.1", "/appliance/rest/3.NE/tunnelAliases", "limit=1000&state=Down&" + source},
		{"9.3.0.1", "/appliance/rest", "nePk=3.NE&url=tunnelAliases%3Flimit%3D1000%26state%3DDown&" + source},
		{"10.0.1", "/appliance/rest", "nePk=3.NE&url=tunnelAliases%3Flimit%3D1000%26state%3DDown&" + source},
		{"garbage", "/appliance/rest/3.NE/tunnelAliases", "limit=1000&state=Down&" + source},
	}
	for _, tt := range tests {
		t.Run(tt.release, func(t *testing.T) {
			f := setup(t)
			var briefs atomic.Int32
			f.mux.HandleFunc("/gmsserver/briefInfo", func(w http.ResponseWriter, r *http.Request) {
				briefs.Add(1)
				fmt.Fprintf(w, `{"release":%q}`, tt.release)
			})
			relayed := func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != tt.wantPath {
					t.Errorf("path = %q, want %q", r.URL.Path, tt.wantPath)
				}
				testQuery(t, r, tt.wantQuery)
				f.checkAuth(r)
				w.WriteHeader(http.StatusTeapot)
				fmt.Fprint(w, `{"relayed":true}`)
			}
			f.mux.HandleFunc("/appliance/rest/", relayed)
			f.mux.HandleFunc("/appliance/rest", relayed)
			relay := f.client.ApplianceRelay("3.NE")
			for range 2 {
				resp, err := relay.Relay(t.Context(), http.MethodGet, "tunnelAliases", "limit=1000&state=Down", nil, http.Header{"Accept": {"application/json"}}, 0)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusTeapot || string(b) != `{"relayed":true}` {
					t.Errorf("answer %d %s, want the appliance's 418 and body", resp.StatusCode, b)
				}
			}
			if briefs.Load() != 1 {
				t.Errorf("briefInfo asked %d times, want once", briefs.Load())
			}
			if got := relay.Name(); got != "3.NE via "+f.client.Host() {
				t.Errorf("Name() = %q", got)
			}
		})
	}
}

// TestPassthroughLoginSession: with user and password the pass-through
// logs in first and renews an expired session once.
func TestPassthroughLoginSession(t *testing.T) {
	f := setup(t, withSession)
	f.client.SetPathForm(FormQuery)
	var calls atomic.Int32
	f.mux.HandleFunc("/appliance/rest", func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusUnauthorized) // the session expired
			return
		}
		f.checkAuth(r)
		fmt.Fprint(w, `{}`)
	})
	resp, err := f.client.Passthrough(t.Context(), "3.NE", ApplianceRequest{Method: http.MethodGet, Path: "memory"})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || f.logins.Load() != 2 || calls.Load() != 2 {
		t.Errorf("status %d after %d logins and %d calls, want 200, 2, 2", resp.StatusCode, f.logins.Load(), calls.Load())
	}
}

func TestPassthroughRefusesABadNePk(t *testing.T) {
	f := setup(t)
	f.client.SetPathForm(FormPath)
	for _, id := range []string{"", "3.NE/../x", "3.NE?a=b"} {
		if _, err := f.client.Passthrough(t.Context(), id, ApplianceRequest{Method: http.MethodGet, Path: "memory"}); err == nil {
			t.Errorf("Passthrough(%q) = nil error", id)
		}
	}
}

// TestLimiterPacesRequests: no more requests in flight than MaxConcurrency
// (a turn lasts until the body is closed), starts spaced by the rate, and
// every wait reported.
func TestLimiterPacesRequests(t *testing.T) {
	var waits atomic.Int32
	lim, err := NewLimiter(LimiterOptions{Rate: 50, MaxConcurrency: 2, OnWait: func(time.Duration) { waits.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	f := setup(t, func(o *Options) { o.Limiter = lim })
	f.client.SetPathForm(FormQuery)
	var inFlight, most atomic.Int32
	var mu sync.Mutex
	var starts []time.Time
	f.mux.HandleFunc("/appliance/rest", func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		mu.Lock()
		starts = append(starts, time.Now())
		mu.Unlock()
		fmt.Fprint(w, `{}`)
	})
	const n = 10
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			resp, err := f.client.Passthrough(t.Context(), "3.NE", ApplianceRequest{Method: http.MethodGet, Path: "memory"})
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
		})
	}
	wg.Wait()
	if most.Load() > 2 {
		t.Errorf("%d requests in flight at once, want at most 2", most.Load())
	}
	if waits.Load() != n {
		t.Errorf("OnWait called %d times, want %d", waits.Load(), n)
	}
	mu.Lock()
	defer mu.Unlock()
	if span := starts[len(starts)-1].Sub(starts[0]); span < (n-1)*20*time.Millisecond*8/10 {
		t.Errorf("%d requests started within %v, want them spaced by 20ms (50/s)", n, span)
	}
}

// TestLimiterGivesUpWithCtx: a request waiting for a slot ends with its
// ctx, and its slot is never taken.
func TestLimiterGivesUpWithCtx(t *testing.T) {
	lim, err := NewLimiter(LimiterOptions{MaxConcurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	release, err := lim.acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, err := lim.acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("acquire with a busy slot = %v, want the deadline", err)
	}
	release()
	release() // a second call frees nothing more
	r2, err := lim.acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel2()
	if _, err := lim.acquire(ctx2); err == nil {
		t.Error("two slots held with MaxConcurrency 1")
	}
	r2()
	if _, err := NewLimiter(LimiterOptions{Rate: -1}); err == nil {
		t.Error("NewLimiter accepted a negative rate")
	}
	var none *Limiter
	if rel, err := none.acquire(t.Context()); err != nil || rel == nil {
		t.Errorf("nil limiter: %v", err)
	}
}

func TestFormFor(t *testing.T) {
	for rel, want := range map[string]PathForm{"9.3.0": FormQuery, "9.2.99": FormPath, "8.10.1": FormPath, "9.10.1": FormQuery, "": FormPath} {
		if got := FormFor(rel); got != want {
			t.Errorf("FormFor(%q) = %s, want %s", rel, got, want)
		}
	}
}
