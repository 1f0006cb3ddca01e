package logging

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ec-telemetry/ec-telemetry/internal/redact"
)

// TestRedactsEveryEncoding logs a password the way a server may echo it
// (inside a JSON body quoted in an error text) and a URL's userinfo the
// way libraries print it, and greps stdout and the log file for any form.
func TestRedactsEveryEncoding(t *testing.T) {
	const pw = `P@ss"w0rd<&>\zzQ`
	const urlPW = "UrlPw-7d1e"
	dir := t.TempDir()
	var stdout bytes.Buffer
	secrets := append([]string{pw}, redact.URLSecrets("https://user:"+urlPW+"@127.0.0.1:1/x")...)
	l, closeFn, err := New(Options{Service: "worker", Level: "debug", Stdout: &stdout, File: filepath.Join(dir, "x.log"),
		ContainerID: "c", MaxBytes: 1 << 20, Secrets: secrets})
	if err != nil {
		t.Fatal(err)
	}
	login, _ := json.Marshal(map[string]string{"user": "admin", "password": pw})
	echo, _ := json.Marshal(map[string]string{"error": "refused", "request": string(login)})
	errs := []error{
		fmt.Errorf("edgeconnect h: post /login: status 401: %q", echo),
		fmt.Errorf("get %q: dial tcp: connection refused", "https://user:"+urlPW+"@127.0.0.1:1/x"),
		errors.New("basic " + base64.StdEncoding.EncodeToString([]byte("user:"+urlPW))),
		errors.New("form password=" + url.QueryEscape(pw) + " html " + html.EscapeString(pw)),
	}
	for _, e := range errs {
		l.Error().Err(e).Str("detail", e.Error()).Msg("failed")
	}
	if err := closeFn(); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(filepath.Join(dir, "x-c.log"))
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"stdout": stdout.String(), "log file": string(file)} {
		for _, part := range []string{"w0rd", "zzQ", urlPW, base64.StdEncoding.EncodeToString([]byte("user:" + urlPW))[:12]} {
			if strings.Contains(out, part) {
				t.Errorf("%s contains %q:\n%s", name, part, out)
			}
		}
		if strings.Count(out, "***") < len(errs) {
			t.Errorf("%s shows fewer redactions than lines:\n%s", name, out)
		}
	}
}
