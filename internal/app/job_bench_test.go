package app

import (
	"testing"
	"time"

	"github.com/ec-telemetry/ec-telemetry/edgeconnect"
	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
	"github.com/ec-telemetry/ec-telemetry/internal/testenv"
	"github.com/ec-telemetry/ec-telemetry/worker"
)

// BenchmarkApplianceJob times a steady job as the worker runs it (TCP
// check, its connection adopted, the worker's appliance clients) across a
// simulated WAN: 100 ms before every answer and 200 ms before every TLS
// handshake's, TCP's and TLS's round trips.
//
//	go test -run '^$' -bench ApplianceJob -benchtime 5x ./internal/app/
func BenchmarkApplianceJob(b *testing.B) {
	clock := simulator.NewClock(time.Date(2026, 11, 23, 10, 0, 30, 0, time.UTC))
	sim := testenv.StartSimulator(b, simulator.Config{Appliances: 3, Seed: 7, Now: clock.Now,
		Faults: simulator.Faults{Appliances: simulator.Fault{Latency: 100 * time.Millisecond, HandshakeLatency: 200 * time.Millisecond}}})
	var a simulator.ApplianceInfo
	for _, x := range sim.Appliances() {
		if x.Reachable && (a.ID == "" || x.ID < a.ID) {
			a = x
		}
	}
	tr, err := edgeconnect.NewTransport(edgeconnect.TransportOptions{InsecureSkipVerify: true})
	if err != nil {
		b.Fatal(err)
	}
	good := config.ApplianceCredentials{DefaultUser: simulator.DefaultECUser, DefaultPasswd: simulator.DefaultECPassword}
	h := testHandler(b, ApplianceDialer(good, edgeconnect.Options{Transport: tr, Timeout: 5 * time.Second, ArchiveTimeout: 5 * time.Second}), clock.Now)
	collect := func() {
		if r := h.Collect(b.Context(), pollOf(a, clock.Now())); r.Outcome != worker.OutcomeOK {
			b.Fatalf("%s: outcome %s (%v), want ok", a.ID, r.Outcome, r.Err)
		}
	}
	collect() // first contact: three archives
	conns := func() int64 {
		st, err := sim.Stats(a.ID)
		if err != nil {
			b.Fatal(err)
		}
		return st.Connections
	}
	before := conns()
	for b.Loop() {
		clock.Add(time.Minute)
		collect()
	}
	b.ReportMetric(float64(conns()-before)/float64(b.N), "connections/op")
}
