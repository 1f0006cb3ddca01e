package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseLimitFile(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string
	}{
		{"demo default", `{"appliance_subset": [], "example": ["a","b"], "comment": "x"}`, []string{}, ""},
		{"listed", `{"appliance_subset": [" HQ-EC-01 ", "BR-2"]}`, []string{"HQ-EC-01", "BR-2"}, ""},
		{"not json", `appliance_subset: []`, nil, "not a JSON object"},
		{"missing key", `{"example": []}`, nil, `missing key "appliance_subset"`},
		{"unknown key", `{"appliance_subset": [], "apliance_subset": ["x"]}`, nil, `unknown field "apliance_subset"`},
		{"number entry", `{"appliance_subset": [1]}`, nil, "decode"},
		{"empty entry", `{"appliance_subset": ["a", ""]}`, nil, "appliance_subset[1] is empty"},
		{"duplicate", `{"appliance_subset": ["a", "a"]}`, nil, `lists "a" twice`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lf, err := ParseLimitFile(strings.NewReader(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseLimitFile = %v, want error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, lf.ApplianceSubset); diff != "" {
				t.Errorf("subset (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteLimitFileKeepsOtherKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "limit_appliances.json")
	if err := os.WriteFile(path, []byte(`{"appliance_subset": [], "example": ["x"], "comment": "keep me"}`), 0o640); err != nil {
		t.Fatal(err)
	}
	lf, err := ReadLimitFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lf.ApplianceSubset = []string{"A", "B"}
	if err := WriteLimitFile(path, lf); err != nil {
		t.Fatal(err)
	}
	back, err := ReadLimitFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(LimitFile{ApplianceSubset: []string{"A", "B"}, Example: []string{"x"}, Comment: "keep me"}, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v, want 0640 kept", st.Mode().Perm())
	}
}

func FuzzParseLimitFile(f *testing.F) {
	f.Add(`{"appliance_subset": [], "example": ["a"], "comment": "c"}`)
	f.Add(`{"appliance_subset": ["x", "y"]}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, in string) {
		lf, err := ParseLimitFile(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, h := range lf.ApplianceSubset {
			if h == "" || strings.TrimSpace(h) != h {
				t.Errorf("accepted untrimmed or empty hostname %q", h)
			}
		}
	})
}
