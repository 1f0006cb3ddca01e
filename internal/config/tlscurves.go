package config

import (
	"crypto/tls"
	"fmt"
	"slices"
	"strings"
)

// curveIDs are the key exchanges EC_TLS_CURVES may name.
var curveIDs = []tls.CurveID{
	tls.X25519MLKEM768, tls.SecP256r1MLKEM768, tls.SecP384r1MLKEM1024,
	tls.X25519, tls.CurveP256, tls.CurveP384, tls.CurveP521,
}

// curveName is the name the documentation gives a key exchange: Go's
// (CurveID.String), but P-256 for CurveP256, as OpenSSL, curl and most TLS
// settings spell it.
func curveName(id tls.CurveID) string {
	if short, ok := strings.CutPrefix(id.String(), "Curve"); ok {
		return short[:1] + "-" + short[1:]
	}
	return id.String()
}

// curveNames maps the names EC_TLS_CURVES accepts, lower-cased, to their
// key exchanges: Go's, the documented ones, and P256 without the hyphen.
var curveNames = func() map[string]tls.CurveID {
	m := map[string]tls.CurveID{}
	for _, id := range curveIDs {
		name := strings.ToLower(curveName(id))
		m[name] = id
		m[strings.ToLower(id.String())] = id      // curvep256
		m[strings.ReplaceAll(name, "-", "")] = id // p256
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
			known := make([]string, len(curveIDs))
			for i, id := range curveIDs {
				known[i] = curveName(id)
			}
			return nil, fmt.Errorf("EC_TLS_CURVES: unknown key exchange %q (known: %s)", name, strings.Join(known, ", "))
		}
		if slices.Contains(ids, id) {
			return nil, fmt.Errorf("EC_TLS_CURVES: %s is named twice", name)
		}
		ids = append(ids, id)
	}
	return ids, nil
}
