package simulator

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// EndpointPassthrough is the Orchestrator's appliance REST pass-through, in
// both URL forms: /gms/rest/appliance/rest/{nePk}/{path} (before 9.3) and
// /gms/rest/appliance/rest?nePk=&url= (9.3 and later).
const EndpointPassthrough Endpoint = "/gms/rest/appliance/rest"

// DefaultOrchestratorRelease is the release briefInfo reports when
// Config.OrchestratorRelease is empty; it selects the 9.3+ pass-through form.
const DefaultOrchestratorRelease = "9.4.2.40345"

// Passthrough configures the Orchestrator's appliance REST pass-through.
type Passthrough struct {
	// Latency is added to every pass-through request by the Orchestrator,
	// on top of the Orchestrator's and the appliance's fault latency.
	Latency time.Duration
	// RateLimit is the most pass-through requests the Orchestrator answers
	// in one wall-clock second; the excess answer 429 with Retry-After: 1.
	// 0 means no limit.
	RateLimit int
}

// relayKey marks an appliance request that arrived through the
// pass-through: the appliance answers it without a session.
type relayKey struct{}

// relayed reports whether r came through the pass-through.
func relayed(r *http.Request) bool {
	v, _ := r.Context().Value(relayKey{}).(bool)
	return v
}

// passSeconds counts pass-through requests per wall-clock second.
type passSeconds struct {
	mu sync.Mutex
	n  map[int64]int64
}

// hit counts one request in the current second and returns its count.
func (p *passSeconds) hit(now time.Time) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == nil {
		p.n = map[int64]int64{}
	}
	sec := now.Unix()
	p.n[sec]++
	return p.n[sec]
}

// PassthroughPerSecond returns how many pass-through requests arrived in
// each wall-clock second (epoch seconds), refused ones included.
func (s *Simulator) PassthroughPerSecond() map[int64]int64 {
	s.pass.mu.Lock()
	defer s.pass.mu.Unlock()
	out := make(map[int64]int64, len(s.pass.n))
	for k, v := range s.pass.n {
		out[k] = v
	}
	return out
}

// pathForm reports whether the configured release predates 9.3, whose
// pass-through puts the nePk and the appliance path in the URL path.
func (s *Simulator) pathForm() bool {
	parts := strings.SplitN(s.cfg.OrchestratorRelease, ".", 3)
	if len(parts) < 2 {
		return true
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return true
	}
	return major < 9 || major == 9 && minor < 3
}

// passthrough relays a request to an appliance. The form that does not
// match the release answers 404. An unknown nePk answers 404, an appliance
// the Orchestrator reports unreachable (state 2) 400. The appliance then
// answers as it would directly, without asking for a session, and counts
// the request on its own endpoint.
func (s *Simulator) passthrough(pathForm bool) func(http.ResponseWriter, *http.Request, *target) {
	return func(w http.ResponseWriter, r *http.Request, _ *target) {
		if n := s.pass.hit(time.Now()); s.cfg.Passthrough.RateLimit > 0 && n > int64(s.cfg.Passthrough.RateLimit) {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "too many requests", http.StatusTooManyRequests)
			return
		}
		if !s.wait(r.Context(), s.cfg.Passthrough.Latency) {
			panic(http.ErrAbortHandler) // no empty 200 (see route)
		}
		if pathForm != s.pathForm() {
			http.NotFound(w, r)
			return
		}
		var nePk, path, query string
		if pathForm {
			nePk, path = r.PathValue("nePk"), r.PathValue("url")
			q := r.URL.Query()
			q.Del("source")
			query = q.Encode()
		} else {
			q := r.URL.Query()
			nePk = q.Get("nePk")
			path, query, _ = strings.Cut(q.Get("url"), "?")
		}
		t, ok := s.byID[nePk]
		if !ok || path == "" {
			http.Error(w, "unknown appliance or url", http.StatusNotFound)
			return
		}
		if t.def.state == 2 {
			http.Error(w, "appliance "+nePk+" is unreachable", http.StatusBadRequest)
			return
		}
		ctx := context.WithValue(context.WithValue(r.Context(), ctxKey{}, t), relayKey{}, true)
		r2 := r.Clone(ctx)
		r2.URL.Path = "/rest/json/" + strings.TrimPrefix(path, "/")
		r2.URL.RawPath = ""
		r2.URL.RawQuery = query
		r2.RequestURI = r2.URL.RequestURI()
		r2.Header.Del(headerAuthToken)
		r2.Header.Del("Cookie")
		s.appMux.ServeHTTP(w, r2)
	}
}
