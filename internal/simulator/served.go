package simulator

import (
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Memory is the body of GET /memory.
type Memory struct {
	Total     int64 `json:"total"`
	Free      int64 `json:"free"`
	Buffers   int64 `json:"buffers"`
	Cached    int64 `json:"cached"`
	Used      int64 `json:"used"`
	SwapTotal int64 `json:"swapTotal"`
	SwapFree  int64 `json:"swapFree"`
	SwapUsed  int64 `json:"swapUsed"`
}

// CPUSample is one CPU of one /cpustat sample. The values are served as
// strings with two decimals; these are the same values as float64.
type CPUSample struct {
	Time      time.Time // the sample key (epoch ms)
	CPUNumber string    // "ALL", "0", "1", ...
	Idle      float64
	User      float64
	Sys       float64
	IRQ       float64
	Nice      float64
}

// RouteCounts is what GET /subnets3/all served, counted: subnets.count and
// the entries by state.version.
type RouteCounts struct {
	Total int
	V4    int
	V6    int
}

// AlarmSummary is the summary object of GET /alarm and the
// alarmSummary of GET /systemInfo.
type AlarmSummary struct {
	NumCritical                int `json:"num_critical"`
	NumMajor                   int `json:"num_major"`
	NumMinor                   int `json:"num_minor"`
	NumWarning                 int `json:"num_warning"`
	NumCleared                 int `json:"num_cleared"`
	NumOutstanding             int `json:"num_outstanding"`
	NumSoftwareOutstanding     int `json:"num_software_outstanding"`
	NumEquipmentOutstanding    int `json:"num_equipment_outstanding"`
	NumTCAOutstanding          int `json:"num_tca_outstanding"`
	NumTrafficClassOutstanding int `json:"num_traffic_class_outstanding"`
	NumTunnelOutstanding       int `json:"num_tunnel_outstanding"`
	NumRaiseIgnore             int `json:"num_raise_ignore"`
}

// DiskUsage is one mount point of GET /diskUsage.
type DiskUsage struct {
	Blocks      int64  `json:"1k-blocks"`
	Used        int64  `json:"used"`
	Available   int64  `json:"available"`
	UsedPercent int64  `json:"usedpercent"`
	Filesystem  string `json:"filesystem"`
}

// DeploymentBW is one deployment_info point's worth of GET /deployment: the
// system row (InterfaceName "SYSTEM", no label) or one WAN IP entry.
type DeploymentBW struct {
	InterfaceName string // ifName or ifName.vlan, or SYSTEM
	Label         string // label name; "" for SYSTEM
	Inbound       int64  // Kbps
	Outbound      int64  // Kbps
}

// TunnelQuery identifies one tunnel id or alias request by its endpoint and
// filters (query parameters as received; Limit 0 when absent).
type TunnelQuery struct {
	Endpoint      Endpoint
	State         string
	MatchingAlias string
	Limit         int
}

// Served holds the last values an appliance served on each point-in-time
// endpoint. A nil pointer, slice or map means the endpoint was not served
// successfully yet.
type Served struct {
	MinuteRange *[2]int64 // newest, oldest
	Deployment  []DeploymentBW
	Memory      *Memory
	CPU         []CPUSample
	Routes      *RouteCounts
	Alarms      *AlarmSummary
	// Tunnels maps each tunnel request to the ids (id endpoints) or aliases
	// (alias endpoints) it returned.
	Tunnels        map[TunnelQuery][]string
	Disk           map[string]DiskUsage
	UptimeMs       *int64
	Realtime       map[string][][2]int64
	TrafficClasses map[string]string
	// At is the simulator clock when each endpoint last answered.
	At map[Endpoint]time.Time
}

// Stats counts what a target (an appliance or the Orchestrator) was asked.
type Stats struct {
	// Requests per endpoint, every answer included (errors too).
	Requests map[Endpoint]int64
	// Logins counts successful logins, FailedLogins refused ones.
	Logins, FailedLogins int64
	// Logouts counts successful logouts.
	Logouts int64
	// LastSession is how long the last session a logout ended lasted, from
	// its login to its logout, on the real clock (not Config.Now): for a
	// collector, the time it held the appliance. Zero before the first
	// logout.
	LastSession time.Duration
	// OpenSessions is the number of sessions neither logged out nor expired.
	OpenSessions int
	// Connections counts the TCP connections the target accepted (each one
	// before its TLS handshake, so failed handshakes count too).
	Connections int64
	// ResumedConnections counts the connections whose TLS handshake resumed
	// an earlier session (tls.ConnectionState.DidResume), once per
	// connection, when its first request arrives.
	ResumedConnections int64
	// OpenConnections is the number of those connections not closed yet.
	OpenConnections int64
}

// recorder keeps the Served values of one appliance.
type recorder struct {
	mu sync.Mutex
	s  Served
}

func (r *recorder) record(ep Endpoint, at time.Time, f func(*Served)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(&r.s)
	if r.s.At == nil {
		r.s.At = map[Endpoint]time.Time{}
	}
	r.s.At[ep] = at
}

func (r *recorder) snapshot() Served {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.s
	s.Tunnels = maps.Clone(r.s.Tunnels)
	s.At = maps.Clone(r.s.At)
	// Shared with the cached answers they came from: hand out copies.
	s.Deployment = slices.Clone(r.s.Deployment)
	s.TrafficClasses = maps.Clone(r.s.TrafficClasses)
	return s
}

// counters is the per-target request accounting. The map is built once and
// only read afterwards.
type counters struct {
	requests            map[Endpoint]*atomic.Int64
	logins, failed, out atomic.Int64
	lastSession         atomic.Int64 // nanoseconds, Stats.LastSession
	conns, resumed      atomic.Int64
	open                atomic.Int64 // connections not closed yet
}

func newCounters(eps []Endpoint) *counters {
	c := &counters{requests: make(map[Endpoint]*atomic.Int64, len(eps))}
	for _, ep := range eps {
		c.requests[ep] = new(atomic.Int64)
	}
	return c
}

// loggedOut counts a logout that ended a session of the given length.
func (c *counters) loggedOut(lasted time.Duration) {
	c.out.Add(1)
	c.lastSession.Store(int64(lasted))
}

func (c *counters) hit(ep Endpoint) int64 {
	if n, ok := c.requests[ep]; ok {
		return n.Add(1)
	}
	return 0
}

func (c *counters) stats(open int) Stats {
	st := Stats{Requests: make(map[Endpoint]int64, len(c.requests)), Logins: c.logins.Load(),
		FailedLogins: c.failed.Load(), Logouts: c.out.Load(), LastSession: time.Duration(c.lastSession.Load()), OpenSessions: open,
		Connections: c.conns.Load(), ResumedConnections: c.resumed.Load(), OpenConnections: c.open.Load()}
	for ep, n := range c.requests {
		if v := n.Load(); v > 0 {
			st.Requests[ep] = v
		}
	}
	return st
}
