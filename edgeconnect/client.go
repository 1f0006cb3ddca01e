package edgeconnect

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/ec-telemetry/ec-telemetry/internal/redact"
	"github.com/ec-telemetry/ec-telemetry/internal/restapi"
)

// Defaults applied by New to zero Options fields.
const (
	DefaultTimeout          = 12 * time.Second
	DefaultArchiveTimeout   = 60 * time.Second
	DefaultMaxResponseBytes = 16 << 20
	DefaultMaxArchiveBytes  = 64 << 20
	DefaultUserAgent        = "ec-telemetry"
	DefaultPort             = "443"
)

// basePath is the ECOS REST prefix; source is the marker pyedgeconnect
// appends as the last query parameter of every request.
const (
	basePath = "/rest/json"
	source   = "source=menu_rest_apis_id"
)

// Options configures one appliance client. Only Address and User are
// required.
type Options struct {
	// Address of the appliance: "10.1.1.1", "10.1.1.1:8443", "host",
	// "host:8443", "2001:db8::1", "[2001:db8::1]:8443" or a full
	// "https://host[:port]" URL. The port defaults to 443.
	Address string
	// User and Password for POST /login. User is required.
	User     string
	Password string

	// InsecureSkipVerify disables TLS certificate verification (the Python
	// demo always did). Mutually exclusive with CAFile and with Transport.
	InsecureSkipVerify bool
	// CAFile is a PEM file of CA certificates that replaces the system roots.
	// New fails when it is unreadable or holds no certificate. Mutually
	// exclusive with InsecureSkipVerify and with Transport.
	CAFile string

	// Timeout bounds one JSON request, reading the body included.
	// Default 12 s (pyedgeconnect's read timeout).
	Timeout time.Duration
	// ArchiveTimeout bounds one minute-archive download, from sending the
	// request until the returned reader is drained. Default 60 s.
	ArchiveTimeout time.Duration
	// MaxResponseBytes bounds a JSON body. Default 16 MiB.
	MaxResponseBytes int64
	// MaxArchiveBytes bounds a minute archive. Default 64 MiB.
	MaxArchiveBytes int64

	// Transport, when set, carries every request; share one (see
	// NewTransport) between the clients of all appliances so they reuse one
	// connection pool. TLS settings then belong to the transport, so
	// InsecureSkipVerify and CAFile must stay unset. When nil, New builds a
	// private transport from InsecureSkipVerify and CAFile.
	Transport http.RoundTripper
	// UserAgent of every request. Default "ec-telemetry".
	UserAgent string
}

// TransportOptions configures NewTransport.
type TransportOptions struct {
	// InsecureSkipVerify disables TLS certificate verification.
	InsecureSkipVerify bool
	// CAFile is a PEM file of CA certificates that replaces the system roots.
	CAFile string
	// MaxIdleConns bounds idle connections over all appliances. Default 1024.
	MaxIdleConns int
	// MaxConnsPerHost bounds the connections open to one appliance at
	// once; requests beyond it wait for one to be free. Default 2: a job
	// reads the minute statistics on one and the other sources on the
	// other, so it does at most two TLS handshakes, whatever its parallel
	// sources.
	MaxConnsPerHost int
	// MaxIdleConnsPerHost bounds idle connections per appliance. Default
	// MaxConnsPerHost, so that no connection of a job is closed and opened
	// again while the job runs.
	MaxIdleConnsPerHost int
	// IdleConnTimeout closes an idle connection after this long. Default
	// 15 s: connections are reused within a job, and released between
	// cycles instead of keeping one open per appliance of the fleet (TLS
	// session resumption keeps the next handshake cheap).
	IdleConnTimeout time.Duration
	// SessionCache is how many appliances' TLS sessions are kept for
	// resumption. Default 8192. Any worker may collect any appliance, so
	// a cache smaller than the fleet is emptied before the next cycle
	// comes back to an appliance, and every handshake is a full one.
	SessionCache int
	// Curves are the key exchanges offered in each handshake, in order of
	// preference (tls.Config.CurvePreferences). Nil keeps crypto/tls's
	// defaults, which with Go 1.26 offer the hybrid post-quantum
	// X25519MLKEM768 first. An appliance that supports none of them fails
	// the handshake.
	Curves []tls.CurveID
	// OnHandshake, when set, is called after every completed TLS handshake
	// with an appliance, saying whether it resumed a cached session and
	// which key exchange it used (0 when none did, as in a TLS 1.2
	// resumption).
	OnHandshake func(resumed bool, keyExchange tls.CurveID)
	// OnSessionEvicted, when set, is called each time the session cache
	// lets the least recently used session go to make room for another.
	OnSessionEvicted func()
}

