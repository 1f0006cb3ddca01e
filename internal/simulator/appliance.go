package simulator

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Appliance login cookie names: ECOS answers a login with both.
const (
	ecSessionCookie = "vxoaSessionID"
	ecCSRFCookie    = "edgeosCsrfToken"
)

var applianceEndpoints = []Endpoint{EndpointLogin, EndpointLogout, EndpointMinuteRange, EndpointMinuteStats,
	EndpointDeployment, EndpointMemory, EndpointCPUStat, EndpointSubnets, EndpointAlarm, EndpointTunnelIDs,
	EndpointBondedTunnelIDs, EndpointThirdPartyTunnelIDs, EndpointTunnelAliases, EndpointBondedTunnelAliases,
	EndpointThirdPartyTunnelAliases, EndpointDiskUsage, EndpointSystemInfo, EndpointRealtimeStats,
	EndpointTrafficClass, EndpointNetworkInterfaces, EndpointNextHops}

func (s *Simulator) applianceMux() *http.ServeMux {
	mux := http.NewServeMux()
	auth := s.ecAuth
	get := func(ep Endpoint, h func(http.ResponseWriter, *http.Request, *target)) {
		mux.HandleFunc("GET "+string(ep), s.route(ep, auth, h))
	}
	mux.HandleFunc("POST "+string(EndpointLogin), s.route(EndpointLogin, nil, s.ecLogin))
	get(EndpointLogout, s.ecLogout)
	get(EndpointMinuteRange, s.minuteRange)
	mux.HandleFunc("GET "+string(EndpointMinuteStats)+"/{file}", s.route(EndpointMinuteStats, auth, s.minuteStats))
	get(EndpointDeployment, s.deployment)
	get(EndpointMemory, s.memory)
	get(EndpointCPUStat, s.cpuStat)
	get(EndpointSubnets, s.subnets)
	get(EndpointAlarm, s.alarm)
	for _, ep := range []Endpoint{EndpointTunnelIDs, EndpointBondedTunnelIDs, EndpointThirdPartyTunnelIDs,
		EndpointTunnelAliases, EndpointBondedTunnelAliases, EndpointThirdPartyTunnelAliases} {
		get(ep, s.tunnelList(ep))
	}
	get(EndpointDiskUsage, s.diskUsage)
	get(EndpointSystemInfo, s.systemInfo)
	mux.HandleFunc("POST "+string(EndpointRealtimeStats), s.route(EndpointRealtimeStats, auth, s.realtimeStats))
	get(EndpointTrafficClass, s.trafficClass)
	s.stateApplianceRoutes(mux)
	return mux
}

// ecAuth lets a request relayed by the Orchestrator's pass-through in as
// admin; any other request needs the session cookie (or the vxoaSessionID
// header) and an X-XSRF-TOKEN header equal to the session's CSRF token (and
// to the CSRF cookie when one is sent).
func (s *Simulator) ecAuth(t *target, r *http.Request) (*http.Request, bool) {
	if relayed(r) {
		return r, true // the Orchestrator's pass-through, authenticated there
	}
	id := r.Header.Get(ecSessionCookie)
	if c, err := r.Cookie(ecSessionCookie); err == nil {
		id = c.Value
	}
	csrf := r.Header.Get(headerXSRF)
	if cc, err := r.Cookie(ecCSRFCookie); err == nil && !equalSecret(cc.Value, csrf) {
		return r, false
	}
	admin, ok := t.sessions.check(id, csrf, s.cfg.Now(), s.cfg.SessionIdle)
	if ok && !admin {
		r = r.WithContext(context.WithValue(r.Context(), monitorKey{}, true))
	}
	return r, ok
}

