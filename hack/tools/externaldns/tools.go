//go:build tools

// Package tools pins ExternalDNS, which the ExternalDNS end-to-end test runs
// with its crd source and rfc2136 provider against a real BIND.
package tools

import _ "sigs.k8s.io/external-dns"
