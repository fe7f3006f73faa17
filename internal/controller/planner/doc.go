// Package planner is the planner controller: it reads the fleet's pools, clusters and
// demand (the Bindings of workloads with replicas), asks the pure planner what to change,
// and carries the decisions out on Cluster objects, with an Event and a metric for each.
package planner
