package minutestats

import (
	"bytes"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPooledParsersStartClean checks that a parse gives the same result
// whatever parses ran before it (parsers and their gzip readers are
// reused), including ones that merged, dropped, reported issues, failed on
// a damaged archive or ran at the same time.
func TestPooledParsersStartClean(t *testing.T) {
	tgz := func(dir string) []byte {
		return makeTGZ(t, append([]tarEntry{{name: goldenPrefix, typ: '5'}}, dirEntries(t, dir, goldenPrefix)...)...)
	}
	clean, messy := tgz("testdata/cases/tunnel"), tgz("testdata/cases/bad_lines")
	cleanOpt := testOptions(readLookups(t, "testdata/cases/tunnel"))
	messyOpt := testOptions(readLookups(t, "testdata/cases/bad_lines"))
	messyOpt.MaxPoints = 3

	parse := func(data []byte, opt Options) (*Result, error) {
		return ParseArchive(bytes.NewReader(data), opt)
	}
	want, err := parse(clean, cleanOpt)
	if err != nil || len(want.Points) == 0 {
		t.Fatalf("ParseArchive(tunnel) = %d points, %v; want points, nil", len(want.Points), err)
	}
	check := func(t *testing.T, after string) {
		t.Helper()
		got, err := parse(clean, cleanOpt)
		if err != nil {
			t.Fatalf("after %s: ParseArchive = %v", after, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("after %s: ParseArchive(tunnel) mismatch (-first +now):\n%s", after, diff)
		}
	}

	if res, _ := parse(messy, messyOpt); res.IssueCount == 0 || res.Dropped == 0 {
		t.Fatalf("ParseArchive(bad_lines) = %d issues, %d dropped; want some of each", res.IssueCount, res.Dropped)
	}
	check(t, "a parse with issues and dropped points")

	if _, err := parse(messy[:len(messy)/2], messyOpt); err == nil {
		t.Fatal("ParseArchive(truncated) = nil error, want one")
	}
	check(t, "a truncated archive")

	if _, err := parse([]byte("not gzip"), cleanOpt); err == nil {
		t.Fatal("ParseArchive(not gzip) = nil error, want one")
	}
	check(t, "a stream that is not gzip")

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			data, opt := clean, cleanOpt
			if i%2 == 1 {
				data, opt = messy, messyOpt
			}
			for range 20 {
				res, err := parse(data, opt)
				if i%2 == 0 && (err != nil || !cmp.Equal(want, res)) {
					t.Errorf("concurrent ParseArchive(tunnel) differs from the first: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	check(t, "concurrent parses")
}
