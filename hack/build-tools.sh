#!/usr/bin/env bash
# Builds the Kubernetes components, etcd, kwok and kwokctl into bin/ from the
# Go module proxy. A binary that already reports the right version is skipped.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/bin"
mkdir -p "$bin"

KUBE_VERSION=v1.37.2
ETCD_VERSION=v3.7.3
KWOK_VERSION=v0.8.0

# has BINARY PATTERN: true when bin/BINARY runs and its version output contains PATTERN.
has() {
  local flag=--version
  [ "$1" = kubectl ] && flag="version --client"
  local out
  [ -x "$bin/$1" ] || return 1
  # Read the whole output first: grep -q stopping early would fail the pipe under pipefail.
  # shellcheck disable=SC2086
  out=$("$bin/$1" $flag 2>/dev/null) || return 1
  grep -qF -- "$2" <<<"$out"
}

build() { # build NAME MODULE-DIR PACKAGE LDFLAGS
  echo "Building bin/$1 from $3 (the first build compiles for several minutes)" >&2
  (cd "$root/hack/tools/$2" && go build -ldflags "-s -w ${4:-}" -o "$bin/$1" "$3")
}

kube_ldflags="-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37 -X k8s.io/component-base/version.gitTreeState=clean"
for c in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
  has "$c" "$KUBE_VERSION" || build "$c" kube "k8s.io/kubernetes/cmd/$c" "$kube_ldflags"
done

has etcd "etcd Version: ${ETCD_VERSION#v}" || build etcd etcd go.etcd.io/etcd/server/v3

for c in kwok kwokctl; do
  has "$c" "$KWOK_VERSION" || build "$c" kwok "sigs.k8s.io/kwok/cmd/$c"
done
