package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/grafanarender"
)

// Environment variables of the render subcommand.
const (
	envGrafanaURL   = "GRAFANA_URL"
	envGrafanaToken = "GRAFANA_TOKEN"
)

const defaultGrafanaURL = "http://localhost:3000"

// renderVarFlags collects repeated --var name=value flags.
type renderVarFlags []grafanarender.Var

func (v *renderVarFlags) String() string {
	parts := make([]string, len(*v))
	for i, x := range *v {
		parts[i] = x.Name + "=" + x.Value
	}
	return strings.Join(parts, ",")
}

func (v *renderVarFlags) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return fmt.Errorf("want name=value, got %q", s)
	}
	*v = append(*v, grafanarender.Var{Name: name, Value: value})
	return nil
}

// runRender renders one dashboard (or panel) to a PNG file through
// Grafana's render API and the image renderer service.
func runRender(ctx context.Context, e env) error {
	fs := newFlagSet(e, "render", "render --dashboard UID [--appliance HOST] [--from now-1h] [--out FILE.png] [flags]")
	grafanaURL := fs.String("grafana", "", "Grafana base URL (default $"+envGrafanaURL+", else "+defaultGrafanaURL+")")
	token := fs.String("token", "", "Grafana service-account token with the Viewer role (default $"+envGrafanaToken+"; prefer the variable: flags show up in the process list)")
	dashboard := fs.String("dashboard", "", "dashboard uid: "+strings.Join(grafanarender.UIDs(), ", "))
	appliance := fs.String("appliance", "", "appliance hostname, sent as var-ec_hostname")
	var vars renderVarFlags
	fs.Var(&vars, "var", "another template variable as name=value (repeatable), e.g. --var tunnel=MyTunnel")
	from := fs.String("from", grafanarender.DefaultFrom, "start of the time range (Grafana time expression)")
	to := fs.String("to", grafanarender.DefaultTo, "end of the time range")
	width := fs.Int("width", grafanarender.DefaultWidth, "image width in pixels")
	height := fs.Int("height", 0, "image height in pixels; -1: the full page however tall; 0: the whole dashboard (its grid's height, or -1 when panels repeat per variable value; 600 for one panel)")
	scale := fs.Float64("scale", grafanarender.DefaultScale, "image pixels per browser pixel (device scale factor), up to 4")
	panel := fs.Int("panel", 0, "render only this panel id (0: the whole dashboard)")
	tz := fs.String("tz", "", "time zone of the rendered axes, e.g. utc or Europe/Paris (default: Grafana's)")
	orgID := fs.Int("org-id", 0, "Grafana organization id (0: the token's)")
	out := fs.String("out", "", "PNG file to write (default <dashboard>.png)")
	timeout := fs.Duration("timeout", 3*time.Minute, "overall time limit of the request; also sent to Grafana as the render timeout")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("render takes no arguments, got %q: %w", fs.Args(), errUsage)
	}
	if *dashboard == "" {
		return fmt.Errorf("--dashboard is required: %w", errUsage)
	}
	if *timeout <= 0 {
		return fmt.Errorf("--timeout must be positive: %w", errUsage)
	}
	base := renderFirstSet(*grafanaURL, e.getenv(envGrafanaURL), defaultGrafanaURL)
	tok := renderFirstSet(*token, e.getenv(envGrafanaToken))
	if tok == "" {
		return fmt.Errorf("no Grafana token: set %s (or --token) to a service-account token with the Viewer role: %w", envGrafanaToken, errUsage)
	}
	req := grafanarender.Request{
		Dashboard: *dashboard, Panel: *panel, From: *from, To: *to, Width: *width, Height: *height, Scale: *scale,
		Timezone: *tz, OrgID: *orgID, RenderTimeout: *timeout - 5*time.Second,
	}
	if req.RenderTimeout < time.Second {
		req.RenderTimeout = 0
	}
	if *appliance != "" {
		req.Vars = append(req.Vars, grafanarender.Var{Name: "ec_hostname", Value: *appliance})
	}
	req.Vars = append(req.Vars, vars...)
	if err := req.Validate(); err != nil {
		return fmt.Errorf("render: %v: %w", err, errUsage)
	}
	client, err := grafanarender.New(base, tok, &http.Client{Timeout: *timeout})
	if err != nil {
		return fmt.Errorf("render: %v: %w", err, errUsage)
	}
	path := *out
	if path == "" {
		path = *dashboard + ".png"
	}
	n, err := renderToFile(ctx, client, req, path)
	if err != nil {
		return err
	}
	u, _ := client.URL(req)
	fmt.Fprintf(e.stdout, "wrote %s (%d bytes) from %s\n", path, n, u)
	return nil
}

// renderToFile renders into a temporary file next to path and renames it
// into place only when the whole PNG arrived, so a failed render never
// leaves a truncated or non-PNG file behind.
func renderToFile(ctx context.Context, c *grafanarender.Client, req grafanarender.Request, path string) (int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return 0, fmt.Errorf("render: %w", err)
	}
	name := tmp.Name()
	n, rerr := c.Render(ctx, req, tmp)
	cerr := tmp.Close()
	if err := errors.Join(rerr, cerr); err != nil {
		os.Remove(name)
		return 0, err
	}
	if err := os.Chmod(name, 0o644); err != nil {
		os.Remove(name)
		return 0, fmt.Errorf("render: %w", err)
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return 0, fmt.Errorf("render: %w", err)
	}
	return n, nil
}

func renderFirstSet(values ...string) string {
	for _, v := range values {
		if strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
