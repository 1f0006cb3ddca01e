package config

import (
	"crypto/tls"
	"slices"
	"strings"
	"testing"
)

// EC_TLS_CURVES takes Go's names and the P-256 spellings of OpenSSL, in
// any case, keeps their order, and refuses unknown or repeated names.
func TestECCurves(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []tls.CurveID
		wantErr string
	}{
		{"", nil, ""},
		{" , ", nil, ""},
		{"P-256", []tls.CurveID{tls.CurveP256}, ""},
		{"x25519, p256,CurveP384 ,P-521", []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384, tls.CurveP521}, ""},
		{"X25519MLKEM768,SecP256r1MLKEM768,secp384r1mlkem1024,X25519", []tls.CurveID{tls.X25519MLKEM768, tls.SecP256r1MLKEM768, tls.SecP384r1MLKEM1024, tls.X25519}, ""},
		{"X448", nil, `unknown key exchange "X448"`},
		{"P-256,p256", nil, "p256 is named twice"},
	} {
		got, err := Config{ECTLSCurves: tc.in}.ECCurves()
		switch {
		case tc.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ECCurves(%q) error %v, want %q", tc.in, err, tc.wantErr)
			}
		case err != nil:
			t.Errorf("ECCurves(%q): %v", tc.in, err)
		case !slices.Equal(got, tc.want):
			t.Errorf("ECCurves(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
