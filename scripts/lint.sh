#!/usr/bin/env bash
# lint.sh fails when a Go file is not gofmt-formatted (listing the files) or
# when go vet ./... reports a problem. Both checks always run.
set -euo pipefail
cd "$(dirname "$0")/.."

rc=0
unformatted=$(find . -name '*.go' -not -path './.git/*' -not -path './.cache/*' -not -path './bin/*' -print0 | xargs -0 -r gofmt -l)
if [ -n "$unformatted" ]; then
	echo "lint: these files need gofmt -w:" >&2
	echo "$unformatted" | sed 's/^/  /' >&2
	rc=1
fi
go vet ./... || rc=1
exit "$rc"
