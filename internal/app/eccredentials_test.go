package app

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ec-telemetry/ec-telemetry/edgeconnect"
	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/tasks"
	"github.com/ec-telemetry/ec-telemetry/internal/telemetry"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
	"github.com/ec-telemetry/ec-telemetry/worker"
)

// memSink counts the points written per hostname.
type memSink struct {
	mu     sync.Mutex
	byHost map[string]int
}

func (s *memSink) Write(_ context.Context, pts []telemetry.Point) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range pts {
		s.byHost[p.Tags.Get(telemetry.TagHostname)]++
	}
	return len(pts), nil
}

// memWatermarks keeps the watermarks in memory.
type memWatermarks struct {
	mu sync.Mutex
	m  map[string]int64
}

func (w *memWatermarks) Get(_ context.Context, id string) (int64, bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	v, ok := w.m[id]
	return v, ok, nil
}

func (w *memWatermarks) Advance(_ context.Context, id string, minute int64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.m[id] = max(w.m[id], minute)
	return nil
}

func (w *memWatermarks) Reset(_ context.Context, id string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.m, id)
	return nil
}

// Two regions on loopback subnets of their own, each with its own appliance
// password in EC_CREDENTIALS_FILE, and a third appliance on EC_USER/EC_PW:
// all three are collected. An entry with a wrong password fails the login
// of its appliance, and the error and log name the appliance and the entry.
func TestApplianceCredentialsPerSubnet(t *testing.T) {
	const emeaPW, amerPW = "emea-Pw-8c1f", "amer-Pw-77d2"
	sim := testenv.StartSimulator(t, simulator.Config{Appliances: 3, Seed: 2,
		ApplianceHosts: map[string]string{"1.NE": "127.0.1.1", "2.NE": "127.0.2.1"},
		ApplianceCredentials: map[string]simulator.Credentials{
			"1.NE": {User: "emea", Password: emeaPW}, "2.NE": {User: "amer", Password: amerPW}}})
	for _, a := range sim.Appliances() {
		if !a.Reachable {
			t.Fatalf("appliance %s is unreachable with this seed", a.ID)
		}
	}
	entry := func(cidr, user, pw string) config.ApplianceCredential {
		return config.ApplianceCredential{Prefix: netip.MustParsePrefix(cidr), User: user, Password: pw}
	}
	tr, err := edgeconnect.NewTransport(edgeconnect.TransportOptions{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	collect := func(creds config.ApplianceCredentials, logs *testenv.LogBuffer) (map[string]worker.Report, *memSink) {
		sink := &memSink{byHost: map[string]int{}}
		reach, _ := worker.NewReacher("tcp", 2*time.Second)
		h, err := worker.New(worker.Options{
			Dial: ApplianceDialer(creds, edgeconnect.Options{Transport: tr, Timeout: 5 * time.Second, ArchiveTimeout: 5 * time.Second}),
			Sink: sink, Reacher: reach, Watermarks: &memWatermarks{m: map[string]int64{}}, Logger: zerolog.New(logs),
			JobTimeout: 20 * time.Second, SourceTimeout: 5 * time.Second,
		})
		if err != nil {
			t.Fatal(err)
		}
		reps := map[string]worker.Report{}
		now := time.Now()
		for _, a := range sim.Appliances() {
			reps[a.ID] = h.Collect(t.Context(), tasks.AppliancePoll{ApplianceID: a.ID, Hostname: a.Hostname, Address: a.Address,
				Model: a.Model, SoftwareVersion: a.SoftwareVersion, State: a.State, DiscoveredAt: now.Unix(), Cycle: now.Unix() - now.Unix()%60})
		}
		return reps, sink
	}

	good := config.ApplianceCredentials{DefaultUser: simulator.DefaultECUser, DefaultPasswd: simulator.DefaultECPassword,
		Entries: []config.ApplianceCredential{entry("127.0.1.0/24", "emea", emeaPW), entry("127.0.2.0/24", "amer", amerPW)}}
	reps, sink := collect(good, &testenv.LogBuffer{})
	for _, a := range sim.Appliances() {
		if r := reps[a.ID]; r.Outcome != worker.OutcomeOK || sink.byHost[a.Hostname] == 0 {
			t.Errorf("appliance %s (%s): outcome %s (err %v), %d points; want ok and points", a.ID, a.Address, r.Outcome, r.Err, sink.byHost[a.Hostname])
		}
	}

	// The amer entry holds the emea password.
	bad := good
	bad.Entries = []config.ApplianceCredential{good.Entries[0], entry("127.0.2.0/24", "amer", emeaPW)}
	logs := &testenv.LogBuffer{}
	reps, _ = collect(bad, logs)
	amer := sim.Appliances()[1]
	r := reps[amer.ID]
	if r.Outcome != worker.OutcomeLoginFailed {
		t.Fatalf("appliance %s with a wrong entry: outcome %s, want %s", amer.ID, r.Outcome, worker.OutcomeLoginFailed)
	}
	want := "EC_CREDENTIALS_FILE entry 2 (127.0.2.0/24)"
	if r.Err == nil || !strings.Contains(r.Err.Error(), want) || !strings.Contains(r.Err.Error(), amer.Address) {
		t.Errorf("login error = %v, want it to name %s and %q", r.Err, amer.Address, want)
	}
	line := ""
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, want) {
			line = l
		}
	}
	if !strings.Contains(line, fmt.Sprintf("%q", amer.Hostname)) {
		t.Errorf("no log line names %s and the entry:\n%s", amer.Hostname, logs.String())
	}
	for _, pw := range []string{emeaPW, amerPW} {
		if strings.Contains(logs.String(), pw) || strings.Contains(r.Err.Error(), pw) {
			t.Errorf("a password shows in the error or the logs")
		}
	}
	for _, id := range []string{"1.NE", "3.NE"} {
		if reps[id].Outcome != worker.OutcomeOK {
			t.Errorf("appliance %s next to the wrong entry: outcome %s (err %v), want ok", id, reps[id].Outcome, reps[id].Err)
		}
	}
}

// The passwords of EC_CREDENTIALS_FILE are among the secrets the logs hide.
func TestSecretsHoldApplianceCredentialPasswords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "creds.yaml")
	if err := os.WriteFile(path, []byte("credentials:\n  - {cidr: 10.0.0.0/8, user: u, password: region-Pw-31}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if s := Secrets(config.Config{ECCredentialsFile: path}); !slices.Contains(s, "region-Pw-31") {
		t.Errorf("Secrets() = %d values without the EC_CREDENTIALS_FILE password", len(s))
	}
}
