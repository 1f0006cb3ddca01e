package simulator

import (
	"encoding/json"
	"net/http"
	"testing"
)

func TestFaultEchoLogin(t *testing.T) {
	s := startSim(t, Config{Appliances: 2, Seed: 1, Faults: Faults{Appliances: Fault{EchoLogin: true}, Orchestrator: Fault{EchoLogin: true}}})
	a := reachableAppliance(t, s)
	body := []byte(`{"user":"admin","password":"wrong<&>"}`)
	for _, u := range []string{"https://" + a.Address + "/rest/json/login", s.OrchestratorURL() + "/gms/rest/authentication/login"} {
		st, got, _ := doRequest(t, newClient(t, s), http.MethodPost, u, body, nil)
		var echo struct{ Error, Request string }
		if err := json.Unmarshal(got, &echo); err != nil || st != http.StatusUnauthorized || echo.Request != string(body) {
			t.Errorf("POST %s with a wrong password = %d %s, want 401 quoting the request", u, st, got)
		}
	}
	// Accepted logins are unchanged.
	if st, _, _ := doRequest(t, newClient(t, s), http.MethodPost, "https://"+a.Address+"/rest/json/login",
		[]byte(`{"user":"admin","password":"sim-password"}`), nil); st != http.StatusOK {
		t.Errorf("login with the right password = %d, want 200", st)
	}
}
