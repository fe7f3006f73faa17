// Command scheduling times the placement engine on a large simulated fleet: 10,000
// workloads over 1,000 clusters, with label constraints, topology spread, weighted
// preferences and division by capacity. The baseline, timed in the same run, is one
// pass of the same label selector over the same clusters: the least any scheduler must do.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"time"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/navarkos/navarkos/bench/internal/stats"
	"github.com/navarkos/navarkos/internal/placement"
)

func main() {
	clusters := flag.Int("clusters", 1000, "simulated member clusters")
	workloads := flag.Int("workloads", 10000, "workloads scheduled per run")
	runs := flag.Int("runs", 5, "runs; the median is reported")
	flag.Parse()

	fleet := simulatedFleet(*clusters)
	load := simulatedWorkloads(*workloads)
	policy := placement.Policy{
		ClusterSelector: labels.SelectorFromSet(labels.Set{"env": "prod"}),
		MaxClusters:     5, MinClusters: 2, TopologyKey: placement.RegionLabel,
		Mode: placement.Divided, Division: placement.ByCapacity,
		Preferences: []placement.Preference{
			{Kind: placement.PreferCost, Weight: 2},
			{Kind: placement.PreferLocality, Weight: 1, TargetRegions: []string{"eu-west", "us-east"}},
			{Kind: placement.PreferTier, Weight: 1, Tier: "premium"},
		},
	}

	var engine, baseline []time.Duration
	placed := 0
	for range *runs {
		start := time.Now()
		for _, w := range load {
			placed += len(placement.Schedule(fleet, w, policy).Assignments)
		}
		engine = append(engine, time.Since(start)/time.Duration(len(load)))

		start = time.Now()
		matched := 0
		for range load {
			for i := range fleet {
				if fleet[i].Schedulable && policy.ClusterSelector.Matches(fleet[i].Labels) {
					matched++
				}
			}
		}
		baseline = append(baseline, time.Since(start)/time.Duration(len(load)))
		_ = matched
	}
	e, b := stats.Median(engine), stats.Median(baseline)
	fmt.Printf("| workloads × clusters | engine per workload (median of %d) | label filter alone (baseline) | ratio |\n|---|---|---|---|\n", *runs)
	fmt.Printf("| %d × %d | %.1f µs | %.1f µs | %.1f× |\n", *workloads, *clusters, float64(e.Nanoseconds())/1000, float64(b.Nanoseconds())/1000, float64(e)/float64(b))
	if placed == 0 {
		panic("the engine placed nothing; the benchmark measures nothing")
	}
}

func simulatedFleet(n int) []placement.Cluster {
	rng := rand.New(rand.NewPCG(7, 11))
	regions := []string{"us-east", "us-west", "eu-west", "eu-central", "ap-south", "ap-northeast"}
	tiers := []string{"premium", "standard", "economy"}
	envs := []string{"prod", "prod", "prod", "dev"}
	fleet := make([]placement.Cluster, n)
	for i := range fleet {
		region := regions[rng.IntN(len(regions))]
		nodes := int64(3 + rng.IntN(20))
		fleet[i] = placement.Cluster{
			Name:        fmt.Sprintf("cluster-%04d", i),
			Region:      region,
			Tier:        tiers[rng.IntN(len(tiers))],
			Schedulable: rng.IntN(20) != 0,
			Labels: labels.Set{
				placement.RegionLabel: region, "env": envs[rng.IntN(len(envs))],
				"compliance.n6s.io/pci": fmt.Sprint(rng.IntN(2) == 0),
			},
			Allocatable:      placement.Resources{MilliCPU: nodes * 4000, MemoryBytes: nodes * 16 << 30, Pods: nodes * 110},
			Used:             placement.Resources{MilliCPU: int64(rng.IntN(int(nodes * 3000))), Pods: int64(rng.IntN(int(nodes * 50)))},
			NodeShape:        placement.Resources{MilliCPU: 4000, MemoryBytes: 16 << 30, Pods: 110},
			PricePerNodeHour: 0.05 + rng.Float64()*0.3,
		}
	}
	return fleet
}

func simulatedWorkloads(n int) []placement.Workload {
	rng := rand.New(rand.NewPCG(3, 5))
	load := make([]placement.Workload, n)
	for i := range load {
		load[i] = placement.Workload{
			Replicas: int32(1 + rng.IntN(50)),
			Request:  placement.Resources{MilliCPU: int64(50 + rng.IntN(950)), MemoryBytes: int64(64+rng.IntN(1984)) << 20},
		}
	}
	return load
}
