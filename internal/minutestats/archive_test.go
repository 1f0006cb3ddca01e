package minutestats

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

const (
	dropsBody = "3.NE,31,7,1736503200\n"
	dropsLP   = "drop_stats,appliance_id=3.NE,drop_reason=WAN\\ Rx\\ Queue\\ Full,hostname=BRANCH-EC-07 drop_count=7i 1736503200\n"
	boostBody = "3.NE,10000,1500000,0,0,1736503200\n"
	boostLP   = "boost_stats,appliance_id=3.NE,hostname=BRANCH-EC-07 boost_bytes=1500000i,boost_configured_kbps=10000i,seconds_not_boosted_in_minute=0i 1736503200\n"
)

// hugeDeclaredSize returns an archive whose second member claims 1 TiB but
// holds a few bytes, after a valid drops member.
func hugeDeclaredSize(t testing.TB) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, h := range []struct {
		name string
		size int64
		body string
	}{
		{"st2-1/drops_v2.txt", int64(len(dropsBody)), dropsBody},
		{"st2-1/interface_v2.txt", 1 << 40, "3.NE,wan0"},
	} {
		if err := tw.WriteHeader(&tar.Header{Name: h.name, Typeflag: tar.TypeReg, Size: h.size, Mode: 0o644}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(h.body)); err != nil {
			t.Fatal(err)
		}
	}
	tw.Flush() // reports the missing bytes; the archive is cut on purpose
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// truncatedGzip returns an archive cut inside its second member, with the
// first member complete before the cut.
func truncatedGzip(t testing.TB) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	write := func(name, body string) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Size: int64(len(body)), Mode: 0o644}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	write("st2-1/drops_v2.txt", dropsBody)
	if err := tw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Flush(); err != nil {
		t.Fatal(err)
	}
	cut := buf.Len()
	// An incompressible second member, so its bytes land after the cut.
	var noise strings.Builder
	x := uint32(1)
	for noise.Len() < 64<<10 {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		noise.WriteByte(byte('a' + x%26))
	}
	write("st2-1/boost_v2.txt", boostBody+noise.String())
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()[:cut+8<<10]
}

