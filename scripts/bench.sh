#!/usr/bin/env bash
# bench.sh measures the pipeline: fresh redis-server and influxd
# (scripts/services.sh with a new state directory), then
# `ectelemetry bench` with the arguments given (e.g. --appliances 1000).
# When --outputs names mqtt, services.sh starts a mosquitto too (MQTT_URL);
# with --store victoriametrics, a victoria-metrics (VM_URL).
set -euo pipefail
cd "$(dirname "$0")/.."
EC_STATE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ec-bench.XXXXXX")
export EC_STATE_DIR
case " $* " in
*" --outputs "*mqtt* | *" --outputs="*mqtt* | *" -outputs "*mqtt* | *" -outputs="*mqtt*) export EC_MQTT=1 ;;
esac
case " $* " in
*" --store "victoriametrics* | *" --store=victoriametrics"*) export EC_VM=1 ;;
esac
source scripts/services.sh
trap 'stop_services; rm -rf "$EC_STATE_DIR"' EXIT INT TERM
go build -o bin/ectelemetry ./cmd/ectelemetry
bin/ectelemetry bench "$@"
