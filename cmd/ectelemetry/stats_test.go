package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// statsFolder writes a small minute-stats folder and a lookups file.
func statsFolder(t *testing.T) (dir, lookups string) {
	t.Helper()
	dir = t.TempDir()
	files := map[string]string{
		"interface_v2.txt": "3.NE,wan0,2,4,91588,67298,394,255,12672,25536,36,74,0,0,0,0,100000,100000,0,0,0,0,0,0,0,0,0,0,0,0,1736503200\n" +
			"3.NE,lan0,0,3,698,328,4,4,0,0,0,0,0,0,0,0,1000000,1000000,0,0,0,0,0,0,0,0,0,0,0,0,1736503200\n",
		"drops_v2.txt":  "3.NE,8,4,1736503200\n3.NE,2,150,1736503200\n3.NE,3,50,1736503200\nbroken\n",
		"shaper_v2.txt": "3.NE,2,0,12884,12884,61,3,61,0,0,1736503200\n",
		"dscp.csv":      "dscp,traftype\nbe,all traffic\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lookups = filepath.Join(t.TempDir(), "lookups.json")
	if err := os.WriteFile(lookups, []byte(`{"wan_labels":{"2":"INET1"},"lan_labels":{},"overlays":{"1":"RealTime"},"traffic_classes":{"2":"Interactive"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, lookups
}

const (
	wantDropLines = `drop_stats,appliance_id=3.NE,drop_reason=LAN\ Rx\ Queue\ Full,hostname=BRANCH-EC-07 drop_count=4i 1736503200
drop_stats,appliance_id=3.NE,drop_reason=Other,hostname=BRANCH-EC-07 drop_count=200i 1736503200
`
	wantInterfaceLines = `interface_stats,appliance_id=3.NE,hostname=BRANCH-EC-07,interface_label=INET1,interface_name=wan0,traffic_type=all_traffic bytes_rx=67298i,bytes_tx=91588i,firewall_bytes_rx=0i,firewall_bytes_tx=0i,firewall_packets_rx=0i,firewall_packets_tx=0i,max_bandwidth_rx=100000i,max_bandwidth_tx=100000i,overhead_bytes_rx=25536i,overhead_bytes_tx=12672i,overhead_packets_rx=74i,overhead_packets_tx=36i,packets_rx=255i,packets_tx=394i 1736503200
interface_stats,appliance_id=3.NE,hostname=BRANCH-EC-07,interface_label=None,interface_name=lan0,traffic_type=passthrough_unshaped bytes_rx=328i,bytes_tx=698i,firewall_bytes_rx=0i,firewall_bytes_tx=0i,firewall_packets_rx=0i,firewall_packets_tx=0i,max_bandwidth_rx=1000000i,max_bandwidth_tx=1000000i,overhead_bytes_rx=0i,overhead_bytes_tx=0i,overhead_packets_rx=0i,overhead_packets_tx=0i,packets_rx=4i,packets_tx=4i 1736503200
`
	wantShaperLine = `shaper_stats,appliance_id=3.NE,hostname=BRANCH-EC-07,shaper_direction=outbound,traffic_class=2 shaper_dropped_expired_packets=0i,shaper_dropped_other=0i,shaper_wait_count=61i,shaper_wait_time=3i,total_bytes_shaped=12884i,total_bytes_used_shaped=12884i,total_packets_used_shaped=61i,traffic_class_name="Interactive" 1736503200
`
)

func runCmd(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(t.Context(), args, func(string) string { return "" }, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestStatsParseFolder(t *testing.T) {
	dir, lookups := statsFolder(t)
	stdout, stderr, err := runCmd(t, "stats", "parse", "--appliance-id", "3.NE", "--hostname", "BRANCH-EC-07", "--lookups", lookups, dir)
	if err != nil {
		t.Fatalf("run error = %v, want nil; stderr:\n%s", err, stderr)
	}
	if diff := cmp.Diff(wantDropLines+wantInterfaceLines+wantShaperLine, stdout); diff != "" {
		t.Errorf("stdout mismatch (-want +got):\n%s", diff)
	}
	wantStderr := `drops_v2.txt: 4 lines, 2 points, 1 merged, 1 skipped
interface_v2.txt: 2 lines, 2 points, 0 merged, 0 skipped
shaper_v2.txt: 1 lines, 1 points, 0 merged, 0 skipped
missing: tunnel_v2.txt, flow_v2.txt, boost_v2.txt, interface_overlay_v2.txt, tclass_v2.txt, tunnel_availability_v2.txt, probe_v2.txt
issue: drops_v2.txt:4: short line: 1 columns, want at least 4
5 points, 1 issues
`
	if diff := cmp.Diff(wantStderr, stderr); diff != "" {
		t.Errorf("stderr mismatch (-want +got):\n%s", diff)
	}
}

func TestStatsParseWithoutLookups(t *testing.T) {
	dir, _ := statsFolder(t)
	stdout, stderr, err := runCmd(t, "stats", "parse", dir)
	if err != nil {
		t.Fatalf("run error = %v, want nil", err)
	}
	wantLine := "interface_stats,appliance_id=unknown,hostname=unknown,interface_label=unknown_2,interface_name=wan0,traffic_type=all_traffic "
	if !strings.Contains(stdout, wantLine) {
		t.Errorf("stdout lacks %q:\n%s", wantLine, stdout)
	}
	if strings.Contains(stdout, "traffic_class_name") {
		t.Errorf("stdout has traffic_class_name without lookups:\n%s", stdout)
	}
	if want := "issue: interface_v2.txt:1: column 2: unknown interface label id 2, tagged unknown_2\n"; !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
}

func TestStatsParseArchive(t *testing.T) {
	dir, lookups := statsFolder(t)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, name := range []string{"drops_v2.txt", "shaper_v2.txt"} {
		body, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := tw.WriteHeader(&tar.Header{Name: "st2-1736503200/" + name, Typeflag: tar.TypeReg, Size: int64(len(body)), Mode: 0o644}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "st2-1736503200.tgz")
	if err := os.WriteFile(archive, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"stats", "parse", "--appliance-id=3.NE", "--hostname=BRANCH-EC-07", "--lookups", lookups}
	stdout, _, err := runCmd(t, append(args, archive)...)
	if err != nil {
		t.Fatalf("run error = %v, want nil", err)
	}
	if diff := cmp.Diff(wantDropLines+wantShaperLine, stdout); diff != "" {
		t.Errorf("stdout mismatch (-want +got):\n%s", diff)
	}

	// A damaged archive still prints what was parsed, then fails.
	cut := filepath.Join(t.TempDir(), "cut.tgz")
	if err := os.WriteFile(cut, []byte("not gzip"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, _, err = runCmd(t, append(args, cut)...)
	if err == nil || !strings.Contains(err.Error(), "read gzip header") || exitCode(err) != 1 {
		t.Errorf("run(damaged archive) error = %v, want a read gzip header error with exit status 1", err)
	}
	if stdout != "" {
		t.Errorf("stdout = %q, want empty", stdout)
	}
}

func TestStatsUsage(t *testing.T) {
	dir, _ := statsFolder(t)
	badLookups := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(badLookups, []byte(`{"labels":{}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantErr    string // substring of the error
		wantStderr string // substring of stderr
	}{
		{"stats help", []string{"stats", "--help"}, 0, "", "parse   parse a minute-stats archive"},
		{"parse help", []string{"stats", "parse", "--help"}, 0, "", "-lookups"},
		{"parse help documents the lookups format", []string{"stats", "parse", "-h"}, 0, "", `"traffic_classes":{"1":"RealTime"}`},
		{"no tool", []string{"stats"}, 2, "stats: no tool given", "Usage: ectelemetry stats"},
		{"unknown tool", []string{"stats", "dump"}, 2, `stats: unknown tool "dump"`, ""},
		{"no path", []string{"stats", "parse"}, 2, "want exactly one archive or folder, got 0 arguments", ""},
		{"two paths", []string{"stats", "parse", dir, dir}, 2, "got 2 arguments", ""},
		{"bad flag", []string{"stats", "parse", "--nope", dir}, 2, "flag provided but not defined", ""},
		{"missing path", []string{"stats", "parse", filepath.Join(dir, "nope")}, 1, "no such file or directory", ""},
		{"unknown lookups key", []string{"stats", "parse", "--lookups", badLookups, dir}, 1, `json: unknown field "labels"`, ""},
		{"empty hostname", []string{"stats", "parse", "--hostname", "", dir}, 1, "hostname is empty", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, err := runCmd(t, tc.args...)
			if got := exitCodeOf(err); got != tc.wantCode {
				t.Errorf("exit code = %d (err %v), want %d", got, err, tc.wantCode)
			}
			if tc.wantCode == 0 && err != nil && !errors.Is(err, flag.ErrHelp) {
				t.Errorf("error = %v, want nil or flag.ErrHelp", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("error = %v, want it to contain %q", err, tc.wantErr)
			}
			if !strings.Contains(stderr, tc.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.wantStderr, stderr)
			}
		})
	}
}

func exitCodeOf(err error) int {
	if err == nil {
		return 0
	}
	return exitCode(err)
}
