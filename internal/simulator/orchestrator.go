package simulator

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Orchestrator login cookie names. Clients look for orchCsrfToken by name;
// no client reads the session cookie's name, so it is the simulator's choice.
const (
	orchSessionCookie = "orchSessionID"
	orchCSRFCookie    = "orchCsrfToken"
	headerXSRF        = "X-XSRF-TOKEN"
	headerAuthToken   = "X-Auth-Token"
)

var orchEndpoints = []Endpoint{EndpointOrchLogin, EndpointOrchLogout, EndpointBriefInfo, EndpointHello,
	EndpointAppliances, EndpointInterfaceLabels, EndpointOverlays, EndpointLicenses, EndpointPassthrough,
	EndpointOrchPing, EndpointBGPStateAllVRFs}

func (s *Simulator) orchestratorMux() *http.ServeMux {
	mux := http.NewServeMux()
	auth := s.orchAuth
	mux.HandleFunc("POST "+string(EndpointOrchLogin), s.route(EndpointOrchLogin, nil, s.orchLogin))
	mux.HandleFunc("GET "+string(EndpointOrchLogout), s.route(EndpointOrchLogout, auth, s.orchLogout))
	mux.HandleFunc("GET "+string(EndpointBriefInfo), s.route(EndpointBriefInfo, auth, s.briefInfo))
	mux.HandleFunc("GET "+string(EndpointHello), s.route(EndpointHello, auth, s.hello))
	mux.HandleFunc("GET "+string(EndpointAppliances), s.route(EndpointAppliances, auth, s.applianceList))
	mux.HandleFunc("GET "+string(EndpointInterfaceLabels), s.route(EndpointInterfaceLabels, auth, s.interfaceLabels))
	mux.HandleFunc("GET "+string(EndpointOverlays), s.route(EndpointOverlays, auth, s.overlaysConfig))
	mux.HandleFunc("GET "+string(EndpointLicenses), s.route(EndpointLicenses, auth, s.licenses))
	for _, m := range []string{"GET ", "POST "} {
		mux.HandleFunc(m+string(EndpointPassthrough), s.route(EndpointPassthrough, auth, s.passthrough(false)))
		mux.HandleFunc(m+string(EndpointPassthrough)+"/{nePk}/{url...}", s.route(EndpointPassthrough, auth, s.passthrough(true)))
	}
	s.stateOrchestratorRoutes(mux)
	return mux
}

// orchAuth accepts the API key, or a login session with its CSRF header.
func (s *Simulator) orchAuth(t *target, r *http.Request) (*http.Request, bool) {
	if t.fault.Load().BadCredentials {
		return r, false
	}
	if k := r.Header.Get(headerAuthToken); k != "" {
		return r, equalSecret(k, s.cfg.APIKey)
	}
	c, err := r.Cookie(orchSessionCookie)
	if err != nil {
		return r, false
	}
	csrf := r.Header.Get(headerXSRF)
	if cc, err := r.Cookie(orchCSRFCookie); err == nil && !equalSecret(cc.Value, csrf) {
		return r, false
	}
	_, ok := t.sessions.check(c.Value, csrf, s.cfg.Now(), s.cfg.SessionIdle)
	return r, ok
}

type credentials struct {
	User      string `json:"user"`
	Password  string `json:"password"`
	LoginType int    `json:"loginType"` // Orchestrator logins only
}

// decodeCredentials reads a login body; it returns the raw body too, for
// Fault.EchoLogin.
func decodeCredentials(r *http.Request) (credentials, []byte, error) {
	var c credentials
	raw, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, 1<<16))
	if err != nil {
		return c, nil, fmt.Errorf("read login body: %w", err)
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, nil, fmt.Errorf("decode login body: %w", err)
	}
	return c, raw, nil
}

// refuseLogin answers a refused login with 401: a short text, or with
// Fault.EchoLogin a JSON body that quotes the login request body.
func refuseLogin(w http.ResponseWriter, t *target, raw []byte) {
	t.counters.failed.Add(1)
	if !t.fault.Load().EchoLogin {
		http.Error(w, "invalid user name or password", http.StatusUnauthorized)
		return
	}
	b, _ := json.Marshal(map[string]string{"error": "invalid user name or password", "request": string(raw)})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = w.Write(b)
}

