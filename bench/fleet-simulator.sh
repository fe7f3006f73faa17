#!/usr/bin/env bash
# Replays every shipped trace against the four fleet policies of `navarkos simulate` and
# prints their tables. The simulation is deterministic: one run of each gives the figures.
# Most traces use internal/simulate/traces/pools.yaml; three come with pools that make the obvious
# choice wrong (simulate.TracePools says which).
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o bin/navarkos ./cmd/navarkos
for trace in diurnal bursty compliance diurnal-4-regions follow-the-sun flash-crowd weekly-batch \
	mixed-compliance long-idle oscillation steady-onprem onprem-teams spot-heavy slow-and-fast; do
	case $trace in
	steady-onprem | onprem-teams) pools=pools-onprem.yaml ;;
	spot-heavy) pools=pools-spot-heavy.yaml ;;
	slow-and-fast) pools=pools-slow-and-fast.yaml ;;
	*) pools=pools.yaml ;;
	esac
	echo "== $trace (internal/simulate/traces/$trace.csv, internal/simulate/traces/$pools)"
	bin/navarkos simulate --pools "internal/simulate/traces/$pools" --trace "internal/simulate/traces/$trace.csv" "$@"
	echo
done
