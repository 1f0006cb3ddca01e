package app

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"

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
// (sharing its TLS session cache) and its Logout closes the clone's
// connections: a job's connections are of no use once it ends (the next
// job for that appliance comes a cycle later), and idling for the
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
		first := &firstConn{}
		if shared != nil {
			own = shared.Clone()
			own.DialContext = first.dial(own.DialContext)
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
			a = ownConnections{Appliance: a, tr: own, first: first}
		}
		return a, nil
	}
}

// ownConnections is an appliance client with a transport of its own,
// whose first connection may be one the client adopted.
type ownConnections struct {
	worker.Appliance
	tr    *http.Transport
	first *firstConn
}

// Adopt makes conn, the reachability check's open TCP connection to the
// appliance, the transport's first connection: the TLS handshake runs on
// it instead of on a new one.
func (a ownConnections) Adopt(conn net.Conn) { a.first.set(conn) }

// Logout ends the session, then closes the client's connections (all idle
// by then: the job's sources are done), an adopted one never used
// included.
func (a ownConnections) Logout(ctx context.Context) error {
	defer a.first.set(nil)
	defer a.tr.CloseIdleConnections()
	return a.Appliance.Logout(ctx)
}

// firstConn holds one open connection for a transport's next dial.
type firstConn struct {
	mu   sync.Mutex
	conn net.Conn
}

// set holds conn, closing the one held before; nil only closes that.
func (f *firstConn) set(conn net.Conn) {
	f.mu.Lock()
	old := f.conn
	f.conn = conn
	f.mu.Unlock()
	if old != nil {
		old.Close()
	}
}

// dial returns a DialContext that answers with the held connection once,
// then dials with next (a plain dialer when next is nil). The transport
// only dials its one appliance, so the held connection is to the address
// asked for.
func (f *firstConn) dial(next func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if next == nil {
		next = (&net.Dialer{}).DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		f.mu.Lock()
		conn := f.conn
		f.conn = nil
		f.mu.Unlock()
		if conn != nil {
			return conn, nil
		}
		return next(ctx, network, addr)
	}
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
