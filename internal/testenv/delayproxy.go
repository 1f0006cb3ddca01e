package testenv

import (
	"testing"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/netdelay"
)

// StartDelayProxy starts a netdelay.Proxy to target (a loopback
// "host:port") holding every chunk of bytes for oneWay in each direction,
// returns its address and closes it at t.Cleanup.
func StartDelayProxy(t testing.TB, target string, oneWay time.Duration) string {
	t.Helper()
	p, err := netdelay.Start(target, oneWay)
	if err != nil {
		t.Fatalf("testenv: delay proxy: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p.Addr()
}
