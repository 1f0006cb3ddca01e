package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ApplianceCredential is one entry of EC_CREDENTIALS_FILE: the appliance
// user and password for the appliances whose IP address is in Prefix.
type ApplianceCredential struct {
	Prefix   netip.Prefix
	User     string
	Password string // secret
}

// ApplianceCredentials picks the appliance login of an address: the first
// entry of EC_CREDENTIALS_FILE whose CIDR holds it, else EC_USER and EC_PW.
type ApplianceCredentials struct {
	Entries                    []ApplianceCredential
	DefaultUser, DefaultPasswd string
}

// For returns the user and password for an appliance address ("ip",
// "ip:port", "[ipv6]:port" or a host name) and the 1-based number of the
// entry that matched, 0 for EC_USER/EC_PW (host names always get those).
func (a ApplianceCredentials) For(address string) (user, password string, entry int) {
	host := address
	if h, _, err := net.SplitHostPort(address); err == nil {
		host = h
	}
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		ip = ip.Unmap()
		for i, e := range a.Entries {
			if e.Prefix.Contains(ip) {
				return e.User, e.Password, i + 1
			}
		}
	}
	return a.DefaultUser, a.DefaultPasswd, 0
}

// credentialEntry is one entry of EC_CREDENTIALS_FILE as written.
type credentialEntry struct {
	CIDR         string `yaml:"cidr"`
	User         string `yaml:"user"`
	Password     string `yaml:"password"`
	PasswordFile string `yaml:"password_file"`
}

// credentialsDoc is the whole file: a list under "credentials".
type credentialsDoc struct {
	Credentials []credentialEntry `yaml:"credentials"`
}

// ApplianceCredentials returns the appliance logins of the configuration:
// the entries of EC_CREDENTIALS_FILE (none when unset) with EC_USER and
// EC_PW as the fallback. It reads the file and the secret files it names.
func (c Config) ApplianceCredentials() (ApplianceCredentials, error) {
	a := ApplianceCredentials{DefaultUser: c.ECUser, DefaultPasswd: c.ECPassword}
	if c.ECCredentialsFile == "" {
		return a, nil
	}
	var err error
	a.Entries, err = ReadApplianceCredentialsFile(c.ECCredentialsFile)
	return a, err
}

// ReadApplianceCredentialsFile reads and checks an EC_CREDENTIALS_FILE
// (YAML, or JSON). Unknown keys are errors.
func ReadApplianceCredentialsFile(path string) ([]ApplianceCredential, error) {
	b, err := readBounded("EC_CREDENTIALS_FILE", path)
	if err != nil {
		return nil, err
	}
	return ParseApplianceCredentials(b)
}

// ParseApplianceCredentials decodes and checks the content of an
// EC_CREDENTIALS_FILE; password files named in it are read. Errors name
// the entry by number and CIDR, never by password.
func ParseApplianceCredentials(b []byte) ([]ApplianceCredential, error) {
	var doc credentialsDoc
	if err := decodeStrict(b, &doc, "EC_CREDENTIALS_FILE", "list at least one entry under credentials"); err != nil {
		return nil, err
	}
	if len(doc.Credentials) == 0 {
		return nil, errors.New("EC_CREDENTIALS_FILE lists no entry under credentials")
	}
	var errs []error
	out := make([]ApplianceCredential, 0, len(doc.Credentials))
	for i, e := range doc.Credentials {
		c, problems := e.resolve()
		for _, err := range problems {
			errs = append(errs, fmt.Errorf("EC_CREDENTIALS_FILE entry %d (%q): %w", i+1, e.CIDR, err))
		}
		out = append(out, c)
	}
	return out, errors.Join(errs...)
}

// resolve checks an entry and reads its password file; it returns each
// problem on its own.
func (e credentialEntry) resolve() (ApplianceCredential, []error) {
	var errs []error
	c := ApplianceCredential{User: e.User, Password: e.Password}
	if p, err := netip.ParsePrefix(strings.TrimSpace(e.CIDR)); err != nil {
		errs = append(errs, errors.New("cidr must be an address/length, e.g. 10.1.0.0/16"))
	} else {
		c.Prefix = p.Masked()
	}
	if strings.TrimSpace(e.User) == "" {
		errs = append(errs, errors.New("user is required"))
	}
	switch {
	case e.PasswordFile != "" && e.Password != "":
		errs = append(errs, errors.New("password and password_file are both set: set only one"))
	case e.PasswordFile != "":
		s, err := readSecretFile(e.PasswordFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("password_file: %w", err))
		}
		c.Password = s
	case e.Password == "":
		errs = append(errs, errors.New("password (or password_file) is required"))
	}
	return c, errs
}

// decodeStrict decodes the YAML (or JSON) content of the file the variable
// names into v; unknown keys are errors. An empty file is one too, whose
// message ends with what to list.
func decodeStrict(b []byte, v any, variable, list string) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%s is empty: %s", variable, list)
		}
		return fmt.Errorf("%s: cannot decode: %w", variable, err)
	}
	return nil
}

// readSecretFile reads a secret file, without its trailing line break.
func readSecretFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("cannot read secret file: %w", err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// readBounded reads a configuration file of at most 1 MiB; name is the
// variable that names it.
func readBounded(name, path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxOrchestratorsFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(b) > maxOrchestratorsFile {
		return nil, fmt.Errorf("%s %s is larger than 1 MiB", name, path)
	}
	return b, nil
}

// ApplianceCredentialSecrets returns the passwords of EC_CREDENTIALS_FILE,
// for the log redaction; nil when it cannot be read.
func (c Config) ApplianceCredentialSecrets() []string {
	a, _ := c.ApplianceCredentials()
	var out []string
	for _, e := range a.Entries {
		if e.Password != "" {
			out = append(out, e.Password)
		}
	}
	return out
}