func (s *Simulator) ecLogin(w http.ResponseWriter, r *http.Request, t *target) {
	c, raw, err := decodeCredentials(r)
	if err != nil {
		http.Error(w, "bad login body", http.StatusBadRequest)
		return
	}
	user, pw := s.cfg.ECUser, s.cfg.ECPassword
	if cr, ok := s.cfg.ApplianceCredentials[t.def.id]; ok {
		user, pw = cr.User, cr.Password
	}
	admin := equalSecret(c.User, user) && equalSecret(c.Password, pw)
	monitor := s.cfg.ECMonitorUser != "" && equalSecret(c.User, s.cfg.ECMonitorUser) &&
		equalSecret(c.Password, s.cfg.ECMonitorPassword)
	if t.fault.Load().BadCredentials || (!admin && !monitor) {
		refuseLogin(w, t, raw)
		return
	}
	id, csrf := t.sessions.create(s.cfg.Now(), s.cfg.SessionIdle, admin)
	t.counters.logins.Add(1)
	setLoginCookies(w, ecSessionCookie, ecCSRFCookie, id, csrf)
	writeJSON(w, map[string]string{"status": "authenticated", "user": c.User})
}

func (s *Simulator) ecLogout(w http.ResponseWriter, r *http.Request, t *target) {
	id := r.Header.Get(ecSessionCookie)
	if c, err := r.Cookie(ecSessionCookie); err == nil {
		id = c.Value
	}
	if lasted, ok := t.sessions.remove(id); ok {
		t.counters.loggedOut(lasted)
	}
	writeJSON(w, map[string]string{"status": "logged out"})
}

// servedWindow is the minute window the target serves: the clock's, its
// newest minute held back by Fault.MinutesFrozenAt.
func (s *Simulator) servedWindow(t *target, now time.Time) (newest, oldest int64) {
	newest, oldest = window(now)
	if at := t.fault.Load().MinutesFrozenAt; !at.IsZero() {
		newest = min(newest, floorDiv(at.Unix(), 60)*60)
	}
	return newest, oldest
}

func (s *Simulator) minuteRange(w http.ResponseWriter, r *http.Request, t *target) {
	now := s.cfg.Now()
	newest, oldest := s.servedWindow(t, now)
	t.served.record(EndpointMinuteRange, now, func(sv *Served) { sv.MinuteRange = &[2]int64{newest, oldest} })
	if t.fault.Load().StringMinuteRange {
		writeJSON(w, map[string]string{"newest": strconv.FormatInt(newest, 10), "oldest": strconv.FormatInt(oldest, 10)})
		return
	}
	writeJSON(w, map[string]int64{"newest": newest, "oldest": oldest})
}

// parseArchiveName parses "st2-<M>.tgz".
func parseArchiveName(name string) (int64, bool) {
	rest, ok := strings.CutPrefix(name, "st2-")
	if !ok {
		return 0, false
	}
	digits, ok := strings.CutSuffix(rest, ".tgz")
	if !ok || digits == "" || digits[0] == '+' || digits[0] == '-' {
		return 0, false
	}
	m, err := strconv.ParseInt(digits, 10, 64)
	return m, err == nil
}

func (s *Simulator) minuteStats(w http.ResponseWriter, r *http.Request, t *target) {
	m, ok := parseArchiveName(r.PathValue("file"))
	newest, oldest := s.servedWindow(t, s.cfg.Now())
	if !ok || m%60 != 0 || m < oldest || m > newest {
		http.NotFound(w, r)
		return
	}
	b, err := s.servedArchive(t, m)
	if err != nil {
		http.Error(w, "cannot build archive", http.StatusInternalServerError)
		return
	}
	f := t.fault.Load()
	if f.CorruptArchive {
		b = b[:len(b)/2]
	}
	w.Header().Set("Content-Type", "application/gzip")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	if f.TruncateArchive > 0 || f.StallArchive > 0 {
		s.brokenDownload(w, r, b, f)
		return
	}
	_, _ = w.Write(b)
}

// brokenDownload sends b under the Content-Length already set, broken as
// f says: cut off after a fraction (the connection is dropped), or stalled
// halfway.
func (s *Simulator) brokenDownload(w http.ResponseWriter, r *http.Request, b []byte, f *Fault) {
	cut := len(b)
	if f.TruncateArchive > 0 {
		cut = int(float64(len(b)) * f.TruncateArchive)
	}
	first := cut
	if f.StallArchive > 0 {
		first = min(cut, len(b)/2)
	}
	_, _ = w.Write(b[:first])
	_ = http.NewResponseController(w).Flush()
	if f.StallArchive > 0 {
		if !s.wait(r.Context(), f.StallArchive) {
			panic(http.ErrAbortHandler)
		}
		_, _ = w.Write(b[first:cut])
	}
	if cut < len(b) {
		// Drop the connection without the rest the header promised.
		panic(http.ErrAbortHandler)
	}
}

