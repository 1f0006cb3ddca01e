package simulator

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// readArchive untars a st2-<m>.tgz and returns its members by base name. It
// checks that everything sits in the one directory st2-<m>/.
func readArchive(t *testing.T, data []byte, m int64) map[string][]byte {
	t.Helper()
	files, err := untar(data)
	if err != nil {
		t.Fatalf("untar st2-%d.tgz: %v", m, err)
	}
	out := map[string][]byte{}
	dir := fmt.Sprintf("st2-%d/", m)
	for name, b := range files {
		if name == dir {
			continue
		}
		base, ok := strings.CutPrefix(name, dir)
		if !ok || strings.Contains(base, "/") {
			t.Fatalf("member %q is not directly under %s", name, dir)
		}
		out[base] = b
	}
	return out
}

func untar(data []byte) (map[string][]byte, error) {
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	out := map[string][]byte{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		out[h.Name] = b
	}
}

func fetchArchive(t *testing.T, e *ecSession, m int64) []byte {
	t.Helper()
	st, b := e.do(http.MethodGet, fmt.Sprintf("/stats/minuteStats/st2-%d.tgz?source=menu_rest_apis_id", m), nil)
	if st != http.StatusOK {
		t.Fatalf("GET st2-%d.tgz = %d", m, st)
	}
	return b
}

func TestArchiveDeterminism(t *testing.T) {
	a1 := startSim(t, Config{Appliances: 8, Seed: 42})
	a2 := startSim(t, Config{Appliances: 8, Seed: 42, ArchiveCacheBytes: -1})
	b := startSim(t, Config{Appliances: 8, Seed: 43})
	for _, info := range a1.Appliances() {
		if !info.Reachable {
			continue
		}
		info2 := a2.byID[info.ID].info()
		e1, e2 := ecLogin(t, a1, info.Address), ecLogin(t, a2, info2.Address)
		for _, m := range []int64{testNewest, testNewest - 60, testNewest - 3600} {
			x, y := fetchArchive(t, e1, m), fetchArchive(t, e2, m)
			if !bytes.Equal(x, y) {
				t.Errorf("%s st2-%d.tgz differs between two simulators with seed 42", info.ID, m)
			}
			if again, _ := a1.Archive(info.ID, m); !bytes.Equal(x, again) {
				t.Errorf("%s st2-%d.tgz differs between HTTP and Archive()", info.ID, m)
			}
			if other, _ := b.Archive(info.ID, m); bytes.Equal(x, other) {
				t.Errorf("%s st2-%d.tgz is the same with seeds 42 and 43", info.ID, m)
			}
		}
	}
}

// fileShape is the column layout of a header-less member: column count and
// timestamp column (the demo's column maps and the real captures).
var fileShape = map[string]int{
	"interface_v2.txt":           31,
	"interface_overlay_v2.txt":   24,
	"tunnel_v2.txt":              72,
	"flow_v2.txt":                26,
	"boost_v2.txt":               6,
	"drops_v2.txt":               4,
	"tclass_v2.txt":              20,
	"shaper_v2.txt":              11,
	"tunnel_availability_v2.txt": 29,
	"probe_v2.txt":               23, // plain split: the settings field holds one comma
}

var csvShape = map[string]int{"interface.csv": 16, "tunnel_peak.csv": 69, "jitter.csv": 4, "mos.csv": 7}

const maxU64 = "18446744073709551615"

// num parses a counter the way the demo does: the invalid marker reads as 0.
func num(t *testing.T, s string) uint64 {
	t.Helper()
	if s == maxU64 {
		return 0
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatalf("column %q is not a number", s)
	}
	return v
}

// decodePeak decodes a packed peak word independently of the simulator.
func decodePeak(t *testing.T, s string) (float64, int64) {
	t.Helper()
	w, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatalf("packed word %q: %v", s, err)
	}
	return float64(math.Float32frombits(uint32(w >> 32))), int64(w & 0xffffffff)
}

