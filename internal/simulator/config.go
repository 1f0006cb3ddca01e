package simulator

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"time"
)

// Default credentials the simulator accepts when Config leaves them empty.
// They are the simulator's own and protect nothing.
const (
	DefaultAPIKey       = "sim-api-key"
	DefaultOrchUser     = "admin"
	DefaultOrchPassword = "sim-password"
	DefaultECUser       = "admin"
	DefaultECPassword   = "sim-password"
	DefaultListenHost   = "127.0.0.1"
)

// DefaultSlowDelay is how long a slow endpoint (Fault.SlowEndpoints) stalls
// when Fault.SlowDelay is zero: far longer than any client timeout.
const DefaultSlowDelay = 10 * time.Minute

// DefaultSessionIdle is how long an appliance or Orchestrator session stays
// valid without being used (measured with Config.Now).
const DefaultSessionIdle = 30 * time.Minute

// Config configures a Simulator. The zero value plus Appliances is usable.
type Config struct {
	// Appliances is the number of simulated appliances (1 or more).
	Appliances int
	// Seed makes the fleet and every served value deterministic.
	Seed int64
	// HostnamePrefix is put before every appliance hostname, so that the
	// fleets of several simulated Orchestrators (whose nePks are the same:
	// 1.NE, 2.NE, ...) have hostnames of their own. Default none.
	HostnamePrefix string
	// ListenHost is the host every listener binds to. Default 127.0.0.1.
	ListenHost string
	// AdvertiseHost is the host written into appliance addresses ("ip") and
	// the Orchestrator URL. Default ListenHost.
	AdvertiseHost string
	// OrchestratorAddr is host:port of the Orchestrator listener. An empty
	// host means ListenHost; port 0 (or an empty value) means a free port.
	OrchestratorAddr string

	// APIKey is the Orchestrator X-Auth-Token. Default DefaultAPIKey.
	APIKey string
	// OrchUser and OrchPassword are accepted by POST
	// /gms/rest/authentication/login. Defaults DefaultOrchUser and
	// DefaultOrchPassword.
	OrchUser, OrchPassword string
	// OrchLoginType declares where OrchUser lives: 0 local (the default),
	// 1 RADIUS, 2 TACACS+. A login whose loginType differs (a missing one is
	// 0) is refused with 401, as the Orchestrator cannot find the user in
	// the directory it was told to ask.
	OrchLoginType int
	// ECUser and ECPassword are accepted by every appliance's POST
	// /rest/json/login (an admin-role user). Defaults DefaultECUser and
	// DefaultECPassword.
	ECUser, ECPassword string
	// ECMonitorUser and ECMonitorPassword, when both set, are an extra
	// monitor-role appliance user: it may log in but GET /cpustat answers
	// 403 to it, as ECOS does for non-admin users.
	ECMonitorUser, ECMonitorPassword string

	// ApplianceHosts gives appliances, by nePk ("2.NE"), a listen host of
	// their own instead of ListenHost, written into their address as is
	// (not AdvertiseHost): e.g. distinct loopback addresses 127.0.1.N, as
	// Linux accepts binding any address of 127.0.0.0/8, so that appliances
	// sit in different subnets.
	ApplianceHosts map[string]string
	// ApplianceCredentials gives appliances, by nePk, an admin user and
	// password of their own instead of ECUser and ECPassword.
	ApplianceCredentials map[string]Credentials

	// Now is the clock. It decides the minute window, uptimes, sample times
	// and session expiry. Default time.Now.
	Now func() time.Time
	// SessionIdle is how long a session stays valid without use. Default
	// DefaultSessionIdle.
	SessionIdle time.Duration
	// ArchiveCacheBytes bounds the LRU cache of generated archives. Zero
	// means 64 MiB; a negative value disables the cache.
	ArchiveCacheBytes int64
	// ArchiveCompression is how minute archives are compressed. Default
	// ArchiveCompressionFast.
	ArchiveCompression ArchiveCompression

	// OrchestratorRelease is the release GET /gmsserver/briefInfo reports;
	// it decides the pass-through URL form served (path form before 9.3,
	// query form from 9.3). Default DefaultOrchestratorRelease.
	OrchestratorRelease string
	// Passthrough sets the pass-through's own latency and rate limit.
	Passthrough Passthrough

	// Faults are the faults in force from the start. SetFault changes them
	// per appliance while serving.
	Faults Faults
}

