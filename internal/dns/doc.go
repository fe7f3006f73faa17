// Package dns answers for the fleet's global names. The answer building (select.go, zone.go)
// is pure: targets and a strategy in, records out. The server (server.go) is a thin
// authoritative server over it, on UDP and TCP, with EDNS0, truncation, AXFR and response
// rate limiting.
package dns
