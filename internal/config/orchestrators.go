package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// DefaultOrchName is the name (the orchestrator tag value) of the one
// Orchestrator the ORCH_* variables configure when ORCH_NAME is empty.
const DefaultOrchName = "default"

// Orchestrator is one Orchestrator discovery reads: from an entry of
// ORCHESTRATORS_FILE, or from the ORCH_* variables.
type Orchestrator struct {
	Name       string // tag value: [a-z0-9_-], unique
	URL        string // host, host:port or https:// URL
	APIKey     string // secret
	User       string
	Password   string // secret
	LoginType  string // local ("" too), radius or tacacs: how the Orchestrator checks User
	TLSVerify  bool
	CAFile     string
	LimitFile  string
	CollectAll bool
	CollectVia string // "" means COLLECT_VIA
	// Legacy is set for the Orchestrator of the ORCH_* variables: its
	// appliances keep the Redis keys and task ids of a single-Orchestrator
	// deployment (the bare nePk), so an upgrade keeps its watermarks.
	Legacy bool
}

// orchestratorEntry is one entry of ORCHESTRATORS_FILE as written.
type orchestratorEntry struct {
	Name         string `yaml:"name"`
	URL          string `yaml:"url"`
	APIKey       string `yaml:"api_key"`
	APIKeyFile   string `yaml:"api_key_file"`
	User         string `yaml:"user"`
	Password     string `yaml:"password"`
	PasswordFile string `yaml:"password_file"`
	LoginType    string `yaml:"login_type"`
	TLSVerify    bool   `yaml:"tls_verify"`
	CAFile       string `yaml:"ca_file"`
	LimitFile    string `yaml:"limit_file"`
	CollectAll   bool   `yaml:"collect_all"`
	CollectVia   string `yaml:"collect_via"`
}

// orchestratorsDoc is the whole file: a list under "orchestrators".
type orchestratorsDoc struct {
	Orchestrators []orchestratorEntry `yaml:"orchestrators"`
}

var orchNameRE = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)

// maxOrchestratorsFile bounds what ReadOrchestratorsFile and
// ReadApplianceCredentialsFile read.
const maxOrchestratorsFile = 1 << 20

// singleOrchVars are the ORCH_* variables set (ORCH_NAME and
// ORCH_LOGIN_TYPE: to other than their defaults) that ORCHESTRATORS_FILE replaces; setting one of them together
// with the file is an error.
func (c Config) singleOrchVars() []string {
	var set []string
	for name, v := range map[string]string{"ORCH_URL": c.OrchURL, "ORCH_API_KEY": c.OrchAPIKey, "ORCH_USER": c.OrchUser,
		"ORCH_PW": c.OrchPassword, "ORCH_CA_FILE": c.OrchCAFile} {
		if strings.TrimSpace(v) != "" {
			set = append(set, name)
		}
	}
	if c.OrchName != "" && c.OrchName != DefaultOrchName {
		set = append(set, "ORCH_NAME")
	}
	if c.OrchLoginType != "" && c.OrchLoginType != "local" {
		set = append(set, "ORCH_LOGIN_TYPE")
	}
	slices.Sort(set)
	return set
}

// Orchestrators returns the Orchestrators to read: the entries of
// ORCHESTRATORS_FILE, or the one of the ORCH_* variables (named ORCH_NAME,
// default DefaultOrchName, with LIMIT_FILE and COLLECT_ALL). It reads the
// file and the secret files it names, and reports every problem at once.
// It does not check what Validate checks of the ORCH_* variables.
func (c Config) Orchestrators() ([]Orchestrator, error) {
	if c.OrchestratorsFile == "" {
		name := c.OrchName
		if name == "" {
			name = DefaultOrchName
		}
		var errs []error
		if !orchNameRE.MatchString(name) {
			errs = append(errs, fmt.Errorf("ORCH_NAME %q must be 1 to 64 of a-z, 0-9, _ and -", name))
		}
		lt := c.OrchLoginType
		if remote, err := parseLoginType(lt); err != nil {
			errs = append(errs, fmt.Errorf("ORCH_LOGIN_TYPE: %w", err))
			lt = ""
		} else if remote && c.OrchAPIKey != "" {
			errs = append(errs, fmt.Errorf("ORCH_LOGIN_TYPE %s applies to ORCH_USER, not to ORCH_API_KEY", lt))
		}
		return []Orchestrator{{Name: name, URL: c.OrchURL, APIKey: c.OrchAPIKey, User: c.OrchUser, Password: c.OrchPassword,
			LoginType: lt, TLSVerify: c.OrchTLSVerify, CAFile: c.OrchCAFile, LimitFile: c.LimitFile, CollectAll: c.CollectAll,
			Legacy: true}}, errors.Join(errs...)
	}
	if set := c.singleOrchVars(); len(set) > 0 {
		return nil, fmt.Errorf("ORCHESTRATORS_FILE and %s are both set: list every Orchestrator in the file, or use the ORCH_* variables for one", strings.Join(set, ", "))
	}
	return ReadOrchestratorsFile(c.OrchestratorsFile)
}

// ReadOrchestratorsFile reads and checks an ORCHESTRATORS_FILE (YAML, or
// JSON, which is YAML too). Unknown keys are errors. Relative paths in it
// (secret, CA and limit files) are taken as they are, relative to the
// working directory.
func ReadOrchestratorsFile(path string) ([]Orchestrator, error) {
	b, err := readBounded("ORCHESTRATORS_FILE", path)
	if err != nil {
		return nil, err
	}
	return ParseOrchestrators(b)
}

