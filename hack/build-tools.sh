#!/usr/bin/env bash
# Builds the Kubernetes components, etcd, kwok and kwokctl into bin/ from the
# Go module proxy; with --with-test-tools, also what only the tests run: the
# Cluster API controllers of the capi provider's tests, the Fn server whose
# api and lb roles the Fn chart's real-server test runs, and ExternalDNS, which the
# DNSEndpoint end-to-end test runs against BIND. A binary that already reports the right version is
# skipped, and a kubectl on PATH within one minor version of the components is reused.
#
# Each tool module is built by one `go build` of all its missing commands, so the
# go command schedules every package and link of that module in one graph. The
# progress line counts compiled packages against the module's total.
set -euo pipefail

with_test_tools=false
[ "${1:-}" = --with-test-tools ] && with_test_tools=true
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/bin"
mkdir -p "$bin"

KUBE_VERSION=v1.37.2
ETCD_VERSION=v3.7.3
KWOK_VERSION=v0.8.0
CAPI_VERSION=v1.14.2
# Pinned exactly: the proxy serves this version but not fn's version list.
FN_VERSION=v0.3.749
# The version hack/tools/externaldns/go.mod requires; the tests install its DNSEndpoint CRD.
EXTERNAL_DNS_VERSION=$(awk '$1 == "require" { $0 = substr($0, 9) } $1 == "sigs.k8s.io/external-dns" { print $2 }' \
  "$root/hack/tools/externaldns/go.mod")
kube_minor=$(cut -d. -f2 <<<"$KUBE_VERSION")

# version_of BINARY: the version output of BINARY, or nothing when it does not run.
version_of() {
  local flag=--version
  [ "$(basename "$1")" = kubectl ] && flag="version --client"
  # shellcheck disable=SC2086
  "$1" $flag 2>/dev/null || true
}

# has BINARY PATTERN: true when bin/BINARY runs and its version output contains PATTERN.
has() {
  [ -x "$bin/$1" ] || return 1
  grep -qF -- "$2" <<<"$(version_of "$bin/$1")"
}

# has_module BINARY MODULE VERSION: true when bin/BINARY was built with MODULE at
# VERSION, for commands that print no version of their own.
has_module() {
  [ -x "$bin/$1" ] || return 1
  go version -m "$bin/$1" 2>/dev/null | grep -qE "^[[:space:]]+(mod|dep)[[:space:]]+$2[[:space:]]+$3([[:space:]]|$)"
}

# reuse_kubectl: links bin/kubectl to a kubectl on PATH whose minor version is
# within one of the components' (kubectl's supported skew).
reuse_kubectl() {
  local found minor
  found=$(PATH="${PATH//$bin:/}" command -v kubectl) || return 1
  minor=$(version_of "$found" | sed -n 's/^Client Version: v1\.\([0-9]*\)\..*/\1/p')
  [ -n "$minor" ] && [ $((minor - kube_minor)) -le 1 ] && [ $((kube_minor - minor)) -le 1 ] || return 1
  ln -sf "$found" "$bin/kubectl"
  echo "Using $found (v1.$minor) as bin/kubectl" >&2
}

