package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/ec-telemetry/ec-telemetry/influx"
	"github.com/ec-telemetry/ec-telemetry/internal/minutestats"
)

const statsSynopsis = "stats <tool> [arguments]\n\nTools:\n  parse   parse a minute-stats archive or folder and print line protocol\n\nRun 'ectelemetry stats parse --help' for its flags."

func runStats(ctx context.Context, e env) error {
	fs := newFlagSet(e, "stats", statsSynopsis)
	fs.Usage = func() { fmt.Fprintf(fs.Output(), "Usage: ectelemetry %s\n", statsSynopsis) }
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return fmt.Errorf("stats: no tool given: %w", errUsage)
	}
	switch tool := fs.Arg(0); tool {
	case "parse":
		return runStatsParse(ctx, env{args: fs.Args()[1:], getenv: e.getenv, stdout: e.stdout, stderr: e.stderr})
	default:
		fs.Usage()
		return fmt.Errorf("stats: unknown tool %q: %w", tool, errUsage)
	}
}

const lookupsHelp = `JSON file of id → name maps (each optional), e.g.
{"wan_labels":{"1":"MPLS1"},"lan_labels":{"5":"Data"},"overlays":{"1":"RealTime"},"traffic_classes":{"1":"RealTime"}}
Without it, label and overlay ids other than 0 are tagged unknown_<id> and traffic_class_name is left out`

// runStatsParse implements `ectelemetry stats parse`: the points of one
// archive or folder, as sorted line protocol on stdout; the per-file
// summary and the issues on stderr.
func runStatsParse(_ context.Context, e env) error {
	fs := newFlagSet(e, "stats parse", "stats parse [flags] <st2-<epoch>.tgz | folder>\n\nPrints the points as sorted line protocol on stdout and a per-file summary\nand the issues on stderr. Flags come before the path.")
	applianceID := fs.String("appliance-id", "unknown", "value of the appliance_id tag (Orchestrator appliance id, e.g. 3.NE)")
	hostname := fs.String("hostname", "unknown", "value of the hostname tag")
	lookupsFile := fs.String("lookups", "", lookupsHelp)
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("stats parse: want exactly one archive or folder, got %d arguments: %w", fs.NArg(), errUsage)
	}
	opt := minutestats.Options{ApplianceID: *applianceID, Hostname: *hostname}
	if *lookupsFile != "" {
		l, err := readLookups(*lookupsFile)
		if err != nil {
			return fmt.Errorf("stats parse: %w", err)
		}
		opt.Lookups = l
	}

	target := fs.Arg(0)
	info, err := os.Stat(target)
	if err != nil {
		return fmt.Errorf("stats parse: %w", err)
	}
	var res *minutestats.Result
	var parseErr error
	if info.IsDir() {
		res, parseErr = minutestats.ParseDir(target, opt)
	} else {
		f, err := os.Open(target)
		if err != nil {
			return fmt.Errorf("stats parse: %w", err)
		}
		res, parseErr = minutestats.ParseArchive(f, opt)
		f.Close()
	}

	// Whatever was parsed is printed, even when the archive broke later.
	lines := make([]string, 0, len(res.Points))
	var encErrs []error
	var buf []byte
	var le influx.LineEncoder
	for _, p := range res.Points {
		buf, err = le.AppendLine(buf[:0], p)
		if err != nil {
			encErrs = append(encErrs, err)
			continue
		}
		lines = append(lines, string(buf))
	}
	slices.Sort(lines)
	var out bytes.Buffer
	for _, l := range lines {
		out.WriteString(l)
	}
	if _, err := e.stdout.Write(out.Bytes()); err != nil {
		return fmt.Errorf("stats parse: write output: %w", err)
	}
	writeSummary(e.stderr, res)

	if parseErr != nil {
		return fmt.Errorf("stats parse %s: %w", target, parseErr)
	}
	if len(encErrs) > 0 {
		return fmt.Errorf("stats parse: %d points not encodable: %w", len(encErrs), errors.Join(encErrs...))
	}
	return nil
}

func writeSummary(w io.Writer, res *minutestats.Result) {
	for _, f := range res.Files {
		fmt.Fprintf(w, "%s: %d lines, %d points, %d merged, %d skipped\n", f.Name, f.Lines, f.Points, f.Merged, f.Skipped)
	}
	if len(res.Missing) > 0 {
		fmt.Fprintf(w, "missing: %s\n", strings.Join(res.Missing, ", "))
	}
	for _, i := range res.Issues {
		fmt.Fprintf(w, "issue: %s\n", i)
	}
	if res.IssueCount > len(res.Issues) {
		fmt.Fprintf(w, "... %d more issues not shown\n", res.IssueCount-len(res.Issues))
	}
	fmt.Fprintf(w, "%d points, %d issues\n", len(res.Points), res.IssueCount)
}

// readLookups decodes the --lookups file strictly: unknown keys are errors.
func readLookups(name string) (minutestats.Lookups, error) {
	var l minutestats.Lookups
	data, err := os.ReadFile(name)
	if err != nil {
		return l, fmt.Errorf("read lookups: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return l, fmt.Errorf("decode lookups %s: %w", name, err)
	}
	if dec.More() {
		return l, fmt.Errorf("decode lookups %s: trailing data after the JSON object", name)
	}
	return l, nil
}