// Credentials are an appliance user and its password.
type Credentials struct {
	User, Password string
}

// ArchiveCompression is how the simulator compresses minute archives.
type ArchiveCompression string

const (
	// ArchiveCompressionFast deflates at gzip.BestSpeed: archives about a
	// fifth of the tar's size, as a real appliance's are compressed, so a
	// collector pays a realistic decompression cost.
	ArchiveCompressionFast ArchiveCompression = "fast"
	// ArchiveCompressionNone writes stored deflate blocks: a valid gzip
	// stream about the size of the tar that costs almost no CPU to write
	// or to read; for load tests where the simulator must stay cheap and
	// the collector's decompression cost is not what is measured.
	ArchiveCompressionNone ArchiveCompression = "none"
)

// Endpoint names one served route. Appliance endpoints are the path below
// /rest/json prefixed with it, Orchestrator endpoints the path below
// /gms/rest prefixed with it.
type Endpoint string

// Orchestrator endpoints.
const (
	EndpointOrchLogin       Endpoint = "/gms/rest/authentication/login"
	EndpointOrchLogout      Endpoint = "/gms/rest/authentication/logout"
	EndpointBriefInfo       Endpoint = "/gms/rest/gmsserver/briefInfo"
	EndpointHello           Endpoint = "/gms/rest/gmsserver/hello"
	EndpointAppliances      Endpoint = "/gms/rest/appliance"
	EndpointInterfaceLabels Endpoint = "/gms/rest/gms/interfaceLabels"
	EndpointOverlays        Endpoint = "/gms/rest/gms/overlays/config"
	EndpointLicenses        Endpoint = "/gms/rest/license/portal/appliance"
)

// Appliance endpoints.
const (
	EndpointLogin                   Endpoint = "/rest/json/login"
	EndpointLogout                  Endpoint = "/rest/json/logout"
	EndpointMinuteRange             Endpoint = "/rest/json/stats/minuteRange"
	EndpointMinuteStats             Endpoint = "/rest/json/stats/minuteStats"
	EndpointDeployment              Endpoint = "/rest/json/deployment"
	EndpointMemory                  Endpoint = "/rest/json/memory"
	EndpointCPUStat                 Endpoint = "/rest/json/cpustat"
	EndpointSubnets                 Endpoint = "/rest/json/subnets3/all"
	EndpointAlarm                   Endpoint = "/rest/json/alarm"
	EndpointTunnelIDs               Endpoint = "/rest/json/tunnelAllIDs"
	EndpointBondedTunnelIDs         Endpoint = "/rest/json/bondedTunnels/allIDs"
	EndpointThirdPartyTunnelIDs     Endpoint = "/rest/json/thirdPartyTunnels/allIDs"
	EndpointTunnelAliases           Endpoint = "/rest/json/tunnelAliases"
	EndpointBondedTunnelAliases     Endpoint = "/rest/json/bondedTunnels/aliases"
	EndpointThirdPartyTunnelAliases Endpoint = "/rest/json/thirdPartyTunnels/aliases"
	EndpointDiskUsage               Endpoint = "/rest/json/diskUsage"
	EndpointSystemInfo              Endpoint = "/rest/json/systemInfo"
	EndpointRealtimeStats           Endpoint = "/rest/json/stats/realtimeStats"
	EndpointTrafficClass            Endpoint = "/rest/json/trafficclass"
)

// EndpointAll in Fault.ErrorRate applies to every endpoint without its own
// entry.
const EndpointAll Endpoint = "*"

// OrchestratorID is the id SetFault takes to change the Orchestrator's fault.
const OrchestratorID = "orchestrator"

