#!/usr/bin/env bash
# deps.sh makes sure the servers the tests start are installed:
#   redis-server  from the distribution (apt-get) when it is not on PATH;
#   redis-cli     from the package redis-tools likewise, for the Redis
#                 Cluster test;
#   mosquitto     the MQTT broker, from the distribution (apt-get) likewise;
#   promtool      from the distribution's package prometheus (apt-get), to
#                 check and unit-test the Prometheus rules in monitor/;
#   amtool        from the package prometheus-alertmanager (apt-get), to
#                 check monitor/alertmanager.yml;
#   victoria-metrics  single-node VictoriaMetrics, from the distribution
#                 (apt-get), for the storage-target tests (Redis Sentinel
#                 needs nothing more: redis-server --sentinel);
#   influxd       InfluxDB 1.8.10, built with `go install` into the tools dir
#                 (${EC_TOOLS_DIR:-$HOME/.cache/ec-telemetry/bin}).
# It is idempotent, starts nothing, and stops the redis-server, mosquitto,
# prometheus, prometheus-alertmanager and victoria-metrics services that
# Debian's packages start on install (tests run their own instances or none).
# It prints one line per tool: found or installed, and the path.
set -euo pipefail

INFLUXD_MODULE=github.com/influxdata/influxdb
INFLUXD_VERSION=v1.8.10
tools_dir=${EC_TOOLS_DIR:-$HOME/.cache/ec-telemetry/bin}

die() {
	echo "deps: $*" >&2
	exit 1
}

# as_root runs a command as root, through sudo when we are not root.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo -n "$@" || die "cannot run '$*' as root (sudo -n failed); run it yourself or install the package by hand"
	else
		die "need root to run '$*' and sudo is not installed"
	fi
}