func (s *Simulator) orchLogin(w http.ResponseWriter, r *http.Request, t *target) {
	c, raw, err := decodeCredentials(r)
	if err != nil {
		http.Error(w, "bad login body", http.StatusBadRequest)
		return
	}
	if t.fault.Load().BadCredentials || !equalSecret(c.User, s.cfg.OrchUser) || !equalSecret(c.Password, s.cfg.OrchPassword) ||
		c.LoginType != s.cfg.OrchLoginType {
		refuseLogin(w, t, raw)
		return
	}
	id, csrf := t.sessions.create(s.cfg.Now(), s.cfg.SessionIdle, true)
	t.counters.logins.Add(1)
	setLoginCookies(w, orchSessionCookie, orchCSRFCookie, id, csrf)
	writeJSON(w, map[string]string{"status": "authenticated", "user": c.User})
}

func (s *Simulator) orchLogout(w http.ResponseWriter, r *http.Request, t *target) {
	if c, err := r.Cookie(orchSessionCookie); err == nil {
		if lasted, ok := t.sessions.remove(c.Value); ok {
			t.counters.loggedOut(lasted)
		}
	}
	writeJSON(w, map[string]string{"status": "logged out"})
}

func (s *Simulator) briefInfo(w http.ResponseWriter, r *http.Request, t *target) {
	now := s.cfg.Now().UTC()
	up := now.Sub(s.start) + 12*24*time.Hour
	writeJSON(w, map[string]any{
		"uptime":          fmt.Sprintf("%dd %dh %dm", int(up.Hours())/24, int(up.Hours())%24, int(up.Minutes())%60),
		"release":         s.cfg.OrchestratorRelease,
		"time":            now.Format("2006-01-02 15:04:05") + " UTC",
		"timeZone":        "UTC",
		"inContainerMode": false,
	})
}

func (s *Simulator) hello(w http.ResponseWriter, r *http.Request, t *target) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "%016x%016x", hashKeys(s.fleet.seed, 0x4e110), hashKeys(s.fleet.seed, 0x4e111))
}

type orchAppliance struct {
	ID                  string       `json:"id"`
	NePk                string       `json:"nePk"`
	UUID                string       `json:"uuid"`
	HostName            string       `json:"hostName"`
	IP                  string       `json:"ip"`
	IPUpper             string       `json:"IP"`
	NetworkRole         string       `json:"networkRole"`
	Site                string       `json:"site"`
	SitePriority        int          `json:"sitePriority"`
	GroupID             string       `json:"groupId"`
	Model               string       `json:"model"`
	Platform            string       `json:"platform"`
	SoftwareVersion     string       `json:"softwareVersion"`
	Mode                string       `json:"mode"`
	Bypass              bool         `json:"bypass"`
	Serial              string       `json:"serial"`
	State               int          `json:"state"`
	ReachabilityChannel int          `json:"reachabilityChannel"`
	DiscoveredFrom      int          `json:"discoveredFrom"`
	WebProtocolType     int          `json:"webProtocolType"`
	WebProtocol         string       `json:"webProtocol"`
	SystemBandwidth     int64        `json:"systemBandwidth"`
	HasUnsavedChanges   bool         `json:"hasUnsavedChanges"`
	RebootRequired      bool         `json:"rebootRequired"`
	StartupTime         int64        `json:"startupTime"`
	ApplianceID         string       `json:"applianceId"`
	PortalObjectID      string       `json:"portalObjectId"`
	DynamicUUID         string       `json:"dynamicUuid"`
	HardwareRevision    string       `json:"hardwareRevision"`
	UserName            string       `json:"userName"`
	Password            *string      `json:"password"`
	ZoneList            zoneList     `json:"zoneList"`
	InterfaceList       labelIDsList `json:"interfaceList"`
	TagsList            []string     `json:"tagsList"`
}

type zoneList struct {
	Zones []string `json:"zones"`
}

type labelIDsList struct {
	InterfaceLabels []string `json:"interfaceLabels"`
}

