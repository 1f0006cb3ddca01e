package orchestrator_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

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
	mux.HandleFunc("GET /gms/rest/appliance", json(`[
		{"id": "3.NE", "hostName": "HQ-EC-01", "ip": "10.10.1.10", "networkRole": "1", "state": 1},
		{"id": "7.NE", "hostName": "BRANCH-EC-07", "ip": "10.20.7.10", "networkRole": 0, "state": 2}]`))
	mux.HandleFunc("GET /gms/rest/license/portal/appliance", json(`[
		{"applianceId": "3.NE", "licenses": {"fx": {"tier": {"display": "1 Gbps", "bandwidth": 1000000}}}},
		{"applianceId": "7.NE", "licenses": {"fx": {}}}]`))
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
