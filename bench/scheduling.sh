#!/usr/bin/env bash
# Times the placement engine: 10,000 workloads over 1,000 simulated clusters, median of 5,
# against a label-filter pass over the same clusters in the same run. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
go run ./bench/scheduling "$@"
