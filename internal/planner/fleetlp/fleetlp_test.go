package fleetlp

import (
	"fmt"
	"strings"
	"testing"

	"github.com/navarkos/navarkos/internal/placement"
	"github.com/navarkos/navarkos/internal/planner/fleet"
)

var oneCPU = placement.Resources{MilliCPU: 1000, MemoryBytes: 1 << 30}

// testPool is a cloud pool of 4-CPU nodes at nodePrice, 0.10 a cluster, up to 3 clusters of 10.
func testPool(name string, nodePrice float64) fleet.Pool {
	return fleet.Pool{Name: name, Shape: placement.Resources{MilliCPU: 4000, MemoryBytes: 16 << 30, Pods: 110},
		NodePrice: nodePrice, ClusterPrice: 0.10, MaxClusters: 3, MinNodes: 1, MaxNodes: 10}
}

// onPremises is a pool paid by the cluster-hour, with free nodes of 16 CPUs.
func onPremises() fleet.Pool {
	return fleet.Pool{Name: "onprem", Shape: placement.Resources{MilliCPU: 16000, MemoryBytes: 64 << 30, Pods: 110},
		ClusterPrice: 1.5, MaxClusters: 2, MinNodes: 1, MaxNodes: 16}
}

// describeTarget writes a target as "pool: C clusters, N nodes" for each pool it uses.
func describeTarget(pools []fleet.Pool, t *Target) string {
	if t == nil {
		return "none"
	}
	var parts []string
	for j, p := range pools {
		if t.Clusters[j] > 0 {
			parts = append(parts, fmt.Sprintf("%s: %d clusters, %d nodes", p.Name, t.Clusters[j], t.Nodes[j]))
		}
	}
	return strings.Join(parts, "; ")
}

// TestTheWholeFleetAmortisesAFixedPricePool: priced all at once, a little demand stays on the
// cloud's nodes, and enough of it fills a cluster of the pool paid by the cluster-hour, the
// cheaper home once its price is shared by enough replicas; more demand than that pool holds
// spills back to the cloud. Counts are whole.
func TestTheWholeFleetAmortisesAFixedPricePool(t *testing.T) {
	pools := []fleet.Pool{onPremises(), testPool("cloud", 0.2)}
	class := func(cpus int64) []Class {
		return []Class{{Pools: []int{0, 1}, Weight: []float64{1, 1}, Amount: oneCPU.Times(cpus), Replicas: cpus}}
	}
	for _, tt := range []struct {
		cpus int64
		want string
		cost float64
	}{
		{cpus: 6, want: "cloud: 1 clusters, 2 nodes", cost: 0.5},
		{cpus: 100, want: "onprem: 1 clusters, 7 nodes", cost: 1.5},
		// Two full clusters of the pool hold 512 CPUs; the other 88 need 22 cloud nodes in 3 clusters.
		{cpus: 600, want: "onprem: 2 clusters, 32 nodes; cloud: 3 clusters, 22 nodes", cost: 3 + 4.4 + 0.3},
	} {
		target := Decide(pools, class(tt.cpus))
		if got := describeTarget(pools, target); got != tt.want || fmt.Sprintf("%.3f", target.Cost) != fmt.Sprintf("%.3f", tt.cost) {
			t.Errorf("%d CPUs: %s at %.3f/h, want %s at %.3f/h", tt.cpus, got, target.Cost, tt.want, tt.cost)
		}
	}
}

// TestTheWholeFleetKeepsEachClassToItsPools: GDPR demand may use only the dear EU pool, the
// rest any pool; the rest fills the EU cluster's spare room only when that is cheaper than its
// own pool, and nothing is ever put where its class may not go.
func TestTheWholeFleetKeepsEachClassToItsPools(t *testing.T) {
	pools := []fleet.Pool{testPool("eu", 0.3), testPool("us", 0.1)}
	gdpr := Class{Pools: []int{0}, Weight: []float64{1}, Amount: oneCPU.Times(10), Replicas: 10}
	rest := Class{Pools: []int{0, 1}, Weight: []float64{1, 1}, Amount: oneCPU.Times(20), Replicas: 20}
	target := Decide(pools, []Class{gdpr, rest})
	if got, want := describeTarget(pools, target), "eu: 1 clusters, 3 nodes; us: 1 clusters, 5 nodes"; got != want {
		t.Errorf("target %s, want %s", got, want)
	}
	// More demand than any pool may hold is left unserved, not forced elsewhere.
	only := Class{Pools: []int{0}, Weight: []float64{1}, Amount: oneCPU.Times(500), Replicas: 500}
	if got, want := describeTarget(pools, Decide(pools, []Class{only})), "eu: 3 clusters, 30 nodes"; got != want {
		t.Errorf("with too much demand, target %s, want %s", got, want)
	}
}
