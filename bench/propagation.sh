#!/usr/bin/env bash
# Propagation latency against a fair baseline: runs bench/propagation RUNS times (default 3),
# each on a fresh local fleet, and prints each run's percentiles and, per rate, their medians.
# Extra arguments go to every run, e.g. bench/propagation.sh -rates 5,10,20.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
results=$(mktemp)
trap 'rm -f "$results"' EXIT
for i in $(seq 1 "$runs"); do
  echo "run $i of $runs: go run ./bench/propagation -bin-dir bin $*" >&2
  go run ./bench/propagation -bin-dir bin "$@" 2>&1 >/dev/null | grep '^result ' | tee -a "$results" >&2
done
# Median of each field over the runs, per rate (plain awk: no gawk needed).
awk '
  {
    split($2, r, "="); rate = r[2]
    if (!(rate in count)) { rates[++nr] = rate }
    k = ++count[rate]
    for (i = 3; i <= NF; i++) { split($i, kv, "="); v[rate, kv[1], k] = kv[2] }
  }
  function median(rate, name,   i, j, t, s, n) {
    n = count[rate]
    for (i = 1; i <= n; i++) s[i] = v[rate, name, i] + 0
    for (i = 2; i <= n; i++) for (j = i; j > 1 && s[j - 1] > s[j]; j--) { t = s[j]; s[j] = s[j - 1]; s[j - 1] = t }
    return (n % 2) ? s[(n + 1) / 2] : (s[n / 2] + s[n / 2 + 1]) / 2
  }
  END {
    printf "| median of %d runs | direct P50 | direct P99 | Navarkos P50 | Navarkos P99 | P99 ratio | scheduling P99 | navarkos CPU-s per 1,000 objects | members' CPU-s per 1,000 objects above idle, direct → through Navarkos |\n|---|---|---|---|---|---|---|---|---|\n", count[rates[1]]
    for (i = 1; i <= nr; i++) {
      rt = rates[i]
      printf "| %s Deployments/s | %d ms | %d ms | %d ms | %d ms | %.1f× | %d ms | %.1f | %.1f → %.1f |\n", rt, median(rt, "baseline_p50_ms"), median(rt, "baseline_p99_ms"), median(rt, "p50_ms"), median(rt, "p99_ms"), median(rt, "p99_ms") / median(rt, "baseline_p99_ms"), median(rt, "binding_p99_ms"), median(rt, "cpu_per_1000"), median(rt, "baseline_members_cpu_per_1000"), median(rt, "members_cpu_per_1000")
    }
  }' "$results"
