package app

import (
	"context"
	"fmt"

	"github.com/ec-telemetry/ec-telemetry/edgeconnect"
	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/worker"
)

// ApplianceDialer returns the worker's Dial: a client of the appliance at
// an address with base's settings and the login creds picks for that
// address (EC_CREDENTIALS_FILE, else EC_USER/EC_PW). With entries in
// creds, a refused login says which one it used (number and cidr, or
// EC_USER), never the password.
func ApplianceDialer(creds config.ApplianceCredentials, base edgeconnect.Options) worker.Dialer {
	return func(addr string) (worker.Appliance, error) {
		o := base
		var entry int
		o.Address = addr
		o.User, o.Password, entry = creds.For(addr)
		c, err := edgeconnect.New(o)
		if err != nil || len(creds.Entries) == 0 {
			return c, err
		}
		via := "EC_USER"
		if entry > 0 {
			via = fmt.Sprintf("EC_CREDENTIALS_FILE entry %d (%s)", entry, creds.Entries[entry-1].Prefix)
		}
		return namedLogin{Appliance: c, via: via}, nil
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
