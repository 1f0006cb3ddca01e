package grafanarender

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/redact"
)

// Defaults applied to a Request's zero values. The default height depends
// on the dashboard: see Request.Height.
const (
	DefaultFrom  = "now-1h"
	DefaultTo    = "now"
	DefaultWidth = 1600
	// DefaultScale renders two image pixels per browser pixel, so text
	// stays sharp when the image is zoomed.
	DefaultScale = 2
)

// MaxPixels bounds Width and Height; the renderer clamps larger requests
// anyway and they only cost memory.
const MaxPixels = 16384

// MaxScale bounds Scale.
const MaxScale = 4

// MaxPNGBytes bounds the size of a rendered image Render accepts.
const MaxPNGBytes = 256 << 20

// excerptBytes is how much of a non-PNG answer an Error keeps.
const excerptBytes = 300

// pngMagic is the 8-byte signature every PNG file starts with.
var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// uidPattern is what Grafana accepts as a dashboard uid.
var uidPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)

// Var is one dashboard template variable, sent as var-<Name>=<Value>. A
// multi-value variable is given as several Vars with the same Name.
type Var struct {
	Name, Value string
}

// Request is one render. Zero values take the defaults above.
type Request struct {
	// Dashboard is the dashboard uid, e.g. "ec-appliance". Required.
	Dashboard string
	// Panel, when positive, renders only that panel (route /render/d-solo
	// with panelId) instead of the whole dashboard.
	Panel int
	// Vars are the template variables, in order.
	Vars []Var
	// From and To are Grafana time expressions ("now-1h", "now",
	// "2026-11-23T08:00:00Z", epoch milliseconds).
	From, To string
	// Width and Height are the size of the browser window in pixels
	// (the image is Scale times larger). Height FullPage (-1) captures the
	// whole page however tall. Height 0 means the whole dashboard: its
	// grid's height for a shipped dashboard without repeated panels
	// (Dashboard.Height), FullPage for the others, DefaultPanelHeight for a
	// single panel.
	Width, Height int
	// Scale is the device scale factor (Grafana's scale parameter): image
	// pixels per browser pixel. 0 means DefaultScale.
	Scale float64
	// Timezone is Grafana's tz parameter ("utc", "browser",
	// "Europe/Paris"); empty leaves Grafana's default.
	Timezone string
	// OrgID is Grafana's orgId parameter; 0 leaves it out (the token's
	// organization is used).
	OrgID int
	// RenderTimeout is Grafana's timeout parameter: how long the renderer
	// may take. 0 leaves Grafana's default (60 s).
	RenderTimeout time.Duration
}

func (r Request) withDefaults() Request {
	if r.From == "" {
		r.From = DefaultFrom
	}
	if r.To == "" {
		r.To = DefaultTo
	}
	if r.Width == 0 {
		r.Width = DefaultWidth
	}
	if r.Height == 0 {
		r.Height = FullPage
		if r.Panel > 0 {
			r.Height = DefaultPanelHeight
		} else if d, ok := Lookup(r.Dashboard); ok {
			r.Height = d.Height()
		}
	}
	if r.Scale == 0 {
		r.Scale = DefaultScale
	}
	return r
}

// Validate reports every problem of the request at once.
func (r Request) Validate() error {
	var errs []error
	if !uidPattern.MatchString(r.Dashboard) {
		errs = append(errs, fmt.Errorf("dashboard uid %q must be 1 to 40 letters, digits, '-' or '_'", r.Dashboard))
	}
	if r.Panel < 0 {
		errs = append(errs, fmt.Errorf("panel id %d must not be negative", r.Panel))
	}
	if r.Width < 0 || r.Width > MaxPixels || r.Height < FullPage || r.Height > MaxPixels {
		errs = append(errs, fmt.Errorf("size %dx%d must be within 1..%d pixels (height %d: the full page)", r.Width, r.Height, MaxPixels, FullPage))
	}
	if r.Scale < 0 || r.Scale > MaxScale {
		errs = append(errs, fmt.Errorf("scale %g must be within 0..%d", r.Scale, MaxScale))
	}
	if r.OrgID < 0 {
		errs = append(errs, fmt.Errorf("org id %d must not be negative", r.OrgID))
	}
	if r.RenderTimeout < 0 {
		errs = append(errs, fmt.Errorf("render timeout %s must not be negative", r.RenderTimeout))
	}
	for _, v := range r.Vars {
		if v.Name == "" || strings.ContainsAny(v.Name, "&=# ") {
			errs = append(errs, fmt.Errorf("variable name %q must be non-empty without '&', '=', '#' or spaces", v.Name))
		}
	}
	return errors.Join(errs...)
}

// Client renders through one Grafana server with one token.
type Client struct {
	base    *url.URL
	token   string
	hc      *http.Client
	secrets *redact.Replacer // the token and a password in the base URL
}

// New returns a Client for the Grafana at baseURL (e.g.
// "http://localhost:3000" or "https://grafana.example/sub/path") that
// authenticates with token, a service-account token (or API key), sent as
// "Authorization: Bearer <token>". hc nil means a client with a 3-minute
// timeout.
func New(baseURL, token string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("grafana URL %q must be an http:// or https:// URL", redact.URL(baseURL))
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("grafana URL %s must not have a query or fragment", redact.URL(u.String()))
	}
	if strings.TrimSpace(token) == "" {
		return nil, errors.New("grafana token is empty: create a service account token (Viewer role) in Grafana")
	}
	if strings.ContainsAny(token, "\r\n") {
		return nil, errors.New("grafana token must be one line")
	}
	if hc == nil {
		hc = &http.Client{Timeout: 3 * time.Minute}
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return &Client{base: u, token: token, hc: hc,
		secrets: redact.NewReplacer(append([]string{token}, redact.URLSecrets(baseURL)...), 4)}, nil
}

