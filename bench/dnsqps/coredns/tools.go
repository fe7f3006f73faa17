//go:build tools

// Package coredns pins the CoreDNS release that bench/dnsqps compares the embedded server
// with. It is its own module so that CoreDNS's dependencies stay out of Navarkos's go.mod.
package coredns

import _ "github.com/coredns/coredns"
