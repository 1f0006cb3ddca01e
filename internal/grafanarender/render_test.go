package grafanarender

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const testToken = "glsa_secretTokenValue_0123456789"

// fakePNG is a PNG signature followed by some bytes: Render checks only the
// signature.
var fakePNG = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0xAB}, 5000)...)

// grafana is a loopback stand-in of Grafana's render endpoint. It records
// the last request and answers with the configured status, content type and
// body.
type grafana struct {
	srv         *httptest.Server
	status      int
	contentType string
	body        []byte
	got         *http.Request
}

func newGrafana(t *testing.T) *grafana {
	t.Helper()
	g := &grafana{status: http.StatusOK, contentType: "image/png", body: fakePNG}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.got = r.Clone(r.Context())
		w.Header().Set("Content-Type", g.contentType)
		w.WriteHeader(g.status)
		w.Write(g.body)
	}))
	t.Cleanup(g.srv.Close)
	return g
}

func newClient(t *testing.T, base string) *Client {
	t.Helper()
	c, err := New(base, testToken, nil)
	if err != nil {
		t.Fatalf("New(%q): %v", base, err)
	}
	return c
}

func TestRenderRequestShape(t *testing.T) {
	tests := []struct {
		name      string
		basePath  string
		req       Request
		wantPath  string
		wantQuery url.Values
		wantKiosk bool
	}{
		{
			name:     "defaults",
			req:      Request{Dashboard: "fleet-overview"},
			wantPath: "/render/d/fleet-overview",
			wantQuery: url.Values{"from": {"now-1h"}, "to": {"now"}, "width": {"1600"}, "height": {"2602"},
				"scale": {"2"}, "kiosk": {""}},
		},
		{
			name: "appliance dashboard with variables",
			req: Request{Dashboard: "ec-appliance", From: "now-6h", To: "now-5m", Width: 1640, Height: 5400,
				Vars:     []Var{{"ec_hostname", "BRANCH EC&07"}, {"wan_label", "MPLS1"}, {"wan_label", "INET1"}},
				Timezone: "utc", OrgID: 1, RenderTimeout: 90 * time.Second},
			wantPath: "/render/d/ec-appliance",
			wantQuery: url.Values{"from": {"now-6h"}, "to": {"now-5m"}, "width": {"1640"}, "height": {"5400"},
				"var-ec_hostname": {"BRANCH EC&07"}, "var-wan_label": {"MPLS1", "INET1"}, "tz": {"utc"},
				"orgId": {"1"}, "timeout": {"90"}, "scale": {"2"}, "kiosk": {""}},
		},
		{
			name:     "one panel under a sub path",
			basePath: "/grafana/",
			req:      Request{Dashboard: "shaper", Panel: 7, Width: 800, Height: 400, Scale: 1.5},
			wantPath: "/grafana/render/d-solo/shaper",
			wantQuery: url.Values{"panelId": {"7"}, "from": {"now-1h"}, "to": {"now"}, "width": {"800"},
				"height": {"400"}, "scale": {"1.5"}, "kiosk": {""}},
		},
		{
			name:     "full page",
			req:      Request{Dashboard: "fleet-overview", Height: FullPage},
			wantPath: "/render/d/fleet-overview",
			wantQuery: url.Values{"from": {"now-1h"}, "to": {"now"}, "width": {"1600"}, "height": {"-1"},
				"scale": {"2"}, "kiosk": {""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGrafana(t)
			c := newClient(t, g.srv.URL+tt.basePath)
			var out bytes.Buffer
			n, err := c.Render(t.Context(), tt.req, &out)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if n != int64(len(fakePNG)) || !bytes.Equal(out.Bytes(), fakePNG) {
				t.Errorf("Render wrote %d bytes (returned %d), want the %d bytes served", out.Len(), n, len(fakePNG))
			}
			if g.got.Method != http.MethodGet {
				t.Errorf("method = %s, want GET", g.got.Method)
			}
			if g.got.URL.Path != tt.wantPath {
				t.Errorf("path = %q, want %q", g.got.URL.Path, tt.wantPath)
			}
			if diff := cmp.Diff(tt.wantQuery, g.got.URL.Query()); diff != "" {
				t.Errorf("query (-want +got):\n%s", diff)
			}
			if !strings.HasSuffix(g.got.URL.RawQuery, "&kiosk") {
				t.Errorf("raw query %q does not end with the bare kiosk flag", g.got.URL.RawQuery)
			}
			if got, want := g.got.Header.Get("Authorization"), "Bearer "+testToken; got != want {
				t.Errorf("Authorization = %q, want %q", got, want)
			}
			u, err := c.URL(tt.req)
			if err != nil {
				t.Fatalf("URL: %v", err)
			}
			if want := g.srv.URL + g.got.URL.RequestURI(); u != want {
				t.Errorf("URL() = %q, want the requested %q", u, want)
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		wantReason  string
		wantInErr   []string
	}{
		{
			name: "bad token", status: http.StatusUnauthorized, contentType: "application/json",
			body:       `{"message":"invalid API key","token":"` + testToken + `"}`,
			wantReason: "grafana refused the render",
			wantInErr:  []string{"status 401", "invalid API key", "check the service-account token"},
		},
		{
			name: "login page with status 200", status: http.StatusOK, contentType: "text/html",
			body:       "<!DOCTYPE html>\n<html><head><title>Grafana</title></head><body>login</body></html>",
			wantReason: "the answer is not a PNG image",
			wantInErr:  []string{"status 200", "text/html", "<!DOCTYPE html> <html><head><title>Grafana"},
		},
		{
			name: "renderer down", status: http.StatusInternalServerError, contentType: "application/json",
			body:       `{"message":"Rendering failed: plugin unavailable"}`,
			wantReason: "grafana refused the render",
			wantInErr:  []string{"status 500", "Rendering failed", "image renderer"},
		},
		{
			name: "empty body", status: http.StatusOK, contentType: "image/png", body: "",
			wantReason: "the answer is not a PNG image",
			wantInErr:  []string{"not a PNG", "status 200"},
		},
		{
			name: "long body is cut", status: http.StatusNotFound, contentType: "text/plain",
			body:       strings.Repeat("x", 5000),
			wantReason: "grafana refused the render",
			wantInErr:  []string{"status 404", "check the dashboard uid"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGrafana(t)
			g.status, g.contentType, g.body = tt.status, tt.contentType, []byte(tt.body)
			c := newClient(t, g.srv.URL)
			var out bytes.Buffer
			_, err := c.Render(t.Context(), Request{Dashboard: "ec-appliance"}, &out)
			var re *Error
			if !errors.As(err, &re) {
				t.Fatalf("Render error = %v, want an *Error", err)
			}
			if re.Status != tt.status || re.Reason != tt.wantReason {
				t.Errorf("Error status, reason = %d, %q; want %d, %q", re.Status, re.Reason, tt.status, tt.wantReason)
			}
			if len(re.Excerpt) > excerptBytes {
				t.Errorf("excerpt has %d bytes, want at most %d", len(re.Excerpt), excerptBytes)
			}
			msg := err.Error()
			for _, w := range tt.wantInErr {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			if strings.Contains(msg, testToken) {
				t.Errorf("error %q contains the token", msg)
			}
			if out.Len() != 0 {
				t.Errorf("Render wrote %d bytes on failure, want none", out.Len())
			}
		})
	}
}

func TestRenderTransportErrorHidesSecrets(t *testing.T) {
	g := newGrafana(t)
	base := strings.Replace(g.srv.URL, "http://", "http://admin:hunter2@", 1)
	c := newClient(t, base)
	g.srv.Close() // connection refused from now on
	_, err := c.Render(t.Context(), Request{Dashboard: "ec-appliance"}, &bytes.Buffer{})
	if err == nil {
		t.Fatal("Render against a closed server succeeded")
	}
	for _, secret := range []string{"hunter2", testToken} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q contains %q", err, secret)
		}
	}
}

func TestRenderHonoursContext(t *testing.T) {
	g := newGrafana(t)
	c := newClient(t, g.srv.URL)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.Render(ctx, Request{Dashboard: "ec-appliance"}, &bytes.Buffer{}); err == nil {
		t.Fatal("Render with a cancelled context succeeded")
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name, base, token, want string
	}{
		{"no scheme", "localhost:3000", testToken, "must be an http:// or https:// URL"},
		{"ftp", "ftp://grafana", testToken, "must be an http:// or https:// URL"},
		{"query", "http://grafana:3000/?orgId=1", testToken, "must not have a query"},
		{"empty token", "http://grafana:3000", " ", "token is empty"},
		{"two-line token", "http://grafana:3000", "a\nb", "one line"},
		{"password not echoed", "http//admin:hunter2@grafana", testToken, "***@grafana"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.base, tt.token, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New(%q) error = %v, want it to contain %q", tt.base, err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q contains the password", err)
			}
		})
	}
}

