package simulator

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// Appliances on loopback addresses of their own, each with its own
// credentials: the address carries the host, and each appliance takes its
// own password only.
func TestApplianceHostsAndCredentials(t *testing.T) {
	s := startSim(t, Config{Appliances: 3, Seed: 2,
		ApplianceHosts:       map[string]string{"1.NE": "127.0.1.1", "2.NE": "127.0.2.1", "3.NE": "127.0.0.1"},
		ApplianceCredentials: map[string]Credentials{"1.NE": {"emea", "pw-emea"}, "2.NE": {"amer", "pw-amer"}}})
	wantHost := map[string]string{"1.NE": "127.0.1.1", "2.NE": "127.0.2.1", "3.NE": "127.0.0.1"}
	addr := map[string]string{}
	for _, a := range s.Appliances() {
		host, _, err := net.SplitHostPort(a.Address)
		if err != nil || host != wantHost[a.ID] {
			t.Errorf("appliance %s address %q, want host %s", a.ID, a.Address, wantHost[a.ID])
		}
		addr[a.ID] = a.Address
	}
	login := func(id, user, pw string) int {
		body, _ := json.Marshal(map[string]string{"user": user, "password": pw})
		st, _, _ := doRequest(t, newClient(t, s), http.MethodPost, "https://"+addr[id]+"/rest/json/login", body, nil)
		return st
	}
	for _, tc := range []struct {
		id, user, pw string
		want         int
	}{
		{"1.NE", "emea", "pw-emea", 200},
		{"1.NE", "amer", "pw-amer", 401},
		{"1.NE", DefaultECUser, DefaultECPassword, 401},
		{"2.NE", "amer", "pw-amer", 200},
		{"2.NE", "emea", "pw-emea", 401},
		{"3.NE", DefaultECUser, DefaultECPassword, 200},
		{"3.NE", "emea", "pw-emea", 401},
	} {
		if got := login(tc.id, tc.user, tc.pw); got != tc.want {
			t.Errorf("login to %s as %s = %d, want %d", tc.id, tc.user, got, tc.want)
		}
	}

	// Each appliance on an address of its own presents a certificate for
	// that address alone, which the simulator's root verifies; the others
	// the simulator's own, which names none of those addresses (3.NE's
	// address is the listen host, which it names).
	for id, want := range map[string][]string{"1.NE": {"127.0.1.1"}, "2.NE": {"127.0.2.1"}, "3.NE": {"127.0.0.1", "::1"}} {
		c, err := tls.Dial("tcp", addr[id], &tls.Config{RootCAs: s.RootCAs()})
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		var got []string
		for _, ip := range c.ConnectionState().PeerCertificates[0].IPAddresses {
			got = append(got, ip.String())
		}
		c.Close()
		if !slices.Equal(got, want) {
			t.Errorf("%s's certificate names %v, want %v", id, got, want)
		}
	}
}

func TestApplianceHostsAndCredentialsAreChecked(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"unknown appliance", Config{Appliances: 2, ApplianceHosts: map[string]string{"9.NE": "127.0.1.1"}},
			`listen host for unknown appliance "9.NE"`},
		{"not an IP", Config{Appliances: 2, ApplianceHosts: map[string]string{"1.NE": "sim.local"}},
			`appliance 1.NE: listen host "sim.local" is not an IP address`},
		{"empty password", Config{Appliances: 2, ApplianceCredentials: map[string]Credentials{"1.NE": {User: "u"}}},
			"appliance 1.NE: credentials need a user and a password"},
	} {
		if _, err := New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: New() error = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// Each appliance gets a loopback address of its own, none ending in 0 or
// 255.
func TestLoopbackHosts(t *testing.T) {
	const n = 70000
	hosts := LoopbackHosts(n)
	seen := map[string]bool{}
	for i := 1; i <= n; i++ {
		h := hosts[fmt.Sprintf("%d.NE", i)]
		ip := net.ParseIP(h).To4()
		if ip == nil || !ip.IsLoopback() || ip[3] == 0 || ip[3] == 255 || seen[h] {
			t.Fatalf("%d.NE: address %q: want a loopback address of its own, not ending in 0 or 255", i, h)
		}
		seen[h] = true
	}
	if hosts["1.NE"] != "127.16.0.1" || hosts["255.NE"] != "127.16.1.1" {
		t.Errorf("1.NE at %s, 255.NE at %s; want 127.16.0.1 and 127.16.1.1", hosts["1.NE"], hosts["255.NE"])
	}
}