func TestArchiveContent(t *testing.T) {
	s := startSim(t, Config{Appliances: 20, Seed: 11})
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	members := []string{"boost_v2.txt", "drops_v2.txt", "flow_v2.txt", "interface.csv", "interface_overlay_v2.txt",
		"interface_v2.txt", "jitter.csv", "mos.csv", "probe_v2.txt", "shaper_v2.txt", "tclass_v2.txt",
		"tunnel_availability_v2.txt", "tunnel_peak.csv", "tunnel_v2.txt"}
	labelIDs := map[string]bool{"0": true, "1": true, "2": true, "3": true, "5": true, "6": true}
	overlayIDs := map[string]bool{"0": true, "1": true, "2": true, "3": true, "4": true}
	for _, info := range s.Appliances() {
		hexOf := map[string]string{}
		for _, m := range []int64{testNewest, testNewest - 60, testNewest - 7200} {
			name := fmt.Sprintf("%s st2-%d", info.ID, m)
			data, err := s.Archive(info.ID, m)
			if err != nil {
				t.Fatal(err)
			}
			files := readArchive(t, data, m)
			if diff := cmp.Diff(members, slices.Sorted(mapsKeys(files))); diff != "" {
				t.Fatalf("%s members (-want +got):\n%s", name, diff)
			}
			rows := map[string][][]string{}
			for f, cols := range fileShape {
				for i, ln := range lines(t, f, files[f]) {
					c := strings.Split(ln, ",")
					if len(c) != cols {
						t.Fatalf("%s %s line %d has %d columns, want %d", name, f, i, len(c), cols)
					}
					if c[len(c)-1] != strconv.FormatInt(m, 10) {
						t.Errorf("%s %s line %d timestamp %s, want %d", name, f, i, c[len(c)-1], m)
					}
					if c[0] != info.ID {
						t.Errorf("%s %s line %d column 0 = %q, want %q", name, f, i, c[0], info.ID)
					}
					rows[f] = append(rows[f], c)
				}
			}
			for f, cols := range csvShape {
				ls := lines(t, f, files[f])
				for i, ln := range ls {
					if n := len(strings.Split(ln, ",")); n != cols {
						t.Fatalf("%s %s line %d has %d columns, want %d", name, f, i, n, cols)
					}
				}
				if strings.Contains(ls[0], "bytes") || strings.HasPrefix(ls[0], "tunnel") {
					continue
				}
				t.Errorf("%s %s has no header: %q", name, f, ls[0])
			}

			// interface_v2: all_traffic (4) = sum of types 1-3 per interface.
			sums := map[string][16]uint64{}
			for _, c := range rows["interface_v2.txt"] {
				if !labelIDs[c[2]] {
					t.Errorf("%s interface label id %q not in the Orchestrator map", name, c[2])
				}
				k := c[1]
				v := sums[k]
				for col := 4; col <= 15; col++ {
					x := num(t, c[col])
					switch c[3] {
					case "1", "2", "3":
						v[col] += x
					case "4":
						if v[col] != x {
							t.Errorf("%s %s all_traffic col %d = %d, types 1-3 sum to %d", name, k, col, x, v[col])
						}
					default:
						t.Errorf("%s traffic type %q", name, c[3])
					}
				}
				sums[k] = v
			}
			for _, c := range rows["interface_overlay_v2.txt"] {
				if !labelIDs[c[2]] || !overlayIDs[c[3]] {
					t.Errorf("%s interface_overlay label %q overlay %q not in the maps", name, c[2], c[3])
				}
			}
			for _, f := range []string{"tclass_v2.txt", "shaper_v2.txt"} {
				for _, c := range rows[f] {
					if n, err := strconv.Atoi(c[1]); err != nil || n < 1 || n > 10 {
						t.Errorf("%s %s traffic class %q not in /trafficclass", name, f, c[1])
					}
				}
			}
			for _, c := range rows["flow_v2.txt"] {
				if !strings.Contains("123", c[1]) || !strings.Contains("1234", c[2]) {
					t.Errorf("%s flow types %q/%q", name, c[1], c[2])
				}
			}
			codes := map[string]bool{}
			for _, c := range rows["drops_v2.txt"] {
				if codes[c[1]] {
					t.Errorf("%s drop code %s twice", name, c[1])
				}
				codes[c[1]] = true
			}
			if len(rows["boost_v2.txt"]) != 1 {
				t.Errorf("%s boost_v2 has %d lines, want 1", name, len(rows["boost_v2.txt"]))
			}

			// tunnel_v2: summary rows, hex ids, packed peaks.
			var ids []string
			jitter := map[string][2]string{}
			for _, c := range rows["tunnel_v2.txt"] {
				ids = append(ids, c[1])
				if !overlayIDs[c[3]] {
					t.Errorf("%s tunnel %s overlay %q not in the map", name, c[1], c[3])
				}
				switch {
				case strings.HasPrefix(c[1], "tunnel_") || strings.HasPrefix(c[1], "bondedTunnel_"):
					if !hex32.MatchString(c[5]) || c[4] != "0" {
						t.Errorf("%s %s hex %q flag %q", name, c[1], c[5], c[4])
					}
				case c[1] == "all traffic" || c[1] == "optimized traffic":
					if c[5] != "unknown" || c[2] != c[1] {
						t.Errorf("%s %s hex %q alias %q", name, c[1], c[5], c[2])
					}
				default:
					if c[5] != strings.Repeat("0", 32) || c[4] != "1" {
						t.Errorf("%s %s hex %q flag %q", name, c[1], c[5], c[4])
					}
				}
				if h, ok := hexOf[c[1]]; ok && h != c[5] {
					t.Errorf("%s %s hex changed from %s to %s", name, c[1], h, c[5])
				}
				hexOf[c[1]] = c[5]
				for _, col := range []int{36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 70} {
					if c[col] == "0" {
						continue
					}
					v, at := decodePeak(t, c[col])
					if v <= 0 || v != math.Trunc(v) || at < m-60 || at >= m {
						t.Errorf("%s %s col %d = %s decodes to %v at %d", name, c[1], col, c[col], v, at)
					}
				}
				jitter[c[1]] = [2]string{c[69], c[70]}
			}
			for _, want := range []string{"pass-through", "pass-through-unshaped", "all traffic", "optimized traffic"} {
				if !slices.Contains(ids, want) {
					t.Errorf("%s tunnel_v2 lacks row %q", name, want)
				}
			}
			for _, c := range rows["tunnel_availability_v2.txt"] {
				if hexOf[c[1]] != c[6] {
					t.Errorf("%s availability %s hex %s, tunnel_v2 %s", name, c[1], c[6], hexOf[c[1]])
				}
				if d := num(t, c[8]); d > 60 {
					t.Errorf("%s availability %s down %d s", name, c[1], d)
				}
				if c[12] == "" || c[13] == "" {
					t.Errorf("%s availability %s label %q color %q", name, c[1], c[12], c[13])
				}
			}
			for _, c := range rows["probe_v2.txt"] {
				if !strings.HasPrefix(c[4], "type=") || !strings.HasPrefix(c[5], "proxyAddress=") {
					t.Errorf("%s probe settings split as %q | %q", name, c[4], c[5])
				}
			}
			// jitter.csv agrees with tunnel_v2 columns 69 and 70.
			for _, ln := range lines(t, "jitter.csv", files["jitter.csv"])[1:] {
				c := strings.Split(ln, ", ")
				tv := jitter[c[0]]
				if c[1] != tv[0] {
					t.Errorf("%s jitter.csv %s jitter %s, tunnel_v2 %s", name, c[0], c[1], tv[0])
				}
				if tv[1] != "0" {
					v, at := decodePeak(t, tv[1])
					if c[2] != strconv.FormatFloat(v, 'f', -1, 64) || c[3] != strconv.FormatInt(at, 10) {
						t.Errorf("%s jitter.csv %s peak %s at %s, packed %v at %d", name, c[0], c[2], c[3], v, at)
					}
				}
			}
		}
	}
}