type maxBW struct {
	Inbound  int64 `json:"inbound"`
	Outbound int64 `json:"outbound"`
}

type applianceIP struct {
	IP         string  `json:"ip"`
	Mask       int     `json:"mask"`
	WanNexthop string  `json:"wanNexthop,omitempty"`
	Label      string  `json:"label"`
	VLAN       *string `json:"vlan,omitempty"`
	WanSide    bool    `json:"wanSide"`
	LanSide    bool    `json:"lanSide"`
	BehindNAT  string  `json:"behindNAT"`
	Harden     int     `json:"harden"`
	MaxBW      *maxBW  `json:"maxBW,omitempty"`
	Zone       int     `json:"zone"`
	VRF        int     `json:"vrf"`
	Comment    string  `json:"comment"`
}

type modeIf struct {
	DevNum       string        `json:"devNum"`
	IfName       string        `json:"ifName"`
	ApplianceIPs []applianceIP `json:"applianceIPs"`
}

// deployBody is the rendered GET /deployment answer of an appliance for
// one SYSTEM bandwidth: it changes only with Fault.SystemBandwidthKbps.
type deployBody struct {
	systemBW int64
	body     []byte
	served   []DeploymentBW // read-only
}

func (s *Simulator) deployment(w http.ResponseWriter, r *http.Request, t *target) {
	systemBW := t.def.systemBW
	if bw := t.fault.Load().SystemBandwidthKbps; bw > 0 {
		systemBW = bw
	}
	db := t.deploy.Load()
	if db == nil || db.systemBW != systemBW {
		var err error
		if db, err = renderDeployment(t.def, systemBW); err != nil {
			http.Error(w, "encode response", http.StatusInternalServerError)
			return
		}
		t.deploy.Store(db)
	}
	t.served.record(EndpointDeployment, s.cfg.Now(), func(sv *Served) { sv.Deployment = db.served })
	writeBody(w, db.body)
}

// renderDeployment builds the GET /deployment answer of d.
func renderDeployment(d *applianceDef, systemBW int64) (*deployBody, error) {
	var ifs []modeIf
	served := []DeploymentBW{{InterfaceName: "SYSTEM", Inbound: systemBW, Outbound: systemBW}}
	byName := map[string]int{}
	for _, it := range d.ifaces {
		ip := applianceIP{IP: it.ip, Mask: it.mask, WanNexthop: it.nexthop, WanSide: it.wan, LanSide: !it.wan,
			BehindNAT: "none", Harden: 0}
		if it.labelID != 0 {
			ip.Label = labelIDStr(it.labelID)
		}
		if it.vlan != "" {
			v := it.vlan
			ip.VLAN = &v
		}
		if it.wan {
			ip.Harden = 1
			ip.MaxBW = &maxBW{Inbound: it.maxIn, Outbound: it.maxOut}
			served = append(served, DeploymentBW{InterfaceName: it.name, Label: labelName(it.labelID),
				Inbound: it.maxIn, Outbound: it.maxOut})
		}
		k, ok := byName[it.ifName]
		if !ok {
			k = len(ifs)
			byName[it.ifName] = k
			ifs = append(ifs, modeIf{DevNum: fmt.Sprintf("rtr%d", k+1), IfName: it.ifName})
		}
		ifs[k].ApplianceIPs = append(ifs[k].ApplianceIPs, ip)
	}
	var lanLabelIDs, wanLabelIDs []string
	for _, it := range d.ifaces {
		if it.labelID == 0 {
			continue
		}
		if it.wan {
			wanLabelIDs = append(wanLabelIDs, labelIDStr(it.labelID))
		} else {
			lanLabelIDs = append(lanLabelIDs, labelIDStr(it.labelID))
		}
	}
	body := map[string]any{
		"sysConfig": map[string]any{
			"mode": "router", "inline": true, "useMgmt0": false, "tenG": false, "bonding": false,
			"maxBW": systemBW, "maxInBW": systemBW, "maxInBWEnabled": true,
			"ifLabels": map[string][]string{"wan": wanLabelIDs, "lan": lanLabelIDs},
		},
		"modeIfs": ifs,
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	return &deployBody{systemBW: systemBW, body: b, served: served}, nil
}

func (s *Simulator) memory(w http.ResponseWriter, r *http.Request, t *target) {
	now := s.cfg.Now()
	m := s.fleet.memory(t.def, now)
	t.served.record(EndpointMemory, now, func(sv *Served) { sv.Memory = &m })
	writeJSON(w, m)
}

type monitorKey struct{}

func isMonitor(r *http.Request) bool {
	v, _ := r.Context().Value(monitorKey{}).(bool)
	return v
}

func (s *Simulator) cpuStat(w http.ResponseWriter, r *http.Request, t *target) {
	if isMonitor(r) {
		http.Error(w, "admin role required", http.StatusForbidden)
		return
	}
	var ms int64
	if v := r.URL.Query().Get("time"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			http.Error(w, "time must be epoch milliseconds", http.StatusBadRequest)
			return
		}
		ms = n
	}
	now := s.cfg.Now()
	samples := s.fleet.cpuSamples(t.def, now, ms)
	t.served.record(EndpointCPUStat, now, func(sv *Served) { sv.CPU = samples })
	writeAppended(w, func(b []byte) []byte { return appendCPUStat(b, samples) })
}

