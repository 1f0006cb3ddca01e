package simulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestApplianceAuth(t *testing.T) {
	clk := newClock(testNow)
	s := startSim(t, Config{Appliances: 3, Seed: 1, Now: clk.Now, ECUser: "u1", ECPassword: "p1",
		ECMonitorUser: "mon", ECMonitorPassword: "mp"})
	a := reachableAppliance(t, s)
	base := "https://" + a.Address + "/rest/json"
	login := func(c *http.Client, user, pw string) (int, *http.Response) {
		body, _ := json.Marshal(map[string]string{"user": user, "password": pw})
		st, _, resp := doRequest(t, c, http.MethodPost, base+"/login?source=menu_rest_apis_id", body, nil)
		return st, resp
	}
	csrfOf := func(resp *http.Response) string {
		for _, ck := range resp.Cookies() {
			if ck.Name == "edgeosCsrfToken" {
				return ck.Value
			}
		}
		return ""
	}

	tests := []struct {
		name, user, pw string
		want           int
	}{
		{"wrong password", "u1", "nope", 401},
		{"wrong user", "admin", "p1", 401},
		{"empty", "", "", 401},
	}
	for _, tc := range tests {
		if st, _ := login(newClient(t, s), tc.user, tc.pw); st != tc.want {
			t.Errorf("%s: login = %d, want %d", tc.name, st, tc.want)
		}
	}
	if st, _, _ := doRequest(t, newClient(t, s), http.MethodPost, base+"/login", []byte("{"), nil); st != 400 {
		t.Errorf("login with a malformed body = %d, want 400", st)
	}

	c := newClient(t, s)
	loginSent := time.Now()
	st, resp := login(c, "u1", "p1")
	if st != 200 {
		t.Fatalf("login = %d, want 200", st)
	}
	loggedIn := time.Now()
	got := map[string]string{}
	for _, ck := range resp.Cookies() {
		got[ck.Name] = ck.Path
	}
	if diff := cmp.Diff(map[string]string{"vxoaSessionID": "/", "edgeosCsrfToken": "/"}, got); diff != "" {
		t.Errorf("login cookies and paths (-want +got):\n%s", diff)
	}
	csrf := csrfOf(resp)
	mem := base + "/memory?source=menu_rest_apis_id"
	checks := []struct {
		name string
		c    *http.Client
		hdr  map[string]string
		want int
	}{
		{"no session", newClient(t, s), map[string]string{"X-XSRF-TOKEN": csrf}, 401},
		{"no csrf header", c, nil, 401},
		{"wrong csrf header", c, map[string]string{"X-XSRF-TOKEN": csrf + "0"}, 401},
		{"valid", c, map[string]string{"X-XSRF-TOKEN": csrf}, 200},
	}
	for _, tc := range checks {
		if st, _, _ := doRequest(t, tc.c, http.MethodGet, mem, nil, tc.hdr); st != tc.want {
			t.Errorf("%s: GET /memory = %d, want %d", tc.name, st, tc.want)
		}
	}
	hdr := map[string]string{"X-XSRF-TOKEN": csrf}
	time.Sleep(20 * time.Millisecond) // a session that lasts at least this
	logoutSent := time.Now()
	if st, _, _ := doRequest(t, c, http.MethodGet, base+"/logout?source=menu_rest_apis_id", nil, hdr); st != 200 {
		t.Errorf("logout = %d, want 200", st)
	}
	// The session lasted from the login's handling to the logout's: at
	// least from the login's answer to the logout's request, at most from
	// the login's request to now.
	if st, err := s.Stats(a.ID); err != nil || st.LastSession < logoutSent.Sub(loggedIn) || st.LastSession > time.Since(loginSent) {
		t.Errorf("Stats(%s).LastSession = %v (%v), want between %v and %v", a.ID, st.LastSession, err, logoutSent.Sub(loggedIn), time.Since(loginSent))
	}
	if st, _, _ := doRequest(t, c, http.MethodGet, mem, nil, hdr); st != 401 {
		t.Errorf("GET /memory after logout = %d, want 401", st)
	}

	// Expiry: a session idle for longer than SessionIdle is gone.
	c2 := newClient(t, s)
	_, resp = login(c2, "u1", "p1")
	hdr2 := map[string]string{"X-XSRF-TOKEN": csrfOf(resp)}
	clk.Add(DefaultSessionIdle + time.Second)
	if st, _, _ := doRequest(t, c2, http.MethodGet, mem, nil, hdr2); st != 401 {
		t.Errorf("GET /memory with an expired session = %d, want 401", st)
	}

	// Monitor role: logs in, but /cpustat is refused with 403.
	c3 := newClient(t, s)
	st, resp = login(c3, "mon", "mp")
	if st != 200 {
		t.Fatalf("monitor login = %d, want 200", st)
	}
	hdr3 := map[string]string{"X-XSRF-TOKEN": csrfOf(resp)}
	if st, _, _ := doRequest(t, c3, http.MethodGet, base+"/cpustat?time=0&source=menu_rest_apis_id", nil, hdr3); st != 403 {
		t.Errorf("monitor GET /cpustat = %d, want 403", st)
	}
	if st, _, _ := doRequest(t, c3, http.MethodGet, mem, nil, hdr3); st != 200 {
		t.Errorf("monitor GET /memory = %d, want 200", st)
	}

	stats, err := s.Stats(a.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Eight clients, each with one keep-alive connection, still open, and
	// no session cache.
	want := Stats{Logins: 3, FailedLogins: 3, Logouts: 1, OpenSessions: 1, Connections: 8, OpenConnections: 8}
	stats.Requests, stats.LastSession = nil, 0 // checked above
	if diff := cmp.Diff(want, stats); diff != "" {
		t.Errorf("Stats(%s) (-want +got):\n%s", a.ID, diff)
	}
}

// alarmKeys are the 12 summary keys of GET /alarm.
var alarmKeys = []string{"num_critical", "num_major", "num_minor", "num_warning", "num_cleared", "num_outstanding",
	"num_software_outstanding", "num_equipment_outstanding", "num_tca_outstanding",
	"num_traffic_class_outstanding", "num_tunnel_outstanding", "num_raise_ignore"}

func TestApplianceEndpoints(t *testing.T) {
	clk := newClock(testNow)
	s := startSim(t, Config{Appliances: 12, Seed: 3, Now: clk.Now})
	var hub, branch ApplianceInfo
	for _, a := range s.Appliances() {
		if a.Reachable && a.Hub && hub.ID == "" {
			hub = a
		}
		if a.Reachable && !a.Hub && branch.ID == "" {
			branch = a
		}
	}
	for _, a := range []ApplianceInfo{hub, branch} {
		t.Run(a.ID, func(t *testing.T) {
			e := ecLogin(t, s, a.Address)
			labels := map[string]string{"1": "MPLS1", "2": "INET1", "3": "LTE", "5": "Data", "6": "Voice"}

			t.Run("minuteRange", func(t *testing.T) {
				var got map[string]json.Number
				e.getJSON("/stats/minuteRange", &got)
				want := map[string]json.Number{"newest": json.Number(fmt.Sprint(testNewest)),
					"oldest": json.Number(fmt.Sprint(testNewest - 86400 + 60))}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("minuteRange (-want +got):\n%s", diff)
				}
			})

			t.Run("deployment", func(t *testing.T) {
				var got struct {
					SysConfig struct {
						MaxBW   *int64 `json:"maxBW"`
						MaxInBW *int64 `json:"maxInBW"`
					} `json:"sysConfig"`
					ModeIfs []struct {
						IfName       string `json:"ifName"`
						ApplianceIPs []struct {
							WanSide bool    `json:"wanSide"`
							VLAN    *string `json:"vlan"`
							Label   string  `json:"label"`
							MaxBW   *struct {
								Inbound  int64 `json:"inbound"`
								Outbound int64 `json:"outbound"`
							} `json:"maxBW"`
						} `json:"applianceIPs"`
					} `json:"modeIfs"`
				}
				e.getJSON("/deployment", &got)
				if got.SysConfig.MaxBW == nil || got.SysConfig.MaxInBW == nil || *got.SysConfig.MaxBW <= 0 {
					t.Fatalf("sysConfig = %+v, want maxBW and maxInBW", got.SysConfig)
				}
				rows := []DeploymentBW{{InterfaceName: "SYSTEM", Inbound: *got.SysConfig.MaxInBW, Outbound: *got.SysConfig.MaxBW}}
				for _, mi := range got.ModeIfs {
					for _, ip := range mi.ApplianceIPs {
						if !ip.WanSide {
							continue
						}
						name := labels[ip.Label]
						if name == "" || ip.MaxBW == nil {
							t.Fatalf("WAN entry of %s: label %q, maxBW %v; want a known label and maxBW", mi.IfName, ip.Label, ip.MaxBW)
						}
						n := mi.IfName
						if ip.VLAN != nil {
							n += "." + *ip.VLAN
						}
						rows = append(rows, DeploymentBW{InterfaceName: n, Label: name, Inbound: ip.MaxBW.Inbound, Outbound: ip.MaxBW.Outbound})
					}
				}
				sv, _ := s.LastServed(a.ID)
				if diff := cmp.Diff(sv.Deployment, rows); diff != "" {
					t.Errorf("deployment vs LastServed (-served +decoded):\n%s", diff)
				}
			})

			t.Run("memory", func(t *testing.T) {
				var got map[string]int64
				e.getJSON("/memory", &got)
				keys := []string{"buffers", "cached", "free", "swapFree", "swapTotal", "swapUsed", "total", "used"}
				if diff := cmp.Diff(keys, slices.Sorted(mapsKeys(got))); diff != "" {
					t.Errorf("memory keys (-want +got):\n%s", diff)
				}
				if got["used"]+got["free"] != got["total"] || got["total"] <= 0 {
					t.Errorf("memory = %v, want used + free = total > 0", got)
				}
				sv, _ := s.LastServed(a.ID)
				want := map[string]int64{"total": sv.Memory.Total, "free": sv.Memory.Free, "buffers": sv.Memory.Buffers,
					"cached": sv.Memory.Cached, "used": sv.Memory.Used, "swapTotal": sv.Memory.SwapTotal,
					"swapFree": sv.Memory.SwapFree, "swapUsed": sv.Memory.SwapUsed}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("memory vs LastServed (-want +got):\n%s", diff)
				}
			})

			t.Run("cpustat", func(t *testing.T) {
				var got struct {
					LatestTimestamp int64                            `json:"latestTimestamp"`
					Data            []map[string][]map[string]string `json:"data"`
				}
				e.getJSON("/cpustat?time=0", &got)
				if len(got.Data) != 12 {
					t.Fatalf("cpustat samples = %d, want 12", len(got.Data))
				}
				twoDec := regexp.MustCompile(`^\d+\.\d\d$`)
				var decoded []CPUSample
				var lastKey int64
				for _, sample := range got.Data {
					if len(sample) != 1 {
						t.Fatalf("sample has %d keys, want 1", len(sample))
					}
					for k, cpus := range sample {
						ms, err := strconv.ParseInt(k, 10, 64)
						if err != nil || ms%5000 != 0 || ms <= lastKey {
							t.Fatalf("sample key %q: want increasing epoch ms on 5 s boundaries", k)
						}
						lastKey = ms
						for i, c := range cpus {
							wantCPU := "ALL"
							if i > 0 {
								wantCPU = strconv.Itoa(i - 1)
							}
							if c["cpu_number"] != wantCPU {
								t.Errorf("cpu_number = %q, want %q", c["cpu_number"], wantCPU)
							}
							var sum float64
							vals := map[string]float64{}
							for _, f := range []string{"pIdle", "pUser", "pSys", "pIRQ", "pNice"} {
								if !twoDec.MatchString(c[f]) {
									t.Fatalf("%s = %q, want a string with two decimals", f, c[f])
								}
								vals[f], _ = strconv.ParseFloat(c[f], 64)
								sum += vals[f]
							}
							if sum < 99.9 || sum > 100.1 {
								t.Errorf("cpu %s percentages sum to %v, want 100", c["cpu_number"], sum)
							}
							decoded = append(decoded, CPUSample{Time: time.UnixMilli(ms).UTC(), CPUNumber: c["cpu_number"],
								Idle: vals["pIdle"], User: vals["pUser"], Sys: vals["pSys"], IRQ: vals["pIRQ"], Nice: vals["pNice"]})
						}
					}
				}
				if want := time.Date(2026, 3, 25, 14, 6, 30, 0, time.UTC).UnixMilli(); lastKey != want || got.LatestTimestamp != want {
					t.Errorf("last sample %d, latestTimestamp %d, want %d", lastKey, got.LatestTimestamp, want)
				}
				sv, _ := s.LastServed(a.ID)
				if diff := cmp.Diff(sv.CPU, decoded); diff != "" {
					t.Errorf("cpustat vs LastServed (-served +decoded):\n%s", diff)
				}
			})

			t.Run("subnets", func(t *testing.T) {
				var got struct {
					Subnets struct {
						Count   int `json:"count"`
						Max     int `json:"max"`
						Entries []struct {
							State struct {
								Version int    `json:"version"`
								Prefix  string `json:"prefix"`
							} `json:"state"`
						} `json:"entries"`
					} `json:"subnets"`
				}
				e.getJSON("/subnets3/all", &got)
				rc := RouteCounts{Total: got.Subnets.Count}
				for _, en := range got.Subnets.Entries {
					switch en.State.Version {
					case 4:
						rc.V4++
					case 6:
						rc.V6++
					}
				}
				if rc.Total != len(got.Subnets.Entries) || rc.V4 == 0 || rc.V6 == 0 {
					t.Errorf("subnets count %d, %d entries (%d v4, %d v6)", rc.Total, len(got.Subnets.Entries), rc.V4, rc.V6)
				}
				sv, _ := s.LastServed(a.ID)
				if diff := cmp.Diff(*sv.Routes, rc); diff != "" {
					t.Errorf("subnets vs LastServed (-served +decoded):\n%s", diff)
				}
			})

			t.Run("alarm", func(t *testing.T) {
				var got struct {
					Summary     map[string]int `json:"summary"`
					Outstanding []struct {
						Severity int    `json:"severity"`
						Type     string `json:"type"`
						Name     string `json:"name"`
						Time     int64  `json:"time"`
					} `json:"outstanding"`
				}
				e.getJSON("/alarm", &got)
				if diff := cmp.Diff(slices.Sorted(slices.Values(alarmKeys)), slices.Sorted(mapsKeys(got.Summary))); diff != "" {
					t.Errorf("summary keys (-want +got):\n%s", diff)
				}
				counts := map[string]int{"num_outstanding": len(got.Outstanding)}
				sevKey := map[int]string{4: "num_critical", 3: "num_major", 2: "num_minor", 1: "num_warning"}
				for _, al := range got.Outstanding {
					counts[sevKey[al.Severity]]++
					if al.Type == "SW" {
						counts["num_software_outstanding"]++
					}
					if al.Type == "HW" {
						counts["num_equipment_outstanding"]++
					}
					if al.Name == "tunnel_down" {
						counts["num_tunnel_outstanding"]++
					}
				}
				for k, v := range counts {
					if k != "" && got.Summary[k] != v {
						t.Errorf("summary %s = %d, outstanding list says %d", k, got.Summary[k], v)
					}
				}
				sv, _ := s.LastServed(a.ID)
				b, _ := json.Marshal(sv.Alarms)
				var served map[string]int
				_ = json.Unmarshal(b, &served)
				if diff := cmp.Diff(served, got.Summary); diff != "" {
					t.Errorf("alarm summary vs LastServed (-served +decoded):\n%s", diff)
				}
			})

			t.Run("tunnels", func(t *testing.T) {
				var ids, bonded, third []string
				e.getJSON("/tunnelAllIDs", &ids)
				e.getJSON("/bondedTunnels/allIDs", &bonded)
				e.getJSON("/thirdPartyTunnels/allIDs", &third)
				for _, p := range []string{"default", "pass-through", "pass-through-unshaped"} {
					if !slices.Contains(ids, p) {
						t.Errorf("tunnelAllIDs lacks pseudo id %q", p)
					}
				}
				checkPrefix := func(name string, list []string, re string) {
					if len(list) == 0 {
						t.Errorf("%s is empty", name)
					}
					for _, id := range list {
						if !regexp.MustCompile(re).MatchString(id) {
							t.Errorf("%s id %q does not match %s", name, id, re)
						}
					}
				}
				checkPrefix("tunnelAllIDs", ids, `^(tunnel_\d+|default|pass-through|pass-through-unshaped)$`)
				checkPrefix("bondedTunnels", bonded, `^bondedTunnel_\d+$`)
				checkPrefix("thirdPartyTunnels", third, `^passThrough_\d+$`)
				var aliases []struct {
					ID    string `json:"id"`
					Alias string `json:"alias"`
				}
				e.getJSON("/bondedTunnels/aliases?limit=1000", &aliases)
				if len(aliases) != len(bonded) {
					t.Errorf("bonded aliases = %d, ids = %d", len(aliases), len(bonded))
				}
				for _, x := range aliases {
					if !strings.HasPrefix(x.Alias, "to_") {
						t.Errorf("bonded alias %q, want to_<peer>_<overlay>", x.Alias)
					}
				}
				sv, _ := s.LastServed(a.ID)
				if diff := cmp.Diff(third, sv.Tunnels[TunnelQuery{Endpoint: EndpointThirdPartyTunnelIDs}]); diff != "" {
					t.Errorf("thirdPartyTunnels vs LastServed (-decoded +served):\n%s", diff)
				}
			})

			t.Run("diskUsage", func(t *testing.T) {
				var got map[string]DiskUsage
				e.getJSON("/diskUsage", &got)
				if _, ok := got["/"]; !ok {
					t.Fatalf("diskUsage lacks /: %v", got)
				}
				for k, d := range got {
					if d.Blocks <= 0 || d.Used+d.Available > d.Blocks || d.UsedPercent <= 0 || d.UsedPercent > 100 || d.Filesystem == "" {
						t.Errorf("diskUsage[%s] = %+v", k, d)
					}
				}
				sv, _ := s.LastServed(a.ID)
				if diff := cmp.Diff(sv.Disk, got); diff != "" {
					t.Errorf("diskUsage vs LastServed (-served +decoded):\n%s", diff)
				}
			})

			t.Run("systemInfo", func(t *testing.T) {
				var got struct {
					HostName string `json:"hostName"`
					Uptime   int64  `json:"uptime"`
					Release  string `json:"release"`
				}
				e.getJSON("/systemInfo", &got)
				clk.Add(90 * time.Second)
				var later struct {
					Uptime int64 `json:"uptime"`
				}
				e.getJSON("/systemInfo", &later)
				clk.Set(testNow)
				if got.HostName != a.Hostname || got.Release != "ECOS "+a.SoftwareVersion || got.Uptime <= 0 {
					t.Errorf("systemInfo = %+v", got)
				}
				if later.Uptime-got.Uptime != 90000 {
					t.Errorf("uptime grew by %d ms over 90 s, want 90000", later.Uptime-got.Uptime)
				}
				sv, _ := s.LastServed(a.ID)
				if *sv.UptimeMs != later.Uptime {
					t.Errorf("LastServed uptime = %d, want %d", *sv.UptimeMs, later.Uptime)
				}
			})

			t.Run("realtimeStats", func(t *testing.T) {
				st, b := e.do(http.MethodPost, "/stats/realtimeStats?source=menu_rest_apis_id",
					[]byte(`{"type":"trafficType","name":"3","filter":""}`))
				if st != 200 {
					t.Fatalf("realtimeStats = %d %s", st, b)
				}
				var got map[string][][2]int64
				if err := json.Unmarshal(b, &got); err != nil {
					t.Fatal(err)
				}
				for _, k := range []string{"LRX_PKTS", "LTX_PKTS", "WRX_PKTS", "WTX_PKTS", "LRX_BYTES", "WTX_BYTES"} {
					if len(got[k]) != 3 {
						t.Fatalf("%s has %d samples, want 3", k, len(got[k]))
					}
					for i, smp := range got[k] {
						if want := (testNow.Unix() - 3 + int64(i)) * 1_000_000; smp[0] != want || smp[1] < 0 {
							t.Errorf("%s[%d] = %v, want time %d µs and a value", k, i, smp, want)
						}
					}
				}
				sv, _ := s.LastServed(a.ID)
				if diff := cmp.Diff(sv.Realtime, got); diff != "" {
					t.Errorf("realtime vs LastServed (-served +decoded):\n%s", diff)
				}
				if st, _ := e.do(http.MethodPost, "/stats/realtimeStats", []byte(`{"type":"bogus","name":"3","filter":""}`)); st != 400 {
					t.Errorf("realtimeStats with an unknown type = %d, want 400", st)
				}
			})

			t.Run("trafficclass", func(t *testing.T) {
				var got map[string]struct {
					Name string `json:"name"`
				}
				e.getJSON("/trafficclass", &got)
				names := map[string]string{}
				for k, v := range got {
					names[k] = v.Name
				}
				want := map[string]string{"1": "RealTime", "2": "Interactive", "3": "Default", "4": "BestEffort",
					"5": "5", "6": "6", "7": "7", "8": "8", "9": "9", "10": "10"}
				if diff := cmp.Diff(want, names); diff != "" {
					t.Errorf("trafficclass (-want +got):\n%s", diff)
				}
				sv, _ := s.LastServed(a.ID)
				if diff := cmp.Diff(want, sv.TrafficClasses); diff != "" {
					t.Errorf("trafficclass LastServed (-want +got):\n%s", diff)
				}
			})

			if st, _ := e.do(http.MethodGet, "/logout?source=menu_rest_apis_id", nil); st != 200 {
				t.Errorf("logout = %d", st)
			}
			stats, _ := s.Stats(a.ID)
			if stats.Logins != stats.Logouts {
				t.Errorf("logins %d, logouts %d, want equal", stats.Logins, stats.Logouts)
			}
		})
	}
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// downMoment finds a clock time in the 24 h after testNow at which appliance
// idx has at least one underlay tunnel up and one down.
func downMoment(t *testing.T, s *Simulator, idx int) time.Time {
	t.Helper()
	a := s.fleet.apps[idx]
	for sec := testNow.Unix(); sec < testNow.Unix()+86400; sec += 30 {
		var up, down bool
		for i := range a.tunnels {
			if a.tunnels[i].kind != kindUnderlay {
				continue
			}
			if s.fleet.downAt(a, i, sec) {
				down = true
			} else {
				up = true
			}
		}
		if up && down {
			return time.Unix(sec, 0).UTC()
		}
	}
	t.Fatalf("appliance %d has no underlay tunnel down in 24 h", idx)
	return time.Time{}
}

