package worker

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ec-telemetry/ec-telemetry/edgeconnect"
)

func TestVerdict(t *testing.T) {
	th := StatusThresholds{StaleAfter: 5 * time.Minute, TunnelsDown: 2}
	// healthy is a job that went well: reachable, logged in, fresh data,
	// every tunnel up, and the Orchestrator agrees.
	healthy := StatusInput{OrchestratorState: 1, Reachable: true, ReachMethod: MethodICMP, Login: LoginOK,
		SourcesDue: 10, HasData: true, DataAge: 70 * time.Second,
		TunnelsRead: true, TunnelsUp: 8, TunnelsAll: 8}
	with := func(f func(*StatusInput)) StatusInput { in := healthy; f(&in); return in }
	tests := []struct {
		name       string
		in         StatusInput
		th         StatusThresholds
		want       Status
		wantReason string
	}{
		{"online", healthy, th, StatusOnline, ""},
		{"unreachable, orchestrator agrees", with(func(in *StatusInput) {
			*in = StatusInput{OrchestratorState: 2, ReachMethod: MethodTCP, HasData: true, DataAge: time.Hour}
		}), th, StatusOffline, "no reply to tcp check; orchestrator: unreachable"},
		{"unreachable, orchestrator disagrees", with(func(in *StatusInput) {
			*in = StatusInput{OrchestratorState: 1, ReachMethod: MethodICMP}
		}), th, StatusOffline, "no reply to icmp check; orchestrator: reachable"},
		{"login refused", with(func(in *StatusInput) { in.Login, in.TunnelsRead = LoginRefused, false }), th, StatusUnknown, "login refused"},
		{"login refused beats orchestrator down", with(func(in *StatusInput) { in.Login, in.OrchestratorState = LoginRefused, 2 }), th, StatusUnknown, "login refused"},
		{"login failed", with(func(in *StatusInput) { in.Login = LoginFailed }), th, StatusUnknown, "login failed"},
		{"every source failed", with(func(in *StatusInput) { in.SourcesFailed = 10 }), th, StatusUnknown, "every source failed"},
		{"some sources failed", with(func(in *StatusInput) { in.SourcesFailed = 9 }), th, StatusOnline, ""},
		{"nothing due", with(func(in *StatusInput) { in.Login, in.SourcesDue, in.TunnelsRead = LoginNotTried, 0, false }), th, StatusOnline, ""},
		{"stale", with(func(in *StatusInput) { in.DataAge = 6*time.Minute + 30*time.Second }), th, StatusDegraded, "no data for 6m"},
		{"stale for hours", with(func(in *StatusInput) { in.DataAge = 125 * time.Minute }), th, StatusDegraded, "no data for 2h5m"},
		{"at the stale limit", with(func(in *StatusInput) { in.DataAge = 5 * time.Minute }), th, StatusOnline, ""},
		{"stale within the minute stats interval", with(func(in *StatusInput) { in.DataAge, in.MinutesInterval = 15*time.Minute, 15*time.Minute }), th, StatusOnline, ""},
		{"stale beyond the minute stats interval", with(func(in *StatusInput) { in.DataAge, in.MinutesInterval = 21*time.Minute, 15*time.Minute }), th, StatusDegraded, "no data for 21m"},
		{"minute stats disabled", with(func(in *StatusInput) { in.DataAge, in.MinutesInterval = 3*time.Hour, -1 }), th, StatusOnline, ""},
		{"no data ever stored", with(func(in *StatusInput) { in.HasData, in.DataAge = false, 0 }), th, StatusOnline, ""},
		{"default stale limit", with(func(in *StatusInput) { in.DataAge = 5*time.Minute + time.Second }), StatusThresholds{TunnelsDown: 2}, StatusDegraded, "no data for 5m"},
		{"tunnels down at threshold", with(func(in *StatusInput) { in.TunnelsUp, in.TunnelsDown = 6, 2 }), th, StatusDegraded, "2 of 8 tunnels down"},
		{"tunnels down below threshold", with(func(in *StatusInput) { in.TunnelsUp, in.TunnelsDown = 7, 1 }), th, StatusOnline, ""},
		{"tunnel rule disabled", with(func(in *StatusInput) { in.TunnelsUp, in.TunnelsDown = 0, 8 }), StatusThresholds{StaleAfter: 10 * time.Minute}, StatusOnline, ""},
		{"tunnels not read", with(func(in *StatusInput) { in.TunnelsRead, in.TunnelsDown = false, 5 }), th, StatusOnline, ""},
		{"total from up and down when the list is shorter", with(func(in *StatusInput) { in.TunnelsAll, in.TunnelsUp, in.TunnelsDown = 0, 5, 3 }), th, StatusDegraded, "3 of 8 tunnels down"},
		{"orchestrator says unreachable, we collect", with(func(in *StatusInput) { in.OrchestratorState = 2 }), th, StatusDegraded, "orchestrator: unreachable"},
		{"every degraded reason", with(func(in *StatusInput) {
			in.OrchestratorState, in.DataAge, in.TunnelsUp, in.TunnelsDown = 2, 10*time.Minute, 5, 3
		}), th, StatusDegraded, "no data for 10m; 3 of 8 tunnels down; orchestrator: unreachable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, reason := Verdict(tc.in, tc.th)
			if got != tc.want || reason != tc.wantReason {
				t.Errorf("Verdict(%+v) = %s %q, want %s %q", tc.in, got, reason, tc.want, tc.wantReason)
			}
		})
	}
}

func TestStatusCode(t *testing.T) {
	for s, want := range map[Status]int64{StatusOnline: 0, StatusDegraded: 1, StatusOffline: 2, StatusUnknown: 3} {
		if got := s.Code(); got != want {
			t.Errorf("%s.Code() = %d, want %d", s, got, want)
		}
	}
}

func TestLoginOutcome(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, LoginOK},
		{fmt.Errorf("login: status 401, want 200: %w", edgeconnect.ErrUnauthorized), LoginRefused},
		{errors.New("dial tcp: connection reset"), LoginFailed},
	}
	for _, tc := range tests {
		if got := loginOutcome(tc.err); got != tc.want {
			t.Errorf("loginOutcome(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}
