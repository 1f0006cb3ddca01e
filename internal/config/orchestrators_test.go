package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseOrchestrators(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte("file-key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	in := `orchestrators:
  - name: emea
    url: orch-emea.example.com
    api_key_file: ` + keyFile + `
    tls_verify: true
    limit_file: limit_emea.json
  - name: amer_2
    url: https://orch-amer.example.com:8443
    user: telemetry
    password: pw
    login_type: tacacs
    collect_all: true
    collect_via: orchestrator
`
	got, err := ParseOrchestrators([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Orchestrator{
		{Name: "emea", URL: "orch-emea.example.com", APIKey: "file-key", TLSVerify: true, LimitFile: "limit_emea.json"},
		{Name: "amer_2", URL: "https://orch-amer.example.com:8443", User: "telemetry", Password: "pw", LoginType: LoginTACACS,
			CollectAll: true, CollectVia: ViaOrchestrator},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseOrchestrators (-want +got):\n%s", diff)
	}
	// JSON is YAML too.
	got, err = ParseOrchestrators([]byte(`{"orchestrators": [{"name": "a", "url": "h", "api_key": "k", "collect_all": true}]}`))
	if err != nil || len(got) != 1 || got[0].Name != "a" || got[0].APIKey != "k" {
		t.Errorf("ParseOrchestrators(JSON) = %+v, %v", got, err)
	}
}

func TestParseOrchestratorsErrors(t *testing.T) {
	entry := func(extra string) string {
		return "orchestrators:\n  - " + strings.ReplaceAll(extra, "\n", "\n    ") + "\n"
	}
	for _, tc := range []struct {
		name, in string
		want     []string // every line must appear
	}{
		{"empty", "", []string{"ORCHESTRATORS_FILE is empty"}},
		{"no entries", "orchestrators: []\n", []string{"lists no Orchestrator"}},
		{"unknown key", entry("name: a\nurl: h\napi_key: k\ncollect_all: true\napikey: x"), []string{"cannot decode", "apikey"}},
		{"bad name", entry("name: A.b\nurl: h\napi_key: k\ncollect_all: true"), []string{`entry 1 ("A.b"): name must be 1 to 64 of a-z, 0-9, _ and -`}},
		{"colon in name", entry("name: a:b\nurl: h\napi_key: k\ncollect_all: true"), []string{"name must be"}},
		{"duplicate", "orchestrators:\n  - {name: a, url: h, api_key: k, collect_all: true}\n  - {name: a, url: h2, api_key: k, collect_all: true}\n",
			[]string{`entry 2 ("a"): name used twice`}},
		{"missing everything", entry("name: a"), []string{"url is required", "api_key (or user and password) is required", "limit_file (or collect_all: true) is required"}},
		{"both credentials", entry("name: a\nurl: h\napi_key: k\nuser: u\npassword: p\ncollect_all: true"), []string{"set either api_key or user/password, not both"}},
		{"user without password", entry("name: a\nurl: h\nuser: u\ncollect_all: true"), []string{"password is required with user"}},
		{"both limit and all", entry("name: a\nurl: h\napi_key: k\ncollect_all: true\nlimit_file: l.json"), []string{"set either limit_file or collect_all, not both"}},
		{"bad url", entry("name: a\nurl: ftp://h\napi_key: k\ncollect_all: true"), []string{`url "ftp://h": scheme "ftp" is not supported`}},
		{"bad collect_via", entry("name: a\nurl: h\napi_key: k\ncollect_all: true\ncollect_via: relay"), []string{`collect_via "relay" must be direct, orchestrator or auto`}},
		{"key and key file", entry("name: a\nurl: h\napi_key: k\napi_key_file: /nonexistent\ncollect_all: true"), []string{"api_key and api_key_file are both set"}},
		{"bad login_type", entry("name: a\nurl: h\nuser: u\npassword: p\ncollect_all: true\nlogin_type: ldap"),
			[]string{`login_type: login type "ldap" must be local, radius or tacacs`}},
		{"login_type with api_key", entry("name: a\nurl: h\napi_key: k\ncollect_all: true\nlogin_type: radius"),
			[]string{"login_type radius applies to user, not to api_key"}},
		{"missing key file", entry("name: a\nurl: h\napi_key_file: /nonexistent/key\ncollect_all: true"), []string{"api_key_file: cannot read secret file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseOrchestrators([]byte(tc.in))
			if err == nil {
				t.Fatalf("ParseOrchestrators(%q) = nil error, want %q", tc.in, tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("ParseOrchestrators error = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestParseOrchestratorsNeverShowsSecrets(t *testing.T) {
	_, err := ParseOrchestrators([]byte(entryWithSecrets))
	if err == nil {
		t.Fatal("want an error")
	}
	for _, s := range []string{"s3cret-key", "s3cret-pw"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q shows a secret", err)
		}
	}
}

const entryWithSecrets = `orchestrators:
  - {name: "Bad Name", url: "ftp://h", api_key: s3cret-key, user: u, password: s3cret-pw}
`

func TestOrchestratorsFromVariables(t *testing.T) {
	c := Config{OrchURL: "orch", OrchAPIKey: "k", LimitFile: "l.json", OrchTLSVerify: true}
	got, err := c.Orchestrators()
	want := []Orchestrator{{Name: DefaultOrchName, URL: "orch", APIKey: "k", TLSVerify: true, LimitFile: "l.json", Legacy: true}}
	if err != nil || !cmp.Equal(got, want) {
		t.Errorf("Orchestrators() = %+v, %v; want %+v", got, err, want)
	}
	c.OrchName = "hq"
	if got, _ := c.Orchestrators(); got[0].Name != "hq" {
		t.Errorf("Orchestrators() name = %q, want ORCH_NAME hq", got[0].Name)
	}
	c.OrchName = "HQ 1"
	if _, err := c.Orchestrators(); err == nil || !strings.Contains(err.Error(), `ORCH_NAME "HQ 1" must be`) {
		t.Errorf("Orchestrators() with a bad ORCH_NAME: err = %v", err)
	}
}

func TestOrchLoginType(t *testing.T) {
	base := map[string]string{"ORCH_URL": "orch", "ORCH_USER": "u", "ORCH_PW": "p", "LIMIT_FILE": "l.json",
		"DB_URL": "http://127.0.0.1:8086", "EC_USER": "u", "EC_PW": "p"}
	for _, tc := range []struct {
		name    string
		env     map[string]string
		want    string
		wantErr string
	}{
		{name: "default local", want: LoginLocal},
		{name: "radius", env: map[string]string{"ORCH_LOGIN_TYPE": "radius"}, want: LoginRADIUS},
		{name: "tacacs", env: map[string]string{"ORCH_LOGIN_TYPE": "tacacs"}, want: LoginTACACS},
		{name: "unknown", env: map[string]string{"ORCH_LOGIN_TYPE": "kerberos"},
			wantErr: `ORCH_LOGIN_TYPE: login type "kerberos" must be local, radius or tacacs`},
		{name: "with an api key", env: map[string]string{"ORCH_LOGIN_TYPE": "radius", "ORCH_USER": "", "ORCH_PW": "", "ORCH_API_KEY": "k"},
			wantErr: "ORCH_LOGIN_TYPE radius applies to ORCH_USER, not to ORCH_API_KEY"},
		{name: "with ORCHESTRATORS_FILE", env: map[string]string{"ORCH_LOGIN_TYPE": "radius", "ORCH_URL": "", "ORCH_USER": "", "ORCH_PW": "",
			"ORCHESTRATORS_FILE": "orchestrators.yaml"}, wantErr: "ORCHESTRATORS_FILE and ORCH_LOGIN_TYPE are both set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			for k, v := range tc.env {
				env[k] = v
			}
			c, err := LoadFrom(mapLookup(env))
			if err != nil {
				t.Fatal(err)
			}
			err = c.Validate(RoleDiscovery)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Validate = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Validate = %v", err)
			}
			orchs, err := c.Orchestrators()
			if err != nil || len(orchs) != 1 || orchs[0].LoginType != tc.want {
				t.Errorf("Orchestrators() = %+v, %v; want login type %v", orchs, err, tc.want)
			}
		})
	}
}

// The two forms are mutually exclusive, and Validate says so.
func TestOrchestratorsFileExcludesVariables(t *testing.T) {
	path := filepath.Join(t.TempDir(), "orchestrators.yaml")
	if err := os.WriteFile(path, []byte("orchestrators:\n  - {name: a, url: h, api_key: k, collect_all: true}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadFrom(mapLookup(map[string]string{"ORCHESTRATORS_FILE": path, "ORCH_URL": "orch", "ORCH_NAME": "x",
		"DB_URL": "http://127.0.0.1:8086", "EC_USER": "u", "EC_PW": "p"}))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate(RoleDiscovery)
	want := "ORCHESTRATORS_FILE and ORCH_NAME, ORCH_URL are both set"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Validate = %v, want %q", err, want)
	}
	c.OrchURL, c.OrchName = "", ""
	if err := c.Validate(RoleAll); err != nil {
		t.Errorf("Validate with the file alone = %v, want nil (no ORCH_URL, no LIMIT_FILE needed)", err)
	}
	orchs, err := c.Orchestrators()
	if err != nil || len(orchs) != 1 || orchs[0].Legacy {
		t.Errorf("Orchestrators() = %+v, %v; want one entry, not legacy", orchs, err)
	}
	if c.NeedsOrchestrators(orchs) {
		t.Error("NeedsOrchestrators = true with COLLECT_VIA=direct and no collect_via")
	}
	orchs[0].CollectVia = ViaAuto
	if !c.NeedsOrchestrators(orchs) {
		t.Error("NeedsOrchestrators = false with collect_via auto")
	}
}

func FuzzParseOrchestrators(f *testing.F) {
	f.Add([]byte("orchestrators:\n  - {name: a, url: h, api_key: k, collect_all: true}\n"))
	f.Add([]byte(`{"orchestrators": [{"name": "a", "url": "h", "user": "u", "password": "p", "limit_file": "l"}]}`))
	f.Add([]byte(entryWithSecrets))
	f.Fuzz(func(t *testing.T, b []byte) {
		orchs, err := ParseOrchestrators(b)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, o := range orchs {
			if !orchNameRE.MatchString(o.Name) || seen[o.Name] {
				t.Fatalf("accepted bad or duplicate name %q", o.Name)
			}
			seen[o.Name] = true
		}
	})
}

// The secrets of every entry reach the log redaction.
func TestOrchestratorSecrets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "orchestrators.yaml")
	if err := os.WriteFile(path, []byte("orchestrators:\n  - {name: a, url: h, api_key: key-a, collect_all: true}\n"+
		"  - {name: b, url: h, user: u, password: pw-b, collect_all: true}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got := Config{OrchestratorsFile: path}.OrchestratorSecrets()
	if diff := cmp.Diff([]string{"key-a", "pw-b"}, got); diff != "" {
		t.Errorf("OrchestratorSecrets (-want +got):\n%s", diff)
	}
	if got := (Config{OrchAPIKey: "k"}).OrchestratorSecrets(); !cmp.Equal(got, []string{"k"}) {
		t.Errorf("OrchestratorSecrets of ORCH_API_KEY = %q, want [k]", got)
	}
}
