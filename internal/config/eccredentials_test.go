package config

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseApplianceCredentials(t *testing.T) {
	pwFile := filepath.Join(t.TempDir(), "amer_pw")
	if err := os.WriteFile(pwFile, []byte("file-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	in := `credentials:
  - cidr: 10.1.0.0/16
    user: emea
    password: pw-emea
  - cidr: 10.2.3.4/8
    user: amer
    password_file: ` + pwFile + `
  - cidr: fd00::/8
    user: v6
    password: pw-v6
`
	got, err := ParseApplianceCredentials([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []ApplianceCredential{
		{Prefix: netip.MustParsePrefix("10.1.0.0/16"), User: "emea", Password: "pw-emea"},
		{Prefix: netip.MustParsePrefix("10.0.0.0/8"), User: "amer", Password: "file-pw"},
		{Prefix: netip.MustParsePrefix("fd00::/8"), User: "v6", Password: "pw-v6"},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("ParseApplianceCredentials (-want +got):\n%s", diff)
	}
	// JSON is YAML too.
	got, err = ParseApplianceCredentials([]byte(`{"credentials": [{"cidr": "192.0.2.0/24", "user": "u", "password": "p"}]}`))
	if err != nil || len(got) != 1 || got[0].User != "u" {
		t.Errorf("ParseApplianceCredentials(JSON) = %+v, %v", got, err)
	}
}

func TestApplianceCredentialsFor(t *testing.T) {
	a := ApplianceCredentials{DefaultUser: "admin", DefaultPasswd: "default-pw", Entries: []ApplianceCredential{
		{Prefix: netip.MustParsePrefix("10.1.2.0/24"), User: "site", Password: "site-pw"},
		{Prefix: netip.MustParsePrefix("10.1.0.0/16"), User: "emea", Password: "emea-pw"},
		{Prefix: netip.MustParsePrefix("fd00::/8"), User: "v6", Password: "v6-pw"},
	}}
	for _, tc := range []struct {
		addr, user string
		entry      int
	}{
		{"10.1.2.9", "site", 1}, // first match wins
		{"10.1.2.9:8443", "site", 1},
		{"10.1.9.9:443", "emea", 2},
		{"[fd00::5]:443", "v6", 3},
		{"fd00::5", "v6", 3},
		{"::ffff:10.1.9.9", "emea", 2},
		{"10.2.0.1", "admin", 0},
		{"ec-1.example.net:443", "admin", 0},
		{"", "admin", 0},
	} {
		user, pw, entry := a.For(tc.addr)
		if user != tc.user || entry != tc.entry || pw == "" {
			t.Errorf("For(%q) = %q, %q, %d; want %q, entry %d", tc.addr, user, pw, entry, tc.user, tc.entry)
		}
	}
}

func TestParseApplianceCredentialsErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"empty", "", []string{"EC_CREDENTIALS_FILE is empty"}},
		{"no entries", "credentials: []\n", []string{"lists no entry"}},
		{"unknown key", "credentials:\n  - {cidr: 10.0.0.0/8, user: u, password: p, subnet: x}\n", []string{"cannot decode", "subnet"}},
		{"bad cidr", "credentials:\n  - {cidr: 10.0.0.0, user: u, password: p}\n",
			[]string{`entry 1 ("10.0.0.0"): cidr must be an address/length`}},
		{"no user, no password", "credentials:\n  - {cidr: 10.0.0.0/8}\n", []string{"user is required", "password (or password_file) is required"}},
		{"both passwords", "credentials:\n  - {cidr: 10.0.0.0/8, user: u, password: s3cret-pw, password_file: /x}\n",
			[]string{"password and password_file are both set"}},
		{"missing password file", "credentials:\n  - {cidr: 10.0.0.0/8, user: u}\n  - {cidr: 10.0.0.0/8, user: u, password_file: /nonexistent/pw}\n",
			[]string{`entry 2 ("10.0.0.0/8"): password_file: cannot read secret file`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseApplianceCredentials([]byte(tc.in))
			if err == nil {
				t.Fatalf("ParseApplianceCredentials(%q) = nil error, want %q", tc.in, tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error = %q, want it to contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "s3cret-pw") {
				t.Errorf("error %q shows a password", err)
			}
		})
	}
}

// Validate reads EC_CREDENTIALS_FILE for workers; its passwords reach the
// log redaction.
func TestECCredentialsFileValidatedAndSecret(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "creds.yaml")
	if err := os.WriteFile(good, []byte("credentials:\n  - {cidr: 10.0.0.0/8, user: u, password: region-pw}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("credentials:\n  - {cidr: nope, user: u, password: p}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	load := func(file string) Config {
		c, err := LoadFrom(mapLookup(map[string]string{"EC_CREDENTIALS_FILE": file, "DB_URL": "http://127.0.0.1:8086",
			"EC_USER": "u", "EC_PW": "p"}))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if err := load(good).Validate(RoleWorker); err != nil {
		t.Errorf("Validate(worker) = %v", err)
	}
	if got := load(good).ApplianceCredentialSecrets(); len(got) != 1 || got[0] != "region-pw" {
		t.Errorf("ApplianceCredentialSecrets() = %q, want [region-pw]", got)
	}
	if err := load(bad).Validate(RoleWorker); err == nil || !strings.Contains(err.Error(), "cidr must be") {
		t.Errorf("Validate(worker) with a bad file = %v, want the cidr error", err)
	}
	if err := load(filepath.Join(dir, "missing.yaml")).Validate(RoleWorker); err == nil || !strings.Contains(err.Error(), "EC_CREDENTIALS_FILE: open") {
		t.Errorf("Validate(worker) with a missing file = %v", err)
	}
}
