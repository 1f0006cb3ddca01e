package restapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

func TestSessionSharesOneReloginAmongConcurrentFailures(t *testing.T) {
	s := NewSession()
	u, _ := url.Parse("https://127.0.0.1:9443/rest/json/")
	var logins atomic.Int32
	login := func(context.Context) error {
		logins.Add(1)
		s.Jar.SetCookies(u, []*http.Cookie{{Name: "sid", Value: "cookie-" + string(rune('a'+logins.Load()))}})
		s.Established([]*http.Cookie{{Name: "sid", Value: "cookie-" + string(rune('a'+logins.Load()))}})
		return nil
	}
	if err := s.Ensure(t.Context(), login); err != nil || !s.Active() || logins.Load() != 1 {
		t.Fatalf("Ensure: err %v active %v logins %d, want nil true 1", err, s.Active(), logins.Load())
	}
	if err := s.Ensure(t.Context(), login); err != nil || logins.Load() != 1 {
		t.Fatalf("second Ensure logged in again: logins %d", logins.Load())
	}
	// Ten requests read the same generation, all get 401: one re-login.
	seen := s.Generation()
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); s.Relogin(t.Context(), seen, login) }()
	}
	wg.Wait()
	if got := logins.Load(); got != 2 {
		t.Errorf("logins after 10 concurrent 401s = %d, want 2", got)
	}
	if vals := s.CookieValues(u); !slices.Contains(vals, "cookie-c") {
		t.Errorf("CookieValues = %v, want the current cookie", vals)
	}
	s.Drop()
	if s.Active() || len(s.Jar.Cookies(u)) != 0 {
		t.Errorf("after Drop: active %v, cookies %v", s.Active(), s.Jar.Cookies(u))
	}
	if vals := s.CookieValues(u); !slices.Contains(vals, "cookie-c") {
		t.Errorf("after Drop CookieValues = %v, want the last login's cookie kept for redaction", vals)
	}
	failing := func(context.Context) error { return errors.New("refused") }
	if err := s.Ensure(t.Context(), failing); err == nil || s.Active() {
		t.Errorf("Ensure with a refused login = %v, active %v", err, s.Active())
	}
}

func TestSessionExchangeRetriesOnceAfter401(t *testing.T) {
	answer := func(status int) *Flight {
		return &Flight{Resp: &http.Response{StatusCode: status, Body: http.NoBody}, Ctx: context.Background(), Done: func() {}}
	}
	for _, tc := range []struct {
		name       string
		useSession bool
		statuses   []int // what successive sends answer
		wantStatus int
		wantSends  int
		wantLogins int32
	}{
		{"session: 401 then a fresh login and one repeat", true, []int{401, 200}, 200, 2, 2},
		{"session: a second 401 is final", true, []int{401, 401, 200}, 401, 2, 2},
		{"session: 200 at once", true, []int{200}, 200, 1, 1},
		{"no session (API key or login call): 401 is final", false, []int{401, 200}, 401, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSession()
			var logins atomic.Int32
			login := func(context.Context) error { logins.Add(1); s.Established(nil); return nil }
			sends := 0
			fl, err := s.Exchange(t.Context(), tc.useSession, login, func() (*Flight, error) {
				sends++
				return answer(tc.statuses[sends-1]), nil
			})
			if err != nil || fl.Resp.StatusCode != tc.wantStatus || sends != tc.wantSends || logins.Load() != tc.wantLogins {
				t.Errorf("Exchange = status %v, err %v after %d sends and %d logins; want %d after %d and %d",
					fl, err, sends, logins.Load(), tc.wantStatus, tc.wantSends, tc.wantLogins)
			}
		})
	}
	s := NewSession()
	refused := errors.New("refused")
	if _, err := s.Exchange(t.Context(), true, func(context.Context) error { return refused },
		func() (*Flight, error) { t.Fatal("sent without a session"); return nil, nil }); !errors.Is(err, refused) {
		t.Errorf("Exchange with a refused login = %v, want the login error", err)
	}
}

func TestSessionOpen(t *testing.T) {
	answer := func(status int, cookies ...string) *Flight {
		h := http.Header{}
		for _, c := range cookies {
			h.Add("Set-Cookie", c)
		}
		return &Flight{Resp: &http.Response{StatusCode: status, Header: h, Body: http.NoBody}, Ctx: context.Background(), Done: func() {}}
	}
	for _, tc := range []struct {
		name   string
		fl     *Flight
		names  []string
		status int
		ok     bool
	}{
		{"named cookie", answer(200, "sid=abc", "other=x"), []string{"sid"}, 200, true},
		{"only other cookies", answer(200, "other=x"), []string{"sid"}, 200, false},
		{"empty session cookie", answer(200, "sid="), []string{"sid"}, 200, false},
		{"any cookie", answer(200, "JSESSIONID=q"), nil, 200, true},
		{"no cookie", answer(200), nil, 200, false},
		{"204", answer(204, "sid=abc"), []string{"sid"}, 204, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSession()
			status, ok := s.Open(tc.fl, tc.names...)
			if status != tc.status || ok != tc.ok || s.Active() != tc.ok {
				t.Errorf("Open = %d, %v (active %v); want %d, %v", status, ok, s.Active(), tc.status, tc.ok)
			}
		})
	}
}
