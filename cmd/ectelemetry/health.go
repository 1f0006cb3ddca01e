package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/redact"
)

// defaultHealthAddr is METRICS_ADDR's default in internal/config.
const defaultHealthAddr = ":9090"

// runHealth probes a running discover or worker process's /healthz and
// succeeds only on 200. It is the container HEALTHCHECK: the runtime image
// has no shell, curl or wget.
func runHealth(ctx context.Context, e env) error {
	fs := newFlagSet(e, "health", "health [--url http://127.0.0.1:9090/healthz] [--timeout 3s]")
	rawURL := fs.String("url", "", "health endpoint (default: /healthz on 127.0.0.1 at the port of $METRICS_ADDR, else "+defaultHealthAddr+")")
	timeout := fs.Duration("timeout", 3*time.Second, "time limit of the probe")
	quiet := fs.Bool("quiet", false, "print nothing on success")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("health takes no arguments, got %q: %w", fs.Args(), errUsage)
	}
	if *timeout <= 0 {
		return fmt.Errorf("--timeout must be positive: %w", errUsage)
	}
	target := *rawURL
	if target == "" {
		var err error
		if target, err = healthURLFromAddr(e.getenv("METRICS_ADDR")); err != nil {
			return fmt.Errorf("health: %v; pass --url: %w", err, errUsage)
		}
	}
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("health: --url %q must be an http:// or https:// URL: %w", redact.URL(target), errUsage)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	client := &http.Client{
		// A health endpoint answers directly; a redirect is a wrong URL.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("health %s: %w", u.Redacted(), err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	text := strings.Join(strings.Fields(strings.ToValidUTF8(string(body), "?")), " ")
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health %s: status %d: %s", u.Redacted(), resp.StatusCode, text)
	}
	if !*quiet {
		fmt.Fprintf(e.stdout, "healthy: %s: %s\n", u.Redacted(), text)
	}
	return nil
}

// healthURLFromAddr turns a listen address (METRICS_ADDR: ":9090",
// "0.0.0.0:9090", "[::]:9090", "10.0.0.5:9090") into the /healthz URL to
// probe from inside the same container. Wildcard hosts become 127.0.0.1.
func healthURLFromAddr(addr string) (string, error) {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		addr = defaultHealthAddr
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return "", fmt.Errorf("METRICS_ADDR %q is not host:port", addr)
	}
	switch host {
	case "", "0.0.0.0", "::", "[::]":
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz", nil
}