func (s *Simulator) subnets(w http.ResponseWriter, r *http.Request, t *target) {
	now := s.cfg.Now()
	entries := s.fleet.routes(t.def, now)
	rc := RouteCounts{Total: len(entries)}
	for _, e := range entries {
		if e.State.Version == 4 {
			rc.V4++
		} else {
			rc.V6++
		}
	}
	t.served.record(EndpointSubnets, now, func(sv *Served) { sv.Routes = &rc })
	writeAppended(w, func(b []byte) []byte { return appendSubnets(b, entries) })
}

func (s *Simulator) alarm(w http.ResponseWriter, r *http.Request, t *target) {
	now := s.cfg.Now()
	list, sum := s.servedAlarms(t, now)
	if list == nil {
		list = []alarm{}
	}
	t.served.record(EndpointAlarm, now, func(sv *Served) { sv.Alarms = &sum })
	writeJSON(w, map[string]any{"summary": sum, "outstanding": list})
}

// tunnelRank is the place of tunnel i among the appliance's real tunnels
// (underlay, then overlay, then third-party, each in the appliance's order),
// or -1 for a pseudo or aggregate one.
func (d *applianceDef) tunnelRank(i int) int {
	rank := 0
	for _, k := range []tunnelKind{kindUnderlay, kindBonded, kindPassThrough} {
		for j := range d.tunnels {
			if d.tunnels[j].kind != k {
				continue
			}
			if j == i {
				return rank
			}
			rank++
		}
	}
	return -1
}

// servedAlarms are the outstanding alarms the target serves at now: the
// model's, or Fault.Alarms under Fault.FixedAlarms.
func (s *Simulator) servedAlarms(t *target, now time.Time) ([]alarm, AlarmSummary) {
	if f := t.fault.Load(); f.FixedAlarms {
		return fixedAlarms(f.Alarms)
	}
	return s.fleet.alarms(t.def, now)
}

// fixedAlarms renders Fault.Alarms as GET /alarm serves them, with the
// summary counted from them.
func fixedAlarms(in []Alarm) ([]alarm, AlarmSummary) {
	out := make([]alarm, 0, len(in))
	for _, a := range in {
		var ms int64
		if !a.Time.IsZero() {
			ms = a.Time.UnixMilli()
		}
		out = append(out, alarm{Severity: a.Severity, SequenceID: a.SequenceID, Source: a.Source, Acknowledged: a.Acknowledged,
			Clearable: a.Clearable, Time: ms, Description: a.Description, Type: a.Type, Name: a.Name, OccurrenceCount: 1, Active: true})
	}
	return out, countAlarms(out)
}

// pseudoTunnelIDs are listed by /tunnelAllIDs besides the tunnel_N ids, as
// in the pyedgeconnect docstring example; they are always up.
var pseudoTunnelIDs = []string{"default", "pass-through", "pass-through-unshaped"}

