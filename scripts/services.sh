#!/usr/bin/env bash
# services.sh is sourced by demo.sh and bench.sh: it starts a redis-server
# and an influxd 1.8 on loopback with their data under $EC_STATE_DIR, waits
# until both answer, creates the database, exports REDIS_ADDR, DB_URL,
# DB_BUCKET, DB_ORG and DB_TOKEN for ectelemetry (and EC_INFLUXD_PID for
# the bench), and stops both when the calling script exits. Ports: EC_REDIS_PORT (16379), EC_INFLUX_PORT (18086),
# or the next free port above each. The servers run in sessions of their own
# (setsid), so a Ctrl-C in the terminal reaches the calling script and its
# foreground command but not them: they stop after it, on exit.
# With EC_MQTT=1 it also starts a mosquitto (anonymous, loopback only) on
# EC_MQTT_PORT (11883 or the next free port) and exports MQTT_URL; with
# EC_VM=1 a victoria-metrics on EC_VM_PORT (18428 or the next free port),
# exporting VM_URL and EC_VM_PID. EC_INFLUX_CACHE_SNAPSHOT (1g) and
# EC_INFLUX_CACHE_MAX (4g) set influxd's cache-snapshot-memory-size and
# cache-max-memory-size; EC_INFLUX_INDEX (inmem) its index-version (tsi1:
# the series index on disk, as InfluxDB 2.x always has it).
set -euo pipefail

EC_TOOLS_DIR=${EC_TOOLS_DIR:-$HOME/.cache/ec-telemetry/bin}
EC_STATE_DIR=${EC_STATE_DIR:-$HOME/.cache/ec-telemetry/state}
EC_REDIS_PORT=${EC_REDIS_PORT:-16379}
EC_INFLUX_PORT=${EC_INFLUX_PORT:-18086}
EC_INFLUX_RPC_PORT=${EC_INFLUX_RPC_PORT:-18088}
EC_DB=${EC_DB:-ectelem}
EC_INFLUX_CACHE_SNAPSHOT=${EC_INFLUX_CACHE_SNAPSHOT:-1g}
EC_INFLUX_CACHE_MAX=${EC_INFLUX_CACHE_MAX:-4g}
EC_INFLUX_INDEX=${EC_INFLUX_INDEX:-inmem}
EC_MQTT=${EC_MQTT:-0}
EC_MQTT_PORT=${EC_MQTT_PORT:-11883}
EC_VM=${EC_VM:-0}
EC_VM_PORT=${EC_VM_PORT:-18428}

redis_bin=$(command -v redis-server || ls /usr/bin/redis-server /usr/sbin/redis-server 2>/dev/null | head -1 || true)
influxd_bin=${EC_INFLUXD:-$EC_TOOLS_DIR/influxd}
[ -x "$redis_bin" ] || { echo "redis-server not found: run 'make deps'" >&2; exit 1; }
[ -x "$influxd_bin" ] || { echo "influxd not found at $influxd_bin: run 'make deps'" >&2; exit 1; }
if [ "$EC_VM" = 1 ]; then
	vm_bin=${EC_VICTORIA_METRICS:-$(command -v victoria-metrics || ls /usr/bin/victoria-metrics 2>/dev/null | head -1 || true)}
	[ -x "$vm_bin" ] || { echo "victoria-metrics not found: run 'make deps'" >&2; exit 1; }
fi
if [ "$EC_MQTT" = 1 ]; then
	mosquitto_bin=${EC_MOSQUITTO:-$(command -v mosquitto || ls /usr/sbin/mosquitto /usr/bin/mosquitto 2>/dev/null | head -1 || true)}
	[ -x "$mosquitto_bin" ] || { echo "mosquitto not found: run 'make deps'" >&2; exit 1; }
fi

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# free_port P: P, or the next port above it that nothing listens on.
free_port() {
	local p=$1
	while port_busy "$p"; do p=$((p + 1)); done
	echo "$p"
}
EC_REDIS_PORT=$(free_port "$EC_REDIS_PORT")
EC_INFLUX_PORT=$(free_port "$EC_INFLUX_PORT")
EC_INFLUX_RPC_PORT=$(free_port "$EC_INFLUX_RPC_PORT")
[ "$EC_INFLUX_RPC_PORT" != "$EC_INFLUX_PORT" ] || EC_INFLUX_RPC_PORT=$(free_port $((EC_INFLUX_PORT + 1)))
[ "$EC_MQTT" != 1 ] || EC_MQTT_PORT=$(free_port "$EC_MQTT_PORT")
[ "$EC_VM" != 1 ] || EC_VM_PORT=$(free_port "$EC_VM_PORT")

