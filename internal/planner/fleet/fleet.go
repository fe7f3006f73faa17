// Package fleet holds what the planner knows of the fleet: its pools, its clusters and the
// demand on them, and the arithmetic of nodes and replicas. It is the vocabulary the planner's
// packages share; it decides nothing.
package fleet

import (
	"math"
	"time"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/navarkos/navarkos/internal/placement"
)

// Pool is what the planner knows of a ClusterPool.
type Pool struct {
	Name string
	// Labels are those a new cluster of the pool gets, region and pool included.
	Labels       labels.Set
	Region, Tier string
	// Shape is one node's allocatable capacity.
	Shape placement.Resources
	// NodePrice and ClusterPrice are per hour; HibernatedPrice is what a hibernated cluster
	// still costs per hour.
	NodePrice, ClusterPrice  float64
	HibernatedPrice          float64
	Spot                     bool
	MinClusters, MaxClusters int
	MinNodes, MaxNodes       int32
	IdleTTL                  time.Duration
	// DeleteWhenIdle deletes idle clusters instead of hibernating them.
	DeleteWhenIdle bool
	// CreateTime, WakeTime and ScaleTime are how long each way of adding capacity takes.
	CreateTime, WakeTime, ScaleTime time.Duration
	// NamespaceQuota, when set, is the most one namespace's replicas may request in the
	// pool's clusters before no more capacity is added there for them; a dimension it does
	// not bound is Unbounded.
	NamespaceQuota *placement.Resources
}

// State is where a cluster is in its lifecycle, as far as capacity goes.
type State int

const (
	// Running clusters serve replicas.
	Running State = iota
	// Starting clusters are being created or woken; their nodes count as coming capacity.
	Starting
	// Hibernated clusters are stopped with their data kept; waking one is faster than creating one.
	Hibernated
	// Failed clusters could not be made by their provider.
	Failed
	// Lost clusters were made but stopped answering: their capacity no longer counts, and
	// a lost spot cluster is taken as pre-empted.
	Lost
)

// Cluster is what the planner knows of one member cluster.
type Cluster struct {
	Name, Pool string
	Labels     labels.Set
	State      State
	// Nodes is the desired node count.
	Nodes int32
	// Managed clusters may be scaled, drained and taken offline by the planner.
	Managed bool
	// Pods is every pod the cluster runs now, system pods included; user replicas come from
	// the demands' Assigned.
	Pods int32
	// DrainLimit is the pod limit of a cluster being drained, or -1.
	DrainLimit int32
	// IdleSince is when the cluster last stopped running user replicas; zero while it runs some.
	IdleSince time.Time
	// FailureReason says why a Failed or Lost cluster failed.
	FailureReason string
	// Allocatable is the capacity of a cluster without a pool, such as a joined one.
	Allocatable placement.Resources
}

// Demand is one workload's need for replicas.
type Demand struct {
	// Name identifies the workload (namespace/name), Placement the placement that places it.
	Name, Placement string
	// Namespace is the workload's namespace, which pools' namespace quotas count by.
	Namespace string
	Replicas  int32
	Request   placement.Resources
	// Policy holds the placement's constraints, spread, mode and preferences.
	Policy placement.Policy
	// Shares is the demand's share by region, for locality; empty when unknown.
	Shares map[string]float64
	// Grow allows new capacity for the demand; Pools, when not empty, limits it to these pools.
	Grow  bool
	Pools []string
	// Assigned is where the replicas run now, by cluster.
	Assigned map[string]int32
}

// NodesFor is the fewest nodes of shape that hold used.
func NodesFor(used, shape placement.Resources) int32 {
	n := int64(0)
	ceil := func(a, b int64) int64 {
		if b <= 0 || a <= 0 {
			return 0
		}
		return (a + b - 1) / b
	}
	n = max(n, ceil(used.MilliCPU, shape.MilliCPU), ceil(used.MemoryBytes, shape.MemoryBytes), ceil(used.Pods, shape.Pods))
	return int32(min(n, math.MaxInt32))
}

// ReplicasPerNode is how many replicas of request one node of shape holds.
func ReplicasPerNode(shape, request placement.Resources) int64 {
	return shape.Fits(request)
}

// Round shortens a duration for reasons people read: tenths of a second under a minute,
// whole seconds above (4.3s, 20.4s, 1m5s rather than 20.385486741s).
func Round(d time.Duration) time.Duration {
	if d < time.Minute {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}