type idAlias struct {
	ID    string `json:"id"`
	Alias string `json:"alias"`
}

func (s *Simulator) tunnelList(ep Endpoint) func(http.ResponseWriter, *http.Request, *target) {
	aliases := ep == EndpointTunnelAliases || ep == EndpointBondedTunnelAliases || ep == EndpointThirdPartyTunnelAliases
	var kind tunnelKind
	switch ep {
	case EndpointTunnelIDs, EndpointTunnelAliases:
		kind = kindUnderlay
	case EndpointBondedTunnelIDs, EndpointBondedTunnelAliases:
		kind = kindBonded
	default:
		kind = kindPassThrough
	}
	return func(w http.ResponseWriter, r *http.Request, t *target) {
		q := r.URL.Query()
		tq := TunnelQuery{Endpoint: ep, State: q.Get("state")}
		var re *regexp.Regexp
		if tq.State != "" {
			var err error
			if re, err = s.regexps.get(tq.State); err != nil {
				http.Error(w, "invalid state expression", http.StatusBadRequest)
				return
			}
		}
		limit := -1
		if aliases {
			tq.MatchingAlias = q.Get("matchingAlias")
			n, err := strconv.Atoi(q.Get("limit"))
			if err != nil || n < 0 {
				http.Error(w, "limit is required and must be a non-negative integer", http.StatusBadRequest)
				return
			}
			tq.Limit, limit = n, n
		}
		now := s.cfg.Now()
		sec := now.Unix()
		d := t.def
		match := strings.ToLower(tq.MatchingAlias)
		var list []idAlias
		keep := func(id, alias, status string) {
			if match != "" && !strings.Contains(strings.ToLower(alias), match) {
				return
			}
			if re != nil && !re.MatchString(status) {
				return
			}
			list = append(list, idAlias{id, alias})
		}
		if kind == kindUnderlay {
			for _, id := range pseudoTunnelIDs {
				keep(id, id, "Up - Active")
			}
		}
		f := t.fault.Load()
		for i := range d.tunnels {
			tn := &d.tunnels[i]
			if tn.kind != kind {
				continue
			}
			status := s.fleet.tunnelStatus(d, i, sec)
			if f.FixedTunnels {
				status = "Up - Active"
				if r := d.tunnelRank(i); r >= 0 && r < f.TunnelsDown {
					status = "Down"
				}
			}
			keep(tn.id, tn.alias, status)
		}
		if limit >= 0 && len(list) > limit {
			list = list[:limit]
		}
		values := make([]string, len(list))
		for i, x := range list {
			if aliases {
				values[i] = x.Alias
			} else {
				values[i] = x.ID
			}
		}
		t.served.record(ep, now, func(sv *Served) {
			if sv.Tunnels == nil {
				sv.Tunnels = map[TunnelQuery][]string{}
			}
			sv.Tunnels[tq] = values
		})
		if aliases {
			if list == nil {
				list = []idAlias{}
			}
			writeJSON(w, list)
			return
		}
		writeJSON(w, values)
	}
}

func (s *Simulator) diskUsage(w http.ResponseWriter, r *http.Request, t *target) {
	now := s.cfg.Now()
	du := s.fleet.disk(t.def, now)
	t.served.record(EndpointDiskUsage, now, func(sv *Served) { sv.Disk = du })
	writeJSON(w, du)
}

// systemInfoBody is the GET /systemInfo answer, fields in key order.
type systemInfoBody struct {
	AlarmSummary         AlarmSummary `json:"alarmSummary"`
	ApplianceID          int          `json:"applianceid"`
	BiosVersion          string       `json:"biosVersion"`
	Datetime             string       `json:"datetime"`
	DeploymentMode       string       `json:"deploymentMode"`
	GMTOffset            int          `json:"gmtOffset"`
	HasUnsavedChanges    bool         `json:"hasUnsavedChanges"`
	HostName             string       `json:"hostName"`
	InlineRouter         bool         `json:"inlineRouter"`
	IsLicenseInstalled   bool         `json:"isLicenseInstalled"`
	LicenseRequired      bool         `json:"licenseRequired"`
	Model                string       `json:"model"`
	ModelShort           string       `json:"modelShort"`
	RebootRequired       bool         `json:"rebootRequired"`
	Release              string       `json:"release"`
	ReleaseWithoutPrefix string       `json:"releaseWithoutPrefix"`
	Serial               string       `json:"serial"`
	Status               string       `json:"status"`
	Timezone             string       `json:"timezone"`
	Uptime               int64        `json:"uptime"`
	UptimeString         string       `json:"uptimeString"`
	UUID                 string       `json:"uuid"`
}

