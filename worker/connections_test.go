package worker

import (
	"context"
	"crypto/tls"
	"net"
	"sync/atomic"
	"testing"

	"github.com/ec-telemetry/ec-telemetry/edgeconnect"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
)

// A job opens at most TransportOptions.MaxConnsPerHost (default 2)
// connections to its appliance, whatever its parallel sources, and the
// next cycle's handshakes resume the TLS sessions of the last one.
func TestJobsUseFewConnectionsAndResumeTLSSessions(t *testing.T) {
	var dials, full, resumed atomic.Int64
	tr, err := edgeconnect.NewTransport(edgeconnect.TransportOptions{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return dial(ctx, network, addr)
	}
	tr.TLSClientConfig.VerifyConnection = func(cs tls.ConnectionState) error {
		if cs.DidResume {
			resumed.Add(1)
		} else {
			full.Add(1)
		}
		return nil
	}
	f := newFixtureWith(t, simulator.Config{Appliances: 4, Seed: 7}, func(_ *simulator.Simulator, o *Options) {
		o.Parallel = 6
		o.Dial = func(addr string) (Appliance, error) {
			return edgeconnect.New(edgeconnect.Options{Address: addr, User: simulator.DefaultECUser,
				Password: simulator.DefaultECPassword, Transport: tr})
		}
	})
	for round := 1; round <= 2; round++ {
		dials.Store(0)
		full.Store(0)
		resumed.Store(0)
		jobs := int64(0)
		for _, p := range f.polls {
			if rep := f.h.Collect(t.Context(), p); rep.Outcome == OutcomeOK {
				jobs++
			}
		}
		if jobs < 2 {
			t.Fatalf("round %d: %d jobs collected, want at least 2", round, jobs)
		}
		t.Logf("round %d: %d jobs, %d connections, %d full and %d resumed handshakes", round, jobs, dials.Load(), full.Load(), resumed.Load())
		if d := dials.Load(); d > 2*jobs {
			t.Errorf("round %d: %d connections for %d jobs, want at most 2 per job", round, d, jobs)
		}
		if round == 2 && full.Load() != 0 {
			t.Errorf("round 2: %d full handshakes, want every one resumed", full.Load())
		}
		tr.CloseIdleConnections() // as the idle timeout does between cycles
		f.clock.Add(60e9)
	}
}
