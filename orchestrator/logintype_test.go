package orchestrator

import (
	"strings"
	"testing"
)

func TestLoginTypeInLoginBody(t *testing.T) {
	for _, lt := range []LoginType{LoginLocal, LoginRADIUS, LoginTACACS} {
		t.Run(lt.String(), func(t *testing.T) {
			// defaultLogin checks the body: loginType must be lt.
			f := setup(t, withSession, func(o *Options) { o.LoginType = lt })
			if err := f.client.Login(t.Context()); err != nil {
				t.Fatalf("Login() error = %v", err)
			}
			if got := f.logins.Load(); got != 1 {
				t.Errorf("login calls = %d, want 1", got)
			}
		})
	}
}

func TestParseLoginType(t *testing.T) {
	tests := []struct {
		in      string
		want    LoginType
		wantErr string
	}{
		{in: "", want: LoginLocal},
		{in: "local", want: LoginLocal},
		{in: "radius", want: LoginRADIUS},
		{in: "tacacs", want: LoginTACACS},
		{in: "RADIUS", wantErr: `login type "RADIUS" must be local, radius or tacacs`},
		{in: "tacacs+", wantErr: `login type "tacacs+" must be local, radius or tacacs`},
	}
	for _, tt := range tests {
		got, err := ParseLoginType(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ParseLoginType(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseLoginType(%q) = %v, %v, want %v", tt.in, got, err, tt.want)
		}
		if tt.in != "" && got.String() != tt.in {
			t.Errorf("%v.String() = %q, want %q", got, got.String(), tt.in)
		}
	}
}

func TestNewRejectsUnknownLoginType(t *testing.T) {
	_, err := New(Options{URL: "127.0.0.1:1", User: "u", Password: "p", LoginType: 3})
	if err == nil || !strings.Contains(err.Error(), "login type 3 is not local (0), radius (1) or tacacs (2)") {
		t.Fatalf("New() error = %v, want the login type refused", err)
	}
}