// DefaultSessionCache is TransportOptions.SessionCache's default.
const DefaultSessionCache = 8192

// NewTransport builds an *http.Transport meant to be shared by the clients
// of many appliances: a large idle pool, a TLS session cache, no proxy from
// the environment (appliances are reached directly) and the given TLS
// settings. It fails when CAFile is unusable.
func NewTransport(o TransportOptions) (*http.Transport, error) {
	tc, err := restapi.TLSConfig(o.InsecureSkipVerify, o.CAFile)
	if err != nil {
		return nil, fmt.Errorf("edgeconnect: new transport: %w", err)
	}
	return newTransport(tc, o), nil
}

// newTransport applies the defaults of TransportOptions and adds a TLS
// session cache sized like the idle pool.
func newTransport(tc *tls.Config, o TransportOptions) *http.Transport {
	if o.MaxIdleConns <= 0 {
		o.MaxIdleConns = 1024
	}
	if o.MaxConnsPerHost <= 0 {
		o.MaxConnsPerHost = 2
	}
	if o.MaxIdleConnsPerHost <= 0 {
		o.MaxIdleConnsPerHost = o.MaxConnsPerHost
	}
	if o.IdleConnTimeout <= 0 {
		o.IdleConnTimeout = 15 * time.Second
	}
	if o.SessionCache <= 0 {
		o.SessionCache = DefaultSessionCache
	}
	tc.ClientSessionCache = newSessionCache(o.SessionCache, o.OnSessionEvicted)
	if len(o.Curves) > 0 {
		tc.CurvePreferences = slices.Clone(o.Curves)
	}
	if on := o.OnHandshake; on != nil {
		// Called for resumed handshakes too, whatever the verification.
		tc.VerifyConnection = func(cs tls.ConnectionState) error {
			on(cs.DidResume, cs.CurveID)
			return nil
		}
	}
	return restapi.NewTransport(tc, restapi.Pool{
		MaxIdleConns:        o.MaxIdleConns,
		MaxConnsPerHost:     o.MaxConnsPerHost,
		MaxIdleConnsPerHost: o.MaxIdleConnsPerHost,
		IdleConnTimeout:     o.IdleConnTimeout,
	})
}

// Client talks to one appliance. It holds that appliance's session (cookie
// jar and CSRF token) and is safe for concurrent use.
type Client struct {
	host     string   // host:port, for error messages
	base     string   // https://host:port/rest/json
	baseURL  *url.URL // base with a trailing slash, for cookie lookups
	user     string
	password string

	timeout        time.Duration
	archiveTimeout time.Duration
	maxBody        int64
	maxArchive     int64

	ep   restapi.Endpoint[service] // builds errors, redacts secrets
	rc   *resty.Client
	sess *restapi.Session              // cookie jar and login state
	hdr  atomic.Pointer[sessionHeader] // what setSessionHeaders last read from the jar

	relay Relay // when set, every request goes through it (see NewRelayed)
}

