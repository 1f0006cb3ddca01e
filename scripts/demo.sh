#!/usr/bin/env bash
# demo.sh runs the demo: a local redis-server and influxd (scripts/services.sh),
# then `ectelemetry demo` (simulator + discovery + worker in one process).
# Arguments go to `ectelemetry demo` (e.g. --appliances 50). Ctrl-C stops
# everything.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
go build -o bin/ectelemetry ./cmd/ectelemetry
bin/ectelemetry demo "$@"