func (s *Simulator) orchAppliance(t *target) orchAppliance {
	d := t.def
	role := "0"
	if d.hub {
		role = "1"
	}
	var labels []string
	for _, it := range d.ifaces {
		if it.labelID != 0 {
			labels = append(labels, labelIDStr(it.labelID))
		}
	}
	hw := "200900-001 Rev A"
	if d.model.name == "EC-V" {
		hw = ""
	}
	return orchAppliance{ID: d.id, NePk: d.id, UUID: d.uuid, HostName: t.hostname(), IP: t.address, IPUpper: t.address,
		NetworkRole: role, Site: d.site, GroupID: "10.Network", Model: d.model.name, Platform: d.platform,
		SoftwareVersion: d.version, Mode: "router", Serial: d.serial, State: d.state,
		ReachabilityChannel: d.channel, DiscoveredFrom: 2, WebProtocolType: 2, WebProtocol: "HTTPS",
		SystemBandwidth: d.systemBW, StartupTime: d.bootTime, ApplianceID: fmt.Sprint(100 + d.idx + 1),
		PortalObjectID: d.portalID, DynamicUUID: d.dynUUID, HardwareRevision: hw, UserName: "admin",
		ZoneList: zoneList{Zones: []string{}}, InterfaceList: labelIDsList{InterfaceLabels: labels},
		TagsList: []string{}}
}

func (s *Simulator) applianceList(w http.ResponseWriter, r *http.Request, _ *target) {
	filter := r.URL.Query().Get("nePk")
	out := make([]orchAppliance, 0, len(s.apps))
	for _, t := range s.apps {
		if filter == "" || filter == t.def.id {
			out = append(out, s.orchAppliance(t))
		}
	}
	writeJSON(w, out)
}

type labelObj struct {
	Name     string `json:"name"`
	Topology int    `json:"topology"`
	Active   bool   `json:"active"`
}

func (s *Simulator) interfaceLabels(w http.ResponseWriter, r *http.Request, _ *target) {
	out := map[string]map[string]labelObj{"wan": {}, "lan": {}}
	for _, l := range wanLabels {
		out["wan"][l.ID] = labelObj{Name: l.Name, Active: true}
	}
	for _, l := range lanLabels {
		out["lan"][l.ID] = labelObj{Name: l.Name, Active: true}
	}
	writeJSON(w, out)
}

func (s *Simulator) overlaysConfig(w http.ResponseWriter, r *http.Request, _ *target) {
	type ov struct {
		ID           int    `json:"id"`
		Name         string `json:"name"`
		TrafficClass string `json:"trafficClass"`
		Priority     int    `json:"overlayPriority"`
	}
	out := make([]ov, len(overlays))
	for i, o := range overlays {
		out[i] = ov{ID: o.ID, Name: o.Name, TrafficClass: o.TrafficClass, Priority: i + 1}
	}
	writeJSON(w, out)
}

type enable struct {
	Enable bool `json:"enable"`
}

type boostLic struct {
	Enable    bool  `json:"enable"`
	Bandwidth int64 `json:"bandwidth"`
}

type tierLic struct {
	Display   string `json:"display"`
	Bandwidth int64  `json:"bandwidth"`
}

type fxLic struct {
	Base  enable   `json:"base"`
	Mini  enable   `json:"mini"`
	Plus  enable   `json:"plus"`
	Tier  tierLic  `json:"tier"`
	Boost boostLic `json:"boost"`
}

type licences struct {
	FX fxLic `json:"fx"`
}

type licenceEntry struct {
	ApplianceID       string   `json:"applianceId"`
	ID                string   `json:"id"`
	Enabled           bool     `json:"enabled"`
	Hostname          string   `json:"hostname"`
	IsPortalLicensed  bool     `json:"isPortalLicensed"`
	Model             string   `json:"model"`
	Serial            string   `json:"serial"`
	PortalLicenseType int      `json:"portalLicenseType"`
	SaasEnabled       bool     `json:"saasEnabled"`
	ExpirationDate    int64    `json:"expirationDate"`
	Licenses          licences `json:"licenses"`
}

func (s *Simulator) licenses(w http.ResponseWriter, r *http.Request, _ *target) {
	out := make([]licenceEntry, 0, len(s.apps))
	exp := (floorDiv(s.start.Unix(), 86400) + 365) * 86400
	for _, t := range s.apps {
		d := t.def
		out = append(out, licenceEntry{ApplianceID: d.id, ID: fmt.Sprintf("lic-%04d", d.idx+1), Enabled: true,
			Hostname: t.hostname(), IsPortalLicensed: true, Model: d.model.name, Serial: d.serial,
			PortalLicenseType: 2, ExpirationDate: exp,
			Licenses: licences{FX: fxLic{Tier: tierLic{Display: d.licence.display, Bandwidth: d.licence.kbps},
				Boost: boostLic{Enable: d.boostMbps > 0, Bandwidth: d.boostMbps}}}})
	}
	writeJSON(w, out)
}

// writeJSON writes v as a 200 JSON response.
func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}