func TestTunnelFilters(t *testing.T) {
	clk := newClock(testNow)
	s := startSim(t, Config{Appliances: 10, Seed: 5, Now: clk.Now})
	a := reachableAppliance(t, s)
	idx := slices.IndexFunc(s.Appliances(), func(x ApplianceInfo) bool { return x.ID == a.ID })
	clk.Set(downMoment(t, s, idx))
	e := ecLogin(t, s, a.Address)

	var all, up, down []string
	e.getJSON("/tunnelAllIDs", &all)
	e.getJSON("/tunnelAllIDs?state=Up", &up)
	e.getJSON("/tunnelAllIDs?state=Down", &down)
	if len(down) == 0 || len(up) == 0 {
		t.Fatalf("up %v, down %v: want both non-empty", up, down)
	}
	union := append(slices.Clone(up), down...)
	sort.Strings(union)
	sorted := slices.Sorted(slices.Values(all))
	if diff := cmp.Diff(sorted, union); diff != "" {
		t.Errorf("Up ∪ Down != all (-all +union):\n%s", diff)
	}
	var anchoredUp []string
	e.getJSON("/tunnelAllIDs?state=^Up", &anchoredUp)
	if diff := cmp.Diff(up, anchoredUp); diff != "" {
		t.Errorf("state=^Up differs from state=Up (-Up +^Up):\n%s", diff)
	}
	var partial []string
	e.getJSON("/tunnelAllIDs?state=own", &partial) // unanchored: matches "Down"
	if diff := cmp.Diff(down, partial); diff != "" {
		t.Errorf("state=own differs from state=Down (-Down +own):\n%s", diff)
	}

	type idAlias struct {
		ID    string `json:"id"`
		Alias string `json:"alias"`
	}
	var downAliases []idAlias
	e.getJSON("/tunnelAliases?limit=1000&state=Down", &downAliases)
	var gotIDs []string
	for _, x := range downAliases {
		gotIDs = append(gotIDs, x.ID)
	}
	if diff := cmp.Diff(down, gotIDs); diff != "" {
		t.Errorf("down aliases' ids (-ids +aliases):\n%s", diff)
	}

	var allAliases []idAlias
	e.getJSON("/tunnelAliases?limit=1000", &allAliases)
	peer := strings.Split(strings.TrimPrefix(allAliases[len(allAliases)-1].Alias, "to_"), "_")[0]
	tests := []struct {
		name  string
		query string
		want  func(idAlias) bool
		limit int
	}{
		{"match lower case", "matchingAlias=" + strings.ToLower(peer), func(x idAlias) bool { return strings.Contains(x.Alias, peer) }, -1},
		{"match label", "matchingAlias=mpls1-mpls1", func(x idAlias) bool { return strings.Contains(x.Alias, "MPLS1-MPLS1") }, -1},
		{"limit", "", func(idAlias) bool { return true }, 2},
		{"limit zero", "", func(idAlias) bool { return true }, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			limit := 1000
			if tc.limit >= 0 {
				limit = tc.limit
			}
			var got []idAlias
			e.getJSON(fmt.Sprintf("/tunnelAliases?limit=%d&%s", limit, tc.query), &got)
			want := []idAlias{}
			for _, x := range allAliases {
				if tc.want(x) && len(want) < limit {
					want = append(want, x)
				}
			}
			if len(got) == 0 && len(want) == 0 {
				return
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	for _, q := range []string{"/tunnelAliases", "/tunnelAliases?limit=x", "/tunnelAliases?limit=10&state=(", "/tunnelAllIDs?state=["} {
		if st, _ := e.do(http.MethodGet, q, nil); st != 400 {
			t.Errorf("GET %s = %d, want 400", q, st)
		}
	}
	sv, _ := s.LastServed(a.ID)
	var downNames []string
	for _, x := range downAliases {
		downNames = append(downNames, x.Alias)
	}
	if diff := cmp.Diff(downNames, sv.Tunnels[TunnelQuery{Endpoint: EndpointTunnelAliases, State: "Down", Limit: 1000}]); diff != "" {
		t.Errorf("LastServed down aliases (-decoded +served):\n%s", diff)
	}
	// The alarm summary counts one tunnel alarm per tunnel down now.
	var alarms struct {
		Summary AlarmSummary `json:"summary"`
	}
	e.getJSON("/alarm", &alarms)
	var downB, downT []string
	e.getJSON("/bondedTunnels/allIDs?state=Down", &downB)
	e.getJSON("/thirdPartyTunnels/allIDs?state=Down", &downT)
	if got, want := alarms.Summary.NumTunnelOutstanding, len(down)+len(downB)+len(downT); got != want {
		t.Errorf("num_tunnel_outstanding = %d, want %d tunnels down", got, want)
	}
}

func TestMinuteWindow(t *testing.T) {
	s := startSim(t, Config{Appliances: 2, Seed: 1})
	e := ecLogin(t, s, reachableAppliance(t, s).Address)
	oldest := testNewest - 86400 + 60
	tests := []struct {
		name string
		file string
		want int
	}{
		{"newest", fmt.Sprintf("st2-%d.tgz", testNewest), 200},
		{"newest-120", fmt.Sprintf("st2-%d.tgz", testNewest-120), 200},
		{"oldest", fmt.Sprintf("st2-%d.tgz", oldest), 200},
		{"future", fmt.Sprintf("st2-%d.tgz", testNewest+60), 404},
		{"too old", fmt.Sprintf("st2-%d.tgz", oldest-60), 404},
		{"off boundary", fmt.Sprintf("st2-%d.tgz", testNewest-30), 404},
		{"not a number", "st2-abc.tgz", 404},
		{"no prefix", fmt.Sprintf("%d.tgz", testNewest), 404},
		{"signed", fmt.Sprintf("st2-+%d.tgz", testNewest), 404},
		{"wrong suffix", fmt.Sprintf("st2-%d.tar", testNewest), 404},
	}
	for _, tc := range tests {
		st, b := e.do(http.MethodGet, "/stats/minuteStats/"+tc.file+"?source=menu_rest_apis_id", nil)
		if st != tc.want {
			t.Errorf("%s: GET %s = %d, want %d", tc.name, tc.file, st, tc.want)
		}
		if st == 200 && (len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b) {
			t.Errorf("%s: body is not gzip", tc.name)
		}
	}
}

// TestLoginCookieOrder checks the order of the Set-Cookie headers of a
// successful appliance and Orchestrator login: the CSRF cookie first, then
// the session cookie, both for Path=/. A client that takes the first login
// cookie as the CSRF token (the Python demo's) depends on it.
func TestLoginCookieOrder(t *testing.T) {
	s := startSim(t, Config{Appliances: 2, Seed: 1, ECUser: "u1", ECPassword: "p1", OrchUser: "ou", OrchPassword: "op"})
	body, _ := json.Marshal(map[string]string{"user": "u1", "password": "p1"})
	orchBody, _ := json.Marshal(map[string]string{"user": "ou", "password": "op"})
	for _, tc := range []struct {
		name, url string
		body      []byte
		want      []string
	}{
		{"appliance", "https://" + reachableAppliance(t, s).Address + "/rest/json/login?source=menu_rest_apis_id", body,
			[]string{"edgeosCsrfToken", "vxoaSessionID"}},
		{"orchestrator", s.OrchestratorURL() + "/gms/rest/authentication/login", orchBody,
			[]string{"orchCsrfToken", "orchSessionID"}},
	} {
		st, _, resp := doRequest(t, newClient(t, s), http.MethodPost, tc.url, tc.body, nil)
		if st != http.StatusOK {
			t.Fatalf("%s login = %d, want 200", tc.name, st)
		}
		var names []string
		for _, h := range resp.Header.Values("Set-Cookie") {
			c, err := http.ParseSetCookie(h)
			if err != nil {
				t.Fatalf("%s: Set-Cookie %q: %v", tc.name, h, err)
			}
			names = append(names, c.Name)
			if c.Path != "/" || !c.Secure {
				t.Errorf("%s: cookie %s path %q secure %v, want / and secure", tc.name, c.Name, c.Path, c.Secure)
			}
			if c.HttpOnly != (c.Name == tc.want[1]) {
				t.Errorf("%s: cookie %s HttpOnly = %v, want it on the session cookie only", tc.name, c.Name, c.HttpOnly)
			}
		}
		if diff := cmp.Diff(tc.want, names); diff != "" {
			t.Errorf("%s login Set-Cookie order (-want +got):\n%s", tc.name, diff)
		}
	}
}
