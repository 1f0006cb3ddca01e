#!/usr/bin/env bash
# demo.sh runs the demo: a local redis-server and influxd (scripts/services.sh),
# then `ectelemetry demo` (simulator + discovery + worker in one process).
# Arguments go to `ectelemetry demo` (e.g. --appliances 50), except
# --keep-state: the servers' data lives in $EC_STATE_DIR
# (~/.cache/ec-telemetry/state) and is removed before each run unless
# --keep-state is given. ECTELEMETRY_BIN names a prebuilt binary (default:
# build bin/ectelemetry). Ctrl-C stops the demo first, then the servers.
set -euo pipefail
cd "$(dirname "$0")/.."

keep_state=false
args=()
for a in "$@"; do
	case $a in
	--keep-state) keep_state=true ;;
	*) args+=("$a") ;;
	esac
done

bin=${ECTELEMETRY_BIN:-}
if [ -z "$bin" ]; then
	go build -o bin/ectelemetry ./cmd/ectelemetry
	bin=bin/ectelemetry
fi

EC_STATE_DIR=${EC_STATE_DIR:-$HOME/.cache/ec-telemetry/state}
if $keep_state; then
	state_note="kept from the previous run (--keep-state)"
else
	# Redis (append-only file: queues, watermarks, cycle counters) and
	# InfluxDB data of the previous run.
	rm -rf "$EC_STATE_DIR/redis" "$EC_STATE_DIR/influxdb"
	state_note="fresh; add --keep-state to continue from this run's data next time"
fi
source scripts/services.sh
echo "state: $EC_STATE_DIR/redis and $EC_STATE_DIR/influxdb, $state_note"

# The servers run in their own sessions (services.sh), so Ctrl-C reaches
# only this script and the demo; the demo shuts down while Redis and
# InfluxDB still answer, then the EXIT trap stops the servers.
"$bin" demo "${args[@]}"
