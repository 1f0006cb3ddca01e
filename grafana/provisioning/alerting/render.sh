#!/bin/sh
# render.sh SRC OUT [COMMAND...]
#
# Writes Grafana's provisioning for ec-telemetry into OUT: a copy of SRC (the
# repository's grafana/provisioning) whose alerting/ folder holds the files
# rendered from the templates here. docker-compose.yml runs it as Grafana's
# entrypoint, then COMMAND (/run.sh, Grafana's own entrypoint) with
# GF_PATHS_PROVISIONING=OUT.
#
# Grafana does not expand environment variables inside rule queries and
# expressions, so the thresholds and durations (ALERT_* below) are put in
# here, each checked to be a plain number or duration. The contact point
# integrations are included only for the destinations that are set; their
# URLs and addresses stay $VARIABLES that Grafana expands when it loads the
# file. With no destination set, the policy mutes every alert: nothing is
# sent (docs/alerting.md).
set -eu

if [ $# -lt 2 ]; then
	echo "usage: render.sh SRC OUT [COMMAND...]" >&2
	exit 2
fi
src=$1
out=$2
shift 2

die() {
	echo "render.sh: $*" >&2
	exit 1
}

numbers="ALERT_NO_DATA_SECONDS ALERT_TUNNELS_DOWN ALERT_LOSS_PCT ALERT_LATENCY_MS ALERT_JITTER_MS ALERT_WAN_UTIL_PCT"
durations="ALERT_EVAL_INTERVAL ALERT_OFFLINE_FOR ALERT_FOR ALERT_REPEAT_INTERVAL"

script=""
for name in $numbers; do
	eval "value=\${$name-}"
	echo "$value" | grep -Eq '^[0-9]+(\.[0-9]+)?$' || die "$name must be a number, got '$value'"
	script="$script -e s/\\\${$name}/$value/g"
done
for name in $durations; do
	eval "value=\${$name-}"
	echo "$value" | grep -Eq '^[0-9]+(ms|s|m|h|d)$' || die "$name must be a duration such as 30s, 5m or 4h, got '$value'"
	script="$script -e s/\\\${$name}/$value/g"
done

case $out in
"" | / | "$src" | "$src"/*) die "output directory '$out' must be a fresh directory outside $src" ;;
esac
tmpl=$src/alerting
rm -rf "$out"
mkdir -p "$out"
for d in "$src"/*; do
	[ "$(basename "$d")" = alerting ] || cp -R "$d" "$out/"
done
mkdir -p "$out/alerting"

# shellcheck disable=SC2086 # $script is a list of sed arguments
sed $script "$tmpl/rules.yaml.tmpl" >"$out/alerting/rules.yaml"

parts=""
unset_parts=""
for p in webhook:ALERT_WEBHOOK_URL slack:ALERT_SLACK_WEBHOOK_URL email:ALERT_EMAIL_TO; do
	eval "value=\${${p#*:}-}"
	if [ -n "$value" ]; then
		parts="$parts ${p%%:*}"
	else
		unset_parts="$unset_parts ${p%%:*}"
	fi
done
cps=$out/alerting/contactpoints.yaml
cp "$tmpl/contactpoints.yaml.head" "$cps"
if [ -n "$parts" ]; then
	printf '\ncontactPoints:\n  - orgId: 1\n    name: ec-telemetry\n    receivers:\n' >>"$cps"
	for p in $parts; do
		cat "$tmpl/contactpoint-$p.yaml.part" >>"$cps"
	done
fi
if [ -n "$unset_parts" ]; then
	printf '\ndeleteContactPoints:\n' >>"$cps"
	for p in $unset_parts; do
		printf '  - orgId: 1\n    uid: ec-telemetry-%s\n' "$p" >>"$cps"
	done
fi
if [ -n "$parts" ]; then
	# shellcheck disable=SC2086
	sed $script "$tmpl/policies.yaml.tmpl" >"$out/alerting/policies.yaml"
	echo "render.sh: alerts go to contact point ec-telemetry:$parts" >&2
else
	# shellcheck disable=SC2086
	sed $script "$tmpl/policies-none.yaml.tmpl" >"$out/alerting/policies.yaml"
	echo "render.sh: no alert destination set (ALERT_WEBHOOK_URL, ALERT_SLACK_WEBHOOK_URL, ALERT_EMAIL_TO): alerts are muted" >&2
fi
if grep -Eq '\$\{ALERT_[A-Z_]+\}' "$out/alerting/rules.yaml" "$out/alerting/policies.yaml"; then
	die "a \${ALERT_...} placeholder is left unreplaced"
fi

if [ $# -gt 0 ]; then
	GF_PATHS_PROVISIONING=$out
	export GF_PATHS_PROVISIONING
	exec "$@"
fi