// Fault is what goes wrong for one appliance (or the Orchestrator). The zero
// value means no fault. A Fault is treated as immutable once passed in.
type Fault struct {
	// Latency is added before every response.
	Latency time.Duration
	// HandshakeLatency is added before the server answers the TLS
	// ClientHello of every new connection, resumed ones included: what a
	// connection's set-up costs across a WAN before its first request
	// (about two round trips, TCP's and TLS 1.3's). Loopback connections
	// otherwise open at once, so without it only Latency shows the WAN.
	HandshakeLatency time.Duration
	// ErrorRate maps an endpoint (or EndpointAll) to the probability, 0 to 1,
	// that a request to it fails with ErrorStatus. The draw is deterministic
	// from the seed, the appliance and the endpoint's request counter.
	ErrorRate map[Endpoint]float64
	// ErrorStatus is the status of injected errors. Default 500.
	ErrorStatus int
	// BadCredentials makes every login answer 401 (and, on the
	// Orchestrator, rejects the API key too).
	BadCredentials bool
	// EchoLogin makes a refused login (POST /login, POST
	// /authentication/login) answer 401 with a JSON body that quotes the
	// request body, credentials included, as some servers do.
	EchoLogin bool
	// CorruptArchive serves minute archives truncated to half their length,
	// which no gzip reader accepts.
	CorruptArchive bool
	// SlowEndpoints stall for SlowDelay before answering. A stalled request
	// ends early when the client goes away or the simulator closes.
	SlowEndpoints []Endpoint
	// SlowDelay is the stall of SlowEndpoints. Default DefaultSlowDelay.
	SlowDelay time.Duration
	// MalformedJSON endpoints answer 200 with a truncated JSON document
	// (after authentication), to test how a client reports a broken answer.
	MalformedJSON []Endpoint
	// StringMinuteRange serves GET /stats/minuteRange with newest and
	// oldest as numeric strings, as one known fake appliance does, to test
	// a client's tolerance.
	StringMinuteRange bool
	// TruncateArchive, within (0, 1), sends that fraction of each minute
	// archive under a Content-Length of the whole archive, then drops the
	// connection: the client reads an unexpected EOF. 0 sends archives whole.
	TruncateArchive float64
	// StallArchive sends the first half of each minute archive (under a
	// Content-Length of the whole archive), then stalls this long before
	// sending the rest. The stall ends early when the client goes away or
	// the simulator closes.
	StallArchive time.Duration
	// Hostname, when set, replaces the appliance's hostname wherever the
	// Orchestrator and the appliance serve it (appliance list, licences,
	// /systemInfo, ApplianceInfo), to test names line protocol cannot carry
	// as they are (control characters, a trailing backslash).
	Hostname string
	// ExtraInterfaceRows appends that many distinct rows (interfaces
	// xif000000, xif000001, ...) to interface_v2.txt of every archive
	// served, to test huge archives. Such archives are built per request,
	// not cached.
	ExtraInterfaceRows int
	// MinutesFrozenAt, when set, stops the minute statistics at that time,
	// as on an appliance whose statistics process hangs: GET
	// /stats/minuteRange keeps answering the last minute boundary at or
	// before it as the newest, and later archives answer 404.
	MinutesFrozenAt time.Time
	// FixedTunnels replaces the modelled tunnel outages on the tunnel id
	// and alias endpoints: every tunnel is Up except the first TunnelsDown
	// real tunnels (underlay, then overlay, then third-party, in the
	// appliance's order), which are Down. Alarms and minute statistics
	// keep the model.
	FixedTunnels bool
	// TunnelsDown is the number of tunnels Down under FixedTunnels.
	TunnelsDown int
	// FixedAlarms replaces the modelled outstanding alarms of GET /alarm
	// (and the summary counted from them) with Alarms, so that a test can
	// raise and clear alarms at will with SetFault.
	FixedAlarms bool
	// Alarms are the outstanding alarms served under FixedAlarms.
	Alarms []Alarm
	// TunnelQuality, when set, overrides the loss, latency and jitter of
	// the SD-WAN tunnels in the minute statistics served from then on
	// (quality.go).
	TunnelQuality *TunnelQuality
	// SystemBandwidthKbps, when positive, replaces the SYSTEM inbound and
	// outbound bandwidth GET /deployment serves.
	SystemBandwidthKbps int64
}

// Alarm is one outstanding alarm served under Fault.FixedAlarms.
type Alarm struct {
	Severity     int // 0 info, 1 warning, 2 minor, 3 major, 4 critical
	SequenceID   int64
	Name         string // alarm type name, e.g. tunnel_down
	Type         string // HW or SW
	Source       string // e.g. System or a tunnel alias
	Description  string
	Time         time.Time // raised; the zero time is served as 0 (not sent)
	Acknowledged bool
	Clearable    bool
}

