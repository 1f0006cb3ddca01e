package main

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ec-telemetry/ec-telemetry/internal/grafanarender"
)

const renderTestToken = "glsa_renderTestToken_abcdef"

var renderTestPNG = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1, 2, 3}, 700)...)

// renderGrafana is a loopback stand-in of Grafana's /render endpoint that
// records the requests it got.
type renderGrafana struct {
	srv         *httptest.Server
	status      int
	contentType string
	body        []byte
	paths       []string
	queries     []url.Values
	auth        []string
}

func newRenderGrafana(t *testing.T) *renderGrafana {
	t.Helper()
	g := &renderGrafana{status: http.StatusOK, contentType: "image/png", body: renderTestPNG}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.paths = append(g.paths, r.URL.Path)
		g.queries = append(g.queries, r.URL.Query())
		g.auth = append(g.auth, r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", g.contentType)
		w.WriteHeader(g.status)
		w.Write(g.body)
	}))
	t.Cleanup(g.srv.Close)
	return g
}

// runWithEnv runs the binary's run function with the given environment.
func runWithEnv(t *testing.T, environ map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(t.Context(), args, func(k string) string { return environ[k] }, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestRenderCommandWritesPNG(t *testing.T) {
	tests := []struct {
		name      string
		env       func(g *renderGrafana) map[string]string
		args      func(g *renderGrafana, out string) []string
		wantPath  string
		wantQuery url.Values
	}{
		{
			name: "flags as in the README",
			env:  func(*renderGrafana) map[string]string { return map[string]string{envGrafanaToken: renderTestToken} },
			args: func(g *renderGrafana, out string) []string {
				return []string{"render", "--grafana", g.srv.URL, "--dashboard", "ec-appliance", "--appliance", "BRANCH-EC-07",
					"--from", "now-1h", "--out", out}
			},
			wantPath: "/render/d/ec-appliance",
			wantQuery: url.Values{"var-ec_hostname": {"BRANCH-EC-07"}, "from": {"now-1h"}, "to": {"now"},
				"width": {"1600"}, "height": {"-1"}, "scale": {"2"}, "timeout": {"175"}, "kiosk": {""}},
		},
		{
			name: "environment, extra variables, one panel",
			env: func(g *renderGrafana) map[string]string {
				return map[string]string{envGrafanaURL: g.srv.URL + "/grafana", envGrafanaToken: renderTestToken}
			},
			args: func(g *renderGrafana, out string) []string {
				return []string{"render", "--dashboard", "ec-appliance", "--appliance", "HUB-1", "--var", "tunnel=to HUB-2",
					"--var", "wan_label=MPLS1", "--panel", "12", "--width", "800", "--height", "400", "--tz", "utc",
					"--to", "now-5m", "--timeout", "30s", "--out", out}
			},
			wantPath: "/grafana/render/d-solo/ec-appliance",
			wantQuery: url.Values{"var-ec_hostname": {"HUB-1"}, "var-tunnel": {"to HUB-2"}, "var-wan_label": {"MPLS1"},
				"panelId": {"12"}, "from": {"now-1h"}, "to": {"now-5m"}, "width": {"800"}, "height": {"400"},
				"tz": {"utc"}, "timeout": {"25"}, "scale": {"2"}, "kiosk": {""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newRenderGrafana(t)
			out := filepath.Join(t.TempDir(), "appliance.png")
			stdout, _, err := runWithEnv(t, tt.env(g), tt.args(g, out)...)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			got, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, renderTestPNG) {
				t.Errorf("file has %d bytes, want the %d bytes served", len(got), len(renderTestPNG))
			}
			if len(g.paths) != 1 {
				t.Fatalf("Grafana got %d requests, want 1", len(g.paths))
			}
			if g.paths[0] != tt.wantPath {
				t.Errorf("path = %q, want %q", g.paths[0], tt.wantPath)
			}
			if diff := cmp.Diff(tt.wantQuery, g.queries[0]); diff != "" {
				t.Errorf("query (-want +got):\n%s", diff)
			}
			if want := "Bearer " + renderTestToken; g.auth[0] != want {
				t.Errorf("Authorization = %q, want %q", g.auth[0], want)
			}
			if !strings.Contains(stdout, "wrote "+out) || strings.Contains(stdout, renderTestToken) {
				t.Errorf("stdout = %q, want a 'wrote' line without the token", stdout)
			}
		})
	}
}

func TestRenderCommandFailures(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		wantInErr   []string
	}{
		{"unauthorized", http.StatusUnauthorized, "application/json", `{"message":"Invalid API key"}`,
			[]string{"status 401", "Invalid API key"}},
		{"html instead of png", http.StatusOK, "text/html; charset=UTF-8", "<html>Grafana login</html>",
			[]string{"not a PNG", "<html>Grafana login</html>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newRenderGrafana(t)
			g.status, g.contentType, g.body = tt.status, tt.contentType, []byte(tt.body)
			dir := t.TempDir()
			out := filepath.Join(dir, "x.png")
			_, _, err := runWithEnv(t, map[string]string{envGrafanaToken: renderTestToken},
				"render", "--grafana", g.srv.URL, "--dashboard", "fleet-overview", "--out", out)
			if err == nil {
				t.Fatal("render succeeded, want an error")
			}
			for _, w := range tt.wantInErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), renderTestToken) {
				t.Errorf("error %q contains the token", err)
			}
			if exitCode(err) != 1 {
				t.Errorf("exitCode = %d, want 1", exitCode(err))
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 0 {
				t.Errorf("directory holds %d entries after a failed render, want none (no partial file)", len(entries))
			}
		})
	}
}

func TestRenderCommandUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no dashboard", map[string]string{envGrafanaToken: "x"}, []string{"render"}, "--dashboard is required"},
		{"no token", nil, []string{"render", "--dashboard", "shaper"}, "no Grafana token"},
		{"bad uid", map[string]string{envGrafanaToken: "x"}, []string{"render", "--dashboard", "a/b"}, "dashboard uid"},
		{"bad var", map[string]string{envGrafanaToken: "x"}, []string{"render", "--dashboard", "shaper", "--var", "novalue"}, "want name=value"},
		{"bad url", map[string]string{envGrafanaToken: "x"}, []string{"render", "--dashboard", "shaper", "--grafana", "grafana:3000"}, "http:// or https://"},
		{"argument", map[string]string{envGrafanaToken: "x"}, []string{"render", "--dashboard", "shaper", "extra"}, "takes no arguments"},
		{"height below -1", map[string]string{envGrafanaToken: "x"}, []string{"render", "--dashboard", "shaper", "--height", "-2"}, "size"},
		{"scale", map[string]string{envGrafanaToken: "x"}, []string{"render", "--dashboard", "shaper", "--scale", "9"}, "scale"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runWithEnv(t, tt.env, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("render error = %v, want one containing %q", err, tt.want)
			}
			if !errors.Is(err, errUsage) {
				t.Errorf("error %v is not a usage error", err)
			}
		})
	}
}

// TestRenderCommandEveryDashboard: every dashboard of grafana/dashboards is
// accepted and, without --height, requested whole; --height -1 asks for the
// full page; the help names every uid.
func TestRenderCommandEveryDashboard(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "grafana", "dashboards", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards: %v", err)
	}
	_, help, _ := runWithEnv(t, nil, "render", "--help")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d, err := grafanarender.ParseDashboard(b)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(help, d.UID) {
			t.Errorf("render --help does not name dashboard %s", d.UID)
		}
		for _, tc := range []struct {
			args []string
			want string
		}{
			{nil, strconv.Itoa(d.Height())},
			{[]string{"--height", "-1"}, "-1"},
		} {
			g := newRenderGrafana(t)
			args := append([]string{"render", "--grafana", g.srv.URL, "--dashboard", d.UID,
				"--out", filepath.Join(t.TempDir(), "x.png")}, tc.args...)
			if _, _, err := runWithEnv(t, map[string]string{envGrafanaToken: renderTestToken}, args...); err != nil {
				t.Errorf("render %v: %v", args[1:], err)
				continue
			}
			if got := g.queries[0].Get("height"); got != tc.want {
				t.Errorf("render --dashboard %s %v: height = %s, want %s", d.UID, tc.args, got, tc.want)
			}
			if g.paths[0] != "/render/d/"+d.UID {
				t.Errorf("path = %s, want /render/d/%s", g.paths[0], d.UID)
			}
		}
	}
	if d, _ := grafanarender.Lookup("fleet-overview"); d.Height() < 2000 {
		t.Errorf("fleet-overview height %d: the layout lost its panels?", d.Height())
	}
}
