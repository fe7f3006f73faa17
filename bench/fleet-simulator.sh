#!/usr/bin/env bash
# Replays every shipped trace against the four fleet policies of `navarkos simulate` and
# prints their tables. The simulation is deterministic: one run of each gives the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o bin/navarkos ./cmd/navarkos
for trace in diurnal bursty compliance; do
	echo "== $trace (bench/traces/$trace.csv)"
	bin/navarkos simulate --pools bench/traces/pools.yaml --trace "bench/traces/$trace.csv" "$@"
	echo
done
