package app

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/ec-telemetry/ec-telemetry/edgeconnect"
	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/worker"
)

// ApplianceDialer returns the worker's Dial: a client of the appliance at
// an address with base's settings and the login creds picks for that
// address (EC_CREDENTIALS_FILE, else EC_USER/EC_PW). With entries in
// creds, a refused login says which one it used (number and cidr, or
// EC_USER), never the password.
//
// When base.Transport is an *http.Transport, each client gets a clone of it
// (sharing its TLS session cache) whose connections a jobConns opens, and
// its Logout closes them: a job's connections are of no use once it ends
// (the next job for that appliance comes a cycle later), and idling for the
// transport's IdleConnTimeout they held the bulk of a worker's memory at
// hundreds of jobs a second.
func ApplianceDialer(creds config.ApplianceCredentials, base edgeconnect.Options) worker.Dialer {
	shared, _ := base.Transport.(*http.Transport)
	return func(addr string) (worker.Appliance, error) {
		o := base
		var entry int
		o.Address = addr
		o.User, o.Password, entry = creds.For(addr)
		var own *http.Transport
		var conns *jobConns
		if shared != nil {
			own = shared.Clone()
			conns = newJobConns(own)
			own.DialTLSContext = conns.dialTLS
			o.Transport = own
		}
		c, err := edgeconnect.New(o)
		if err != nil {
			return nil, err
		}
		var a worker.Appliance = c
		if len(creds.Entries) > 0 {
			via := "EC_USER"
			if entry > 0 {
				via = fmt.Sprintf("EC_CREDENTIALS_FILE entry %d (%s)", entry, creds.Entries[entry-1].Prefix)
			}
			a = namedLogin{Appliance: a, via: via}
		}
		if own != nil {
			a = ownConnections{Appliance: a, tr: own, conns: conns}
		}
		return a, nil
	}
}

// ownConnections is an appliance client with a transport of its own,
// whose connections conns opens.
type ownConnections struct {
	worker.Appliance
	tr    *http.Transport
	conns *jobConns
}

// Adopt makes conn, the reachability check's open TCP connection to the
// appliance, the transport's first connection: the TLS handshake runs on
// it instead of on a new one.
func (a ownConnections) Adopt(conn net.Conn) { a.conns.adopt(conn) }

// Logout ends the session, then closes the client's connections (all idle
// by then: the job's sources are done), those opened ahead and never used
// included.
func (a ownConnections) Logout(ctx context.Context) error {
	defer a.conns.close()
	defer a.tr.CloseIdleConnections()
	return a.Appliance.Logout(ctx)
}

// jobConns opens the TLS connections of one job's transport (its
// DialTLSContext). The first dial, the login's, also starts the others
// the job may hold (the transport's MaxConnsPerHost) in the background:
// their TCP and TLS handshakes then overlap the login's instead of
// following it, which on a WAN takes one to two round trips off the job.
// The first connection's TLS handshake runs on the adopted connection
// (the reachability check's) when there is one.
type jobConns struct {
	cfg     *tls.Config // the transport's, cloned before its first request
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
	timeout time.Duration // of a TLS handshake; 0: none
	want    int           // connections the first dial opens, itself included

	mu      sync.Mutex
	adopted net.Conn
	ahead   []*aheadConn       // opened ahead, not yet handed to the transport
	stop    context.CancelFunc // stops those still opening; nil before the first dial
}

// aheadConn is a connection opened ahead of the transport's dial.
type aheadConn struct {
	done chan struct{} // closed when conn or err is set
	conn net.Conn
	err  error
}

func newJobConns(tr *http.Transport) *jobConns {
	cfg := &tls.Config{}
	if tr.TLSClientConfig != nil {
		cfg = tr.TLSClientConfig.Clone()
	}
	dial := tr.DialContext
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	return &jobConns{cfg: cfg, dial: dial, timeout: tr.TLSHandshakeTimeout, want: max(tr.MaxConnsPerHost, 1)}
}

