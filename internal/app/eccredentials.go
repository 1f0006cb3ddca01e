package app

import (
	"context"
	"fmt"
	"net/http"

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
		if shared != nil {
			own = shared.Clone()
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
			a = ownConnections{Appliance: a, tr: own}
		}
		return a, nil
	}
}

// ownConnections is an appliance client with a transport of its own.
type ownConnections struct {
	worker.Appliance
	tr *http.Transport
}

// Logout ends the session, then closes the client's connections (all idle
// by then: the job's sources are done).
func (a ownConnections) Logout(ctx context.Context) error {
	defer a.tr.CloseIdleConnections()
	return a.Appliance.Logout(ctx)
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
