package simulator

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

func TestNetworkInterfacesServesTheModel(t *testing.T) {
	s := startSim(t, Config{Appliances: 8, Seed: 3})
	a := reachableAppliance(t, s)
	e := ecLogin(t, s, a.Address)
	var body struct {
		IfInfo []struct {
			IfName string `json:"ifname"`
			Admin  bool   `json:"admin"`
			Oper   bool   `json:"oper"`
			Speed  string `json:"speed"`
			Duplex string `json:"duplex"`
			MTU    int64  `json:"mtu"`
			Label  string `json:"label"`
			WAN    bool   `json:"wan-if"`
			LAN    bool   `json:"lan-if"`
		} `json:"ifInfo"`
	}
	e.getJSON("/networkInterfaces", &body)
	want, err := s.InterfaceStates(a.ID, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(body.IfInfo) != len(want) || len(want) < 3 {
		t.Fatalf("ifInfo has %d entries, InterfaceStates %d; want the same, at least 3", len(body.IfInfo), len(want))
	}
	for i, got := range body.IfInfo {
		w := want[i]
		if got.IfName != w.Name || got.Admin != w.AdminUp || got.Oper != w.OperUp || got.Speed != w.Speed ||
			got.Duplex != w.Duplex || got.MTU != w.MTU || got.Label != w.Label || got.WAN != w.WAN || got.LAN == w.WAN {
			t.Errorf("ifInfo[%d] = %+v, want %+v", i, got, w)
		}
		if !w.AdminUp && w.OperUp {
			t.Errorf("%s: admin down but oper up", w.Name)
		}
	}
}

// Over a day, every WAN link goes down now and then and comes back.
func TestInterfaceStatesChangeOverTime(t *testing.T) {
	s := startSim(t, Config{Appliances: 4, Seed: 3})
	a := reachableAppliance(t, s)
	down, up := 0, 0
	for m := 0; m < 24*60; m += 7 {
		list, err := s.InterfaceStates(a.ID, testNow.Add(time.Duration(m)*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range list {
			if st.WAN && st.OperUp {
				up++
			} else if st.WAN {
				down++
			}
		}
	}
	if down == 0 || up < 10*down {
		t.Errorf("WAN samples up %d down %d: want mostly up, some down", up, down)
	}
}

func TestBGPStateAllVRFsServesTheModel(t *testing.T) {
	s := startSim(t, Config{Appliances: 12, Seed: 3})
	c := newClient(t, s)
	key := map[string]string{"X-Auth-Token": DefaultAPIKey}
	for _, a := range s.Appliances() {
		want, err := s.BGPPeers(a.ID, testNow)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 || a.Hub && len(want) != 3 {
			t.Errorf("%s (hub %v): %d peers", a.ID, a.Hub, len(want))
		}
		for _, url := range []string{
			s.OrchestratorURL() + "/gms/rest/bgp/state/allVrfs?nePk=" + a.ID + "&source=menu_rest_apis_id",
			s.OrchestratorURL() + "/gms/rest/bgp/state/allVrfs/" + a.ID + "?source=menu_rest_apis_id",
		} {
			st, b, _ := doRequest(t, c, http.MethodGet, url, nil, key)
			if st != http.StatusOK {
				t.Fatalf("GET %s = %d %s", url, st, b)
			}
			var body map[string]struct {
				Neighbor struct {
					NeighborCount int `json:"neighborCount"`
					NeighborState map[string]struct {
						PeerIP       string `json:"peer_ip"`
						ASN          int64  `json:"asn"`
						PeerStateStr string `json:"peer_state_str"`
						RcvdPfxs     int64  `json:"rcvd_pfxs"`
					} `json:"neighborState"`
				} `json:"neighbor"`
			}
			if err := json.Unmarshal(b, &body); err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, p := range want {
				v := body[p.VRF].Neighbor
				found := false
				for _, got := range v.NeighborState {
					found = found || got.PeerIP == p.PeerIP && got.ASN == p.ASN && got.PeerStateStr == p.State && got.RcvdPfxs == p.PrefixesReceived
				}
				if !found {
					t.Errorf("%s: segment %s lacks %+v: %+v", url, p.VRF, p, v)
				}
				n++
			}
			total := 0
			for _, v := range body {
				total += v.Neighbor.NeighborCount
			}
			if total != n {
				t.Errorf("%s: neighborCount sums to %d, want %d", url, total, n)
			}
		}
	}
	st, _, _ := doRequest(t, c, http.MethodGet, s.OrchestratorURL()+"/gms/rest/bgp/state/allVrfs?nePk=99.NE&source=menu_rest_apis_id", nil, key)
	if st != http.StatusNotFound {
		t.Errorf("unknown nePk: status %d, want 404", st)
	}
	if st, _, _ := doRequest(t, c, http.MethodGet, s.OrchestratorURL()+"/gms/rest/bgp/state/allVrfs?nePk=1.NE&source=menu_rest_apis_id", nil, nil); st != http.StatusUnauthorized {
		t.Errorf("without the API key: status %d, want 401", st)
	}
}

func TestPingServesTheModel(t *testing.T) {
	s := startSim(t, Config{Appliances: 2, Seed: 3})
	st, b, _ := orchGet(t, s, newClient(t, s), "/gmsserver/ping", map[string]string{"X-Auth-Token": DefaultAPIKey})
	if st != http.StatusOK {
		t.Fatalf("ping = %d %s", st, b)
	}
	var body struct {
		Hostname string `json:"hostname"`
		DBHealth bool   `json:"dbHealth"`
		Message  string `json:"message"`
		Version  string `json:"version"`
		Uptime   string `json:"uptime"`
	}
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatal(err)
	}
	want := s.Ping(testNow)
	if body.Hostname != want.Hostname || body.DBHealth != want.DBHealth || body.Version != want.Version ||
		body.Message != "I am alive!" || body.Uptime != "12d 0h 0m 0s" || want.Uptime != 12*24*time.Hour {
		t.Errorf("ping = %+v, want %+v with uptime 12d 0h 0m 0s", body, want)
	}
}

func TestNextHopsFollowTheWANLinks(t *testing.T) {
	s := startSim(t, Config{Appliances: 6, Seed: 3})
	a := reachableAppliance(t, s)
	e := ecLogin(t, s, a.Address)
	var body []struct {
		IP     string `json:"nhop_ip"`
		IfName string `json:"nhop_ifname"`
		State  string `json:"nhop_state"`
		Uptime int64  `json:"nhop_uptime"`
	}
	e.getJSON("/nexthops", &body)
	want, err := s.NextHops(a.ID, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(body) != len(want) || len(want) < 2 {
		t.Fatalf("served %d next hops, NextHops %d; want the same, at least 2", len(body), len(want))
	}
	for i, h := range want {
		st := "unreachable"
		if h.Reachable {
			st = "reachable"
		}
		if g := body[i]; g.IP != h.IP || g.IfName != h.Interface || g.State != st || g.Uptime != h.UptimeMs {
			t.Errorf("nexthops[%d] = %+v, want %+v", i, g, h)
		}
	}
	// Over a day, a next hop is unreachable exactly when its WAN link is down.
	down := 0
	for m := 0; m < 24*60; m += 3 {
		at := testNow.Add(time.Duration(m) * time.Minute)
		hops, _ := s.NextHops(a.ID, at)
		ifs, _ := s.InterfaceStates(a.ID, at)
		oper := map[string]bool{}
		for _, i := range ifs {
			if i.WAN {
				oper[i.Name] = i.OperUp
			}
		}
		for _, h := range hops {
			if !h.Reachable {
				down++
			}
		}
		n := 0
		for _, up := range oper {
			if !up {
				n++
			}
		}
		unreachable := 0
		for _, h := range hops {
			if !h.Reachable {
				unreachable++
			}
		}
		if n != unreachable {
			t.Fatalf("at %v: %d WAN links down, %d next hops unreachable", at, n, unreachable)
		}
	}
	if down == 0 {
		t.Error("no next hop was ever unreachable")
	}
}

func TestFaultMalformedJSON(t *testing.T) {
	s := startSim(t, Config{Appliances: 2, Seed: 3})
	a := reachableAppliance(t, s)
	e := ecLogin(t, s, a.Address)
	if err := s.SetFault(a.ID, Fault{MalformedJSON: []Endpoint{EndpointNetworkInterfaces}}); err != nil {
		t.Fatal(err)
	}
	st, b := e.do(http.MethodGet, "/networkInterfaces?source=menu_rest_apis_id", nil)
	var v any
	if st != http.StatusOK || json.Unmarshal(b, &v) == nil {
		t.Errorf("malformed /networkInterfaces = %d %q, want 200 with invalid JSON", st, b)
	}
	if st, b := e.do(http.MethodGet, "/nexthops?source=menu_rest_apis_id", nil); st != http.StatusOK || json.Unmarshal(b, &v) != nil {
		t.Errorf("/nexthops = %d %q, want 200 with valid JSON", st, b)
	}
}
