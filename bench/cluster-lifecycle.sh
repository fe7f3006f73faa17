#!/usr/bin/env bash
# Times local member clusters from creation to Ready and through a scale request, through
# Navarkos and through kwokctl alone (the baseline, in the same run), and measures the RSS
# of one member cluster and of the control plane. Prints a Markdown table for the README.
# Usage: bench/cluster-lifecycle.sh [-runs N]   (after `make`)
set -euo pipefail
cd "$(dirname "$0")/.."
go run ./bench/lifecycle -bin-dir bin "$@"