// clone returns a copy that shares no map or slice with f.
func (f Fault) clone() Fault {
	f.ErrorRate = maps.Clone(f.ErrorRate)
	f.SlowEndpoints = slices.Clone(f.SlowEndpoints)
	f.Alarms = slices.Clone(f.Alarms)
	if f.TunnelQuality != nil {
		q := *f.TunnelQuality
		f.TunnelQuality = &q
	}
	f.MalformedJSON = slices.Clone(f.MalformedJSON)
	return f
}

// LoopbackHosts gives appliances 1.NE to n.NE loopback addresses of their
// own, for Config.ApplianceHosts: 127.16.0.1 to 127.16.0.254, 127.16.1.1,
// and so on (Linux answers on every address of 127.0.0.0/8 without
// set-up). A client then keeps a TLS session per appliance, as against a
// fleet.
func LoopbackHosts(n int) map[string]string {
	hosts := make(map[string]string, n)
	for i := range n {
		a := i / 254
		hosts[fmt.Sprintf("%d.NE", i+1)] = fmt.Sprintf("127.%d.%d.%d", 16+a/256, a%256, i%254+1)
	}
	return hosts
}

// Faults is the initial fault configuration of a Simulator.
type Faults struct {
	// Appliances applies to every appliance without an entry in
	// PerAppliance.
	Appliances Fault
	// PerAppliance maps an appliance id (nePk) to its own fault.
	PerAppliance map[string]Fault
	// Orchestrator applies to the Orchestrator.
	Orchestrator Fault
	// UnreachableFraction, 0 to 1, is the share of the appliances that the
	// Orchestrator reports as reachable (state other than 2) whose address
	// nevertheless refuses connections. The choice is deterministic from the
	// seed. Orchestrator state 2 appliances are always unreachable. It is
	// fixed at New; it cannot change while serving.
	UnreachableFraction float64
}

