package simulator

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Endpoints of the state reads: the appliance's interface list, and the
// Orchestrator's own health and its per-appliance BGP state (9.3+ query
// form, and the pre-9.3 path form with the nePk after the path).
const (
	EndpointNetworkInterfaces Endpoint = "/rest/json/networkInterfaces"
	EndpointNextHops          Endpoint = "/rest/json/nexthops"
	EndpointOrchPing          Endpoint = "/gms/rest/gmsserver/ping"
	EndpointBGPStateAllVRFs   Endpoint = "/gms/rest/bgp/state/allVrfs"
)

// malformedJSON is what an endpoint of Fault.MalformedJSON answers.
const malformedJSON = `{"truncated": `

// Streams of the state model; far from the iota streams of rand.go.
const (
	streamIfAdmin uint64 = 0x57a7e000 + iota
	streamIfOper
	streamBGPFlap
)

// InterfaceState is one interface as GET /networkInterfaces serves it.
type InterfaceState struct {
	Name      string  // ifname
	Label     string  // interface label id; "" when the interface has none
	AdminUp   bool    // admin
	OperUp    bool    // oper
	Speed     string  // speed text, e.g. "1000Mb/s (auto)"
	SpeedMbps float64 // Speed in Mbit/s
	Duplex    string  // duplex
	MTU       int64   // mtu
	WAN       bool    // wan-if
}

// InterfaceStates returns the interfaces the appliance serves on
// GET /networkInterfaces at time now. Admin state is fixed per interface;
// a WAN interface's link is down in about one minute of twenty-five.
func (s *Simulator) InterfaceStates(applianceID string, now time.Time) ([]InterfaceState, error) {
	t, err := s.appliance(applianceID)
	if err != nil {
		return nil, err
	}
	return s.fleet.interfaceStates(t.def, now), nil
}

func (f *fleet) interfaceStates(d *applianceDef, now time.Time) []InterfaceState {
	minute := uint64(now.Unix() / 60)
	out := make([]InterfaceState, 0, len(d.ifaces))
	for k, it := range d.ifaces {
		st := InterfaceState{Name: it.name, AdminUp: true, OperUp: true, Speed: "1000Mb/s (auto)", SpeedMbps: 1000,
			Duplex: "full (auto)", MTU: 1500, WAN: it.wan}
		if it.labelID != 0 {
			st.Label = strconv.Itoa(it.labelID)
		}
		if !it.wan {
			st.Speed, st.SpeedMbps = "10000Mb/s (auto)", 10000
		}
		if it.name == "lan1" && unit(f.seed, streamIfAdmin, uint64(d.idx)) < 0.3 {
			st.AdminUp = false
		}
		if !st.AdminUp || it.wan && unit(f.seed, streamIfOper, uint64(d.idx), uint64(k), minute) < 0.04 {
			st.OperUp = false
		}
		out = append(out, st)
	}
	return out
}

func (s *Simulator) networkInterfaces(w http.ResponseWriter, r *http.Request, t *target) {
	type entry struct {
		IfName string `json:"ifname"`
		Admin  bool   `json:"admin"`
		Oper   bool   `json:"oper"`
		Speed  string `json:"speed"`
		Duplex string `json:"duplex"`
		MTU    int64  `json:"mtu"`
		Label  string `json:"label"`
		WAN    bool   `json:"wan-if"`
		LAN    bool   `json:"lan-if"`
	}
	list := s.fleet.interfaceStates(t.def, s.cfg.Now())
	ifInfo := make([]entry, 0, len(list))
	for _, st := range list {
		ifInfo = append(ifInfo, entry{st.Name, st.AdminUp, st.OperUp, st.Speed, st.Duplex, st.MTU, st.Label, st.WAN, !st.WAN})
	}
	writeJSON(w, map[string]any{"ifInfo": ifInfo})
}