// adopt holds conn for the first dial, closing the one held before; nil
// only closes that.
func (j *jobConns) adopt(conn net.Conn) {
	j.mu.Lock()
	old := j.adopted
	j.adopted = conn
	j.mu.Unlock()
	if old != nil {
		old.Close()
	}
}

// dialTLS is the transport's DialTLSContext. It answers with a connection
// opened ahead when there is one, else opens one (on the adopted
// connection, if held).
func (j *jobConns) dialTLS(ctx context.Context, network, addr string) (net.Conn, error) {
	j.mu.Lock()
	raw := j.adopted
	j.adopted = nil
	var next *aheadConn
	if raw == nil && len(j.ahead) > 0 {
		next, j.ahead = j.ahead[0], j.ahead[1:]
	}
	if j.stop == nil {
		var bg context.Context
		bg, j.stop = context.WithCancel(context.WithoutCancel(ctx))
		for range j.want - 1 {
			j.ahead = append(j.ahead, j.openAhead(bg, network, addr))
		}
	}
	j.mu.Unlock()
	if next != nil {
		select {
		case <-next.done:
			if next.err == nil {
				return next.conn, nil
			}
			// Failed ahead: try once more, now.
		case <-ctx.Done():
			closeWhenDone(next)
			return nil, ctx.Err()
		}
	}
	return j.open(ctx, network, addr, raw)
}

// openAhead starts opening a connection in the background.
func (j *jobConns) openAhead(ctx context.Context, network, addr string) *aheadConn {
	a := &aheadConn{done: make(chan struct{})}
	go func() {
		a.conn, a.err = j.open(ctx, network, addr, nil)
		close(a.done)
	}()
	return a
}

// open runs a TLS handshake with the appliance at addr on raw, or on a
// new connection when raw is nil.
func (j *jobConns) open(ctx context.Context, network, addr string, raw net.Conn) (net.Conn, error) {
	if raw == nil {
		var err error
		if raw, err = j.dial(ctx, network, addr); err != nil {
			return nil, err
		}
	}
	cfg := j.cfg
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			host = addr
		}
		cfg = cfg.Clone()
		cfg.ServerName = host
	}
	hctx := ctx
	if j.timeout > 0 {
		var cancel context.CancelFunc
		hctx, cancel = context.WithTimeout(ctx, j.timeout)
		defer cancel()
	}
	tc := tls.Client(raw, cfg)
	if err := tc.HandshakeContext(hctx); err != nil {
		raw.Close()
		if ctx.Err() == nil && hctx.Err() != nil {
			return nil, handshakeTimeout(j.timeout)
		}
		return nil, err
	}
	return tc, nil
}

// handshakeTimeout is a TLS handshake that outlasted the transport's
// TLSHandshakeTimeout: a timeout of its own, not the request's deadline.
type handshakeTimeout time.Duration

func (e handshakeTimeout) Error() string {
	return fmt.Sprintf("TLS handshake timeout (%s)", time.Duration(e))
}

func (handshakeTimeout) Timeout() bool   { return true }
func (handshakeTimeout) Temporary() bool { return true }

// close closes the adopted connection and those opened ahead that the
// transport never took, and stops those still opening.
func (j *jobConns) close() {
	j.mu.Lock()
	adopted, ahead, stop := j.adopted, j.ahead, j.stop
	j.adopted, j.ahead = nil, nil
	j.mu.Unlock()
	if adopted != nil {
		adopted.Close()
	}
	if stop != nil {
		stop()
	}
	for _, a := range ahead {
		closeWhenDone(a)
	}
}

// closeWhenDone closes a's connection once it is open, without waiting for
// it.
func closeWhenDone(a *aheadConn) {
	go func() {
		<-a.done
		if a.conn != nil {
			a.conn.Close()
		}
	}()
}

// namedLogin is an appliance client whose login errors name the
// credentials used.
type namedLogin struct {
	worker.Appliance
	via string
}

func (a namedLogin) Login(ctx context.Context) error {
	if err := a.Appliance.Login(ctx); err != nil {
		return fmt.Errorf("login as the user of %s: %w", a.via, err)
	}
	return nil
}
