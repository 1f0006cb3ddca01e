#!/usr/bin/env bash
# demo.sh will run `go run ./cmd/ectelemetry demo` once that subcommand exists.
set -euo pipefail
echo "demo: not built yet (the 'ectelemetry demo' subcommand is still to come)" >&2
exit 1
