// Package procfs reads process facts from /proc: liveness and resident memory, for the benchmarks and tests.
package procfs
