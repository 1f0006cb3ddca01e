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
# service writes. The service runs the program $1.
stop_service() {
	local name=$1 pidfile=$2
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
		is_running "$name" || return 0
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

# apt_get_install installs the Debian package $1.
apt_get_install() {
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null >/dev/null
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$1" </dev/null >/dev/null
}

# apt_install installs the Debian package $1, then stops the service it
# starts unless one was running before; $2 is the service's pid file (the
# service runs the program $1).
apt_install() {
	local running_before=no
	is_running "$1" && running_before=yes
	apt_get_install "$1"
	if [ "$running_before" = no ]; then
		stop_service "$1" "$2"
	fi
}

# version_note prints " (version)" for the programs whose version is worth
# a line of the output, nothing for the others.
version_note() {
	case $1 in
	redis-server) echo " ($("$2" --version | sed -n 's/.* v=\([^ ]*\).*/\1/p'))" ;;
	promtool) echo " ($("$2" --version 2>&1 | sed -n '1s/.*version \([^ ]*\).*/\1/p'))" ;;
	esac
}

# ensure_tool PROG PACKAGE PIDFILE HINT prints where the program PROG is:
# found, or installed from the Debian package PACKAGE, whose service (it
# writes PIDFILE) is stopped; PIDFILE is empty for a package that starts
# none. HINT tells what to install by hand where apt-get is missing.
ensure_tool() {
	local prog=$1 pkg=$2 pidfile=$3 hint=$4 path how=found
	if ! path=$(find_server "$prog"); then
		command -v apt-get >/dev/null || die "$prog is missing and apt-get is not available; $hint"
		if [ -n "$pidfile" ]; then
			apt_install "$pkg" "$pidfile"
		else
			apt_get_install "$pkg"
		fi
		path=$(find_server "$prog") || die "apt-get installed $pkg but $prog is not found"
		how=installed
	fi
	echo "$prog: $how $path$(version_note "$prog" "$path")"
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

ensure_tool redis-server redis-server /run/redis/redis-server.pid \
	"install redis-server (7.x) and put it on PATH, or set EC_REDIS_SERVER"
# redis-cli (package redis-tools, no service) joins the Redis Cluster
# test's nodes; Debian's redis-server depends on it, but a redis-server
# found elsewhere may come without it.
ensure_tool redis-cli redis-tools "" \
	"install redis-cli (Debian: redis-tools) and put it on PATH"
ensure_tool mosquitto mosquitto /run/mosquitto/mosquitto.pid \
	"install mosquitto (2.x) and put it on PATH, or set EC_MOSQUITTO"
# promtool and amtool: both packages start a server on install; it is
# stopped, the tests only run the two command-line tools.
ensure_tool promtool prometheus /run/prometheus/prometheus.pid \
	"install Prometheus' promtool (2.42 or newer) and put it on PATH, or set EC_PROMTOOL"
ensure_tool amtool prometheus-alertmanager /run/prometheus/prometheus-alertmanager.pid \
	"install Alertmanager's amtool (0.25 or newer) and put it on PATH, or set EC_AMTOOL"
ensure_tool victoria-metrics victoria-metrics /run/victoria-metrics/victoria-metrics.pid \
	"install VictoriaMetrics (single node) and put victoria-metrics on PATH, or set EC_VICTORIA_METRICS"
ensure_influxd
