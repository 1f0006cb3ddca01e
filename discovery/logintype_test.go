package discovery

import (
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
	"github.com/ec-telemetry/ec-telemetry/orchestrator"
)

// An Orchestrator whose user is a TACACS+ user: discovery logged in with
// login type tacacs lists its appliances; the same user sent as a local
// login is refused, and that Orchestrator is counted as failed.
func TestCycleLogsInWithTheLoginType(t *testing.T) {
	now := time.Date(2026, 11, 30, 5, 0, 20, 0, time.UTC)
	clock := func() time.Time { return now }
	const appliances = 4
	sim := testenv.StartSimulator(t, simulator.Config{Appliances: appliances, Seed: 7, Now: clock,
		OrchUser: "tac-user", OrchPassword: "tac-pw", OrchLoginType: int(orchestrator.LoginTACACS)})
	client := func(lt orchestrator.LoginType) OrchestratorClient {
		oc, err := orchestrator.New(orchestrator.Options{URL: sim.OrchestratorURL(), User: "tac-user", Password: "tac-pw",
			LoginType: lt, InsecureSkipVerify: true, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		return OrchestratorClient{Client: oc}
	}
	q := &listQueue{}
	d, err := New(Options{
		Sources: []Source{
			{Name: "tacacs", Orchestrator: client(orchestrator.LoginTACACS), CollectAll: true, Scoped: true},
			{Name: "local", Orchestrator: client(orchestrator.LoginLocal), CollectAll: true, Scoped: true},
		},
		Queue: q, Interval: time.Minute, RetryWait: 10 * time.Millisecond, Logger: zerolog.Nop(), Now: clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := d.Cycle(t.Context(), now)
	if err != nil {
		t.Fatalf("Cycle() = %v, want nil with one Orchestrator of two refusing the login", err)
	}
	if sum.Listed != appliances || sum.Queued != appliances || sum.OrchestratorErrors != 1 {
		t.Errorf("summary = %+v, want %d listed and queued, 1 orchestrator error", sum, appliances)
	}
	st, err := sim.Stats(simulator.OrchestratorID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Logins != 1 || st.FailedLogins == 0 {
		t.Errorf("simulator logins = %d, refused = %d; want 1 and at least 1", st.Logins, st.FailedLogins)
	}
}
