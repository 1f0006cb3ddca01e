package simulator

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"sync"
	"time"
)

// maxSessions bounds the sessions one target keeps: clients that never log
// out cannot grow memory without limit. The least recently used session is
// dropped first.
const maxSessions = 256

type session struct {
	csrf     string
	admin    bool
	lastUsed time.Time // the simulator's clock (Config.Now)
	opened   time.Time // the real clock, for Stats.LastSession
}

type sessionStore struct {
	mu sync.Mutex
	m  map[string]*session
}

func randomToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// create opens a session and returns its id and CSRF token.
func (st *sessionStore) create(now time.Time, idle time.Duration, admin bool) (id, csrf string) {
	id, csrf = randomToken(), randomToken()
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.m == nil {
		st.m = map[string]*session{}
	}
	if len(st.m) >= maxSessions {
		st.expire(now, idle)
	}
	for len(st.m) >= maxSessions {
		var oldest string
		var ot time.Time
		for k, s := range st.m {
			if oldest == "" || s.lastUsed.Before(ot) {
				oldest, ot = k, s.lastUsed
			}
		}
		delete(st.m, oldest)
	}
	st.m[id] = &session{csrf: csrf, admin: admin, lastUsed: now, opened: time.Now()}
	return id, csrf
}

func (st *sessionStore) expire(now time.Time, idle time.Duration) {
	for k, s := range st.m {
		if now.Sub(s.lastUsed) > idle {
			delete(st.m, k)
		}
	}
}

// check validates a session id and CSRF header and refreshes the session.
// It returns the session's role.
func (st *sessionStore) check(id, csrf string, now time.Time, idle time.Duration) (admin, ok bool) {
	if id == "" || csrf == "" {
		return false, false
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	s, found := st.m[id]
	if !found {
		return false, false
	}
	if now.Sub(s.lastUsed) > idle {
		delete(st.m, id)
		return false, false
	}
	if subtle.ConstantTimeCompare([]byte(s.csrf), []byte(csrf)) != 1 {
		return false, false
	}
	s.lastUsed = now
	return s.admin, true
}

// remove ends a session; it reports whether it existed, and how long ago
// (on the real clock) it was opened.
func (st *sessionStore) remove(id string) (lasted time.Duration, ok bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	s, ok := st.m[id]
	if !ok {
		return 0, false
	}
	delete(st.m, id)
	return time.Since(s.opened), true
}

// open counts the sessions that are not expired.
func (st *sessionStore) open(now time.Time, idle time.Duration) int {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.expire(now, idle)
	return len(st.m)
}

func equalSecret(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// setLoginCookies answers a successful login with the CSRF cookie first and
// the session cookie second, both for Path=/ on the answering host. Clients
// that take the first login cookie they see as the CSRF token (the Python
// EdgeConnect demo's does) work unchanged; a cookie jar sorting by name
// yields the same order for the appliance and Orchestrator names.
func setLoginCookies(w http.ResponseWriter, sessionName, csrfName, id, csrf string) {
	http.SetCookie(w, &http.Cookie{Name: csrfName, Value: csrf, Path: "/", Secure: true})
	http.SetCookie(w, &http.Cookie{Name: sessionName, Value: id, Path: "/", Secure: true, HttpOnly: true})
}
