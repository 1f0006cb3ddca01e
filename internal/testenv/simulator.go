package testenv

import (
	"testing"

	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
)

// StartSimulator starts a simulator of cfg on loopback ports for the test
// and closes it when the test ends.
func StartSimulator(t testing.TB, cfg simulator.Config) *simulator.Simulator {
	t.Helper()
	sim, err := simulator.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim
}
