package simulator

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"
)

// selfSigned generates an ECDSA P-256 certificate valid for the given hosts
// plus 127.0.0.1, ::1 and localhost. The key is fresh on every start: TLS
// material is the one thing that is not derived from the seed.
func selfSigned(hosts ...string) (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("generate key: %w", err)
	}
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "ec-telemetry simulator"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	seen := map[string]bool{}
	for _, h := range append(hosts, "127.0.0.1", "::1", "localhost") {
		if h == "" || seen[h] {
			continue
		}
		seen[h] = true
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	cert, err := issue(tmpl, key, tmpl, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})
	return cert, certPEM, nil
}

// hostCerts issues, for each host (an IP address in its canonical form),
// a certificate of its own valid for that host alone and signed by ca
// (selfSigned's), with one key shared by all:
// an appliance on an address of its own (Config.ApplianceHosts) presents
// a certificate as small as a real appliance's, instead of one that names
// every appliance's address, and clients that trust ca trust it.
func hostCerts(ca tls.Certificate, hosts []string) (map[string]*tls.Certificate, error) {
	certs := make(map[string]*tls.Certificate, len(hosts))
	if len(hosts) == 0 {
		return certs, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	for _, h := range hosts {
		if _, done := certs[h]; done {
			continue
		}
		cert, err := issue(&x509.Certificate{
			Subject:     pkix.Name{CommonName: h},
			KeyUsage:    x509.KeyUsageDigitalSignature,
			IPAddresses: []net.IP{net.ParseIP(h)},
		}, key, ca.Leaf, ca.PrivateKey)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", h, err)
		}
		certs[h] = &cert
	}
	return certs, nil
}

// issue creates the server certificate tmpl describes for key, signed by
// parent's signer, valid from an hour ago for a year, with a random serial.
func issue(tmpl *x509.Certificate, key *ecdsa.PrivateKey, parent *x509.Certificate, signer any) (tls.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("generate serial: %w", err)
	}
	now := time.Now()
	tmpl.SerialNumber = serial
	tmpl.Subject.Organization = []string{"ec-telemetry"}
	tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), now.Add(365*24*time.Hour)
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("create certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("parse certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}