func (s *Simulator) systemInfo(w http.ResponseWriter, r *http.Request, t *target) {
	now := s.cfg.Now()
	d := t.def
	up := now.UnixMilli() - d.bootTime*1000
	_, sum := s.servedAlarms(t, now)
	t.served.record(EndpointSystemInfo, now, func(sv *Served) { sv.UptimeMs = &up })
	writeJSON(w, systemInfoBody{
		HostName: t.hostname(), ApplianceID: 100 + d.idx + 1, Model: d.model.name, ModelShort: d.model.name,
		Status: "Normal", Uptime: up, UptimeString: uptimeString(time.Duration(up) * time.Millisecond),
		Datetime: now.UTC().Format("2006/01/02 15:04:05") + " Etc/UTC", Timezone: "Etc/UTC",
		Release: "ECOS " + d.version, ReleaseWithoutPrefix: d.version, Serial: d.serial, UUID: d.uuid,
		DeploymentMode: "router", InlineRouter: true, IsLicenseInstalled: true, BiosVersion: "1.2.7",
		AlarmSummary: sum,
	})
}

// realtimeTypes are the documented stat types of POST /stats/realtimeStats.
var realtimeTypes = map[string]bool{"tunnel": true, "trafficType": true, "app": true, "dscp": true,
	"trafficClass": true, "flow": true, "shaper": true, "drops": true, "interface": true}

func (s *Simulator) realtimeStats(w http.ResponseWriter, r *http.Request, t *target) {
	var body struct {
		Type   *string `json:"type"`
		Name   *string `json:"name"`
		Filter *string `json:"filter"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&body); err != nil ||
		body.Type == nil || body.Name == nil || !realtimeTypes[*body.Type] {
		http.Error(w, "body must be {\"type\",\"name\",\"filter\"} with a known type", http.StatusBadRequest)
		return
	}
	factor := 1.0
	switch {
	case *body.Type == "trafficType" && *body.Name == "3":
	case *body.Type == "trafficType" && *body.Name == "0":
		factor = shareOptimized
	default:
		factor = 0.01 + 0.3*unit(strKey(*body.Type), strKey(*body.Name))
	}
	now := s.cfg.Now()
	rt := s.fleet.realtime(t.def, now, factor)
	t.served.record(EndpointRealtimeStats, now, func(sv *Served) { sv.Realtime = rt })
	writeJSON(w, rt)
}

func (s *Simulator) trafficClass(w http.ResponseWriter, r *http.Request, t *target) {
	t.served.record(EndpointTrafficClass, s.cfg.Now(), func(sv *Served) { sv.TrafficClasses = s.tc.names })
	writeBody(w, s.tc.body)
}

// trafficClasses is the GET /trafficclass answer, the same on every
// appliance: rendered once.
type trafficClasses struct {
	names map[string]string // read-only
	body  []byte
}

func newTrafficClasses() trafficClasses {
	out := make(map[string]map[string]string, 10)
	names := make(map[string]string, 10)
	for id := 1; id <= 10; id++ {
		k := strconv.Itoa(id)
		out[k] = map[string]string{"name": trafficClassNames[id]}
		names[k] = trafficClassNames[id]
	}
	b, _ := json.Marshal(out) // maps of strings always encode
	return trafficClasses{names: names, body: b}
}

// regexpCache keeps compiled state filters: a poller sends the same few
// expressions again and again.
type regexpCache struct {
	mu sync.Mutex
	m  map[string]*regexp.Regexp
}

func (c *regexpCache) get(expr string) (*regexp.Regexp, error) {
	c.mu.Lock()
	re, ok := c.m[expr]
	c.mu.Unlock()
	if ok {
		return re, nil
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= 256 {
		c.m = map[string]*regexp.Regexp{}
	}
	c.m[expr] = re
	return re, nil
}