func TestRequestValidate(t *testing.T) {
	tests := []struct {
		name string
		req  Request
		want string // "" means valid
	}{
		{"ok", Request{Dashboard: "ec-appliance", Vars: []Var{{"ec_hostname", "A B"}}}, ""},
		{"empty uid", Request{}, "dashboard uid"},
		{"path in uid", Request{Dashboard: "../api/admin"}, "dashboard uid"},
		{"uid too long", Request{Dashboard: strings.Repeat("a", 41)}, "dashboard uid"},
		{"negative panel", Request{Dashboard: "x", Panel: -1}, "panel id"},
		{"huge", Request{Dashboard: "x", Width: MaxPixels + 1}, "size"},
		{"full page", Request{Dashboard: "x", Height: FullPage}, ""},
		{"below full page", Request{Dashboard: "x", Height: -2}, "size"},
		{"scale too large", Request{Dashboard: "x", Scale: MaxScale + 0.5}, "scale"},
		{"bad var", Request{Dashboard: "x", Vars: []Var{{"a&b", "v"}}}, "variable name"},
		{"negative org", Request{Dashboard: "x", OrgID: -2}, "org id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.req.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestDefaultHeightPerDashboard: without a height, every shipped dashboard is
// requested whole: its grid's height, or the full page when panels repeat.
func TestDefaultHeightPerDashboard(t *testing.T) {
	want := map[string]string{
		"all-appliance-boost": "1158", "all-appliance-wan": "1500", "ec-appliance": "-1",
		"ec-telemetry-stack": "2336", "fleet-overview": "2602", "shaper": "-1",
	}
	if len(Dashboards()) != len(want) {
		t.Fatalf("Dashboards() has %d entries, this test knows %d: add the new one", len(Dashboards()), len(want))
	}
	g := newGrafana(t)
	c := newClient(t, g.srv.URL)
	for _, d := range Dashboards() {
		if _, err := c.Render(t.Context(), Request{Dashboard: d.UID}, io.Discard); err != nil {
			t.Fatalf("Render(%s): %v", d.UID, err)
		}
		if got := g.got.URL.Query().Get("height"); got != want[d.UID] {
			t.Errorf("Render(%s) height = %s, want %s", d.UID, got, want[d.UID])
		}
	}
	// A dashboard that is not shipped here: the full page.
	if _, err := c.Render(t.Context(), Request{Dashboard: "someone-elses"}, io.Discard); err != nil {
		t.Fatal(err)
	}
	if got := g.got.URL.Query().Get("height"); got != "-1" {
		t.Errorf("unknown dashboard height = %s, want -1", got)
	}
	// One panel: a panel's height, not the dashboard's.
	if _, err := c.Render(t.Context(), Request{Dashboard: "fleet-overview", Panel: 3}, io.Discard); err != nil {
		t.Fatal(err)
	}
	if got, want := g.got.URL.Query().Get("height"), strconv.Itoa(DefaultPanelHeight); got != want {
		t.Errorf("panel height = %s, want %s", got, want)
	}
}
