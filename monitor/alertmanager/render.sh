#!/bin/sh
# render.sh SRC OUT [COMMAND...]
#
# Writes Alertmanager's configuration OUT from SRC (alertmanager.yml here):
# when ALERTMANAGER_WEBHOOK_URL is set, the receiver "ec-telemetry" (the last
# line of SRC) gets a webhook to it. Then runs COMMAND (Alertmanager).
# Alertmanager does not read environment variables in its configuration,
# hence this step.
set -eu

if [ $# -lt 2 ]; then
	echo "usage: render.sh SRC OUT [COMMAND...]" >&2
	exit 2
fi
src=$1
out=$2
shift 2

cp "$src" "$out"
url=${ALERTMANAGER_WEBHOOK_URL-}
if [ -n "$url" ]; then
	# The URL goes in a single-quoted YAML string: refuse what would end it.
	if ! printf '%s' "$url" | grep -Eq "^https?://[^[:space:]']+$"; then
		echo "render.sh: ALERTMANAGER_WEBHOOK_URL must be an http(s) URL without spaces or quotes" >&2
		exit 1
	fi
	printf "    webhook_configs:\n      - url: '%s'\n        send_resolved: true\n" "$url" >>"$out"
	echo "render.sh: alerts go to the webhook of ALERTMANAGER_WEBHOOK_URL" >&2
else
	echo "render.sh: ALERTMANAGER_WEBHOOK_URL is not set: alerts are kept, nothing is sent" >&2
fi

if [ $# -gt 0 ]; then
	exec "$@"
fi
