package minutestats

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ec-telemetry/ec-telemetry/influx"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// fuzzOptions keeps the limits small so the fuzzer explores instead of
// decompressing.
func fuzzOptions() Options {
	o := testOptions(Lookups{
		WANLabels:      map[string]string{"1": "MPLS1", "2": "INET1", "7": "W7"},
		LANLabels:      map[string]string{"5": "Data", "7": "L7"},
		Overlays:       map[string]string{"1": "RealTime", "2": "CriticalApps", "3": "BulkApps", "4": "DefaultOverlay"},
		TrafficClasses: map[string]string{"1": "RealTime", "2": "Interactive"},
	})
	o.MaxMemberBytes = 1 << 20
	o.MaxTotalBytes = 4 << 20
	return o
}

// checkResult asserts the invariants every parse must keep, whatever the
// input: valid, encodable points and consistent counters.
func checkResult(t *testing.T, res *Result) {
	t.Helper()
	if res == nil {
		t.Fatal("nil Result")
	}
	for _, p := range res.Points {
		if err := telemetry.Validate(p); err != nil {
			t.Fatalf("telemetry.Validate(%v) = %v", p, err)
		}
		if _, err := influx.AppendLine(nil, p); err != nil {
			t.Fatalf("influx.AppendLine(%v) = %v", p, err)
		}
		for k, v := range p.Tags.All() {
			if v == "" {
				t.Fatalf("point %v has empty tag %q", p, k)
			}
		}
	}
	if len(res.Issues) > MaxIssues || res.IssueCount < len(res.Issues) {
		t.Fatalf("len(Issues) = %d, IssueCount = %d", len(res.Issues), res.IssueCount)
	}
	total := 0
	for _, f := range res.Files {
		total += f.Points
		if f.Skipped > f.Lines {
			t.Fatalf("%s: skipped %d of %d lines", f.Name, f.Skipped, f.Lines)
		}
	}
	if total != len(res.Points) {
		t.Fatalf("file summaries count %d points, Result holds %d", total, len(res.Points))
	}
}

// seedFolders returns the golden case folders and, when present, the real
// capture folders.
func seedFolders(t testing.TB) []string {
	dirs, _ := filepath.Glob("testdata/cases/*")
	wd, _ := os.Getwd()
	for dir := wd; ; {
		cand := filepath.Join(dir, "shared/testdata/real-minute-stats")
		if real, _ := filepath.Glob(filepath.Join(cand, "st2-*")); len(real) > 0 {
			dirs = append(dirs, real...)
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return dirs
}

func FuzzParseArchive(f *testing.F) {
	for _, dir := range seedFolders(f) {
		f.Add(makeTGZ(f, dirEntries(f, dir, "st2-1/")...))
	}
	f.Add(makeTGZ(f, tarEntry{name: "../drops_v2.txt", body: dropsBody}, tarEntry{name: "x/boost_v2.txt", typ: '2', link: "/etc/passwd"}))
	f.Add(hugeDeclaredSize(f))
	f.Add(truncatedGzip(f))
	f.Add([]byte{})
	f.Add([]byte("\x1f\x8b"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, _ := ParseArchive(bytes.NewReader(data), fuzzOptions())
		checkResult(t, res)
	})
}

// FuzzParseLine feeds one member's text to the parser of any of the ten
// files (kind picks the file).
func FuzzParseLine(f *testing.F) {
	for _, dir := range seedFolders(f) {
		for i, name := range knownFiles {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				continue
			}
			for _, line := range strings.SplitAfter(string(b), "\n") {
				if line != "" {
					f.Add(uint8(i), line)
				}
			}
		}
	}
	f.Add(uint8(0), "\r\n\r\n")
	f.Add(uint8(9), ",,,,,,,,,,,,,,,,,,,,,,,,,,,,")
	f.Fuzz(func(t *testing.T, kind uint8, text string) {
		p, err := newParser(fuzzOptions())
		if err != nil {
			t.Fatal(err)
		}
		p.parseMember("st2-1/"+knownFiles[int(kind)%len(knownFiles)], text)
		p.finish()
		checkResult(t, p.res)
	})
}
