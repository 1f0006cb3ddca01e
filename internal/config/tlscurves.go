package config

import (
	"crypto/tls"
	"fmt"
	"slices"
	"strings"
)

// curveNames maps the names EC_TLS_CURVES accepts, lower-cased, to the key
// exchanges of crypto/tls: Go's own names (CurveID.String) and the
// P-256 / P256 spelling that OpenSSL, curl and most TLS settings use.
var curveNames = func() map[string]tls.CurveID {
	m := map[string]tls.CurveID{}
	for _, id := range []tls.CurveID{
		tls.X25519MLKEM768, tls.SecP256r1MLKEM768, tls.SecP384r1MLKEM1024,
		tls.X25519, tls.CurveP256, tls.CurveP384, tls.CurveP521,
	} {
		name := strings.ToLower(id.String())
		m[name] = id
		if short, ok := strings.CutPrefix(name, "curve"); ok { // CurveP256
			m[short] = id                   // p256
			m[short[:1]+"-"+short[1:]] = id // p-256
		}
	}
	return m
}()

// ECCurves returns the key exchanges of EC_TLS_CURVES, in the order given,
// for the workers' TLS connections to appliances. Empty means crypto/tls's
// defaults (nil). An unknown name or one given twice is an error.
func (c Config) ECCurves() ([]tls.CurveID, error) {
	var ids []tls.CurveID
	for _, name := range strings.Split(c.ECTLSCurves, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		id, ok := curveNames[strings.ToLower(name)]
		if !ok {
			return nil, fmt.Errorf("EC_TLS_CURVES: unknown key exchange %q (known: X25519MLKEM768, SecP256r1MLKEM768, SecP384r1MLKEM1024, X25519, P-256, P-384, P-521)", name)
		}
		if slices.Contains(ids, id) {
			return nil, fmt.Errorf("EC_TLS_CURVES: %s is named twice", name)
		}
		ids = append(ids, id)
	}
	return ids, nil
}