func (c Config) withDefaults() Config {
	if c.ListenHost == "" {
		c.ListenHost = DefaultListenHost
	}
	if c.AdvertiseHost == "" {
		c.AdvertiseHost = c.ListenHost
	}
	if c.APIKey == "" {
		c.APIKey = DefaultAPIKey
	}
	if c.OrchUser == "" {
		c.OrchUser = DefaultOrchUser
	}
	if c.OrchPassword == "" {
		c.OrchPassword = DefaultOrchPassword
	}
	if c.ECUser == "" {
		c.ECUser = DefaultECUser
	}
	if c.ECPassword == "" {
		c.ECPassword = DefaultECPassword
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.SessionIdle <= 0 {
		c.SessionIdle = DefaultSessionIdle
	}
	if c.ArchiveCacheBytes == 0 {
		c.ArchiveCacheBytes = 64 << 20
	}
	if c.ArchiveCompression == "" {
		c.ArchiveCompression = ArchiveCompressionFast
	}
	if c.OrchestratorRelease == "" {
		c.OrchestratorRelease = DefaultOrchestratorRelease
	}
	if c.OrchestratorAddr == "" {
		c.OrchestratorAddr = ":0"
	}
	return c
}

func (c Config) validate() error {
	var errs []error
	if c.Appliances < 1 {
		errs = append(errs, fmt.Errorf("appliances must be at least 1, got %d", c.Appliances))
	}
	if c.ArchiveCompression != ArchiveCompressionFast && c.ArchiveCompression != ArchiveCompressionNone {
		errs = append(errs, fmt.Errorf("archive compression must be %q or %q, got %q", ArchiveCompressionFast,
			ArchiveCompressionNone, c.ArchiveCompression))
	}
	if c.Appliances > 100000 {
		errs = append(errs, fmt.Errorf("appliances must be at most 100000, got %d", c.Appliances))
	}
	if f := c.Faults.UnreachableFraction; f < 0 || f > 1 {
		errs = append(errs, fmt.Errorf("unreachable fraction must be within 0..1, got %v", f))
	}
	host, port, err := net.SplitHostPort(c.OrchestratorAddr)
	if err != nil {
		errs = append(errs, fmt.Errorf("orchestrator address %q: %w", c.OrchestratorAddr, err))
	} else {
		if host != "" && host != c.ListenHost {
			errs = append(errs, fmt.Errorf("orchestrator host %q differs from listen host %q", host, c.ListenHost))
		}
		if port != "" {
			if _, err := strconv.ParseUint(port, 10, 16); err != nil {
				errs = append(errs, fmt.Errorf("orchestrator port %q is not a port number", port))
			}
		}
	}
	if c.Passthrough.Latency < 0 || c.Passthrough.RateLimit < 0 {
		errs = append(errs, errors.New("pass-through latency and rate limit must not be negative"))
	}
	if (c.ECMonitorUser == "") != (c.ECMonitorPassword == "") {
		errs = append(errs, errors.New("monitor user and password must be set together"))
	}
	for id, h := range c.ApplianceHosts {
		if net.ParseIP(h) == nil {
			errs = append(errs, fmt.Errorf("appliance %s: listen host %q is not an IP address", id, h))
		}
	}
	for id, cr := range c.ApplianceCredentials {
		if cr.User == "" || cr.Password == "" {
			errs = append(errs, fmt.Errorf("appliance %s: credentials need a user and a password", id))
		}
	}
	if c.OrchLoginType < 0 || c.OrchLoginType > 2 {
		errs = append(errs, fmt.Errorf("orchestrator login type %d must be 0 (local), 1 (RADIUS) or 2 (TACACS+)", c.OrchLoginType))
	}
	if c.ECMonitorUser != "" && c.ECMonitorUser == c.ECUser {
		errs = append(errs, errors.New("monitor user must differ from the admin user"))
	}
	for _, f := range append([]Fault{c.Faults.Appliances, c.Faults.Orchestrator}, mapValues(c.Faults.PerAppliance)...) {
		if err := f.validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (f Fault) validate() error {
	var errs []error
	if f.Latency < 0 {
		errs = append(errs, fmt.Errorf("fault latency must not be negative, got %v", f.Latency))
	}
	if f.HandshakeLatency < 0 {
		errs = append(errs, fmt.Errorf("fault handshake latency must not be negative, got %v", f.HandshakeLatency))
	}
	for ep, r := range f.ErrorRate {
		if r < 0 || r > 1 {
			errs = append(errs, fmt.Errorf("fault error rate of %s must be within 0..1, got %v", ep, r))
		}
	}
	if f.ErrorStatus != 0 && (f.ErrorStatus < 400 || f.ErrorStatus > 599) {
		errs = append(errs, fmt.Errorf("fault error status must be 4xx or 5xx, got %d", f.ErrorStatus))
	}
	if f.SlowDelay < 0 {
		errs = append(errs, fmt.Errorf("fault slow delay must not be negative, got %v", f.SlowDelay))
	}
	if f.TruncateArchive < 0 || f.TruncateArchive >= 1 {
		errs = append(errs, fmt.Errorf("fault archive truncation must be within 0..1 (exclusive), got %v", f.TruncateArchive))
	}
	if f.StallArchive < 0 {
		errs = append(errs, fmt.Errorf("fault archive stall must not be negative, got %v", f.StallArchive))
	}
	if f.TunnelsDown < 0 || (f.TunnelsDown > 0 && !f.FixedTunnels) {
		errs = append(errs, fmt.Errorf("fault tunnels down must be 0, or positive with fixed tunnels, got %d", f.TunnelsDown))
	}
	if len(f.Alarms) > 0 && !f.FixedAlarms {
		errs = append(errs, errors.New("fault alarms need fixed alarms"))
	}
	if f.TunnelQuality != nil {
		if err := f.TunnelQuality.validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if f.SystemBandwidthKbps < 0 {
		errs = append(errs, fmt.Errorf("fault system bandwidth must not be negative, got %d", f.SystemBandwidthKbps))
	}
	if f.ExtraInterfaceRows < 0 {
		errs = append(errs, fmt.Errorf("fault extra interface rows must not be negative, got %d", f.ExtraInterfaceRows))
	}
	return errors.Join(errs...)
}

func mapValues[K comparable, V any](m map[K]V) []V {
	out := make([]V, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
