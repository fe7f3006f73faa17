#!/usr/bin/env bash
# Propagation latency: runs bench/propagation RUNS times (default 3), each on a fresh local
# fleet, and prints each run's percentiles and their medians. Extra arguments go to every run,
# e.g. bench/propagation.sh -rate 10.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
results=$(mktemp)
trap 'rm -f "$results"' EXIT
for i in $(seq 1 "$runs"); do
  echo "run $i of $runs: go run ./bench/propagation -bin-dir bin $*" >&2
  go run ./bench/propagation -bin-dir bin "$@" 2>&1 >/dev/null | grep '^result ' | tee -a "$results" >&2
done
# Median of each field over the runs (plain awk: no gawk needed).
awk '
  { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1], NR] = kv[2] } n = NR }
  function median(name,   i, j, t, s) {
    for (i = 1; i <= n; i++) s[i] = v[name, i] + 0
    for (i = 2; i <= n; i++) for (j = i; j > 1 && s[j - 1] > s[j]; j--) { t = s[j]; s[j] = s[j - 1]; s[j - 1] = t }
    return (n % 2) ? s[(n + 1) / 2] : (s[n / 2] + s[n / 2 + 1]) / 2
  }
  END {
    printf "| median of %d runs | P50 | P99 |\n|---|---|---|\n", n
    printf "| fleet API → object in a member (Navarkos) | %d ms | %d ms |\n", median("p50_ms"), median("p99_ms")
    printf "| of which fleet API → Binding (scheduling) | %d ms | %d ms |\n", median("binding_p50_ms"), median("binding_p99_ms")
    printf "| member API → object in that member (baseline) | %d ms | %d ms |\n", median("baseline_p50_ms"), median("baseline_p99_ms")
  }' "$results"
