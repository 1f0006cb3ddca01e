package simulator

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func orchGet(t *testing.T, s *Simulator, c *http.Client, path string, hdr map[string]string) (int, []byte, *http.Response) {
	t.Helper()
	return doRequest(t, c, http.MethodGet, s.OrchestratorURL()+"/gms/rest"+path+"?source=menu_rest_apis_id", nil, hdr)
}

func TestOrchestratorEndpoints(t *testing.T) {
	s := startSim(t, Config{Appliances: 25, Seed: 7})
	c := newClient(t, s)
	key := map[string]string{"X-Auth-Token": DefaultAPIKey}
	infos := s.Appliances()

	t.Run("briefInfo", func(t *testing.T) {
		st, b, _ := orchGet(t, s, c, "/gmsserver/briefInfo", key)
		var got struct {
			Uptime          string `json:"uptime"`
			Release         string `json:"release"`
			Time            string `json:"time"`
			TimeZone        string `json:"timeZone"`
			InContainerMode *bool  `json:"inContainerMode"`
		}
		if err := json.Unmarshal(b, &got); err != nil || st != 200 {
			t.Fatalf("briefInfo = %d %s (%v)", st, b, err)
		}
		if got.Release != "9.4.2.40345" || got.TimeZone != "UTC" || got.Uptime == "" || got.InContainerMode == nil {
			t.Errorf("briefInfo = %+v", got)
		}
		if want := "2026-03-25 14:06:30 UTC"; got.Time != want {
			t.Errorf("briefInfo time = %q, want %q", got.Time, want)
		}
	})

	t.Run("hello", func(t *testing.T) {
		st, b, resp := orchGet(t, s, c, "/gmsserver/hello", key)
		if st != 200 || len(b) == 0 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
			t.Errorf("hello = %d %q %q", st, b, resp.Header.Get("Content-Type"))
		}
	})

	t.Run("appliance", func(t *testing.T) {
		_, b, _ := orchGet(t, s, c, "/appliance", key)
		var raw []map[string]any
		if err := json.Unmarshal(b, &raw); err != nil {
			t.Fatal(err)
		}
		if len(raw) != len(infos) {
			t.Fatalf("len(appliances) = %d, want %d", len(raw), len(infos))
		}
		documented := []string{"id", "nePk", "uuid", "hostName", "ip", "IP", "networkRole", "site", "sitePriority",
			"groupId", "model", "platform", "softwareVersion", "mode", "bypass", "serial", "state",
			"reachabilityChannel", "discoveredFrom", "webProtocolType", "webProtocol", "systemBandwidth",
			"hasUnsavedChanges", "rebootRequired", "startupTime", "applianceId", "portalObjectId", "dynamicUuid",
			"hardwareRevision", "userName", "password", "zoneList", "interfaceList", "tagsList"}
		hubs := 0
		for i, a := range raw {
			for _, k := range documented {
				if _, ok := a[k]; !ok {
					t.Errorf("appliance %d lacks %q", i, k)
				}
			}
			role, ok := a["networkRole"].(string)
			if !ok || (role != "0" && role != "1") {
				t.Errorf("appliance %d networkRole = %#v, want string \"0\" or \"1\"", i, a["networkRole"])
			}
			if role == "1" {
				hubs++
			}
			if _, ok := a["state"].(float64); !ok {
				t.Errorf("appliance %d state = %#v, want a number", i, a["state"])
			}
			if a["password"] != nil {
				t.Errorf("appliance %d password = %v, want null", i, a["password"])
			}
			want := infos[i]
			got := map[string]any{"id": a["id"], "hostName": a["hostName"], "ip": a["ip"], "IP": a["IP"],
				"model": a["model"], "platform": a["platform"], "softwareVersion": a["softwareVersion"]}
			wantM := map[string]any{"id": want.ID, "hostName": want.Hostname, "ip": want.Address, "IP": want.Address,
				"model": want.Model, "platform": want.Platform, "softwareVersion": want.SoftwareVersion}
			if diff := cmp.Diff(wantM, got); diff != "" {
				t.Errorf("appliance %d (-want +got):\n%s", i, diff)
			}
			if want.Hub != (role == "1") {
				t.Errorf("appliance %d hub = %v, networkRole %q", i, want.Hub, role)
			}
		}
		if hubs == 0 || hubs > len(raw)/5 {
			t.Errorf("hubs = %d of %d, want about 1 in 10", hubs, len(raw))
		}
		// The 9.3+ nePk filter.
		_, b, _ = doRequest(t, c, http.MethodGet, s.OrchestratorURL()+"/gms/rest/appliance?nePk=3.NE&source=menu_rest_apis_id", nil, key)
		var one []struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(b, &one); err != nil || len(one) != 1 || one[0].ID != "3.NE" {
			t.Errorf("appliance?nePk=3.NE = %s (%v)", b, err)
		}
	})

	t.Run("interfaceLabels", func(t *testing.T) {
		_, b, _ := orchGet(t, s, c, "/gms/interfaceLabels", key)
		var got map[string]map[string]struct {
			Name     string `json:"name"`
			Topology int    `json:"topology"`
			Active   bool   `json:"active"`
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		names := map[string]string{}
		for side, m := range got {
			for id, l := range m {
				names[side+"/"+id] = l.Name
				if !l.Active {
					t.Errorf("label %s/%s inactive", side, id)
				}
			}
		}
		want := map[string]string{"wan/1": "MPLS1", "wan/2": "INET1", "wan/3": "LTE", "lan/5": "Data", "lan/6": "Voice"}
		if diff := cmp.Diff(want, names); diff != "" {
			t.Errorf("labels (-want +got):\n%s", diff)
		}
	})

	t.Run("overlays", func(t *testing.T) {
		_, b, _ := orchGet(t, s, c, "/gms/overlays/config", key)
		type ov struct {
			ID           int    `json:"id"`
			Name         string `json:"name"`
			TrafficClass string `json:"trafficClass"`
		}
		var got []ov
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		want := []ov{{1, "RealTime", "1"}, {2, "CriticalApps", "2"}, {3, "BulkApps", "3"}, {4, "DefaultOverlay", "4"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("overlays (-want +got):\n%s", diff)
		}
	})

	t.Run("licenses", func(t *testing.T) {
		_, b, _ := orchGet(t, s, c, "/license/portal/appliance", key)
		var got []struct {
			ApplianceID string `json:"applianceId"`
			Licenses    struct {
				FX struct {
					Tier *struct {
						Display   string `json:"display"`
						Bandwidth *int64 `json:"bandwidth"`
					} `json:"tier"`
				} `json:"fx"`
			} `json:"licenses"`
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(infos) {
			t.Fatalf("len(licenses) = %d, want %d", len(got), len(infos))
		}
		for i, l := range got {
			tier := l.Licenses.FX.Tier
			if tier == nil || tier.Bandwidth == nil {
				t.Fatalf("licence %d lacks fx.tier: %+v", i, l)
			}
			if l.ApplianceID != infos[i].ID || tier.Display != infos[i].LicenseDisplay || *tier.Bandwidth != infos[i].LicenseBandwidth {
				t.Errorf("licence %d = %s %q %d, want %s %q %d", i, l.ApplianceID, tier.Display, *tier.Bandwidth,
					infos[i].ID, infos[i].LicenseDisplay, infos[i].LicenseBandwidth)
			}
		}
	})
}

func TestOrchestratorAuth(t *testing.T) {
	s := startSim(t, Config{Appliances: 3, Seed: 1, APIKey: "k1", OrchUser: "ou", OrchPassword: "op"})
	tests := []struct {
		name string
		hdr  map[string]string
		want int
	}{
		{"no key", nil, 401},
		{"wrong key", map[string]string{"X-Auth-Token": "k2"}, 401},
		{"right key", map[string]string{"X-Auth-Token": "k1"}, 200},
	}
	for _, tc := range tests {
		for _, path := range []string{"/gmsserver/briefInfo", "/gmsserver/hello", "/appliance", "/gms/interfaceLabels",
			"/gms/overlays/config", "/license/portal/appliance"} {
			if st, _, _ := orchGet(t, s, newClient(t, s), path, tc.hdr); st != tc.want {
				t.Errorf("%s: GET %s = %d, want %d", tc.name, path, st, tc.want)
			}
		}
	}

	login := func(c *http.Client, user, pw string) (int, string) {
		body, _ := json.Marshal(map[string]string{"user": user, "password": pw})
		st, _, resp := doRequest(t, c, http.MethodPost, s.OrchestratorURL()+"/gms/rest/authentication/login", body, nil)
		for _, ck := range resp.Cookies() {
			if ck.Name == "orchCsrfToken" {
				return st, ck.Value
			}
		}
		return st, ""
	}
	c := newClient(t, s)
	if st, _ := login(c, "ou", "bad"); st != 401 {
		t.Errorf("login with a wrong password = %d, want 401", st)
	}
	st, csrf := login(c, "ou", "op")
	if st != 200 || csrf == "" {
		t.Fatalf("login = %d, csrf %q; want 200 and an orchCsrfToken cookie", st, csrf)
	}
	if st, _, _ := orchGet(t, s, c, "/appliance", nil); st != 401 {
		t.Errorf("session without X-XSRF-TOKEN = %d, want 401", st)
	}
	if st, _, _ := orchGet(t, s, c, "/appliance", map[string]string{"X-XSRF-TOKEN": "x" + csrf}); st != 401 {
		t.Errorf("session with a wrong X-XSRF-TOKEN = %d, want 401", st)
	}
	if st, _, _ := orchGet(t, s, c, "/appliance", map[string]string{"X-XSRF-TOKEN": csrf}); st != 200 {
		t.Errorf("session with X-XSRF-TOKEN = %d, want 200", st)
	}
	st, _, _ = doRequest(t, c, http.MethodGet, s.OrchestratorURL()+"/gms/rest/authentication/logout", nil,
		map[string]string{"X-XSRF-TOKEN": csrf})
	if st != 200 {
		t.Errorf("logout = %d, want 200", st)
	}
	if st, _, _ := orchGet(t, s, c, "/appliance", map[string]string{"X-XSRF-TOKEN": csrf}); st != 401 {
		t.Errorf("after logout = %d, want 401", st)
	}
	stats, err := s.Stats(OrchestratorID)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Logins != 1 || stats.FailedLogins != 1 || stats.Logouts != 1 || stats.OpenSessions != 0 {
		t.Errorf("Stats(orchestrator) = %+v, want 1 login, 1 failed, 1 logout, 0 open", stats)
	}
	if got := stats.Requests[EndpointAppliances]; got != 7 {
		t.Errorf("requests to %s = %d, want 7", EndpointAppliances, got)
	}
}

// A user declared RADIUS logs in with loginType 1 only.
func TestOrchestratorLoginType(t *testing.T) {
	s := startSim(t, Config{Appliances: 1, Seed: 1, OrchUser: "ou", OrchPassword: "op", OrchLoginType: 1})
	for _, tc := range []struct {
		name string
		body string
		want int
	}{
		{"no loginType (local)", `{"user":"ou","password":"op"}`, 401},
		{"local", `{"user":"ou","password":"op","token":"","loginType":0}`, 401},
		{"tacacs", `{"user":"ou","password":"op","token":"","loginType":2}`, 401},
		{"radius", `{"user":"ou","password":"op","token":"","loginType":1}`, 200},
		{"radius, wrong password", `{"user":"ou","password":"x","token":"","loginType":1}`, 401},
	} {
		st, _, _ := doRequest(t, newClient(t, s), http.MethodPost, s.OrchestratorURL()+"/gms/rest/authentication/login", []byte(tc.body), nil)
		if st != tc.want {
			t.Errorf("%s: login = %d, want %d", tc.name, st, tc.want)
		}
	}
	if _, err := New(Config{Appliances: 1, OrchLoginType: 3}); err == nil || !strings.Contains(err.Error(), "login type 3 must be") {
		t.Errorf("New with login type 3: err = %v, want it refused", err)
	}
}