mkdir -p "$EC_STATE_DIR/redis" "$EC_STATE_DIR/influxdb"
svc_pids=()
stop_services() {
	for pid in "${svc_pids[@]:-}"; do
		[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
}
trap stop_services EXIT
trap 'exit 130' INT TERM

setsid "$redis_bin" --port "$EC_REDIS_PORT" --bind 127.0.0.1 --dir "$EC_STATE_DIR/redis" --appendonly yes \
	--save "" --logfile "$EC_STATE_DIR/redis.log" &
svc_pids+=($!)

if [ "$EC_MQTT" = 1 ]; then
	# Anonymous clients on loopback only: a throwaway broker for demo and bench.
	cat >"$EC_STATE_DIR/mosquitto.conf" <<CONF
listener $EC_MQTT_PORT 127.0.0.1
allow_anonymous true
persistence false
log_dest file $EC_STATE_DIR/mosquitto.log
CONF
	setsid "$mosquitto_bin" -c "$EC_STATE_DIR/mosquitto.conf" >/dev/null 2>&1 &
	svc_pids+=($!)
fi

cat >"$EC_STATE_DIR/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$EC_INFLUX_RPC_PORT"
[meta]
  dir = "$EC_STATE_DIR/influxdb/meta"
[data]
  dir = "$EC_STATE_DIR/influxdb/data"
  wal-dir = "$EC_STATE_DIR/influxdb/wal"
  query-log-enabled = false
  # Fewer, larger cache snapshots and grouped WAL fsyncs: the settings of
  # a busy InfluxDB 1.x (the bench writes hundreds of thousands of points
  # a minute). Each series field gets one value a minute, and a snapshot
  # costs per series field it holds: about 1 MB of snapshot size per
  # appliance keeps ten minutes of values in one snapshot
  # (EC_INFLUX_CACHE_SNAPSHOT, default 1g, sized for 1,000 appliances).
  # wal-fsync-delay trades up to 100 ms of acknowledged writes on a power
  # loss for far fewer fsyncs: fine for a throwaway database.
  cache-snapshot-memory-size = "$EC_INFLUX_CACHE_SNAPSHOT"
  cache-max-memory-size = "$EC_INFLUX_CACHE_MAX"
  wal-fsync-delay = "100ms"
  # InfluxDB 1.x refuses new series past 1,000,000 per database by
  # default; an appliance makes about 220, so 5,000 appliances need more.
  max-series-per-database = 0
  index-version = "$EC_INFLUX_INDEX"
[http]
  bind-address = "127.0.0.1:$EC_INFLUX_PORT"
  auth-enabled = false
  log-enabled = false
[logging]
  level = "warn"
  suppress-logo = true
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
CONF
setsid "$influxd_bin" run -config "$EC_STATE_DIR/influxdb.conf" >"$EC_STATE_DIR/influxd.log" 2>&1 &
svc_pids+=($!)
# The bench reports influxd's CPU (setsid execs in place: $! is influxd).
export EC_INFLUXD_PID=$!

for _ in $(seq 1 150); do
	if port_busy "$EC_REDIS_PORT" && curl -fsS -o /dev/null "http://127.0.0.1:$EC_INFLUX_PORT/ping" 2>/dev/null; then
		break
	fi
	sleep 0.2
done
curl -fsS -o /dev/null "http://127.0.0.1:$EC_INFLUX_PORT/ping" || { echo "influxd did not start; see $EC_STATE_DIR/influxd.log" >&2; exit 1; }
port_busy "$EC_REDIS_PORT" || { echo "redis-server did not start; see $EC_STATE_DIR/redis.log" >&2; exit 1; }
if [ "$EC_MQTT" = 1 ]; then
	for _ in $(seq 1 50); do port_busy "$EC_MQTT_PORT" && break; sleep 0.2; done
	port_busy "$EC_MQTT_PORT" || { echo "mosquitto did not start; see $EC_STATE_DIR/mosquitto.log" >&2; exit 1; }
	export MQTT_URL=tcp://127.0.0.1:$EC_MQTT_PORT
	echo "services: mosquitto $MQTT_URL"
fi
curl -fsS -o /dev/null -XPOST "http://127.0.0.1:$EC_INFLUX_PORT/query" --data-urlencode "q=CREATE DATABASE $EC_DB"
if [ "$EC_VM" = 1 ]; then
	# -search.latencyOffset=0s: queries see the newest samples at once.
	setsid "$vm_bin" -httpListenAddr="127.0.0.1:$EC_VM_PORT" -storageDataPath="$EC_STATE_DIR/victoria-metrics" \
		-retentionPeriod=10y -loggerLevel=WARN -search.latencyOffset=0s >"$EC_STATE_DIR/victoria-metrics.log" 2>&1 &
	svc_pids+=($!)
	export EC_VM_PID=$!
	for _ in $(seq 1 100); do
		curl -fsS -o /dev/null "http://127.0.0.1:$EC_VM_PORT/health" 2>/dev/null && break
		sleep 0.2
	done
	curl -fsS -o /dev/null "http://127.0.0.1:$EC_VM_PORT/health" || { echo "victoria-metrics did not start; see $EC_STATE_DIR/victoria-metrics.log" >&2; exit 1; }
	export VM_URL=http://127.0.0.1:$EC_VM_PORT
	echo "services: victoria-metrics $VM_URL"
fi

export REDIS_ADDR=127.0.0.1:$EC_REDIS_PORT
export DB_URL=http://127.0.0.1:$EC_INFLUX_PORT DB_BUCKET=$EC_DB DB_ORG= DB_TOKEN=
echo "services: redis-server $REDIS_ADDR, influxd $DB_URL (database $EC_DB, cache snapshot $EC_INFLUX_CACHE_SNAPSHOT), data in $EC_STATE_DIR"
