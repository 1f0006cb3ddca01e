// Command ectelemetry is the one binary of ec-telemetry. Its subcommands serve
// every container: discovery, workers, the simulator, the demo and tools.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"syscall"

	"github.com/ec-telemetry/ec-telemetry/internal/logging"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// env carries what a subcommand may use from the process: arguments after the
// subcommand name, the environment lookup and the output streams.
type env struct {
	args   []string
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

type command struct {
	summary string
	run     func(ctx context.Context, e env) error
}

func commands() map[string]command {
	return map[string]command{
		"version":  {"print the version and build information", runVersion},
		"discover": {"run the discovery loop: Orchestrator → limit file → one task per appliance", runDiscover},
		"worker":   {"run a worker: collect appliances from the queue into InfluxDB", runWorker},
		"bench":    {"measure the pipeline: simulator + discovery here, one worker process (see 'make bench')", runBench},
		"check":    {"validate the configuration and reach Orchestrator, Redis and InfluxDB", runCheck},
		"demo":     {"run simulator, discovery and a worker in one process (needs Redis and InfluxDB; see 'make demo')", runDemo},
		"simulate": {"serve a simulated Orchestrator and N EdgeConnect appliances on loopback", runSimulate},
		"stats":    {"minute-stats tools: 'stats parse <file.tgz|folder>' prints line protocol", runStats},
		"render":   {"render a Grafana dashboard to PNG through the image renderer", runRender},
		"health":   {"probe a running process's /healthz (for container health checks)", runHealth},
	}
}

func main() {
	logging.UseIntegerMilliseconds() // zerolog's duration format is global: set once, here
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "ectelemetry:", err)
		}
		os.Exit(exitCode(err))
	}
}

// errUsage marks a command-line mistake (exit status 2).
var errUsage = errors.New("usage")

func exitCode(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout, cmds)
		if len(args) == 0 {
			return fmt.Errorf("no subcommand given: %w", errUsage)
		}
		return nil
	}
	c, ok := cmds[args[0]]
	if !ok {
		usage(stderr, cmds)
		return fmt.Errorf("unknown subcommand %q: %w", args[0], errUsage)
	}
	return c.run(ctx, env{args: args[1:], getenv: getenv, stdout: stdout, stderr: stderr})
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "Usage: ectelemetry <subcommand> [flags]")
	fmt.Fprintln(w, "\nSubcommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'ectelemetry <subcommand> --help' for the flags of one subcommand.")
}

// newFlagSet returns a FlagSet that prints its usage to stderr and returns
// errors instead of exiting.
func newFlagSet(e env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("ectelemetry "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: ectelemetry %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and maps a bad flag to errUsage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%v: %w", err, errUsage)
	}
	return nil
}

func runVersion(_ context.Context, e env) error {
	fs := newFlagSet(e, "version", "version")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	goVersion := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
	}
	fmt.Fprintf(e.stdout, "ectelemetry %s (%s)\n", version, goVersion)
	return nil
}
