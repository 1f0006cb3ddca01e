package edgeconnect

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
)

// slowLogoutAppliance starts a one-appliance simulator whose GET /logout
// answers after delay, and returns it with a client of that appliance.
func slowLogoutAppliance(t *testing.T, delay, timeout time.Duration) (*simulator.Simulator, string, *Client) {
	t.Helper()
	sim := testenv.StartSimulator(t, simulator.Config{Appliances: 1, Seed: 1, Faults: simulator.Faults{
		Appliances: simulator.Fault{SlowEndpoints: []simulator.Endpoint{simulator.EndpointLogout}, SlowDelay: delay}}})
	a := sim.Appliances()[0]
	if !a.Reachable {
		t.Fatal("the only appliance is unreachable")
	}
	c, err := New(Options{Address: a.Address, User: simulator.DefaultECUser, Password: simulator.DefaultECPassword,
		InsecureSkipVerify: true, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(t.Context()); err != nil {
		t.Fatal(err)
	}
	return sim, a.ID, c
}

func openSessions(t *testing.T, sim *simulator.Simulator, id string) int {
	t.Helper()
	st, err := sim.Stats(id)
	if err != nil {
		t.Fatal(err)
	}
	return st.OpenSessions
}

// TestLogoutOutlivesTheCallersDeadline: an appliance whose logout takes
// longer than the caller's remaining time (a job at its end, or cancelled
// at shutdown) but less than the request timeout is still logged out.
func TestLogoutOutlivesTheCallersDeadline(t *testing.T) {
	const delay, timeout = 300 * time.Millisecond, 3 * time.Second
	tests := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
	}{
		{"deadline shorter than the logout", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(t.Context(), delay/6)
		}},
		{"already cancelled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			return ctx, cancel
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, id, c := slowLogoutAppliance(t, delay, timeout)
			if n := openSessions(t, sim, id); n != 1 {
				t.Fatalf("open sessions after login = %d, want 1", n)
			}
			ctx, cancel := tt.ctx()
			defer cancel()
			if err := c.Logout(ctx); err != nil {
				t.Errorf("Logout() = %v, want nil", err)
			}
			if n := openSessions(t, sim, id); n != 0 {
				t.Errorf("open sessions after Logout = %d, want 0", n)
			}
		})
	}
}

// TestLogoutBoundedByTheRequestTimeout: a logout slower than the request
// timeout gives up after it; the appliance keeps that one session until
// its idle expiry.
func TestLogoutBoundedByTheRequestTimeout(t *testing.T) {
	sim, id, c := slowLogoutAppliance(t, time.Minute, 200*time.Millisecond)
	err := c.Logout(t.Context())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Logout() = %v, want a timeout", err)
	}
	if c.sess.Active() {
		t.Error("the local session is still active after a failed Logout")
	}
	if n := openSessions(t, sim, id); n != 1 {
		t.Errorf("open sessions after a timed-out Logout = %d, want 1", n)
	}
}
