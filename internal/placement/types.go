package placement

import (
	"fmt"

	"k8s.io/apimachinery/pkg/labels"
)

// Resources is an amount of CPU, memory and pods.
type Resources struct {
	MilliCPU    int64
	MemoryBytes int64
	Pods        int64
}

// String writes the CPU and memory of r for people, e.g. "8 CPU, 1Gi".
func (r Resources) String() string {
	return fmt.Sprintf("%g CPU, %gGi", float64(r.MilliCPU)/1000, float64(r.MemoryBytes)/(1<<30))
}

// Scaled returns r times f, rounded down.
func (r Resources) Scaled(f float64) Resources {
	return Resources{MilliCPU: int64(float64(r.MilliCPU) * f), MemoryBytes: int64(float64(r.MemoryBytes) * f), Pods: int64(float64(r.Pods) * f)}
}

// Sub returns r minus o, never below zero.
func (r Resources) Sub(o Resources) Resources {
	return Resources{MilliCPU: max(r.MilliCPU-o.MilliCPU, 0), MemoryBytes: max(r.MemoryBytes-o.MemoryBytes, 0), Pods: max(r.Pods-o.Pods, 0)}
}

// Add returns r plus o.
func (r Resources) Add(o Resources) Resources {
	return Resources{MilliCPU: r.MilliCPU + o.MilliCPU, MemoryBytes: r.MemoryBytes + o.MemoryBytes, Pods: r.Pods + o.Pods}
}

// Scale returns n times r, pods included: n nodes of shape r.
func (r Resources) Scale(n int64) Resources {
	return Resources{MilliCPU: r.MilliCPU * n, MemoryBytes: r.MemoryBytes * n, Pods: r.Pods * n}
}

// Times returns n replicas' worth of r, each counted as one pod.
func (r Resources) Times(n int64) Resources {
	return Resources{MilliCPU: r.MilliCPU * n, MemoryBytes: r.MemoryBytes * n, Pods: n}
}

// Fits reports how many replicas of request fit into r.
func (r Resources) Fits(request Resources) int64 {
	n := r.Pods
	if request.MilliCPU > 0 {
		n = min(n, r.MilliCPU/request.MilliCPU)
	}
	if request.MemoryBytes > 0 {
		n = min(n, r.MemoryBytes/request.MemoryBytes)
	}
	return max(n, 0)
}

// Cluster is what the engine knows of one member cluster.
type Cluster struct {
	Name   string
	Labels labels.Set
	Region string
	// Tier is the cluster's quality-of-service tier, e.g. premium, standard or economy.
	Tier string
	// Schedulable is false when the cluster is not Ready or not Healthy; NotSchedulableReason says why.
	Schedulable          bool
	NotSchedulableReason string
	Allocatable, Used    Resources
	// NodeShape and PricePerNodeHour price a replica: the node's price over the replicas one node holds.
	NodeShape        Resources
	PricePerNodeHour float64
}

// Workload is one resource to place.
type Workload struct {
	// Replicas is the desired count; a workload without replicas (a ConfigMap) has 1.
	Replicas int32
	// Request is what one replica asks for.
	Request Resources
	// Current is where the replicas run now, by cluster. Division by capacity keeps them
	// there while they fit, and shares only the difference, so that a change of capacity
	// moves no more replicas than it must.
	Current map[string]int32
}

// ReplicaMode says how replicas are shared among the chosen clusters.
type ReplicaMode int

const (
	// Duplicated gives every chosen cluster the full replica count.
	Duplicated ReplicaMode = iota
	// Divided shares the replicas among the chosen clusters.
	Divided
)

// Division says how Divided replicas are shared.
type Division int

const (
	// ByCapacity shares replicas in proportion to each cluster's free capacity, never beyond it.
	ByCapacity Division = iota
	// ByWeight shares replicas in proportion to static weights.
	ByWeight
)

// StaticWeight gives the clusters it matches a weight; the first matching rule wins.
type StaticWeight struct {
	// Names matches clusters by name; Selector by labels. Either may be empty, not both.
	Names    []string
	Selector labels.Selector
	Weight   int64
}

// PreferenceKind names what a preference scores.
type PreferenceKind int

const (
	// PreferCost scores cheaper replicas higher.
	PreferCost PreferenceKind = iota
	// PreferLocality scores clusters in the earlier target regions higher.
	PreferLocality
	// PreferTier scores clusters of the wanted QoS tier higher.
	PreferTier
)

// Preference is one weighted criterion among the eligible clusters.
type Preference struct {
	Kind   PreferenceKind
	Weight int64
	// TargetRegions, for PreferLocality, in order of preference.
	TargetRegions []string
	// Tier, for PreferTier.
	Tier string
}

// Policy is a Placement's scheduling rules.
type Policy struct {
	// ClusterSelector, Regions and ClusterNames are required constraints; empty ones allow all.
	ClusterSelector labels.Selector
	Regions         []string
	ClusterNames    []string
	// MinClusters and MaxClusters bound the chosen clusters; MaxClusters 0 means no bound.
	MinClusters, MaxClusters int
	// TopologyKey spreads the choice over the values of this cluster label (the region, for
	// topology.kubernetes.io/region) before taking a second cluster from any one value.
	TopologyKey string
	Mode        ReplicaMode
	Division    Division
	Weights     []StaticWeight
	Preferences []Preference
	// RegionShares, for Divided by capacity, is where the demand comes from: each region's
	// share of the replicas goes to clusters in or near that region first (regions are near
	// when they share their first dash-separated part), and only what they cannot hold goes
	// elsewhere. Empty divides over all chosen clusters by free capacity alone.
	RegionShares map[string]float64
}

// Assignment is one chosen cluster and its replicas.
type Assignment struct {
	Cluster  string
	Replicas int32
	// Score is the cluster's preference score, 0 to 100.
	Score int64
}

// Result is the engine's decision for one workload.
type Result struct {
	// Assignments, sorted by cluster name.
	Assignments []Assignment
	// Unplaced counts the replicas that no chosen cluster has room for (Divided by capacity).
	Unplaced int32
	// SpreadSatisfied is false when fewer clusters than MinClusters could be chosen.
	SpreadSatisfied bool
	// Reason explains the decision for humans.
	Reason string
}
