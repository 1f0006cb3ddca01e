package logging

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestHumanFileLineFormat(t *testing.T) {
	dir := t.TempDir()
	var stdout bytes.Buffer
	l, closeFn, err := New(Options{
		Service: "worker", Level: "debug", Stdout: &stdout, File: filepath.Join(dir, "ec-telemetry.log"),
		MaxBytes: 1 << 20, MaxBackups: 2, ContainerID: "4f2a9c1b7d3e", Secrets: []string{"s3cret-pw"},
	})
	if err != nil {
		t.Fatal(err)
	}
	jl := l.With().Str(FieldHostname, "BRANCH-EC-07").Str(FieldAddress, "127.0.0.1:9443").Logger()
	jl.Error().Dur(FieldElapsed, 4071200*time.Microsecond).Err(errors.New("login with s3cret-pw refused")).Msg("FAILED TO LOGIN")
	l.Warn().Int("appliances", 4).Msg("cycle done")
	if err := closeFn(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "ec-telemetry-4f2a9c1b7d3e.log"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2:\n%s", len(lines), raw)
	}
	want0 := regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - ERROR - cid: 4f2a9c1b7d3e - BRANCH-EC-07 @ 127\.0\.0\.1:9443 - 4\.0712: FAILED TO LOGIN - error=login with \*\*\* refused$`)
	if !want0.MatchString(lines[0]) {
		t.Errorf("line 0 = %q, want match %s", lines[0], want0)
	}
	want1 := regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - WARNING - cycle done - appliances=4$`)
	if !want1.MatchString(lines[1]) {
		t.Errorf("line 1 = %q, want match %s", lines[1], want1)
	}
	if strings.Contains(stdout.String(), "s3cret-pw") || !strings.Contains(stdout.String(), `"error":"login with *** refused"`) {
		t.Errorf("stdout not redacted: %s", stdout.String())
	}
	if !strings.Contains(stdout.String(), `"service":"worker"`) {
		t.Errorf("stdout lacks service field: %s", stdout.String())
	}
}

func TestLevelFilter(t *testing.T) {
	var out bytes.Buffer
	l, _, err := New(Options{Level: "warn", Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	l.Info().Msg("hidden")
	l.Warn().Msg("shown")
	if strings.Contains(out.String(), "hidden") || !strings.Contains(out.String(), "shown") {
		t.Errorf("level filter failed: %s", out.String())
	}
}

func TestRotation(t *testing.T) {
	dir := t.TempDir()
	l, closeFn, err := New(Options{Level: "info", Stdout: &bytes.Buffer{}, File: filepath.Join(dir, "x.log"), MaxBytes: 1, MaxBackups: 1, ContainerID: "c"})
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", 600<<10)
	for i := 0; i < 4; i++ {
		l.Info().Str("pad", big).Msg("fill")
	}
	if err := closeFn(); err != nil {
		t.Fatal(err)
	}
	// lumberjack removes surplus backups in a background goroutine that
	// Close does not wait for, so the directory converges to its final
	// state shortly after. Wait for that state rather than sampling once.
	var names []string
	deadline := time.Now().Add(10 * time.Second)
	for {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		names = names[:0]
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if len(names) == 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(names) != 2 || !slices.Contains(names, "x-c.log") {
		t.Errorf("files after rotation = %v, want the live file x-c.log and 1 backup", names)
	}
}

func TestPerProcessFile(t *testing.T) {
	if got := PerProcessFile("/logging/ec-telemetry.log", "abc"); got != "/logging/ec-telemetry-abc.log" {
		t.Errorf("PerProcessFile = %q", got)
	}
}
