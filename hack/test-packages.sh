#!/usr/bin/env bash
# Lists the module's packages with tests, by what their tests need:
#   unit  those whose tests need no built tool: nothing of internal/testenv nor envtest;
#   e2e   the rest: they start kube-apiservers, local fleets, BIND, Chromium or the Fn server.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
unit) want=0 ;;
e2e) want=1 ;;
*) echo "usage: $0 unit|e2e" >&2; exit 2 ;;
esac
${GO:-go} list -test -f '{{if .ForTest}}{{.ForTest}} {{join .Deps " "}}{{end}}' ./... |
	awk -v want="$want" '{
		e2e[$1] += 0 # a package is e2e when either of its test binaries (internal, external) is
		for (i = 2; i <= NF; i++) if ($i ~ /\/internal\/testenv$|controller-runtime\/pkg\/envtest$/) e2e[$1] = 1
	} END { for (p in e2e) if (e2e[p] == want) print p }' | sort
