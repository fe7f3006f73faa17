// Command planner times one planner decision on a large simulated fleet: 30 pools, 300
// clusters and 3,000 workloads whose replicas run on them, half again as many replicas
// wanted as placed, with compliance constraints. The baseline, timed in the same run, is one
// placement engine pass over the same workloads and clusters: what the scheduler does anyway.
// The whole-fleet decision, which a calm fleet's decision adds, is timed on its own too, and
// so is a decision with the forecast on, after eight days of history in which a third of the
// workloads double every 2 h 10 min: each timed decision falls in a new 5-minute bucket, so that
// every workload's period is worked out again.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/navarkos/navarkos/bench/internal/stats"
	"github.com/navarkos/navarkos/internal/placement"
	"github.com/navarkos/navarkos/internal/planner"
)

func main() {
	pools := flag.Int("pools", 30, "pools")
	clusters := flag.Int("clusters", 300, "running clusters")
	workloads := flag.Int("workloads", 3000, "workloads")
	runs := flag.Int("runs", 5, "runs; the median is reported")
	flag.Parse()

	in := simulatedInput(*pools, *clusters, *workloads)
	view := engineView(in)
	forecastIn, forecastMem := withHistory(in)
	var decide, whole, schedule, forecast []time.Duration
	actions, targets, periodic := 0, 0, 0
	for range *runs {
		start := time.Now()
		actions += len(planner.Decide(in, planner.NewMemory()).Actions)
		decide = append(decide, time.Since(start))

		start = time.Now()
		t, _, _ := planner.WholeFleet(in)
		targets += len(t)
		whole = append(whole, time.Since(start))

		forecastIn.Now = forecastIn.Now.Add(5 * time.Minute)
		start = time.Now()
		plan := planner.Decide(forecastIn, forecastMem)
		forecast = append(forecast, time.Since(start))
		for _, a := range plan.Actions {
			if strings.Contains(a.Reason, "of its periods ago") {
				periodic++
			}
		}

		start = time.Now()
		for _, d := range in.Demands {
			_ = placement.Schedule(view, placement.Workload{Replicas: d.Replicas, Request: d.Request, Current: d.Assigned}, d.Policy)
		}
		schedule = append(schedule, time.Since(start))
	}
	p, w, s, f := stats.Median(decide), stats.Median(whole), stats.Median(schedule), stats.Median(forecast)
	fmt.Printf("| pools × clusters × workloads | planner decision (median of %d) | whole-fleet decision alone | with the forecast | one scheduling pass (baseline) | decision ratio | decision with the whole-fleet one, ratio | with the forecast, ratio |\n|---|---|---|---|---|---|---|---|\n", *runs)
	fmt.Printf("| %d × %d × %d | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.2f× | %.2f× | %.2f× |\n", *pools, *clusters, *workloads, ms(p), ms(w), ms(f), ms(s),
		float64(p)/float64(s), float64(p+w)/float64(s), float64(f)/float64(s))
	if actions == 0 || targets == 0 {
		panic("the planner decided nothing; the benchmark measures nothing")
	}
	if periodic == 0 {
		panic("the forecast found no workload's period; its decision measures no forecast")
	}
}

