package simulator

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"iter"
	"log"
	"maps"
	"net"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
)

// ApplianceInfo describes one simulated appliance as the Orchestrator lists
// it, plus whether it can be reached.
type ApplianceInfo struct {
	ID                  string // nePk, "N.NE"
	Hostname            string
	Address             string // "host:port"; "" before Start
	Hub                 bool
	State               int // Orchestrator state: 0 unknown, 1 normal, 2 unreachable, 4 out of sync
	ReachabilityChannel int // 2 websocket, 4 cloud portal relay
	Reachable           bool
	Model               string
	Platform            string
	SoftwareVersion     string
	Site                string
	Serial              string
	LicenseDisplay      string
	LicenseBandwidth    int64 // Kbps; 0 means unlimited
}

// Simulator serves the Orchestrator and the appliances. Create it with New,
// then Start it; Close stops it.
type Simulator struct {
	cfg   Config
	fleet *fleet
	cache *archiveCache
	orch  *target
	apps  []*target
	byID  map[string]*target
	start time.Time // clock at New

	appMux  *http.ServeMux
	orchMux *http.ServeMux
	pass    passSeconds // pass-through requests per second
	tc      trafficClasses
	regexps regexpCache

	mu        sync.Mutex
	started   bool
	srv       *http.Server
	reserved  []io.Closer // the ports held for the unreachable appliances, released by Close
	byPort    map[int]*target
	orchURL   string
	certPEM   []byte
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
	serveWG   sync.WaitGroup
	connWG    sync.WaitGroup
}

// target is the Orchestrator or one appliance: what it serves and its
// runtime state.
type target struct {
	orch        bool
	def         *applianceDef // nil for the Orchestrator
	key         uint64        // hash key for fault draws
	fault       atomic.Pointer[Fault]
	counters    *counters
	sessions    sessionStore
	served      recorder
	deploy      atomic.Pointer[deployBody] // the last GET /deployment answer
	unreachable bool
	address     string
	listener    net.Listener // nil for the Orchestrator and unreachable appliances
}

// New builds a simulator from cfg. Nothing listens until Start.
func New(cfg Config) (*Simulator, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("invalid simulator config: %w", err)
	}
	now := cfg.Now()
	s := &Simulator{
		cfg:   cfg,
		fleet: newFleet(cfg.Seed, cfg.Appliances, now, cfg.HostnamePrefix),
		cache: newArchiveCache(cfg.ArchiveCacheBytes),
		byID:  make(map[string]*target, cfg.Appliances),
		start: now,
		done:  make(chan struct{}),
		tc:    newTrafficClasses(),
	}
	s.orch = &target{orch: true, key: 1 << 40, counters: newCounters(orchEndpoints)}
	of := cfg.Faults.Orchestrator.clone()
	s.orch.fault.Store(&of)
	for _, m := range []struct {
		what string
		ids  iter.Seq[string]
	}{{"fault", maps.Keys(cfg.Faults.PerAppliance)}, {"listen host", maps.Keys(cfg.ApplianceHosts)},
		{"credentials", maps.Keys(cfg.ApplianceCredentials)}} {
		for id := range m.ids {
			if _, ok := s.fleet.byID[id]; !ok {
				return nil, fmt.Errorf("invalid simulator config: %s for unknown appliance %q", m.what, id)
			}
		}
	}
	for _, d := range s.fleet.apps {
		t := &target{def: d, key: uint64(d.idx), counters: newCounters(applianceEndpoints)}
		f := cfg.Faults.Appliances.clone()
		if pf, ok := cfg.Faults.PerAppliance[d.id]; ok {
			f = pf.clone()
		}
		t.fault.Store(&f)
		t.unreachable = d.state == 2
		s.apps = append(s.apps, t)
		s.byID[d.id] = t
	}
	s.pickUnreachable()
	s.appMux = s.applianceMux()
	s.orchMux = s.orchestratorMux()
	return s, nil
}

