#!/usr/bin/env bash
# test.sh is the whole check the README and CI run (after scripts/deps.sh):
#   lint   gofmt must report nothing, then go vet ./...
#   test   go test -race -count=1 ./... against real redis-server and influxd
#   fuzz   every Fuzz function of every package for FUZZTIME (default 3s)
# Every step runs even when an earlier one failed; the last line is a
# summary with each step's result and duration, and the exit status is 1 if
# any step failed.
set -euo pipefail
cd "$(dirname "$0")/.."

# Tell internal/testenv where the servers are.
EC_TOOLS_DIR=${EC_TOOLS_DIR:-$HOME/.cache/ec-telemetry/bin}
export EC_TOOLS_DIR
if [ -z "${EC_INFLUXD:-}" ] && [ -x "$EC_TOOLS_DIR/influxd" ]; then
	export EC_INFLUXD=$EC_TOOLS_DIR/influxd
fi
if ! command -v redis-server >/dev/null; then
	for d in /usr/sbin /usr/local/bin; do
		if [ -x "$d/redis-server" ]; then
			PATH=$PATH:$d
			break
		fi
	done
fi
export PATH
export FUZZTIME=${FUZZTIME:-3s}
TEST_TIMEOUT=${TEST_TIMEOUT:-20m}

summary=()
failed=0
step() {
	local name=$1 start=$SECONDS rc=0
	shift
	echo "==> $name: $*"
	"$@" || rc=$?
	local took=$((SECONDS - start))
	if [ "$rc" -eq 0 ]; then
		summary+=("$name ok ${took}s")
	else
		summary+=("$name FAILED ${took}s")
		failed=1
	fi
}

total=$SECONDS
step lint scripts/lint.sh
step test go test -race -count=1 -timeout "$TEST_TIMEOUT" ./...
step fuzz scripts/fuzz.sh

result=PASS
[ "$failed" -eq 0 ] || result=FAIL
joined=$(printf '%s, ' "${summary[@]}")
echo "test.sh: $result in $((SECONDS - total))s (${joined%, })"
exit "$failed"
