// Package dashboard serves the fleet's web dashboard: the fleet map, cost and demand, the
// planner's decisions, workloads, global names and the simulator, each read with the
// caller's own credentials and kept current by watches.
package dashboard
