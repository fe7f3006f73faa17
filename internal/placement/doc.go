// Package placement decides which member clusters run a workload and how many replicas each gets.
//
// It is pure: no Kubernetes client, no clock and no I/O. The same inputs always give the same
// result, so the controllers, the fleet simulator and the benchmarks all drive this one engine.
package placement