// pickUnreachable marks round(fraction x candidates) of the appliances that
// the Orchestrator believes reachable as unreachable, chosen by seed.
func (s *Simulator) pickUnreachable() {
	var cand []*target
	for _, t := range s.apps {
		if !t.unreachable {
			cand = append(cand, t)
		}
	}
	n := int(float64(len(cand))*s.cfg.Faults.UnreachableFraction + 0.5)
	sort.Slice(cand, func(i, j int) bool {
		return hashKeys(s.fleet.seed, streamUnreachable, cand[i].key) < hashKeys(s.fleet.seed, streamUnreachable, cand[j].key)
	})
	for _, t := range cand[:n] {
		t.unreachable = true
	}
}

type ctxKey struct{}

// connKey carries the *connInfo of the connection a request came in on.
type connKey struct{}

// connInfo is what the simulator keeps about one accepted connection.
type connInfo struct {
	t       *target
	checked atomic.Bool // the first request looked at DidResume
}

// Start opens the listeners and serves in the background until Close is
// called or ctx is cancelled (which closes the simulator as Close does).
func (s *Simulator) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("simulator already started")
	}
	select {
	case <-s.done:
		return errors.New("simulator closed")
	default:
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.started = true
	host := s.cfg.ListenHost
	cert, certPEM, err := selfSigned(host, s.cfg.AdvertiseHost)
	if err != nil {
		return fmt.Errorf("simulator certificate: %w", err)
	}
	s.certPEM = certPEM
	var ownHosts []string // those not already named by cert
	for _, h := range s.cfg.ApplianceHosts {
		if ip := net.ParseIP(h); !slices.ContainsFunc(cert.Leaf.IPAddresses, ip.Equal) {
			ownHosts = append(ownHosts, ip.String())
		}
	}
	own, err := hostCerts(cert, ownHosts)
	if err != nil {
		return fmt.Errorf("simulator certificate: %w", err)
	}
	tlsCfg := &tls.Config{NextProtos: []string{"http/1.1"},
		MinVersion: tls.VersionTLS12, GetConfigForClient: s.delayHandshake,
		// An appliance on an address of its own presents that address's
		// certificate; the others the simulator's own. (Go asks this only
		// without Certificates: clients of an IP address send no name.)
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			if h, _, err := net.SplitHostPort(hello.Conn.LocalAddr().String()); err == nil {
				if c, ok := own[net.ParseIP(h).String()]; ok {
					return c, nil
				}
			}
			return &cert, nil
		}}

	var lns []net.Listener
	fail := func(err error) error {
		for _, l := range lns {
			l.Close()
		}
		return err
	}
	_, orchPort, _ := net.SplitHostPort(s.cfg.OrchestratorAddr)
	if orchPort == "" {
		orchPort = "0"
	}
	ol, err := net.Listen("tcp", net.JoinHostPort(host, orchPort))
	if err != nil {
		return fail(fmt.Errorf("listen orchestrator: %w", err))
	}
	lns = append(lns, ol)
	s.byPort = map[int]*target{portOf(ol.Addr()): s.orch}
	s.orchURL = "https://" + net.JoinHostPort(s.cfg.AdvertiseHost, strconv.Itoa(portOf(ol.Addr())))
	// Listeners are told apart by port: one bound to an address of its own
	// (ApplianceHosts) could get a port already in use on another address,
	// so such a port is held and another one taken.
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	listen := func(t *target) (net.Listener, error) {
		for {
			l, err := net.Listen("tcp", net.JoinHostPort(s.hostOf(t, host), "0"))
			if err != nil {
				return nil, err
			}
			if _, used := s.byPort[portOf(l.Addr())]; !used {
				return l, nil
			}
			held = append(held, l)
		}
	}
	for _, t := range s.apps {
		if t.unreachable {
			continue
		}
		l, err := listen(t)
		if err != nil {
			return fail(fmt.Errorf("listen appliance %s: %w", t.def.id, err))
		}
		lns = append(lns, l)
		t.listener = l
		s.byPort[portOf(l.Addr())] = t
		t.address = net.JoinHostPort(s.hostOf(t, s.cfg.AdvertiseHost), strconv.Itoa(portOf(l.Addr())))
	}
	// Unreachable appliances get a port that refuses connections, held
	// until Close so that no server started later takes it.
	for _, t := range s.apps {
		if !t.unreachable {
			continue
		}
		port, hold, err := reservePort(s.hostOf(t, host))
		if err != nil {
			s.releasePorts()
			return fail(fmt.Errorf("appliance %s: %w", t.def.id, err))
		}
		s.reserved = append(s.reserved, hold)
		t.address = net.JoinHostPort(s.hostOf(t, s.cfg.AdvertiseHost), strconv.Itoa(port))
	}

	s.srv = &http.Server{
		Handler:           http.HandlerFunc(s.serveHTTP),
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          log.New(io.Discard, "", 0), // the package never logs
		TLSNextProto:      map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			t := s.byPort[portOf(c.LocalAddr())]
			if t != nil {
				t.counters.conns.Add(1)
				t.counters.open.Add(1)
			}
			return context.WithValue(context.WithValue(ctx, ctxKey{}, t), connKey{}, &connInfo{t: t})
		},
		ConnState: func(c net.Conn, st http.ConnState) {
			switch st {
			case http.StateNew:
				s.connWG.Add(1)
			case http.StateClosed, http.StateHijacked:
				if t := s.byPort[portOf(c.LocalAddr())]; t != nil {
					t.counters.open.Add(-1)
				}
				s.connWG.Done()
			}
		},
	}
	for _, l := range lns {
		s.serveWG.Add(1)
		go func(l net.Listener) {
			defer s.serveWG.Done()
			_ = s.srv.Serve(tls.NewListener(l, tlsCfg)) // returns ErrServerClosed on Close
		}(l)
	}
	context.AfterFunc(ctx, func() { _ = s.Close() })
	return nil
}