// New checks the options and builds a client. It does no network I/O; the
// first request logs in.
func New(o Options) (*Client, error) {
	host, err := parseAddress(o.Address)
	if err != nil {
		return nil, fmt.Errorf("edgeconnect: address %q: %w", redact.URL(o.Address), err)
	}
	if o.User == "" {
		return nil, fmt.Errorf("edgeconnect %s: user is required", host)
	}
	rt := o.Transport
	if rt != nil && (o.InsecureSkipVerify || o.CAFile != "") {
		return nil, fmt.Errorf("edgeconnect %s: tls settings belong to the shared transport when one is given", host)
	}
	if rt == nil {
		tc, err := restapi.TLSConfig(o.InsecureSkipVerify, o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("edgeconnect %s: %w", host, err)
		}
		rt = newTransport(tc, TransportOptions{MaxIdleConns: 4, SessionCache: 4})
	}
	base := "https://" + escapeZone(host) + basePath
	baseURL, err := url.Parse(base + "/")
	if err != nil || baseURL.Host == "" {
		return nil, fmt.Errorf("edgeconnect: address %q: not a valid host", redact.URL(o.Address))
	}

	c := &Client{
		host:           host,
		base:           base,
		baseURL:        baseURL,
		user:           o.User,
		password:       o.Password,
		timeout:        cmpOr(o.Timeout, DefaultTimeout),
		archiveTimeout: cmpOr(o.ArchiveTimeout, DefaultArchiveTimeout),
		maxBody:        cmpOr(o.MaxResponseBytes, DefaultMaxResponseBytes),
		maxArchive:     cmpOr(o.MaxArchiveBytes, DefaultMaxArchiveBytes),
		sess:           restapi.NewSession(),
	}
	c.ep = restapi.Endpoint[service]{Host: host, Secrets: c.secrets}
	// Redirects are never followed, so the credentials cannot travel to
	// another host: a 3xx becomes an *APIError.
	c.rc = restapi.NewResty(rt, c.sess.Jar, cmpOr(o.UserAgent, DefaultUserAgent))
	return c, nil
}

// Address returns the appliance's host:port as used in error messages.
func (c *Client) Address() string { return c.host }

func cmpOr[T comparable](v, def T) T { return restapi.CmpOr(v, def) }

// parseAddress turns the accepted address forms into host:port.
func parseAddress(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("empty")
	}
	var host, port string
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil {
			return "", errors.New("not a url")
		}
		if u.Scheme != "https" {
			return "", errors.New("scheme must be https")
		}
		if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return "", errors.New("url must not carry credentials, a query or a fragment")
		}
		if p := strings.TrimSuffix(u.Path, "/"); p != "" && p != basePath {
			return "", fmt.Errorf("url path must be empty or %s", basePath)
		}
		host, port = u.Hostname(), u.Port()
	} else {
		switch {
		case strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]"):
			host = s[1 : len(s)-1]
		case strings.HasPrefix(s, "["):
			h, p, err := net.SplitHostPort(s)
			if err != nil {
				return "", errors.New("bad bracketed ipv6 address")
			}
			host, port = h, p
		case strings.Count(s, ":") > 1:
			host = s // bare IPv6 literal
		case strings.Contains(s, ":"):
			h, p, err := net.SplitHostPort(s)
			if err != nil {
				return "", errors.New("bad host:port")
			}
			host, port = h, p
		default:
			host = s
		}
	}
	if host == "" {
		return "", errors.New("empty host")
	}
	if strings.Contains(host, ":") {
		ip := host
		if i := strings.IndexByte(ip, '%'); i >= 0 {
			ip = ip[:i]
		}
		if net.ParseIP(ip) == nil {
			return "", errors.New("bad ipv6 address")
		}
	} else if strings.ContainsAny(host, "/?#@[]% \t") {
		return "", errors.New("bad host name")
	}
	if port == "" {
		port = DefaultPort
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", errors.New("bad port")
	}
	return net.JoinHostPort(host, port), nil
}

// escapeZone escapes the "%" of an IPv6 zone for use in a URL.
func escapeZone(hostport string) string {
	return strings.Replace(hostport, "%", "%25", 1)
}