func gzipOf(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParseArchiveSafety(t *testing.T) {
	allButDrops := []string{FileInterface, FileTunnel, FileFlow, FileBoost, FileInterfaceOverlay, FileTrafficClass, FileShaper, FileTunnelAvail, FileProbe}
	tests := []struct {
		name        string
		archive     func(t testing.TB) []byte
		maxMember   int64
		maxTotal    int64
		wantLP      string
		wantIssues  []Issue
		wantErr     string // exact text, "" for none
		wantErrIs   error
		wantMissing []string
	}{
		{
			name: "unsafe paths are ignored",
			archive: func(t testing.TB) []byte {
				return makeTGZ(t,
					tarEntry{name: "../boost_v2.txt", body: boostBody},
					tarEntry{name: "/abs/boost_v2.txt", body: boostBody},
					tarEntry{name: "st2-1/../../boost_v2.txt", body: boostBody},
					tarEntry{name: `..\boost_v2.txt`, body: boostBody},
					tarEntry{name: "st2-1/drops_v2.txt", body: dropsBody},
				)
			},
			wantLP: dropsLP,
			wantIssues: []Issue{
				{File: "../boost_v2.txt", Reason: `path contains "..", ignored`},
				{File: "/abs/boost_v2.txt", Reason: "absolute path, ignored"},
				{File: "st2-1/../../boost_v2.txt", Reason: `path contains "..", ignored`},
				{File: `..\boost_v2.txt`, Reason: `path contains "..", ignored`},
			},
			wantMissing: allButDrops,
		},
		{
			name: "links and devices are ignored",
			archive: func(t testing.TB) []byte {
				return makeTGZ(t,
					tarEntry{name: "st2-1/", typ: tar.TypeDir},
					tarEntry{name: "st2-1/boost_v2.txt", typ: tar.TypeSymlink, link: "/etc/passwd"},
					tarEntry{name: "st2-1/interface_v2.txt", typ: tar.TypeLink, link: "st2-1/drops_v2.txt"},
					tarEntry{name: "st2-1/flow_v2.txt", typ: tar.TypeFifo},
					tarEntry{name: "st2-1/drops_v2.txt", body: dropsBody},
				)
			},
			wantLP: dropsLP,
			wantIssues: []Issue{
				{File: "st2-1/boost_v2.txt", Reason: "not a regular file (tar type '2'), ignored"},
				{File: "st2-1/interface_v2.txt", Reason: "not a regular file (tar type '1'), ignored"},
				{File: "st2-1/flow_v2.txt", Reason: "not a regular file (tar type '6'), ignored"},
			},
			wantMissing: allButDrops,
		},
		{
			name: "member over the size limit is skipped",
			archive: func(t testing.TB) []byte {
				return makeTGZ(t,
					tarEntry{name: "st2-1/boost_v2.txt", body: strings.Repeat(boostBody, 4)},
					tarEntry{name: "st2-1/drops_v2.txt", body: dropsBody},
				)
			},
			maxMember: 64,
			wantLP:    dropsLP,
			wantIssues: []Issue{
				{File: "st2-1/boost_v2.txt", Reason: "declared size 136 exceeds the member limit of 64 bytes, skipped"},
			},
			wantMissing: allButDrops,
		},
		{
			name:    "huge declared size",
			archive: hugeDeclaredSize,
			wantLP:  dropsLP,
			wantIssues: []Issue{
				{File: "st2-1/interface_v2.txt", Reason: "declared size 1099511627776 exceeds the member limit of 33554432 bytes, skipped"},
			},
			wantErr:     `read tar header after member "st2-1/interface_v2.txt": unexpected EOF`,
			wantErrIs:   io.ErrUnexpectedEOF,
			wantMissing: allButDrops,
		},
		{
			name: "gzip bomb stops at the total limit",
			archive: func(t testing.TB) []byte {
				return makeTGZ(t,
					tarEntry{name: "st2-1/drops_v2.txt", body: dropsBody},
					tarEntry{name: "st2-1/dscp.csv", body: strings.Repeat("0", 1<<20)},
					tarEntry{name: "st2-1/boost_v2.txt", body: boostBody},
				)
			},
			maxTotal:    64 << 10,
			wantLP:      dropsLP,
			wantErr:     `read tar header after member "st2-1/dscp.csv": archive exceeds the uncompressed size limit (65536 bytes)`,
			wantErrIs:   ErrArchiveTooLarge,
			wantMissing: allButDrops,
		},
		{
			name:        "truncated gzip keeps the points before the damage",
			archive:     truncatedGzip,
			wantLP:      dropsLP,
			wantErr:     `read member "st2-1/boost_v2.txt": unexpected EOF`,
			wantErrIs:   io.ErrUnexpectedEOF,
			wantMissing: []string{FileInterface, FileTunnel, FileFlow, FileInterfaceOverlay, FileTrafficClass, FileShaper, FileTunnelAvail, FileProbe},
		},
		{
			name:        "not gzip",
			archive:     func(testing.TB) []byte { return []byte(dropsBody) },
			wantErr:     "read gzip header: gzip: invalid header",
			wantErrIs:   gzip.ErrHeader,
			wantMissing: knownFiles[:],
		},
		{
			name:        "gzip but not tar",
			archive:     func(t testing.TB) []byte { return gzipOf(t, bytes.Repeat([]byte("not a tar header "), 64)) },
			wantErr:     "read first tar header: archive/tar: invalid tar header",
			wantErrIs:   tar.ErrHeader,
			wantMissing: knownFiles[:],
		},
		{
			name:        "empty archive",
			archive:     func(t testing.TB) []byte { return makeTGZ(t) },
			wantMissing: knownFiles[:],
		},
		{
			name: "any directory depth, duplicates and other members",
			archive: func(t testing.TB) []byte {
				return makeTGZ(t,
					tarEntry{name: "a/b/c/drops_v2.txt", body: dropsBody},
					tarEntry{name: "st2-2/drops_v2.txt", body: "3.NE,31,1000,1736503200\n"},
					tarEntry{name: "st2-1/tunnel_peak.csv", body: "tunname,bytes_wtx\nx,1\n"},
					tarEntry{name: "boost_v2.txt", body: boostBody},
				)
			},
			wantLP: boostLP + dropsLP,
			wantIssues: []Issue{
				{File: "st2-2/drops_v2.txt", Reason: "duplicate member drops_v2.txt, ignored"},
			},
			wantMissing: []string{FileInterface, FileTunnel, FileFlow, FileInterfaceOverlay, FileTrafficClass, FileShaper, FileTunnelAvail, FileProbe},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opt := testOptions(Lookups{})
			opt.MaxMemberBytes, opt.MaxTotalBytes = tc.maxMember, tc.maxTotal
			res, err := ParseArchive(bytes.NewReader(tc.archive(t)), opt)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tc.wantErr {
				t.Errorf("ParseArchive error = %q, want %q", gotErr, tc.wantErr)
			}
			if tc.wantErrIs != nil && !errors.Is(err, tc.wantErrIs) {
				t.Errorf("errors.Is(%v, %v) = false, want true", err, tc.wantErrIs)
			}
			if res == nil {
				t.Fatal("ParseArchive returned a nil Result")
			}
			if diff := cmp.Diff(tc.wantLP, lineProtocol(t, res.Points)); diff != "" {
				t.Errorf("points mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantIssues, res.Issues); diff != "" {
				t.Errorf("issues mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantMissing, res.Missing); diff != "" {
				t.Errorf("missing mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseInvalidOptions(t *testing.T) {
	tests := []struct {
		name string
		opt  Options
		want string
	}{
		{"no identity", Options{}, "minute stats options: appliance id is empty\nhostname is empty"},
		{"no hostname", Options{ApplianceID: "3.NE"}, "minute stats options: hostname is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := ParseArchive(bytes.NewReader(makeTGZ(t)), tc.opt)
			if err == nil || err.Error() != tc.want {
				t.Errorf("ParseArchive error = %v, want %q", err, tc.want)
			}
			if res == nil {
				t.Error("ParseArchive returned a nil Result")
			}
			res, err = ParseDir(t.TempDir(), tc.opt)
			if err == nil || err.Error() != tc.want {
				t.Errorf("ParseDir error = %v, want %q", err, tc.want)
			}
			if res == nil {
				t.Error("ParseDir returned a nil Result")
			}
		})
	}
}

func TestParseDir(t *testing.T) {
	dir := t.TempDir()
	other := t.TempDir()
	mustWrite := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mustWrite(filepath.Join(dir, FileDrops), dropsBody)
	mustWrite(filepath.Join(other, "boost"), boostBody)
	if err := os.Symlink(filepath.Join(other, "boost"), filepath.Join(dir, FileBoost)); err != nil {
		t.Skipf("symlinks unavailable: %v", err)
	}
	if err := os.Symlink(filepath.Join(other, "gone"), filepath.Join(dir, FileFlow)); err != nil {
		t.Fatal(err)
	}
	mustWrite(filepath.Join(dir, FileShaper), strings.Repeat("3.NE,2,0,1,1,1,1,1,1,1,1736503200\n", 10))
	if err := os.Mkdir(filepath.Join(dir, FileTunnel), 0o755); err != nil { // a folder with a member's name
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	mustWrite(filepath.Join(dir, "sub", FileInterface), "not read\n")

	opt := testOptions(Lookups{})
	opt.MaxMemberBytes = 100
	res, err := ParseDir(dir, opt)
	if err != nil {
		t.Fatalf("ParseDir error = %v, want nil", err)
	}
	if diff := cmp.Diff(boostLP+dropsLP, lineProtocol(t, res.Points)); diff != "" {
		t.Errorf("points mismatch (-want +got):\n%s", diff)
	}
	wantIssues := []string{
		"flow_v2.txt: cannot stat: stat flow_v2.txt: no such file or directory",
		"shaper_v2.txt: size 340 exceeds the member limit of 100 bytes, skipped",
	}
	var gotIssues []string
	for _, i := range res.Issues {
		gotIssues = append(gotIssues, i.String())
	}
	if diff := cmp.Diff(wantIssues, gotIssues); diff != "" {
		t.Errorf("issues mismatch (-want +got):\n%s", diff)
	}
	wantMissing := []string{FileInterface, FileTunnel, FileFlow, FileInterfaceOverlay, FileTrafficClass, FileShaper, FileTunnelAvail, FileProbe}
	if diff := cmp.Diff(wantMissing, res.Missing); diff != "" {
		t.Errorf("missing mismatch (-want +got):\n%s", diff)
	}

	_, err = ParseDir(filepath.Join(dir, "nope"), opt)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ParseDir(missing folder) error = %v, want os.ErrNotExist", err)
	}
}

// A hostname or appliance id that line protocol cannot carry as it is
// (control character, trailing backslash) is written through
// telemetry.TagValue; the archive is parsed as any other.
func TestParseHostileIdentity(t *testing.T) {
	body := "3.NE,wan0,1,4,1,1,1,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1736503200\n"
	opt := Options{ApplianceID: `3.NE\`, Hostname: "EC\x01BAD\\"}
	res, err := ParseArchive(bytes.NewReader(makeTGZ(t, tarEntry{name: "st2-1/" + FileInterface, body: body})), opt)
	if err != nil {
		t.Fatalf("ParseArchive = %v, want no error", err)
	}
	if len(res.Points) != 1 {
		t.Fatalf("got %d points, want 1; issues %v", len(res.Points), res.Issues)
	}
	tags := res.Points[0].Tags.Map()
	if got, want := tags[telemetry.TagApplianceID], "3.NE\uFFFD"; got != want {
		t.Errorf("appliance_id = %q, want %q", got, want)
	}
	if got, want := tags[telemetry.TagHostname], "EC\uFFFDBAD\uFFFD"; got != want {
		t.Errorf("hostname = %q, want %q", got, want)
	}
	checkResult(t, res)
}
