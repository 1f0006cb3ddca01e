package restapi

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"sync"
)

// Session is the login state of one cookie-based API session: the cookie
// jar, whether a login succeeded, a generation bumped by every login and
// every drop (so that requests failing with 401 at the same time share one
// re-login), and the cookie values of the last login, kept for redaction.
// Logins are serialised. A Session is safe for concurrent use.
type Session struct {
	Jar *SessionJar

	loginMu     sync.Mutex // serialises logins and logouts
	mu          sync.Mutex // guards gen, active and lastCookies
	gen         uint64
	active      bool
	lastCookies []string
}

// NewSession returns a session with an empty jar, not logged in.
func NewSession() *Session { return &Session{Jar: NewSessionJar()} }

// Serialized runs fn while no login or logout of this session runs.
func (s *Session) Serialized(fn func() error) error {
	s.loginMu.Lock()
	defer s.loginMu.Unlock()
	return fn()
}

// Active reports whether a login succeeded and was not dropped since.
func (s *Session) Active() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active
}

// Generation identifies the current session; read it before a request and
// pass it to Relogin when the request answers 401.
func (s *Session) Generation() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen
}

// Ensure logs in with login when there is no session yet.
func (s *Session) Ensure(ctx context.Context, login func(context.Context) error) error {
	s.mu.Lock()
	active, gen := s.active, s.gen
	s.mu.Unlock()
	if active {
		return nil
	}
	return s.Relogin(ctx, gen, login)
}

// Exchange sends one request through send. With useSession it first logs
// in when there is no session, and when the answer is 401 it logs in again
// (once for all the requests that saw the same session) and sends exactly
// once more. It returns the last answer with its body open, whatever its
// status; the caller checks it.
func (s *Session) Exchange(ctx context.Context, useSession bool, login func(context.Context) error, send func() (*Flight, error)) (*Flight, error) {
	if useSession {
		if err := s.Ensure(ctx, login); err != nil {
			return nil, err
		}
	}
	gen := s.Generation()
	fl, err := send()
	if err != nil || !useSession || fl.Resp.StatusCode != http.StatusUnauthorized {
		return fl, err
	}
	DrainClose(fl.Resp.Body)
	fl.Done()
	if err := s.Relogin(ctx, gen, login); err != nil {
		return nil, err
	}
	return send()
}

// Relogin logs in again with login, unless another goroutine already did so
// after the generation seen was read.
func (s *Session) Relogin(ctx context.Context, seen uint64, login func(context.Context) error) error {
	s.loginMu.Lock()
	defer s.loginMu.Unlock()
	s.mu.Lock()
	active, gen := s.active, s.gen
	s.mu.Unlock()
	if active && gen != seen {
		return nil
	}
	return login(ctx)
}

// Drop forgets the cookies and marks the session logged out.
func (s *Session) Drop() {
	s.Jar.Reset()
	s.mu.Lock()
	s.gen++
	s.active = false
	s.mu.Unlock()
}

// Open takes the answer to a login request and closes it. A 200 that set a
// non-empty cookie named in names (any name when names is empty) starts the
// session, and Open returns true. Otherwise the session stays dropped and
// Open returns false with the answer's status, for the caller's error.
func (s *Session) Open(fl *Flight, names ...string) (status int, ok bool) {
	status, cookies := fl.Resp.StatusCode, fl.Resp.Cookies()
	DrainClose(fl.Resp.Body)
	fl.Done()
	if status != http.StatusOK {
		return status, false
	}
	for _, ck := range cookies {
		if ck.Value != "" && (len(names) == 0 || slices.Contains(names, ck.Name)) {
			s.Established(cookies)
			return status, true
		}
	}
	s.Drop()
	return status, false
}

// Established records a successful login and the cookies it set.
func (s *Session) Established(cookies []*http.Cookie) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	s.active = true
	s.lastCookies = s.lastCookies[:0]
	for _, ck := range cookies {
		s.lastCookies = append(s.lastCookies, ck.Value)
	}
}

// CookieValues returns the values of the cookies the jar holds for u and of
// the cookies of the last login: what must never reach an error message.
func (s *Session) CookieValues(u *url.URL) []string {
	var out []string
	for _, ck := range s.Jar.Cookies(u) {
		out = append(out, ck.Value)
	}
	s.mu.Lock()
	out = append(out, s.lastCookies...)
	s.mu.Unlock()
	return out
}