// delayHandshake holds the answer to a ClientHello for the target's
// Fault.HandshakeLatency. It keeps the listener's configuration.
func (s *Simulator) delayHandshake(hello *tls.ClientHelloInfo) (*tls.Config, error) {
	t := s.byPort[portOf(hello.Conn.LocalAddr())]
	if t == nil {
		return nil, nil
	}
	if !s.wait(hello.Context(), t.fault.Load().HandshakeLatency) {
		return nil, errors.New("handshake cut short")
	}
	return nil, nil
}

// hostOf returns the host of appliance t's own (Config.ApplianceHosts), or
// def.
func (s *Simulator) hostOf(t *target, def string) string {
	if h, ok := s.cfg.ApplianceHosts[t.def.id]; ok {
		return h
	}
	return def
}

func portOf(a net.Addr) int {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.Port
	}
	_, p, _ := net.SplitHostPort(a.String())
	n, _ := strconv.Atoi(p)
	return n
}

// Close stops serving: it closes every listener and connection, ends stalled
// requests and waits until every connection goroutine has returned. It is
// safe to call more than once and concurrently.
func (s *Simulator) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		srv := s.srv
		close(s.done)
		s.mu.Unlock()
		if srv == nil {
			return
		}
		// A listener TakeOffline closed may not have left the server's
		// list yet (its Serve returns a moment later): closing it again
		// is no failure.
		if err := srv.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			s.closeErr = err
		}
		s.serveWG.Wait()
		s.connWG.Wait()
		s.releasePorts()
	})
	return s.closeErr
}

// releasePorts gives back the ports held for the unreachable appliances.
func (s *Simulator) releasePorts() {
	for _, r := range s.reserved {
		r.Close()
	}
	s.reserved = nil
}

// reserveFreePort returns a port that was free on host, closed again: it
// refuses connections until something else binds it.
func reserveFreePort(host string) (int, io.Closer, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, nil, fmt.Errorf("reserve a port on %s: %w", host, err)
	}
	port := portOf(l.Addr())
	if err := l.Close(); err != nil {
		return 0, nil, fmt.Errorf("reserve a port on %s: %w", host, err)
	}
	return port, nothingHeld{}, nil
}

// nothingHeld is the hold of a port that is not held.
type nothingHeld struct{}

func (nothingHeld) Close() error { return nil }

// OrchestratorURL returns https://host:port of the Orchestrator, or "" before
// Start.
func (s *Simulator) OrchestratorURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.orchURL
}

// CertificatePEM returns the PEM of the simulator's self-signed
// certificate, or nil before Start. Every listener presents it, except an
// appliance on a host of its own (Config.ApplianceHosts), which presents
// a certificate for that host signed by it.
func (s *Simulator) CertificatePEM() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.certPEM
}