func simulatedInput(nPools, nClusters, nWorkloads int) planner.Input {
	rng := rand.New(rand.NewPCG(17, 19))
	regions := []string{"us-east", "us-west", "eu-west", "eu-central", "ap-south", "ap-northeast"}
	in := planner.Input{Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Config: planner.DefaultConfig()}
	for i := range nPools {
		region := regions[i%len(regions)]
		in.Pools = append(in.Pools, planner.Pool{
			Name:   fmt.Sprintf("pool-%02d", i),
			Labels: labels.Set{placement.RegionLabel: region, "compliance.n6s.io/gdpr": fmt.Sprint(region[:2] == "eu")},
			Region: region, Shape: placement.Resources{MilliCPU: 4000, MemoryBytes: 16 << 30, Pods: 110},
			NodePrice: 0.05 + rng.Float64()*0.2, ClusterPrice: 0.1, Spot: i%3 == 0,
			MaxClusters: 20, MinNodes: 1, MaxNodes: 50, IdleTTL: 20 * time.Minute,
			CreateTime: 5 * time.Minute, WakeTime: time.Minute, ScaleTime: 2 * time.Minute,
		})
	}
	for i := range nClusters {
		p := &in.Pools[i%nPools]
		in.Clusters = append(in.Clusters, planner.Cluster{
			Name: fmt.Sprintf("cluster-%03d", i), Pool: p.Name, Labels: p.Labels, State: planner.Running,
			Nodes: int32(5 + rng.IntN(20)), Managed: true, DrainLimit: -1,
		})
	}
	for i := range nWorkloads {
		d := planner.Demand{
			Name: fmt.Sprintf("ns-%d/w-%d", i%50, i), Replicas: int32(2 + rng.IntN(30)), Grow: true,
			Request:  placement.Resources{MilliCPU: int64(100 + rng.IntN(900)), MemoryBytes: int64(128+rng.IntN(1900)) << 20},
			Assigned: map[string]int32{},
			Policy:   placement.Policy{Mode: placement.Divided, Division: placement.ByCapacity},
		}
		if i%4 == 0 {
			d.Policy.ClusterSelector = labels.SelectorFromSet(labels.Set{"compliance.n6s.io/gdpr": "true"})
		}
		// Two workloads in three say where their users are: one to three regions.
		if i%3 != 0 {
			d.Shares = map[string]float64{}
			for range 1 + rng.IntN(3) {
				d.Shares[regions[rng.IntN(len(regions))]] += 1 + rng.Float64()
			}
			var sum float64
			for _, v := range d.Shares {
				sum += v
			}
			for r := range d.Shares {
				d.Shares[r] /= sum
			}
			d.Policy.RegionShares = d.Shares
		}
		placed := d.Replicas * 2 / 3
		for placed > 0 {
			c := in.Clusters[rng.IntN(nClusters)]
			if !d.Policy.Admits(&placement.Cluster{Name: c.Name, Labels: c.Labels}) {
				continue
			}
			n := min(placed, int32(1+rng.IntN(5)))
			d.Assigned[c.Name] += n
			placed -= n
		}
		in.Demands = append(in.Demands, d)
	}
	return in
}

// withHistory is the input with the forecast on, and a memory with eight days of its demand,
// every 5 minutes, in which every third workload has twice its replicas for half an hour every
// 2 h 10 min, the next time 10 minutes after in.Now.
func withHistory(in planner.Input) (planner.Input, *planner.Memory) {
	in.Config.Forecast = true
	mem := planner.NewMemory()
	past := make([]planner.Demand, len(in.Demands))
	for at := in.Now.Add(-8 * 24 * time.Hour); at.Before(in.Now); at = at.Add(5 * time.Minute) {
		copy(past, in.Demands)
		// Rises every 2 h 10 min (no divisor of a day or a week, so that only the workloads' own
		// period foresees them), the next one 10 min after in.Now.
		const period = 130 * time.Minute
		if r := in.Now.Add(10*time.Minute).Sub(at) % period; r == 0 || r > period-30*time.Minute {
			for i := 0; i < len(past); i += 3 {
				past[i].Replicas *= 2
			}
		}
		mem.RecordDemand(past, at)
	}
	return in, mem
}

// engineView is the scheduler's view of the same clusters, with the pools' shapes and prices.
func engineView(in planner.Input) []placement.Cluster {
	pools := map[string]planner.Pool{}
	for _, p := range in.Pools {
		pools[p.Name] = p
	}
	var view []placement.Cluster
	for _, c := range in.Clusters {
		p := pools[c.Pool]
		n := int64(c.Nodes)
		view = append(view, placement.Cluster{
			Name: c.Name, Labels: c.Labels, Region: p.Region, Schedulable: true,
			Allocatable: p.Shape.Scale(n),
			NodeShape:   p.Shape, PricePerNodeHour: p.NodePrice,
		})
	}
	return view
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
