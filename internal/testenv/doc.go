// Package testenv starts the real API servers that tests run against, from the binaries `make` builds.
package testenv
