package minutestats

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ec-telemetry/ec-telemetry/influx"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// testOptions are the options of every golden case.
func testOptions(l Lookups) Options {
	return Options{ApplianceID: "3.NE", Hostname: "BRANCH-EC-07", Lookups: l}
}

// tarEntry is one member of a test archive. size, when set, overrides the
// size written in the header.
type tarEntry struct {
	name string
	body string
	typ  byte
	link string
	size int64
}

// makeTGZ builds a gzip-compressed tar archive in memory.
func makeTGZ(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		hdr := &tar.Header{Name: e.name, Typeflag: typ, Linkname: e.link, Mode: 0o644, Format: tar.FormatPAX}
		if typ == tar.TypeReg {
			hdr.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatalf("tar header %q: %v", e.name, err)
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatalf("tar body %q: %v", e.name, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatalf("tar close: %v", err)
	}
	if err := zw.Close(); err != nil {
		t.Fatalf("gzip close: %v", err)
	}
	return buf.Bytes()
}

// dirEntries returns the minute-stats files of a folder as archive members
// under prefix, in name order.
func dirEntries(t testing.TB, dir, prefix string) []tarEntry {
	t.Helper()
	names, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}
	var out []tarEntry
	for _, n := range names {
		if n.IsDir() || !strings.HasSuffix(n.Name(), ".txt") && !strings.HasSuffix(n.Name(), ".csv") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, n.Name()))
		if err != nil {
			t.Fatalf("read %s: %v", n.Name(), err)
		}
		out = append(out, tarEntry{name: prefix + n.Name(), body: string(b)})
	}
	return out
}

// readLookups reads dir/lookups.json; a missing file means no lookups.
func readLookups(t testing.TB, dir string) Lookups {
	t.Helper()
	var l Lookups
	b, err := os.ReadFile(filepath.Join(dir, "lookups.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return l
	}
	if err != nil {
		t.Fatalf("read lookups: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		t.Fatalf("decode %s/lookups.json: %v", dir, err)
	}
	return l
}

// lineProtocol renders points as sorted line protocol; every point must
// pass telemetry.Validate and encode.
func lineProtocol(t testing.TB, points []telemetry.Point) string {
	t.Helper()
	lines := make([]string, 0, len(points))
	for _, p := range points {
		if err := telemetry.Validate(p); err != nil {
			t.Errorf("telemetry.Validate(%v) = %v, want nil", p, err)
		}
		b, err := influx.AppendLine(nil, p)
		if err != nil {
			t.Errorf("influx.AppendLine(%v) = %v, want nil", p, err)
			continue
		}
		lines = append(lines, string(b))
	}
	slices.Sort(lines)
	return strings.Join(lines, "")
}

// issueText renders issues one per line, with prefix removed from file
// names.
func issueText(issues []Issue, prefix string) string {
	var b strings.Builder
	for _, i := range issues {
		i.File = strings.TrimPrefix(i.File, prefix)
		b.WriteString(i.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// realCaptures returns the folder of the real minute-stats captures: the
// folder named by EC_REAL_CAPTURES, or shared/testdata/real-minute-stats in
// the working directory or one of its parents. The captures come from real
// appliances and are not part of this repository, so in a standalone clone
// the tests that need them skip, saying where they looked.
func realCaptures(t testing.TB) string {
	t.Helper()
	const rel = "shared/testdata/real-minute-stats"
	if dir := os.Getenv("EC_REAL_CAPTURES"); dir != "" {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			t.Fatalf("EC_REAL_CAPTURES=%s is not a folder of real minute-stats captures: %v", dir, err)
		}
		return dir
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatalf("getwd: %v", err)
	}
	for dir := wd; ; {
		cand := filepath.Join(dir, rel)
		if fi, err := os.Stat(cand); err == nil && fi.IsDir() {
			return cand
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	t.Skipf("real appliance captures are not part of this repository, so the parser's value-by-value checks "+
		"against them did not run: no folder %s in %s or any parent, and EC_REAL_CAPTURES is not set "+
		"(set it to a folder of st2-<minute> capture folders to run them)", rel, wd)
	return ""
}

// realLookups are the names the real captures imply (their tunnel aliases
// include Passthrough_MPLS1_wan1 and to_SydneySP01_RealTime).
var realLookups = Lookups{
	WANLabels: map[string]string{"1": "MPLS1", "2": "INET1"},
	LANLabels: map[string]string{"5": "Data"},
	Overlays:  map[string]string{"1": "RealTime", "2": "CriticalApps", "3": "BulkApps", "4": "DefaultOverlay"},
}
