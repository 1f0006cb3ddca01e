package main

import (
	"context"
	"fmt"
	"net"
	"strconv"
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
	handshake := fs.Duration("handshake-latency", 0, "latency added before answering a new appliance connection's TLS handshake (e.g. 100ms: TCP's and TLS's round trips at 50ms)")
	orchestrators := fs.Int("orchestrators", 1, "number of simulated Orchestrators: the n-th (from 2) listens on the listen port + n-1 (or a free port), uses seed + n-1 and prefixes its hostnames with O<n>-; the nePks of their appliances are the same (1.NE, 2.NE, ...)")
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
	if *orchestrators < 1 || *orchestrators > 20 {
		return fmt.Errorf("--orchestrators must be between 1 and 20: %w", errUsage)
	}
	basePort, _ := strconv.Atoi(port)
	var sims []*simulator.Simulator
	defer func() {
		for _, sim := range sims {
			sim.Close()
		}
	}()
	for i := 0; i < *orchestrators; i++ {
		cfg := simulator.Config{
			Appliances:       *appliances,
			Seed:             *seed + int64(i),
			ListenHost:       host,
			AdvertiseHost:    *advertise,
			OrchestratorAddr: net.JoinHostPort(host, port),
			APIKey:           *apiKey,
			OrchUser:         *orchUser,
			OrchPassword:     *orchPassword,
			ECUser:           *user,
			ECPassword:       *password,
			Faults: simulator.Faults{
				Appliances:          simulator.Fault{Latency: *latency, HandshakeLatency: *handshake},
				UnreachableFraction: *unreachable,
			},
		}
		if i > 0 {
			cfg.HostnamePrefix = fmt.Sprintf("O%d-", i+1)
			if basePort != 0 {
				cfg.OrchestratorAddr = net.JoinHostPort(host, strconv.Itoa(basePort+i))
			}
		}
		sim, err := simulator.New(cfg)
		if err != nil {
			return fmt.Errorf("simulate: %v: %w", err, errUsage)
		}
		if err := sim.Start(ctx); err != nil {
			return fmt.Errorf("simulate: %w", err)
		}
		sims = append(sims, sim)
	}

	for i, sim := range sims {
		reachable := 0
		apps := sim.Appliances()
		for _, a := range apps {
			if a.Reachable {
				reachable++
			}
		}
		url := sim.OrchestratorURL()
		if len(sims) == 1 {
			fmt.Fprintf(e.stdout, "orchestrator: %s\n", url)
		} else {
			fmt.Fprintf(e.stdout, "orchestrator sim%d: %s\n", i+1, url)
		}
		fmt.Fprintf(e.stdout, "appliances: %d (%d reachable, %d unreachable), seed %d\n",
			len(apps), reachable, len(apps)-reachable, *seed+int64(i))
	}
	newest, oldest := sims[0].Window()
	fmt.Fprintf(e.stdout, "minute window: %s .. %s\n", time.Unix(oldest, 0).UTC().Format(time.RFC3339),
		time.Unix(newest, 0).UTC().Format(time.RFC3339))
	fmt.Fprintf(e.stdout, "try: curl -k -H \"X-Auth-Token: <api-key>\" %s/gms/rest/appliance\n", sims[0].OrchestratorURL())
	if len(sims) > 1 {
		fmt.Fprintln(e.stdout, "ORCHESTRATORS_FILE for them (with the simulator's default API key):")
		fmt.Fprintln(e.stdout, "orchestrators:")
		for i, sim := range sims {
			fmt.Fprintf(e.stdout, "  - {name: sim%d, url: %q, api_key: <api-key>, collect_all: true}\n", i+1, sim.OrchestratorURL())
		}
	}
	fmt.Fprintln(e.stdout, "serving until interrupted")

	<-ctx.Done()
	for _, sim := range sims {
		if err := sim.Close(); err != nil {
			return fmt.Errorf("simulate: close: %w", err)
		}
	}
	sims = nil
	fmt.Fprintln(e.stdout, "simulator stopped")
	return nil
}