// TestArchiveCompression checks that ArchiveCompressionNone serves the same
// tar as the default, in a valid gzip stream of stored blocks (larger than
// the compressed one, deterministic), and that an unknown value is refused.
func TestArchiveCompression(t *testing.T) {
	fast := startSim(t, Config{Appliances: 4, Seed: 7})
	none := startSim(t, Config{Appliances: 4, Seed: 7, ArchiveCompression: ArchiveCompressionNone})
	again := startSim(t, Config{Appliances: 4, Seed: 7, ArchiveCompression: ArchiveCompressionNone,
		ArchiveCacheBytes: -1})
	a := reachableAppliance(t, fast)
	x := fetchArchive(t, ecLogin(t, fast, a.Address), testNewest)
	y := fetchArchive(t, ecLogin(t, none, none.byID[a.ID].address), testNewest)
	if len(y) <= len(x) {
		t.Errorf("stored archive is %d bytes, want more than the compressed %d", len(y), len(x))
	}
	tx, ty := readArchive(t, x, testNewest), readArchive(t, y, testNewest)
	if len(tx) != len(archiveMembers) {
		t.Fatalf("fast archive has %d members, want %d", len(tx), len(archiveMembers))
	}
	for name, b := range tx {
		if !bytes.Equal(b, ty[name]) {
			t.Errorf("member %s differs between fast and none", name)
		}
	}
	if z, err := again.Archive(a.ID, testNewest); err != nil || !bytes.Equal(y, z) {
		t.Errorf("stored archive differs between two simulators with seed 7 (%v)", err)
	}
	_, err := New(Config{Appliances: 1, ArchiveCompression: "best"})
	want := `invalid simulator config: archive compression must be "fast" or "none", got "best"`
	if err == nil || err.Error() != want {
		t.Errorf("New(ArchiveCompression best) = %v, want %s", err, want)
	}
}