// RootCAs returns a pool holding the simulator's certificate, for clients
// that verify TLS, or nil before Start.
func (s *Simulator) RootCAs() *x509.CertPool {
	pem := s.CertificatePEM()
	if pem == nil {
		return nil
	}
	p := x509.NewCertPool()
	p.AppendCertsFromPEM(pem)
	return p
}

// Appliances lists the fleet in Orchestrator order.
func (s *Simulator) Appliances() []ApplianceInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ApplianceInfo, len(s.apps))
	for i, t := range s.apps {
		out[i] = t.info()
	}
	return out
}

func (t *target) info() ApplianceInfo {
	d := t.def
	return ApplianceInfo{ID: d.id, Hostname: t.hostname(), Address: t.address, Hub: d.hub, State: d.state,
		ReachabilityChannel: d.channel, Reachable: !t.unreachable, Model: d.model.name, Platform: d.platform,
		SoftwareVersion: d.version, Site: d.site, Serial: d.serial, LicenseDisplay: d.licence.display,
		LicenseBandwidth: d.licence.kbps}
}

func (s *Simulator) appliance(id string) (*target, error) {
	t, ok := s.byID[id]
	if !ok {
		return nil, fmt.Errorf("unknown appliance %q", id)
	}
	return t, nil
}

// SetFault replaces the fault of one appliance (by nePk) or, with
// OrchestratorID, of the Orchestrator. It is safe while serving; requests
// already past a check keep the fault they saw.
func (s *Simulator) SetFault(id string, f Fault) error {
	if err := f.validate(); err != nil {
		return err
	}
	f = f.clone()
	if id == OrchestratorID {
		s.orch.fault.Store(&f)
		return nil
	}
	t, err := s.appliance(id)
	if err != nil {
		return err
	}
	t.fault.Store(&f)
	return nil
}

// Window returns the minute-stats window at the simulator clock: newest is
// the last completed minute boundary, oldest is newest - 24 h + 60 s.
func (s *Simulator) Window() (newest, oldest int64) {
	return window(s.cfg.Now())
}

func window(now time.Time) (newest, oldest int64) {
	newest = floorDiv(now.Unix(), 60) * 60
	return newest, newest - 86400 + 60
}

// Archive returns the bytes GET /stats/minuteStats/st2-<minute>.tgz serves
// for the appliance (without fault injection), for any minute boundary.
func (s *Simulator) Archive(applianceID string, minute int64) ([]byte, error) {
	t, err := s.appliance(applianceID)
	if err != nil {
		return nil, err
	}
	if minute%60 != 0 {
		return nil, fmt.Errorf("minute %d is not a minute boundary", minute)
	}
	return s.archive(t.def, minute)
}

func (s *Simulator) archive(d *applianceDef, minute int64) ([]byte, error) {
	k := archiveKey{app: d.idx, minute: minute}
	if b, ok := s.cache.get(k); ok {
		return b, nil
	}
	b, err := buildArchive(s.fleet.generate(d, minute), s.cfg.ArchiveCompression)
	if err != nil {
		return nil, fmt.Errorf("appliance %s: build st2-%d.tgz: %w", d.id, minute, err)
	}
	s.cache.put(k, b)
	return b, nil
}

// ExpectedMinutePoints returns the points that the archive of the minute
// should produce in InfluxDB: the demo's mapping of the eight *_v2.txt files
// with its defects fixed, plus tunnel_availability, tunnel_peak_stats and
// probe_stats (docs/simulator.md lists the rules). They are computed from
// the same model the archive is rendered from. Any minute boundary is
// accepted, inside the served window or not.
func (s *Simulator) ExpectedMinutePoints(applianceID string, minute int64) ([]telemetry.Point, error) {
	t, err := s.appliance(applianceID)
	if err != nil {
		return nil, err
	}
	if minute%60 != 0 || minute <= 0 {
		return nil, fmt.Errorf("minute %d is not a minute boundary", minute)
	}
	pts := s.fleet.generate(t.def, minute).points()
	if h := t.fault.Load().Hostname; h != "" {
		for _, p := range pts {
			p.Tags.Set(telemetry.TagHostname, telemetry.TagValue(h))
		}
	}
	return pts, nil
}

