package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/ec-telemetry/ec-telemetry/internal/simulator"
)

// runSimulate serves a simulated Orchestrator and N appliances until ctx is
// cancelled (SIGINT/SIGTERM in main).
func runSimulate(ctx context.Context, e env) error {
	fs := newFlagSet(e, "simulate", "simulate [flags]")
	appliances := fs.Int("appliances", 10, "number of simulated appliances")
	seed := fs.Int64("seed", 1, "seed of the fleet and of every served value")
	listen := fs.String("listen", "127.0.0.1:8443", "host:port of the Orchestrator; appliances listen on free ports of the same host (port 0 picks a free port)")
	advertise := fs.String("advertise", "", "host written into appliance addresses and the Orchestrator URL (default: the listen host)")
	apiKey := fs.String("api-key", simulator.DefaultAPIKey, "Orchestrator API key (X-Auth-Token) the simulator accepts")
	user := fs.String("user", simulator.DefaultECUser, "appliance login user the simulator accepts")
	password := fs.String("password", simulator.DefaultECPassword, "appliance login password the simulator accepts")
	orchUser := fs.String("orch-user", simulator.DefaultOrchUser, "Orchestrator login user the simulator accepts")
	orchPassword := fs.String("orch-password", simulator.DefaultOrchPassword, "Orchestrator login password the simulator accepts")
	unreachable := fs.Float64("unreachable-fraction", 0, "share (0..1) of the appliances reported reachable whose address refuses connections")
	latency := fs.Duration("latency", 0, "latency added to every appliance response (e.g. 50ms)")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("simulate takes no arguments, got %q: %w", fs.Args(), errUsage)
	}
	host, port, err := net.SplitHostPort(*listen)
	if err != nil || host == "" {
		return fmt.Errorf("--listen must be host:port, got %q: %w", *listen, errUsage)
	}
	if *latency < 0 {
		return fmt.Errorf("--latency must not be negative: %w", errUsage)
	}
	sim, err := simulator.New(simulator.Config{
		Appliances:       *appliances,
		Seed:             *seed,
		ListenHost:       host,
		AdvertiseHost:    *advertise,
		OrchestratorAddr: net.JoinHostPort(host, port),
		APIKey:           *apiKey,
		OrchUser:         *orchUser,
		OrchPassword:     *orchPassword,
		ECUser:           *user,
		ECPassword:       *password,
		Faults: simulator.Faults{
			Appliances:          simulator.Fault{Latency: *latency},
			UnreachableFraction: *unreachable,
		},
	})
	if err != nil {
		return fmt.Errorf("simulate: %v: %w", err, errUsage)
	}
	if err := sim.Start(ctx); err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	defer sim.Close()

	reachable := 0
	apps := sim.Appliances()
	for _, a := range apps {
		if a.Reachable {
			reachable++
		}
	}
	newest, oldest := sim.Window()
	url := sim.OrchestratorURL()
	fmt.Fprintf(e.stdout, "orchestrator: %s\n", url)
	fmt.Fprintf(e.stdout, "appliances: %d (%d reachable, %d unreachable), seed %d\n",
		len(apps), reachable, len(apps)-reachable, *seed)
	fmt.Fprintf(e.stdout, "minute window: %s .. %s\n", time.Unix(oldest, 0).UTC().Format(time.RFC3339),
		time.Unix(newest, 0).UTC().Format(time.RFC3339))
	fmt.Fprintf(e.stdout, "try: curl -k -H \"X-Auth-Token: <api-key>\" %s/gms/rest/appliance\n", url)
	fmt.Fprintln(e.stdout, "serving until interrupted")

	<-ctx.Done()
	if err := sim.Close(); err != nil {
		return fmt.Errorf("simulate: close: %w", err)
	}
	fmt.Fprintln(e.stdout, "simulator stopped")
	return nil
}