// NextHop is one entry GET /nexthops serves: the gateway of a WAN
// interface.
type NextHop struct {
	IP        string
	Interface string // nhop_ifname: the data-path interface (wan0 for wan0.100)
	Reachable bool   // nhop_state "reachable" / "unreachable"
	UptimeMs  int64  // nhop_uptime; 0 while unreachable
}

// NextHops returns the next hops the appliance serves on GET /nexthops at
// time now: one per WAN interface, unreachable exactly when that
// interface's link is down (InterfaceStates).
func (s *Simulator) NextHops(applianceID string, now time.Time) ([]NextHop, error) {
	t, err := s.appliance(applianceID)
	if err != nil {
		return nil, err
	}
	return s.fleet.nextHops(t.def, now), nil
}

func (f *fleet) nextHops(d *applianceDef, now time.Time) []NextHop {
	states := f.interfaceStates(d, now)
	var out []NextHop
	for k, it := range d.ifaces {
		if !it.wan || it.nexthop == "" {
			continue
		}
		h := NextHop{IP: it.nexthop, Interface: it.ifName, Reachable: states[k].OperUp}
		if h.Reachable {
			h.UptimeMs = max(now.Unix()-d.bootTime, 0) * 1000
		}
		out = append(out, h)
	}
	return out
}

func (s *Simulator) nextHopsList(w http.ResponseWriter, r *http.Request, t *target) {
	type entry struct {
		IP     string `json:"nhop_ip"`
		IPVer  string `json:"nhop_ipver"`
		IfName string `json:"nhop_ifname"`
		Source string `json:"source"`
		State  string `json:"nhop_state"`
		Uptime int64  `json:"nhop_uptime"`
	}
	list := []entry{}
	for _, h := range s.fleet.nextHops(t.def, s.cfg.Now()) {
		st := "unreachable"
		if h.Reachable {
			st = "reachable"
		}
		list = append(list, entry{h.IP, "ipv4", h.Interface, "WAN", st, h.UptimeMs})
	}
	writeJSON(w, list)
}

// BGPPeer is one BGP neighbour the Orchestrator serves for an appliance on
// GET /bgp/state/allVrfs.
type BGPPeer struct {
	VRF              string // segment id
	PeerIP           string
	ASN              int64
	State            string // peer_state_str
	StateCode        int64  // peer_state
	TimeEstablished  int64  // seconds; 0 when not established
	PrefixesReceived int64
	PrefixesSent     int64
}

// BGPPeers returns the BGP neighbours of the appliance at time now, in
// segment then address order. Every appliance peers with its LAN router in
// segment 0; hubs also peer with a second router there and with one in
// segment 1. A peer is not established in about one minute of twenty.
func (s *Simulator) BGPPeers(applianceID string, now time.Time) ([]BGPPeer, error) {
	t, err := s.appliance(applianceID)
	if err != nil {
		return nil, err
	}
	return s.fleet.bgpPeers(t.def, now), nil
}

func (f *fleet) bgpPeers(d *applianceDef, now time.Time) []BGPPeer {
	peers := []BGPPeer{{VRF: "0", PeerIP: d.lanPrefix + ".254", ASN: 65000}}
	if d.hub {
		peers = append(peers, BGPPeer{VRF: "0", PeerIP: d.lanPrefix + ".253", ASN: 65010},
			BGPPeer{VRF: "1", PeerIP: fmt.Sprintf("172.16.%d.1", d.idx%250), ASN: 65020})
	}
	minute := uint64(now.Unix() / 60)
	for k := range peers {
		p := &peers[k]
		if unit(f.seed, streamBGPFlap, uint64(d.idx), uint64(k), minute) < 0.05 {
			p.State, p.StateCode = "Active", 3
			continue
		}
		p.State, p.StateCode = "Established", 6
		p.TimeEstablished = max(now.Unix()-d.bootTime, 0)
		p.PrefixesReceived = int64(d.routesV4/2 + k)
		p.PrefixesSent = int64(1 + k)
	}
	return peers
}