// LastServed returns the last values the appliance served on its
// point-in-time endpoints.
func (s *Simulator) LastServed(applianceID string) (Served, error) {
	t, err := s.appliance(applianceID)
	if err != nil {
		return Served{}, err
	}
	return t.served.snapshot(), nil
}

// Stats returns the request, login, logout and connection counters of an
// appliance, or of the Orchestrator with OrchestratorID.
func (s *Simulator) Stats(id string) (Stats, error) {
	if id == OrchestratorID {
		return s.orch.counters.stats(s.orch.sessions.open(s.cfg.Now(), s.cfg.SessionIdle)), nil
	}
	t, err := s.appliance(id)
	if err != nil {
		return Stats{}, err
	}
	return t.counters.stats(t.sessions.open(s.cfg.Now(), s.cfg.SessionIdle)), nil
}

// ConnectionTotals returns the connections accepted and the connections
// that resumed a TLS session, summed over the Orchestrator and every
// appliance (Stats has them per target).
func (s *Simulator) ConnectionTotals() (connections, resumed int64) {
	connections, resumed = s.orch.counters.conns.Load(), s.orch.counters.resumed.Load()
	for _, t := range s.apps {
		connections += t.counters.conns.Load()
		resumed += t.counters.resumed.Load()
	}
	return connections, resumed
}

// serveHTTP dispatches on the listener the connection came in on. The
// first request of a connection counts it as resumed when its TLS handshake
// resumed a session.
func (s *Simulator) serveHTTP(w http.ResponseWriter, r *http.Request) {
	t, _ := r.Context().Value(ctxKey{}).(*target)
	if ci, _ := r.Context().Value(connKey{}).(*connInfo); ci != nil && ci.t != nil && !ci.checked.Load() &&
		ci.checked.CompareAndSwap(false, true) && r.TLS != nil && r.TLS.DidResume {
		ci.t.counters.resumed.Add(1)
	}
	switch {
	case t == nil:
		http.NotFound(w, r)
	case t.orch:
		s.orchMux.ServeHTTP(w, r)
	default:
		s.appMux.ServeHTTP(w, r)
	}
}

func targetOf(r *http.Request) *target {
	t, _ := r.Context().Value(ctxKey{}).(*target)
	return t
}

// wait blocks for d, or until the request ends or the simulator closes. It
// reports whether the full delay elapsed.
func (s *Simulator) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.done:
		return false
	}
}

// route wraps a handler with counting, fault injection and, when auth is
// set, the target's authentication check.
func (s *Simulator) route(ep Endpoint, auth func(*target, *http.Request) (*http.Request, bool),
	h func(http.ResponseWriter, *http.Request, *target)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t := targetOf(r)
		n := t.counters.hit(ep)
		f := t.fault.Load()
		// A wait cut short by Close (or by the client) sends no answer at
		// all: returning would let net/http answer an empty 200 on a
		// connection Close has not reached yet.
		if !s.wait(r.Context(), f.Latency) {
			panic(http.ErrAbortHandler)
		}
		for _, se := range f.SlowEndpoints {
			if se == ep || se == EndpointAll {
				d := f.SlowDelay
				if d == 0 {
					d = DefaultSlowDelay
				}
				if !s.wait(r.Context(), d) {
					panic(http.ErrAbortHandler)
				}
				break
			}
		}
		rate, ok := f.ErrorRate[ep]
		if !ok {
			rate = f.ErrorRate[EndpointAll]
		}
		if rate > 0 && unit(s.fleet.seed, streamErrorRate, t.key, strKey(string(ep)), uint64(n)) < rate {
			st := f.ErrorStatus
			if st == 0 {
				st = http.StatusInternalServerError
			}
			http.Error(w, "There was an internal server error.", st)
			return
		}
		if auth != nil {
			var ok bool
			if r, ok = auth(t, r); !ok {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
		}
		if slices.Contains(f.MalformedJSON, ep) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, malformedJSON)
			return
		}
		h(w, r, t)
	}
}
