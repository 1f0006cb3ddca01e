package orchestrator

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/ec-telemetry/ec-telemetry/internal/redact"
	"github.com/ec-telemetry/ec-telemetry/internal/restapi"
)

// Defaults applied by New to zero Options fields.
const (
	DefaultTimeout          = 30 * time.Second
	DefaultMaxResponseBytes = 64 << 20
	DefaultUserAgent        = "ec-telemetry"
)

// basePath is the Orchestrator REST prefix; source is the marker
// pyedgeconnect appends as the last query parameter of every request (api
// doc 1.1).
const (
	basePath = "/gms/rest"
	source   = "source=menu_rest_apis_id"
)

// Options configures an Orchestrator client. URL and exactly one of APIKey
// or User (with Password) are required.
type Options struct {
	// URL of the Orchestrator: "orch.example.net", "orch.example.net:8443",
	// "10.0.0.5" or a full "https://host[:port][/prefix]" URL; /gms/rest is
	// appended unless the URL already ends with it.
	URL string
	// APIKey is sent as X-Auth-Token on every request (the demo's method).
	APIKey string
	// User and Password log in with POST /authentication/login instead of an
	// API key; the session lives in the client's cookie jar.
	User     string
	Password string
	// LoginType is the user directory of User: local (the default), RADIUS
	// or TACACS+. It goes into the login body as loginType.
	LoginType LoginType

	// InsecureSkipVerify disables TLS certificate verification (the Python
	// demo always did). Mutually exclusive with CAFile and with Transport.
	InsecureSkipVerify bool
	// CAFile is a PEM file of CA certificates that replaces the system roots.
	// New fails when it is unreadable or holds no certificate. Mutually
	// exclusive with InsecureSkipVerify and with Transport.
	CAFile string

	// Timeout bounds one request, reading the body included. Default 30 s
	// (the appliance list of a large fleet is several MiB).
	Timeout time.Duration
	// MaxResponseBytes bounds a response body. Default 64 MiB.
	MaxResponseBytes int64

	// Transport, when set, carries every request (tests pass the httptest
	// server's). TLS settings then belong to it, so InsecureSkipVerify and
	// CAFile must stay unset.
	Transport http.RoundTripper
	// UserAgent of every request. Default "ec-telemetry".
	UserAgent string
	// Limiter, when set, paces every request of the client (see
	// NewLimiter); share one between the clients of a process.
	Limiter *Limiter
}

// Client talks to one Orchestrator. It is safe for concurrent use.
type Client struct {
	host      string   // host[:port] for error messages
	base      string   // https://host[:port][/prefix]/gms/rest
	baseURL   *url.URL // base with a trailing slash, for cookie lookups
	apiKey    string
	user      string
	password  string
	loginType LoginType

	timeout time.Duration
	maxBody int64

	ep   restapi.Endpoint[service] // builds errors, redacts secrets
	rc   *resty.Client
	sess *restapi.Session // cookie jar and login state

	limiter *Limiter // nil: unpaced

	formMu    sync.Mutex
	form      PathForm   // "" until a briefInfo answer or SetPathForm
	release   string     // of the last briefInfo answer
	formFixed bool       // SetPathForm was called: briefInfo does not change form
	fetchMu   sync.Mutex // one briefInfo at a time when the form is unknown
}

// New checks the options and builds a client. It does no network I/O.
func New(o Options) (*Client, error) {
	u, err := parseURL(o.URL)
	if err != nil {
		return nil, fmt.Errorf("orchestrator: url %q: %w", redact.URL(o.URL), err)
	}
	host := u.Host
	switch {
	case o.APIKey != "" && (o.User != "" || o.Password != ""):
		return nil, fmt.Errorf("orchestrator %s: api key and user/password are mutually exclusive", host)
	case o.APIKey == "" && o.User == "":
		return nil, fmt.Errorf("orchestrator %s: an api key or a user is required", host)
	case o.LoginType < LoginLocal || o.LoginType > LoginTACACS:
		return nil, fmt.Errorf("orchestrator %s: login type %d is not local (0), radius (1) or tacacs (2)", host, int(o.LoginType))
	}
	rt := o.Transport
	if rt != nil && (o.InsecureSkipVerify || o.CAFile != "") {
		return nil, fmt.Errorf("orchestrator %s: tls settings belong to the transport when one is given", host)
	}
	if rt == nil {
		tc, err := restapi.TLSConfig(o.InsecureSkipVerify, o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("orchestrator %s: %w", host, err)
		}
		rt = restapi.NewTransport(tc, restapi.Pool{MaxIdleConnsPerHost: 4, IdleConnTimeout: 90 * time.Second})
	}
	base := u.String()
	baseURL, err := url.Parse(base + "/")
	if err != nil {
		return nil, fmt.Errorf("orchestrator: url %q: %w", redact.URL(o.URL), err)
	}
	c := &Client{
		host:      host,
		base:      base,
		baseURL:   baseURL,
		apiKey:    o.APIKey,
		user:      o.User,
		password:  o.Password,
		loginType: o.LoginType,
		timeout:   cmpOr(o.Timeout, DefaultTimeout),
		maxBody:   cmpOr(o.MaxResponseBytes, DefaultMaxResponseBytes),
		sess:      restapi.NewSession(),
		limiter:   o.Limiter,
	}
	c.ep = restapi.Endpoint[service]{Host: host, Secrets: c.secrets}
	// Redirects are never followed, so the credentials cannot travel to
	// another host: a 3xx becomes an *APIError.
	c.rc = restapi.NewResty(rt, c.sess.Jar, cmpOr(o.UserAgent, DefaultUserAgent))
	return c, nil
}

// Host returns the Orchestrator's host[:port] as used in error messages.
func (c *Client) Host() string { return c.host }

func cmpOr[T comparable](v, def T) T { return restapi.CmpOr(v, def) }

// parseURL turns the accepted URL forms into the https base URL ending in
// /gms/rest.
func parseURL(s string) (*url.URL, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("empty")
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, errors.New("not a url")
	}
	if u.Scheme != "https" {
		return nil, errors.New("scheme must be https")
	}
	if u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, errors.New("url must not carry credentials, a query or a fragment")
	}
	if u.Hostname() == "" {
		return nil, errors.New("empty host")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, errors.New("bad port")
		}
	}
	path := strings.TrimSuffix(u.Path, "/")
	if !strings.HasSuffix(path, basePath) {
		path += basePath
	}
	return &url.URL{Scheme: "https", Host: u.Host, Path: path}, nil
}
