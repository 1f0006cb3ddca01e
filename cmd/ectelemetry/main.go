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
	"reflect"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"

	"github.com/ec-telemetry/ec-telemetry/internal/config"
	"github.com/ec-telemetry/ec-telemetry/internal/logging"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// env carries what a subcommand may use from the process: arguments after the
// subcommand name, the environment and the output streams.
type env struct {
	args      []string
	getenv    func(string) string
	lookupEnv func(string) (string, bool) // tells a variable set to "" from one not set
	stdout    io.Writer
	stderr    io.Writer
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
	err := runEnv(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "ectelemetry:", errorText(err))
		}
		os.Exit(exitCode(err))
	}
}

// errUsage marks a command-line mistake (exit status 2). Wrap it last
// ("...: %w"); errorText leaves its own text out of what is printed.
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

// errorText is the text main prints for err: a usage error without the
// trailing ": usage" of its wrapping.
func errorText(err error) string {
	if errors.Is(err, errUsage) {
		return strings.TrimSuffix(err.Error(), ": "+errUsage.Error())
	}
	return err.Error()
}

// run is runEnv for tests that give the environment as getenv, where a
// variable set to "" counts as not set; nil getenv means the process
// environment.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	lookup := os.LookupEnv
	if getenv != nil {
		lookup = func(k string) (string, bool) { v := getenv(k); return v, v != "" }
	}
	return runEnv(ctx, args, lookup, stdout, stderr)
}

// runEnv runs the subcommand named by args[0] with the environment read
// through lookupEnv (os.LookupEnv in main).
func runEnv(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stdout, stderr io.Writer) error {
	cmds := commands()
	if len(args) == 0 {
		usage(stderr, cmds)
		return fmt.Errorf("no subcommand given: %w", errUsage)
	}
	name, rest := args[0], args[1:]
	switch {
	case name == "-h" || name == "--help" || name == "help" && len(rest) == 0:
		usage(stdout, cmds)
		return nil
	case name == "help": // help <subcommand>: that subcommand's help
		if len(rest) > 1 {
			return fmt.Errorf("help takes one subcommand, got %q: %w", rest, errUsage)
		}
		name, rest = rest[0], []string{"--help"}
	}
	c, ok := cmds[name]
	if !ok {
		usage(stderr, cmds)
		return fmt.Errorf("unknown subcommand %q: %w", name, errUsage)
	}
	getenv := func(k string) string { v, _ := lookupEnv(k); return v }
	return c.run(ctx, env{args: rest, getenv: getenv, lookupEnv: lookupEnv, stdout: stdout, stderr: stderr})
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
	fmt.Fprintln(w, "\nRun 'ectelemetry help <subcommand>' (or 'ectelemetry <subcommand> --help') for one subcommand's description and flags.")
}

// newFlagSet returns the FlagSet of a subcommand. synopsis is the usage line
// after "ectelemetry", optionally followed by a blank line and a
// description; without one, the help describes the subcommand with its
// summary. Help goes to stderr, as with the go tools; parseFlags turns
// mistakes into errors.
func newFlagSet(e env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("ectelemetry "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() { printHelp(fs.Output(), fs, name, synopsis) }
	return fs
}

// printHelp writes a subcommand's help: usage line, description and, when it
// has any, its flags, each written --name.
func printHelp(w io.Writer, fs *flag.FlagSet, name, synopsis string) {
	line, desc, _ := strings.Cut(synopsis, "\n\n")
	if desc == "" {
		if c, ok := commands()[name]; ok {
			desc = strings.ToUpper(c.summary[:1]) + c.summary[1:] + "."
		}
	}
	fmt.Fprintf(w, "Usage: ectelemetry %s\n", line)
	if desc != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimRight(desc, "\n"))
	}
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		return
	}
	fmt.Fprintln(w, "\nFlags:")
	fs.VisitAll(func(f *flag.Flag) {
		typ, text := flag.UnquoteUsage(f)
		fmt.Fprintf(w, "  --%s", f.Name)
		if typ != "" {
			fmt.Fprintf(w, " %s", typ)
		}
		fmt.Fprintf(w, "\n    \t%s", strings.ReplaceAll(text, "\n", "\n    \t"))
		if !isZeroValue(f) {
			if reflect.TypeOf(f.Value).String() == "*flag.stringValue" {
				fmt.Fprintf(w, " (default %q)", f.DefValue)
			} else {
				fmt.Fprintf(w, " (default %s)", f.DefValue)
			}
		}
		fmt.Fprintln(w)
	})
}

// isZeroValue reports whether f's default is its type's zero value, which
// the help does not show (the rule of flag.PrintDefaults).
func isZeroValue(f *flag.Flag) (zero bool) {
	defer func() {
		if recover() != nil { // a Value whose String fails on its zero value
			zero = false
		}
	}()
	t := reflect.TypeOf(f.Value)
	var z reflect.Value
	if t.Kind() == reflect.Pointer {
		z = reflect.New(t.Elem())
	} else {
		z = reflect.Zero(t)
	}
	v, ok := z.Interface().(flag.Value)
	return ok && f.DefValue == v.String()
}

// parseFlags parses args. --help prints the help and returns flag.ErrHelp;
// a mistake returns a usage error naming the flag as --name, with a pointer
// to the help, and prints nothing.
func parseFlags(fs *flag.FlagSet, args []string) error {
	out, help := fs.Output(), fs.Usage
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.SetOutput(out)
	fs.Usage = help
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return err
	case err != nil:
		return fmt.Errorf("%s (see '%s --help'): %w", doubleDash(err.Error()), fs.Name(), errUsage)
	}
	return nil
}

// flagRef finds the flag package's "-name" in its error messages.
var flagRef = regexp.MustCompile(`(: |flag |for )-([A-Za-z0-9])`)

// doubleDash rewrites the flag package's "-name" as "--name", the form the
// help and the documentation use.
func doubleDash(msg string) string { return flagRef.ReplaceAllString(msg, "${1}--${2}") }

func runVersion(_ context.Context, e env) error {
	fs := newFlagSet(e, "version", "version")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("version takes no arguments, got %q: %w", fs.Args(), errUsage)
	}
	fmt.Fprintln(e.stdout, versionLine())
	return nil
}

// versionLine is "ectelemetry <version> (<go version>[, commit <rev>[, modified]])".
func versionLine() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return fmt.Sprintf("ectelemetry %s (go unknown)", version)
	}
	build := []string{bi.GoVersion}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev != "" {
		build = append(build, "commit "+rev[:min(len(rev), 12)])
		if modified == "true" {
			build = append(build, "modified")
		}
	}
	return fmt.Sprintf("ectelemetry %s (%s)", version, strings.Join(build, ", "))
}

// envHelp lists the environment variables a role reads, from
// internal/config's table, for the help of discover and worker.
func envHelp(role config.Role) string {
	var b strings.Builder
	b.WriteString("Environment (docs/configuration.md explains each; a secret may instead be\ngiven as a file path in NAME_FILE):\n")
	for _, v := range config.Variables(role) {
		note := ""
		switch {
		case v.Secret:
			note = "secret"
		case v.Default != "":
			note = "default " + v.Default
		}
		fmt.Fprintf(&b, "%s\n", strings.TrimRight(fmt.Sprintf("  %-25s %s", v.Name, note), " "))
	}
	return strings.TrimRight(b.String(), "\n")
}
