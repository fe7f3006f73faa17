#!/usr/bin/env bash
# Times building the commands of one tool module (default: kwok, whose kwok and kwokctl share
# most packages) from an empty Go build cache, two ways in the same run: one `go build` per
# command, as hack/build-tools.sh did before, against one `go build` of all of them, as it
# does now. Modules come from the shared module cache, so downloads are left out. Prints a
# Markdown table of medians over RUNS runs (default 3) and the ratio.
#   bench/tool-build.sh [kwok|etcd|kube] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
module=${1:-kwok}
runs=${2:-3}
case $module in
kwok) pkgs=(sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl) ;;
kube) pkgs=(k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl) ;;
etcd) pkgs=(go.etcd.io/etcd/server/v3) ;;
*) echo "unknown module $module: want kwok, etcd or kube" >&2; exit 2 ;;
esac
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
(cd "hack/tools/$module" && go mod download)

# timed CMD...: runs CMD with an empty build cache and prints its wall time in seconds.
timed() {
  rm -rf "$work/cache" "$work/out" && mkdir -p "$work/cache" "$work/out"
  local start end
  start=$(date +%s.%N)
  (cd "hack/tools/$module" && GOCACHE="$work/cache" "$@" >/dev/null)
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}
separate() { for p in "${pkgs[@]}"; do go build -ldflags "-s -w" -o "$work/out/" "$p"; done; }
together() { go build -ldflags "-s -w" -o "$work/out/" "${pkgs[@]}"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

sep=() tog=()
for ((i = 1; i <= runs; i++)); do
  sep+=("$(timed separate)")
  tog+=("$(timed together)")
  echo "run $i: separate ${sep[-1]} s, together ${tog[-1]} s" >&2
done
ms=$(printf '%s\n' "${sep[@]}" | median)
mt=$(printf '%s\n' "${tog[@]}" | median)
echo "| $module: ${#pkgs[@]} commands from an empty build cache, median of $runs | wall |"
echo "|---|---|"
printf '| one go build per command (before) | %.1f s |\n' "$ms"
printf '| one go build of all (now) | %.1f s |\n' "$mt"
printf '| ratio now/before | %.2f |\n' "$(echo "$mt / $ms" | bc -l)"
