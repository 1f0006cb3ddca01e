package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// startSimulate runs "ectelemetry simulate args..." until the returned
// cancel is called. It returns the printed lines (as they come) and the
// command's result.
func startSimulate(t *testing.T, args ...string) (lines <-chan string, result <-chan error, cancel func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	out := make(chan string, 64)
	res := make(chan error, 1)
	go func() {
		err := run(ctx, append([]string{"simulate"}, args...), func(string) string { return "" }, pw, io.Discard)
		pw.Close()
		res <- err
	}()
	go func() {
		defer close(out)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			out <- sc.Text()
		}
	}()
	t.Cleanup(cancel)
	return out, res, cancel
}

func TestSimulateServesBriefInfo(t *testing.T) {
	lines, result, cancel := startSimulate(t, "--listen", "127.0.0.1:0", "--appliances", "4", "--seed", "3",
		"--api-key", "k-secret-4711", "--password", "p-secret-0815", "--orch-password", "o-secret-42")
	var printed []string
	var url string
	for ln := range lines {
		printed = append(printed, ln)
		if u, ok := strings.CutPrefix(ln, "orchestrator: "); ok {
			url = u
		}
		if ln == "serving until interrupted" {
			break
		}
	}
	if !strings.HasPrefix(url, "https://127.0.0.1:") || strings.HasSuffix(url, ":0") {
		t.Fatalf("printed orchestrator URL %q, want https://127.0.0.1:<port>; output:\n%s", url, strings.Join(printed, "\n"))
	}
	if !strings.Contains(strings.Join(printed, "\n"), "appliances: 4 (") {
		t.Errorf("output lacks the appliance count:\n%s", strings.Join(printed, "\n"))
	}

	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // the simulator's self-signed certificate
	}}
	defer c.CloseIdleConnections()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url+"/gms/rest/gmsserver/briefInfo?source=menu_rest_apis_id", nil)
	req.Header.Set("X-Auth-Token", "k-secret-4711")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		Release string `json:"release"`
	}
	err = json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || info.Release == "" {
		t.Errorf("briefInfo = %d %+v (%v), want 200 with a release", resp.StatusCode, info, err)
	}
	c.CloseIdleConnections()

	cancel()
	for ln := range lines {
		printed = append(printed, ln)
	}
	if err := <-result; err != nil {
		t.Errorf("simulate returned %v after cancel, want nil", err)
	}
	all := strings.Join(printed, "\n")
	for _, secret := range []string{"k-secret-4711", "p-secret-0815", "o-secret-42"} {
		if strings.Contains(all, secret) {
			t.Errorf("output shows the secret %q:\n%s", secret, all)
		}
	}
	if !strings.Contains(all, "simulator stopped") {
		t.Errorf("output lacks the stop line:\n%s", all)
	}
}

func TestSimulateFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr error
	}{
		{"help", []string{"--help"}, flag.ErrHelp},
		{"unknown flag", []string{"--nope"}, errUsage},
		{"bad listen", []string{"--listen", "8443"}, errUsage},
		{"no appliances", []string{"--appliances", "0", "--listen", "127.0.0.1:0"}, errUsage},
		{"bad fraction", []string{"--unreachable-fraction", "1.5", "--listen", "127.0.0.1:0"}, errUsage},
		{"argument", []string{"extra"}, errUsage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := run(t.Context(), append([]string{"simulate"}, tc.args...), func(string) string { return "" }, io.Discard, &stderr)
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("simulate %v = %v, want %v", tc.args, err, tc.wantErr)
			}
			if tc.wantErr == flag.ErrHelp && !strings.Contains(stderr.String(), "--appliances") && !strings.Contains(stderr.String(), "-appliances") {
				t.Errorf("--help printed %q, want the flags", stderr.String())
			}
		})
	}
}

// Several simulated Orchestrators: distinct URLs and hostnames, the same
// nePks.
func TestSimulateSeveralOrchestrators(t *testing.T) {
	lines, result, cancel := startSimulate(t, "--listen", "127.0.0.1:0", "--appliances", "3", "--orchestrators", "2")
	var printed []string
	urls := map[string]string{}
	for ln := range lines {
		printed = append(printed, ln)
		if rest, ok := strings.CutPrefix(ln, "orchestrator sim"); ok {
			name, url, _ := strings.Cut(rest, ": ")
			urls["sim"+name] = url
		}
		if ln == "serving until interrupted" {
			break
		}
	}
	if len(urls) != 2 || urls["sim1"] == urls["sim2"] {
		t.Fatalf("printed URLs %v, want two distinct; output:\n%s", urls, strings.Join(printed, "\n"))
	}
	if !strings.Contains(strings.Join(printed, "\n"), "  - {name: sim2, url: \""+urls["sim2"]+"\"") {
		t.Errorf("output lacks the ORCHESTRATORS_FILE entry of sim2:\n%s", strings.Join(printed, "\n"))
	}
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // the simulator's self-signed certificate
	}}
	defer c.CloseIdleConnections()
	hosts := map[string]map[string]string{} // orchestrator → nePk → hostname
	for name, url := range urls {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url+"/gms/rest/appliance", nil)
		req.Header.Set("X-Auth-Token", "sim-api-key")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var apps []struct {
			ID       string `json:"id"`
			HostName string `json:"hostName"`
		}
		err = json.NewDecoder(resp.Body).Decode(&apps)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		hosts[name] = map[string]string{}
		for _, a := range apps {
			hosts[name][a.ID] = a.HostName
		}
	}
	h1, h2 := hosts["sim1"]["3.NE"], hosts["sim2"]["3.NE"]
	if h1 == "" || h2 == "" || h1 == h2 || !strings.HasPrefix(h2, "O2-") {
		t.Errorf("3.NE hostnames: sim1 %q, sim2 %q; want both present, distinct, sim2's prefixed O2-", h1, h2)
	}
	c.CloseIdleConnections()
	cancel()
	for range lines {
	}
	if err := <-result; err != nil {
		t.Errorf("simulate returned %v after cancel, want nil", err)
	}
}