# find_server prints the path of the program $1: on PATH, or in the
# directories distributions put servers in.
find_server() {
	command -v "$1" 2>/dev/null && return 0
	local p
	for p in /usr/bin/"$1" /usr/sbin/"$1" /usr/local/bin/"$1" /usr/local/sbin/"$1"; do
		if [ -x "$p" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# stop_service stops and disables the service $1 the package may have
# started, with systemd or without it; $2 is the pid file the package's
# service writes; $3 (default $1) is the program the service runs.
stop_service() {
	local name=$1 pidfile=$2 prog=${3:-$1}
	if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
		as_root systemctl disable --now "$name" >/dev/null 2>&1 || true
	elif command -v service >/dev/null; then
		as_root service "$name" stop >/dev/null 2>&1 || true
		if command -v update-rc.d >/dev/null; then
			as_root update-rc.d "$name" disable >/dev/null 2>&1 || true
		fi
	fi
	# Whatever the init system, the service must not be left running. Wait
	# for it; then stop the one the package started, by its pid file.
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		is_running "$prog" || return 0
		if [ "$i" -eq 5 ] && [ -s "$pidfile" ]; then
			as_root kill "$(cat "$pidfile")" 2>/dev/null || true
		fi
		sleep 1
	done
	die "the $name service started by the package install is still running; stop it (tests start their own instances)"
}

# is_running tells whether a process runs the program $1 (a base name). It
# matches the executable's path, not the process name, which the kernel cuts
# at 15 characters (prometheus-alertmanager).
is_running() {
	pgrep -f "^(/usr/s?bin/)?$1( |\$)" >/dev/null
}

# apt_install installs the Debian package $1, then stops the service it
# starts unless one was running before; $2 is the service's pid file, $3
# (default $1) the program the service runs.
apt_install() {
	local running_before=no prog=${3:-$1}
	is_running "$prog" && running_before=yes
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null >/dev/null
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$1" </dev/null >/dev/null
	if [ "$running_before" = no ]; then
		stop_service "$1" "$2" "$prog"
	fi
}

ensure_redis() {
	local path
	if path=$(find_server redis-server); then
		echo "redis-server: found $path ($("$path" --version | sed -n 's/.* v=\([^ ]*\).*/\1/p'))"
		return
	fi
	command -v apt-get >/dev/null || die "redis-server is missing and apt-get is not available; install redis-server (7.x) and put it on PATH, or set EC_REDIS_SERVER"
	apt_install redis-server /run/redis/redis-server.pid
	path=$(find_server redis-server) || die "apt-get installed redis-server but the binary is not found"
	echo "redis-server: installed $path ($("$path" --version | sed -n 's/.* v=\([^ ]*\).*/\1/p'))"
}

ensure_mosquitto() {
	local path
	if path=$(find_server mosquitto); then
		echo "mosquitto: found $path"
		return
	fi
	command -v apt-get >/dev/null || die "mosquitto is missing and apt-get is not available; install mosquitto (2.x) and put it on PATH, or set EC_MOSQUITTO"
	apt_install mosquitto /run/mosquitto/mosquitto.pid
	path=$(find_server mosquitto) || die "apt-get installed mosquitto but the binary is not found"
	echo "mosquitto: installed $path"
}

# ensure_redis_cli installs redis-cli (package redis-tools, no service),
# which the Redis Cluster test uses to join its nodes. Debian's redis-server
# depends on it, but a redis-server found elsewhere may come without it.
ensure_redis_cli() {
	local path
	if path=$(find_server redis-cli); then
		echo "redis-cli: found $path"
		return
	fi
	command -v apt-get >/dev/null || die "redis-cli is missing and apt-get is not available; install redis-cli (Debian: redis-tools) and put it on PATH"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null >/dev/null
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-tools </dev/null >/dev/null
	path=$(find_server redis-cli) || die "apt-get installed redis-tools but redis-cli is not found"
	echo "redis-cli: installed $path"
}

# ensure_prom_tools installs promtool (package prometheus) and amtool (package
# prometheus-alertmanager). Both packages start a server on install; it is
# stopped: the tests only run the two command-line tools.
ensure_prom_tools() {
	local path
	if path=$(find_server promtool); then
		echo "promtool: found $path ($("$path" --version 2>&1 | sed -n '1s/.*version \([^ ]*\).*/\1/p'))"
	else
		command -v apt-get >/dev/null || die "promtool is missing and apt-get is not available; install Prometheus' promtool (2.42 or newer) and put it on PATH, or set EC_PROMTOOL"
		apt_install prometheus /run/prometheus/prometheus.pid
		path=$(find_server promtool) || die "apt-get installed prometheus but promtool is not found"
		echo "promtool: installed $path"
	fi
	if path=$(find_server amtool); then
		echo "amtool: found $path"
	else
		command -v apt-get >/dev/null || die "amtool is missing and apt-get is not available; install Alertmanager's amtool (0.25 or newer) and put it on PATH, or set EC_AMTOOL"
		apt_install prometheus-alertmanager /run/prometheus/prometheus-alertmanager.pid
		path=$(find_server amtool) || die "apt-get installed prometheus-alertmanager but amtool is not found"
		echo "amtool: installed $path"
	fi
}

ensure_victoria_metrics() {
	local path
	if path=$(find_server victoria-metrics); then
		echo "victoria-metrics: found $path"
		return
	fi
	command -v apt-get >/dev/null || die "victoria-metrics is missing and apt-get is not available; install VictoriaMetrics (single node) and put victoria-metrics on PATH, or set EC_VICTORIA_METRICS"
	apt_install victoria-metrics /run/victoria-metrics/victoria-metrics.pid
	path=$(find_server victoria-metrics) || die "apt-get installed victoria-metrics but the binary is not found"
	echo "victoria-metrics: installed $path"
}

# influxd_version prints the module version recorded in the binary.
influxd_version() {
	go version -m "$1" 2>/dev/null | awk -v m="$INFLUXD_MODULE" '$1 == "mod" && $2 == m {print $3}'
}

ensure_influxd() {
	local bin=$tools_dir/influxd
	if [ -x "$bin" ] && [ "$(influxd_version "$bin")" = "$INFLUXD_VERSION" ]; then
		echo "influxd: found $bin ($INFLUXD_VERSION)"
		return
	fi
	command -v go >/dev/null || die "go is not on PATH; it is needed to build influxd"
	mkdir -p "$tools_dir"
	echo "influxd: building $INFLUXD_MODULE/cmd/influxd@$INFLUXD_VERSION into $tools_dir (about 2 minutes the first time)" >&2
	GOBIN=$tools_dir go install "$INFLUXD_MODULE/cmd/influxd@$INFLUXD_VERSION"
	[ "$(influxd_version "$bin")" = "$INFLUXD_VERSION" ] || die "go install finished but $bin is not $INFLUXD_VERSION"
	echo "influxd: installed $bin ($INFLUXD_VERSION)"
}

ensure_redis
ensure_redis_cli
ensure_mosquitto
ensure_prom_tools
ensure_victoria_metrics
ensure_influxd
