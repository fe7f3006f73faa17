#!/usr/bin/env bash
# Queries per second of the embedded DNS server against CoreDNS serving the same records,
# loaded by dnsperf; alternating runs, medians of 3, ratio in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v dnsperf >/dev/null || { apt-get update && apt-get install -y dnsperf; }
# CoreDNS is built for this benchmark alone, from its own module (bench/dnsqps/coredns).
[ -x bin/coredns ] || (cd bench/dnsqps/coredns && go build -o ../../../bin/coredns github.com/coredns/coredns)
go run ./bench/dnsqps -coredns bin/coredns "$@"
