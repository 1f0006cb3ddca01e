package restapi

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-resty/resty/v2"
)

// TLSConfig validates the TLS options and builds a config with TLS 1.2 or
// later. resty would only log a bad CA file, so the file is read and parsed
// here. insecure and caFile are mutually exclusive.
func TLSConfig(insecure bool, caFile string) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	switch {
	case insecure && caFile != "":
		return nil, errors.New("insecure skip verify and ca file are mutually exclusive")
	case insecure:
		tc.InsecureSkipVerify = true
	case caFile != "":
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("read ca file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca file %s holds no pem certificate", caFile)
		}
		tc.RootCAs = pool
	}
	return tc, nil
}

// Pool sizes the idle connection pool of NewTransport. Zero fields are
// passed on as zero (net/http's meaning: no limit, or its default).
type Pool struct {
	MaxIdleConns        int
	MaxConnsPerHost     int
	MaxIdleConnsPerHost int
	IdleConnTimeout     time.Duration
}

// NewTransport builds an *http.Transport with the clients' dial, handshake
// and HTTP/2 settings, the TLS config tc and the pool p. It takes no proxy
// from the environment: servers are reached directly.
func NewTransport(tc *tls.Config, p Pool) *http.Transport {
	return &http.Transport{
		DialContext: (&net.Dialer{
			Timeout:   10 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		TLSClientConfig:       tc,
		TLSHandshakeTimeout:   10 * time.Second,
		MaxIdleConns:          p.MaxIdleConns,
		MaxConnsPerHost:       p.MaxConnsPerHost,
		MaxIdleConnsPerHost:   p.MaxIdleConnsPerHost,
		IdleConnTimeout:       p.IdleConnTimeout,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
		// A request is a few hundred bytes of headers: net/http's 4 KiB
		// write buffer per connection was 5 MB of a worker's heap with
		// hundreds of appliance connections open. A larger write bypasses
		// the buffer.
		WriteBufferSize: 1 << 10,
	}
}

// CmpOr returns v, or def when v is the zero value.
func CmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// NewResty builds the resty client of one REST client: requests go over rt
// with the cookies of jar and the given User-Agent. It never follows a
// redirect (a 3xx is answered as is, so credentials and session headers
// cannot travel to another host), never retries and never logs.
func NewResty(rt http.RoundTripper, jar http.CookieJar, userAgent string) *resty.Client {
	hc := &http.Client{
		Transport:     rt,
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return resty.NewWithClient(hc).
		SetLogger(discardLogger{}).
		SetDisableWarn(true).
		SetRetryCount(0).
		SetHeader("User-Agent", userAgent)
}

// discardLogger keeps resty silent: the clients never log.
type discardLogger struct{}

func (discardLogger) Errorf(string, ...any) {}
func (discardLogger) Warnf(string, ...any)  {}
func (discardLogger) Debugf(string, ...any) {}

// SessionJar is a cookie jar that can be emptied: one per client, so each
// server has its own session even over a shared transport. It is safe for
// concurrent use; create it with NewSessionJar.
type SessionJar struct {
	mu      sync.Mutex
	jar     *cookiejar.Jar
	changes atomic.Uint64 // SetCookies and Reset calls
}

// NewSessionJar returns an empty jar.
func NewSessionJar() *SessionJar {
	j := &SessionJar{}
	j.Reset()
	return j
}

func (j *SessionJar) current() *cookiejar.Jar {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.jar
}

// Reset forgets every cookie.
func (j *SessionJar) Reset() {
	jar, _ := cookiejar.New(nil) // never fails without options
	j.mu.Lock()
	j.jar = jar
	j.mu.Unlock()
	j.changes.Add(1)
}

// Changes counts the calls that may have changed the jar's cookies
// (SetCookies, Reset): what Cookies returns for a URL stays the same while
// it does, but for cookies expiring meanwhile.
func (j *SessionJar) Changes() uint64 { return j.changes.Load() }

// SetCookies implements http.CookieJar.
func (j *SessionJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	j.current().SetCookies(u, cookies)
	j.changes.Add(1)
}

// Cookies implements http.CookieJar.
func (j *SessionJar) Cookies(u *url.URL) []*http.Cookie {
	return j.current().Cookies(u)
}
