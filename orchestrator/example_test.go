package orchestrator_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/ec-telemetry/ec-telemetry/edgeconnect"
	"github.com/ec-telemetry/ec-telemetry/orchestrator"
)

// newExampleOrchestrator serves a tiny fake Orchestrator on loopback.
func newExampleOrchestrator() *httptest.Server {
	mux := http.NewServeMux()
	json := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Auth-Token") != "example-key" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, body)
		}
	}
	mux.HandleFunc("GET /gms/rest/gmsserver/briefInfo", json(`{"release": "9.3.2.40201"}`))
	mux.HandleFunc("GET /gms/rest/appliance/rest", func(w http.ResponseWriter, r *http.Request) {
		// 9.3+: the appliance read is in the url query parameter.
		if r.URL.Query().Get("nePk") == "3.NE" && r.URL.Query().Get("url") == "memory" {
			json(`{"total": 3945080, "free": 770848, "buffers": 2516, "cached": 729568, "used": 3174232, "swapTotal": 0, "swapFree": 0, "swapUsed": 0}`)(w, r)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
	})
	mux.HandleFunc("GET /gms/rest/appliance", json(`[
		{"id": "3.NE", "hostName": "HQ-EC-01", "ip": "10.10.1.10", "networkRole": "1", "state": 1},
		{"id": "7.NE", "hostName": "BRANCH-EC-07", "ip": "10.20.7.10", "networkRole": 0, "state": 2}]`))
	mux.HandleFunc("GET /gms/rest/license/portal/appliance", json(`[
		{"applianceId": "3.NE", "licenses": {"fx": {"tier": {"display": "1 Gbps", "bandwidth": 1000000}}}},
		{"applianceId": "7.NE", "licenses": {"fx": {}}}]`))
	mux.HandleFunc("GET /gms/rest/gmsserver/ping", json(`{"hostname": "orch", "dbHealth": true, "version": "9.3.2.40201", "uptime": "9d 2h 52m 39s"}`))
	mux.HandleFunc("GET /gms/rest/bgp/state/allVrfs", json(`{"0": {"summary": {"bgp_state": 9, "bgp_state_str": "Active"},
		"neighbor": {"neighborCount": 1, "neighborState": {"0": {"peer_ip": "10.10.1.254", "asn": 65000,
		"peer_state": 6, "peer_state_str": "Established", "rcvd_pfxs": 12}}}}}`))
	return httptest.NewTLSServer(mux)
}

// Discovery lists the appliances and joins their licenses; an appliance
// without a license tier is reported, not fatal.
func Example() {
	srv := newExampleOrchestrator()
	defer srv.Close()

	c, err := orchestrator.New(orchestrator.Options{
		URL:       srv.Listener.Addr().String(), // "orch.example.net" in real life
		APIKey:    "example-key",
		Transport: srv.Client().Transport, // trusts the test server's certificate
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	info, err := c.BriefInfo(ctx)
	if err != nil {
		log.Fatal(err)
	}
	major, minor, _ := info.Version()
	fmt.Printf("orchestrator %d.%d\n", major, minor)

	appliances, err := c.Appliances(ctx)
	if err != nil {
		log.Fatal(err)
	}
	licenses, err := c.LicensedAppliances(ctx)
	if err != nil {
		log.Fatal(err)
	}
	tiers := map[string]orchestrator.LicenseTier{}
	for _, l := range licenses {
		if tier, ok := l.Tier(); ok {
			tiers[l.ApplianceID] = tier
		}
	}
	for _, a := range appliances {
		tier, ok := tiers[a.ID]
		fmt.Printf("%s %s hub=%v state=%d tier=%q licensed=%v\n", a.ID, a.HostName, a.IsHub(), a.State, tier.Display, ok)
	}
	// Output:
	// orchestrator 9.3
	// 3.NE HQ-EC-01 hub=true state=1 tier="1 Gbps" licensed=true
	// 7.NE BRANCH-EC-07 hub=false state=2 tier="" licensed=false
}

// An appliance is read through the Orchestrator's pass-through with an
// edgeconnect client built on ApplianceRelay: the Orchestrator's API key
// is the only credential, and requests are paced by a shared Limiter.
func ExampleClient_ApplianceRelay() {
	srv := newExampleOrchestrator()
	defer srv.Close()

	lim, err := orchestrator.NewLimiter(orchestrator.LimiterOptions{Rate: 20, MaxConcurrency: 8})
	if err != nil {
		log.Fatal(err)
	}
	c, err := orchestrator.New(orchestrator.Options{URL: srv.Listener.Addr().String(), APIKey: "example-key",
		Transport: srv.Client().Transport, Limiter: lim})
	if err != nil {
		log.Fatal(err)
	}
	ec, err := edgeconnect.NewRelayed(edgeconnect.RelayOptions{Relay: c.ApplianceRelay("3.NE"), ApplianceID: "3.NE"})
	if err != nil {
		log.Fatal(err)
	}
	m, err := ec.Memory(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("3.NE memory used", m.Used, "of", m.Total)
	// Output:
	// 3.NE memory used 3174232 of 3945080
}

// The Orchestrator's own health, and the BGP neighbours of one appliance in
// the path form its release expects.
func ExampleClient_BGPStateAllVRFs() {
	srv := newExampleOrchestrator()
	defer srv.Close()
	c, err := orchestrator.New(orchestrator.Options{URL: srv.Listener.Addr().String(), APIKey: "example-key",
		Transport: srv.Client().Transport})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	ping, err := c.Ping(ctx)
	if err != nil {
		log.Fatal(err)
	}
	up, _ := orchestrator.ParseUptime(ping.Uptime)
	fmt.Printf("orchestrator %s db=%v up %v\n", ping.Version, ping.DBHealth, up)

	info, err := c.BriefInfo(ctx)
	if err != nil {
		log.Fatal(err)
	}
	vrfs, err := c.BGPStateAllVRFs(ctx, "3.NE", info.PathForm())
	if err != nil {
		log.Fatal(err)
	}
	for _, v := range vrfs {
		for _, n := range v.Neighbors {
			fmt.Printf("segment %s peer %s AS %d %s, %d prefixes received\n", v.VRF, n.PeerIP, *n.ASN, n.State, *n.PrefixesReceived)
		}
	}
	// Output:
	// orchestrator 9.3.2.40201 db=true up 218h52m39s
	// segment 0 peer 10.10.1.254 AS 65000 Established, 12 prefixes received
}