func (s *Simulator) bgpStateAllVRFs(w http.ResponseWriter, r *http.Request, _ *target) {
	id := r.PathValue("nePk")
	if id == "" {
		id = r.URL.Query().Get("nePk")
	}
	d, ok := s.fleet.byID[id]
	if !ok {
		http.Error(w, "unknown nePk", http.StatusNotFound)
		return
	}
	type neighbor struct {
		PeerIP          string `json:"peer_ip"`
		ASN             int64  `json:"asn"`
		PeerState       int64  `json:"peer_state"`
		PeerStateStr    string `json:"peer_state_str"`
		TimeEstablished int64  `json:"time_established"`
		RcvdPfxs        int64  `json:"rcvd_pfxs"`
		SentPfxs        int64  `json:"sent_pfxs"`
	}
	vrfs := map[string]map[string]neighbor{}
	for _, p := range s.fleet.bgpPeers(d, s.cfg.Now()) {
		if vrfs[p.VRF] == nil {
			vrfs[p.VRF] = map[string]neighbor{}
		}
		vrfs[p.VRF][strconv.Itoa(len(vrfs[p.VRF]))] = neighbor{p.PeerIP, p.ASN, p.StateCode, p.State, p.TimeEstablished,
			p.PrefixesReceived, p.PrefixesSent}
	}
	body := map[string]any{}
	for vrf, ns := range vrfs {
		body[vrf] = map[string]any{
			"summary":  map[string]any{"bgp_state": 9, "bgp_state_str": "Active", "local_asn": 64512 + d.idx, "num_peers": len(ns)},
			"neighbor": map[string]any{"neighborCount": len(ns), "neighborState": ns},
		}
	}
	writeJSON(w, body)
}

// OrchestratorPing is what the Orchestrator serves on GET /gmsserver/ping.
type OrchestratorPing struct {
	Hostname string
	DBHealth bool
	Version  string
	Uptime   time.Duration // served as "9d 2h 52m 39s"
}

// Ping returns what GET /gmsserver/ping serves at time now. The uptime
// matches briefInfo's.
func (s *Simulator) Ping(now time.Time) OrchestratorPing {
	up := now.Sub(s.start) + 12*24*time.Hour
	return OrchestratorPing{Hostname: "orchestrator-sim", DBHealth: true, Version: s.cfg.OrchestratorRelease, Uptime: up.Truncate(time.Second)}
}

func (s *Simulator) ping(w http.ResponseWriter, r *http.Request, _ *target) {
	now := s.cfg.Now().UTC()
	p := s.Ping(now)
	sec := int64(p.Uptime / time.Second)
	writeJSON(w, map[string]any{
		"hostname": p.Hostname, "dbHealth": p.DBHealth, "timeStr": now.Format("2006-01-02 15:04:05"),
		"time": now.UnixMilli(), "message": "I am alive!", "version": p.Version,
		"uptime": fmt.Sprintf("%dd %dh %dm %ds", sec/86400, sec%86400/3600, sec%3600/60, sec%60),
	})
}

// stateApplianceRoutes registers the state reads on the appliance mux.
func (s *Simulator) stateApplianceRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+string(EndpointNetworkInterfaces), s.route(EndpointNetworkInterfaces, s.ecAuth, s.networkInterfaces))
	mux.HandleFunc("GET "+string(EndpointNextHops), s.route(EndpointNextHops, s.ecAuth, s.nextHopsList))
}

// stateOrchestratorRoutes registers the state reads on the Orchestrator mux.
func (s *Simulator) stateOrchestratorRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+string(EndpointOrchPing), s.route(EndpointOrchPing, s.orchAuth, s.ping))
	mux.HandleFunc("GET "+string(EndpointBGPStateAllVRFs), s.route(EndpointBGPStateAllVRFs, s.orchAuth, s.bgpStateAllVRFs))
	mux.HandleFunc("GET "+string(EndpointBGPStateAllVRFs)+"/{nePk}", s.route(EndpointBGPStateAllVRFs, s.orchAuth, s.bgpStateAllVRFs))
}