// URL returns the render URL of r, with user information in the base URL
// redacted. It is what Render requests (minus the header).
func (c *Client) URL(r Request) (string, error) {
	u, err := c.url(r)
	if err != nil {
		return "", err
	}
	return redact.URL(u.String()), nil
}

func (c *Client) url(r Request) (*url.URL, error) {
	r = r.withDefaults()
	if err := r.Validate(); err != nil {
		return nil, err
	}
	q := url.Values{}
	route := "/render/d/" + r.Dashboard
	if r.Panel > 0 {
		route = "/render/d-solo/" + r.Dashboard
		q.Set("panelId", strconv.Itoa(r.Panel))
	}
	if r.OrgID > 0 {
		q.Set("orgId", strconv.Itoa(r.OrgID))
	}
	q.Set("from", r.From)
	q.Set("to", r.To)
	q.Set("width", strconv.Itoa(r.Width))
	q.Set("height", strconv.Itoa(r.Height))
	q.Set("scale", strconv.FormatFloat(r.Scale, 'f', -1, 64))
	if r.Timezone != "" {
		q.Set("tz", r.Timezone)
	}
	if r.RenderTimeout > 0 {
		secs := int((r.RenderTimeout + time.Second - 1) / time.Second)
		q.Set("timeout", strconv.Itoa(secs))
	}
	for _, v := range r.Vars {
		q.Add("var-"+v.Name, v.Value)
	}
	u := *c.base
	u.Path = c.base.Path + route
	// kiosk is a flag without a value; url.Values would write "kiosk=".
	u.RawQuery = q.Encode() + "&kiosk"
	return &u, nil
}

// Error is a render that did not produce a PNG: a status other than 200, or
// a body that is not a PNG (a login page, a JSON error).
type Error struct {
	Dashboard   string
	URL         string // redacted render URL
	Status      int    // HTTP status
	ContentType string
	Reason      string // what was wrong
	Excerpt     string // the start of the body, printable, without the token
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "render dashboard %s: %s (status %d", e.Dashboard, e.Reason, e.Status)
	if e.ContentType != "" {
		fmt.Fprintf(&b, ", %s", e.ContentType)
	}
	b.WriteString(")")
	if e.Excerpt != "" {
		fmt.Fprintf(&b, ": %s", e.Excerpt)
	}
	if hint := hintFor(e.Status); hint != "" {
		b.WriteString("; " + hint)
	}
	return b.String()
}

func hintFor(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "check the service-account token"
	case http.StatusForbidden:
		return "the token's service account needs at least the Viewer role"
	case http.StatusNotFound:
		return "check the dashboard uid and the Grafana URL"
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable:
		return "check that the image renderer runs and that GF_RENDERING_SERVER_URL and the renderer token match"
	}
	return ""
}

// Render requests the image of r and copies the PNG to w. It returns the
// number of bytes written. Nothing is written to w unless the answer starts
// with the PNG signature; a non-PNG answer is an *Error.
func (c *Client) Render(ctx context.Context, r Request, w io.Writer) (int64, error) {
	u, err := c.url(r)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, fmt.Errorf("render dashboard %s: %w", r.Dashboard, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "image/png")
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("render dashboard %s: %s", r.Dashboard, c.redact(transportError(err)))
	}
	defer resp.Body.Close()

	fail := func(reason string, head []byte) error {
		rest, _ := io.ReadAll(io.LimitReader(resp.Body, excerptBytes))
		return &Error{
			Dashboard:   r.Dashboard,
			URL:         redact.URL(u.String()),
			Status:      resp.StatusCode,
			ContentType: resp.Header.Get("Content-Type"),
			Reason:      reason,
			Excerpt:     c.excerpt(append(head, rest...)),
		}
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fail("grafana refused the render", nil)
	}
	head := make([]byte, len(pngMagic))
	n, err := io.ReadFull(resp.Body, head)
	if err != nil || !bytes.Equal(head, pngMagic) {
		return 0, fail("the answer is not a PNG image", head[:n])
	}
	if _, err := w.Write(head); err != nil {
		return 0, fmt.Errorf("render dashboard %s: write image: %w", r.Dashboard, err)
	}
	copied, err := io.Copy(w, io.LimitReader(resp.Body, MaxPNGBytes-int64(len(head))+1))
	total := copied + int64(len(head))
	if err != nil {
		return total, fmt.Errorf("render dashboard %s: read image: %s", r.Dashboard, c.redact(err.Error()))
	}
	if total > MaxPNGBytes {
		return total, fmt.Errorf("render dashboard %s: image larger than %d bytes", r.Dashboard, MaxPNGBytes)
	}
	return total, nil
}

// transportError names a client-side failure without the request URL's
// user information (url.Error prints the full URL).
func transportError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			ue.URL = redact.URL(u.String())
		}
		return ue.Error()
	}
	return err.Error()
}

// excerpt turns the start of a body into one printable line without the
// token.
func (c *Client) excerpt(b []byte) string {
	if len(b) > excerptBytes {
		b = b[:excerptBytes]
	}
	s := strings.ToValidUTF8(string(b), "?")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case r < 0x20 || r == 0x7f:
			return -1
		}
		return r
	}, s)
	return c.redact(strings.Join(strings.Fields(s), " "))
}

// redact hides every form of the token and of a password in the base URL.
func (c *Client) redact(s string) string { return c.secrets.String(s, "[redacted]") }