# command_name PACKAGE: the file name go build gives PACKAGE's command: its last
# path element, or the one before a major-version suffix such as /v3.
command_name() {
  local base=${1##*/}
  if [[ $base =~ ^v[0-9]+$ ]]; then base=${1%/*}; base=${base##*/}; fi
  echo "$base"
}

start=$SECONDS
elapsed() { local s=$((SECONDS - start)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

# build STEP MODULE-DIR LDFLAGS NAME=PACKAGE...: builds the named commands of one
# tool module into bin/ with one go build, printing progress as packages compile.
build() {
  local step=$1 dir=$2 ldflags=$3; shift 3
  local names=() pkgs=() pair
  for pair in "$@"; do names+=("${pair%%=*}"); pkgs+=("${pair#*=}"); done
  cd "$root/hack/tools/$dir"
  echo "[$step] Downloading the modules of ${names[*]} ($(elapsed) so far)" >&2
  go mod download
  local total
  total=$(go list -deps "${pkgs[@]}" | wc -l)
  echo "[$step] Building ${names[*]}: $total packages, most of them compiled only on the first build" >&2
  # once[i]=1 when command i is the first with its file name; go build -o DIR/
  # writes each file name once.
  local out once=() first=() seen=" " base i
  for i in "${!pkgs[@]}"; do
    base=$(command_name "${pkgs[$i]}")
    if [[ $seen == *" $base "* ]]; then once+=(0); else once+=(1); first+=("${pkgs[$i]}"); seen+="$base "; fi
  done
  out=$(mktemp -d)
  # go build -v names each package as it compiles it; cached ones are not named.
  go build -v -ldflags "-s -w $ldflags" -o "$out/" "${first[@]}" 2>&1 | {
    local n=0 shown=0 line
    while IFS= read -r line; do
      case "$line" in
        *" "* | "#"*) echo "$line" >&2 ;; # an error or a warning, not a package path
        *) n=$((n + 1)) ;;
      esac
      if [ $((n * 10 / total)) -gt "$shown" ]; then
        shown=$((n * 10 / total))
        echo "[$step] ${names[*]}: $n/$total packages compiled, $(elapsed) elapsed" >&2
      fi
    done
  }
  [ "${PIPESTATUS[0]}" -eq 0 ] || { rm -rf "$out"; echo "[$step] Building ${names[*]} failed" >&2; return 1; }
  local i
  for i in "${!names[@]}"; do
    [ "${once[$i]}" = 1 ] || continue
    mv "$out/$(command_name "${pkgs[$i]}")" "$bin/${names[$i]}"
  done
  # Commands sharing a file name with an earlier one (two "kubeadm" in Cluster API)
  # link one by one; their packages are compiled by now.
  for i in "${!names[@]}"; do
    [ "${once[$i]}" = 1 ] && continue
    go build -ldflags "-s -w $ldflags" -o "$bin/${names[$i]}" "${pkgs[$i]}" ||
      { rm -rf "$out"; echo "[$step] Building ${names[$i]} failed" >&2; return 1; }
  done
  rm -rf "$out"
  echo "[$step] Built ${names[*]} into bin/ ($(elapsed) elapsed)" >&2
  cd "$root"
}

kube=() etcd=() kwok=() capi=() fn=() externaldns=()
for c in kube-apiserver kube-controller-manager kube-scheduler; do
  has "$c" "$KUBE_VERSION" || kube+=("$c=k8s.io/kubernetes/cmd/$c")
done
has kubectl "$KUBE_VERSION" || { [ -L "$bin/kubectl" ] && [ -x "$bin/kubectl" ]; } || reuse_kubectl ||
  kube+=("kubectl=k8s.io/kubernetes/cmd/kubectl")
has etcd "etcd Version: ${ETCD_VERSION#v}" || etcd+=("etcd=go.etcd.io/etcd/server/v3")
for c in kwok kwokctl; do
  has "$c" "$KWOK_VERSION" || kwok+=("$c=sigs.k8s.io/kwok/cmd/$c")
done
# fnserver prints no version: its build information says which module it was built from.
# It needs cgo, for sqlite.
$with_test_tools && { has_module fnserver github.com/fnproject/fn "$FN_VERSION" || fn+=("fnserver=github.com/fnproject/fn/cmd/fnserver"); }
$with_test_tools && { has_module external-dns sigs.k8s.io/external-dns "$EXTERNAL_DNS_VERSION" ||
  externaldns+=("external-dns=sigs.k8s.io/external-dns"); }

# The Cluster API controllers, for the capi provider's tests: core, the kubeadm
# bootstrap and control-plane providers, and the test infrastructure provider.
$with_test_tools && for pair in capi-core=sigs.k8s.io/cluster-api/core \
  capi-bootstrap-kubeadm=sigs.k8s.io/cluster-api/bootstrap/kubeadm \
  capi-controlplane-kubeadm=sigs.k8s.io/cluster-api/controlplane/kubeadm \
  capi-infrastructure-docker=sigs.k8s.io/cluster-api/test/infrastructure/docker; do
  has_module "${pair%%=*}" sigs.k8s.io/cluster-api "$CAPI_VERSION" || capi+=("$pair")
done

steps=0
for n in ${#kube[@]} ${#etcd[@]} ${#kwok[@]} ${#capi[@]} ${#fn[@]} ${#externaldns[@]}; do [ "$n" -eq 0 ] || steps=$((steps + 1)); done
[ "$steps" -eq 0 ] && exit 0
echo "Building $steps tool module(s) into bin/; a first build on 2 cores with empty Go caches takes 25 to 30 minutes" >&2

step=0
kube_ldflags="-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$kube_minor -X k8s.io/component-base/version.gitTreeState=clean"
[ ${#kube[@]} -eq 0 ] || { step=$((step + 1)); build "$step/$steps" kube "$kube_ldflags" "${kube[@]}"; }
[ ${#etcd[@]} -eq 0 ] || { step=$((step + 1)); build "$step/$steps" etcd "" "${etcd[@]}"; }
[ ${#kwok[@]} -eq 0 ] || { step=$((step + 1)); build "$step/$steps" kwok "" "${kwok[@]}"; }
[ ${#capi[@]} -eq 0 ] || { step=$((step + 1)); build "$step/$steps" capi "" "${capi[@]}"; }
[ ${#fn[@]} -eq 0 ] || { step=$((step + 1)); CGO_ENABLED=1 build "$step/$steps" fn "" "${fn[@]}"; }
[ ${#externaldns[@]} -eq 0 ] || { step=$((step + 1)); build "$step/$steps" externaldns \
  "-X sigs.k8s.io/external-dns/pkg/apis/externaldns.Version=$EXTERNAL_DNS_VERSION" "${externaldns[@]}"; }
echo "All tools are in bin/ ($(elapsed))" >&2
