// Package dnsquery is `navarkos dns query`: a small dig, to see what the fleet answers.
package dnsquery
