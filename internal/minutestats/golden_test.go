package minutestats

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/cases/*/expected.lp and issues.txt from the current output")

const goldenPrefix = "st2-1736503200/"

// TestGolden parses every folder under testdata/cases, once as a folder and
// once as a tgz built from it, and compares the sorted line protocol with
// expected.lp and the issues with issues.txt.
func TestGolden(t *testing.T) {
	cases, err := filepath.Glob("testdata/cases/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no cases under testdata/cases")
	}
	for _, dir := range cases {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			opt := testOptions(readLookups(t, dir))
			res, err := ParseDir(dir, opt)
			if err != nil {
				t.Fatalf("ParseDir(%s) error = %v, want nil", dir, err)
			}
			gotLP := lineProtocol(t, res.Points)
			gotIssues := issueText(res.Issues, "")
			if res.IssueCount != len(res.Issues) {
				t.Errorf("IssueCount = %d, want %d (all kept)", res.IssueCount, len(res.Issues))
			}

			lpFile := filepath.Join(dir, "expected.lp")
			issuesFile := filepath.Join(dir, "issues.txt")
			if *update {
				writeGolden(t, lpFile, gotLP)
				writeGolden(t, issuesFile, gotIssues)
			}
			if diff := cmp.Diff(readGolden(t, lpFile), gotLP); diff != "" {
				t.Errorf("ParseDir line protocol mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(readGolden(t, issuesFile), gotIssues); diff != "" {
				t.Errorf("ParseDir issues mismatch (-want +got):\n%s", diff)
			}

			// The same files as an archive give the same result.
			tgz := makeTGZ(t, append([]tarEntry{{name: goldenPrefix, typ: '5'}}, dirEntries(t, dir, goldenPrefix)...)...)
			ares, err := ParseArchive(bytes.NewReader(tgz), opt)
			if err != nil {
				t.Fatalf("ParseArchive error = %v, want nil", err)
			}
			if diff := cmp.Diff(gotLP, lineProtocol(t, ares.Points)); diff != "" {
				t.Errorf("ParseArchive line protocol differs from ParseDir (-dir +archive):\n%s", diff)
			}
			if diff := cmp.Diff(gotIssues, issueText(ares.Issues, goldenPrefix)); diff != "" {
				t.Errorf("ParseArchive issues differ from ParseDir (-dir +archive):\n%s", diff)
			}
			if diff := cmp.Diff(res.Missing, ares.Missing); diff != "" {
				t.Errorf("Missing differs (-dir +archive):\n%s", diff)
			}
		})
	}
}

func readGolden(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("read golden file (run go test -run TestGolden -update to create it): %v", err)
	}
	return string(b)
}

func writeGolden(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatalf("write golden file: %v", err)
	}
}
