package orchestrator

import "fmt"

// LoginType is the loginType of a session login: the user directory the
// Orchestrator checks the user and password against.
type LoginType int

// The login types of POST /authentication/login.
const (
	LoginLocal  LoginType = 0 // users of the Orchestrator itself
	LoginRADIUS LoginType = 1 // a RADIUS server
	LoginTACACS LoginType = 2 // a TACACS+ server
)

// loginTypeNames are the configuration names, by LoginType.
var loginTypeNames = [...]string{LoginLocal: "local", LoginRADIUS: "radius", LoginTACACS: "tacacs"}

// String returns local, radius or tacacs.
func (t LoginType) String() string {
	if t < 0 || int(t) >= len(loginTypeNames) {
		return fmt.Sprintf("LoginType(%d)", int(t))
	}
	return loginTypeNames[t]
}

// ParseLoginType reads local, radius or tacacs; the empty string is local.
func ParseLoginType(s string) (LoginType, error) {
	if s == "" {
		return LoginLocal, nil
	}
	for i, n := range loginTypeNames {
		if s == n {
			return LoginType(i), nil
		}
	}
	return LoginLocal, fmt.Errorf("login type %q must be local, radius or tacacs", s)
}