// ParseOrchestrators decodes and checks the content of an
// ORCHESTRATORS_FILE; secret files named in it are read.
func ParseOrchestrators(b []byte) ([]Orchestrator, error) {
	var doc orchestratorsDoc
	if err := decodeStrict(b, &doc, "ORCHESTRATORS_FILE", "list at least one Orchestrator under orchestrators"); err != nil {
		return nil, err
	}
	if len(doc.Orchestrators) == 0 {
		return nil, errors.New("ORCHESTRATORS_FILE lists no Orchestrator under orchestrators")
	}
	var errs []error
	seen := map[string]bool{}
	out := make([]Orchestrator, 0, len(doc.Orchestrators))
	for i, e := range doc.Orchestrators {
		o, err := e.resolve()
		where := fmt.Sprintf("ORCHESTRATORS_FILE entry %d (%q)", i+1, e.Name)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
		}
		if seen[e.Name] {
			errs = append(errs, fmt.Errorf("%s: name used twice", where))
		}
		seen[e.Name] = true
		out = append(out, o)
	}
	return out, errors.Join(errs...)
}

// resolve checks an entry and reads its secret files.
func (e orchestratorEntry) resolve() (Orchestrator, error) {
	var errs []error
	o := Orchestrator{Name: e.Name, URL: e.URL, APIKey: e.APIKey, User: e.User, Password: e.Password, TLSVerify: e.TLSVerify,
		CAFile: e.CAFile, LimitFile: e.LimitFile, CollectAll: e.CollectAll, CollectVia: e.CollectVia}
	if !orchNameRE.MatchString(e.Name) {
		errs = append(errs, errors.New("name must be 1 to 64 of a-z, 0-9, _ and -"))
	}
	if strings.TrimSpace(e.URL) == "" {
		errs = append(errs, errors.New("url is required"))
	} else if err := checkOrchURL(e.URL); err != nil {
		errs = append(errs, errors.New(strings.Replace(err.Error(), "ORCH_URL", "url", 1)))
	}
	readSecret := func(dst *string, plain, file, key string) {
		if file == "" {
			return
		}
		if plain != "" {
			errs = append(errs, fmt.Errorf("%s and %s_file are both set: set only one", key, key))
			return
		}
		s, err := readSecretFile(file)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s_file: %w", key, err))
			return
		}
		*dst = s
	}
	readSecret(&o.APIKey, e.APIKey, e.APIKeyFile, "api_key")
	readSecret(&o.Password, e.Password, e.PasswordFile, "password")
	if remote, err := parseLoginType(e.LoginType); err != nil {
		errs = append(errs, fmt.Errorf("login_type: %w", err))
	} else if remote && o.APIKey != "" {
		errs = append(errs, fmt.Errorf("login_type %s applies to user, not to api_key", e.LoginType))
	} else {
		o.LoginType = e.LoginType
	}
	errs = append(errs, checkCredentials(o.APIKey, o.User, o.Password, "api_key", "user", "password"))
	errs = append(errs, checkFile("ca_file", e.CAFile))
	switch {
	case e.CollectAll && e.LimitFile != "":
		errs = append(errs, errors.New("set either limit_file or collect_all, not both"))
	case !e.CollectAll && e.LimitFile == "":
		errs = append(errs, errors.New("limit_file (or collect_all: true) is required"))
	}
	switch e.CollectVia {
	case "", ViaDirect, ViaOrchestrator, ViaAuto:
	default:
		errs = append(errs, fmt.Errorf("collect_via %q must be direct, orchestrator or auto", e.CollectVia))
	}
	return o, errors.Join(errs...)
}

// CollectViaOf returns how the workers read o's appliances: its own
// collect_via, else COLLECT_VIA.
func (c Config) CollectViaOf(o Orchestrator) string {
	if o.CollectVia != "" {
		return o.CollectVia
	}
	return c.CollectVia
}

// NeedsOrchestrators reports whether the workers read some appliance
// through an Orchestrator, and so need its credentials.
func (c Config) NeedsOrchestrators(orchs []Orchestrator) bool {
	for _, o := range orchs {
		if c.CollectViaOf(o) != ViaDirect {
			return true
		}
	}
	return false
}

// OrchestratorSecrets returns the non-empty secrets of the Orchestrators
// (API keys, passwords), for the log redaction; nil when they cannot be
// read.
func (c Config) OrchestratorSecrets() []string {
	orchs, _ := c.Orchestrators()
	var out []string
	for _, o := range orchs {
		for _, s := range []string{o.APIKey, o.Password} {
			if s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// checkCredentials checks that an Orchestrator has an API key or a user
// with a password, not both; keyName, userName and pwName name them in the
// messages (the variables, or the keys of ORCHESTRATORS_FILE).
func checkCredentials(apiKey, user, password, keyName, userName, pwName string) error {
	switch {
	case apiKey == "" && user == "":
		return fmt.Errorf("%s (or %s and %s) is required and empty", keyName, userName, pwName)
	case apiKey != "" && user != "":
		return fmt.Errorf("set either %s or %s/%s, not both", keyName, userName, pwName)
	case user != "" && password == "":
		return fmt.Errorf("%s is required with %s", pwName, userName)
	}
	return nil
}

// Orchestrator login types: the user directory the Orchestrator checks a
// session login against (orchestrator.ParseLoginType reads the same names).
const (
	LoginLocal  = "local"
	LoginRADIUS = "radius"
	LoginTACACS = "tacacs"
)

// parseLoginType checks a login type: local, radius, tacacs, or the empty
// string, which is local. remote is true for radius and tacacs.
func parseLoginType(s string) (remote bool, err error) {
	switch s {
	case "", LoginLocal:
		return false, nil
	case LoginRADIUS, LoginTACACS:
		return true, nil
	}
	return false, fmt.Errorf("login type %q must be local, radius or tacacs", s)
}
