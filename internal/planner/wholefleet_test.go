package planner

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/navarkos/navarkos/internal/placement"
)

// onPremises is a pool paid by the cluster-hour, with free nodes of 16 CPUs, slow to make.
func onPremises() Pool {
	return testPool("onprem", "eu-west", 0, func(p *Pool) {
		p.ClusterPrice, p.MaxClusters, p.MaxNodes = 1.5, 2, 16
		p.Shape = placement.Resources{MilliCPU: 16000, MemoryBytes: 64 << 30, Pods: 110}
		p.CreateTime = 20 * time.Minute
	})
}

// TestTheWholeFleetAmortisesAFixedPricePool: priced all at once, a little demand stays on the
// cloud's nodes, and enough of it fills a cluster of the pool paid by the cluster-hour, the
// cheaper home once its price is shared by enough replicas; more demand than that pool holds
// spills back to the cloud. Counts are whole.
func TestTheWholeFleetAmortisesAFixedPricePool(t *testing.T) {
	pools := []Pool{onPremises(), testPool("cloud", "eu-west", 0.2)}
	class := func(cpus int64) []*demandClass {
		return []*demandClass{{pools: []int{0, 1}, weight: []float64{1, 1}, amount: oneCPU.Times(cpus), replicas: cpus}}
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
		target := decideFleet(pools, class(tt.cpus))
		if got := describeTarget(pools, target); got != tt.want || fmt.Sprintf("%.3f", target.cost) != fmt.Sprintf("%.3f", tt.cost) {
			t.Errorf("%d CPUs: %s at %.3f/h, want %s at %.3f/h", tt.cpus, got, target.cost, tt.want, tt.cost)
		}
	}
}

// TestTheWholeFleetKeepsEachClassToItsPools: GDPR demand may use only the dear EU pool, the
// rest any pool; the rest fills the EU cluster's spare room only when that is cheaper than its
// own pool, and nothing is ever put where its class may not go.
func TestTheWholeFleetKeepsEachClassToItsPools(t *testing.T) {
	pools := []Pool{testPool("eu", "eu-west", 0.3), testPool("us", "us-east", 0.1)}
	gdpr := &demandClass{pools: []int{0}, weight: []float64{1}, amount: oneCPU.Times(10), replicas: 10}
	rest := &demandClass{pools: []int{0, 1}, weight: []float64{1, 1}, amount: oneCPU.Times(20), replicas: 20}
	target := decideFleet(pools, []*demandClass{gdpr, rest})
	if got, want := describeTarget(pools, target), "eu: 1 clusters, 3 nodes; us: 1 clusters, 5 nodes"; got != want {
		t.Errorf("target %s, want %s", got, want)
	}
	// More demand than any pool may hold is left unserved, not forced elsewhere.
	only := &demandClass{pools: []int{0}, weight: []float64{1}, amount: oneCPU.Times(500), replicas: 500}
	if got, want := describeTarget(pools, decideFleet(pools, []*demandClass{only})), "eu: 3 clusters, 30 nodes"; got != want {
		t.Errorf("with too much demand, target %s, want %s", got, want)
	}
}

// TestManySmallWorkloadsMoveToTheFixedPricePool: twelve small workloads have run for eight
// hours on four small cloud clusters, each cheaper than a cluster of the on-premises pool,
// together dearer. Expected to run as long again, a calm decision orders the on-premises cluster for all of them and says why; once it
// runs, consolidation drains the cloud clusters into it, though no one of them saves enough
// in an hour to pay for its 24 moves.
func TestManySmallWorkloadsMoveToTheFixedPricePool(t *testing.T) {
	cloud := testPool("cloud", "eu-west", 0.2, func(p *Pool) { p.MaxClusters = 4 })
	onprem := onPremises()
	pools := []Pool{onprem, cloud}
	var clusters []Cluster
	var demands []Demand
	for c := range 4 {
		name := fmt.Sprintf("cloud-%d", c)
		clusters = append(clusters, testCluster(name, cloud, Running, 3))
		for w := range 3 {
			demands = append(demands, testDemand(fmt.Sprintf("team%d/svc%d", c, w), 8, map[string]int32{name: 8}, halfCPU))
		}
	}
	mem := NewMemory()
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	// The planner saw the clusters come up, so it knows how long their demand has run.
	starting := make([]Cluster, len(clusters))
	for i, c := range clusters {
		starting[i] = c
		starting[i].State = Starting
	}
	decide(pools, starting, demands, at(0), mem)
	decide(pools, clusters, demands, at(time.Minute), mem)
	plan := decide(pools, clusters, demands, at(8*time.Hour), mem)
	if got, want := summary(plan), "Create pool/onprem nodes=3\n"; got != want {
		t.Fatalf("plan:\n%s\nwant:\n%s", got, want)
	}
	if r := plan.Actions[0].Reason; !strings.Contains(r, "whole-fleet decision: the managed clusters cost 2.800/h") || !strings.Contains(r, "onprem: 1 clusters, 3 nodes") {
		t.Errorf("reason %q", r)
	}
	if w := plan.WholeFleet; w == nil || fmt.Sprint(w.Pools) != "[onprem: 1 clusters, 3 nodes]" || w.CostPerHour != 1.5 || fmt.Sprintf("%.3f", w.NowPerHour) != "2.800" {
		t.Errorf("the plan's whole-fleet decision: %+v", w)
	}
	running := append(clusters, testCluster("onprem-1", onprem, Running, 3))
	decide(pools, running, demands, at(8*time.Hour+25*time.Minute), mem)
	plan = decide(pools, running, demands, at(8*time.Hour+40*time.Minute), mem)
	if got := summary(plan); !strings.HasPrefix(got, "Drain cloud-") {
		t.Fatalf("once the on-premises cluster runs, plan:\n%s\nwant a cloud cluster drained", got)
	}
	if r := plan.Actions[0].Reason; !strings.Contains(r, "the whole-fleet decision has fewer nodes in pool cloud") {
		t.Errorf("drain reason %q", r)
	}
	// A single small workload keeps its cloud cluster: the pool paid by the cluster costs more.
	one := []Demand{testDemand("team0/svc0", 8, map[string]int32{"cloud-0": 8}, halfCPU)}
	plan = decide(pools, clusters[:1], one, at(8*time.Hour), NewMemory())
	if strings.Contains(summary(plan), "onprem") {
		t.Errorf("one small workload moves to the pool paid by the cluster:\n%s", summary(plan))
	}
}

func halfCPU(d *Demand) { d.Request = placement.Resources{MilliCPU: 500, MemoryBytes: 512 << 20} }

// describeTarget writes a target as "pool: C clusters, N nodes" for each pool it uses.
func describeTarget(pools []Pool, t *fleetTarget) string {
	if t == nil {
		return "none"
	}
	return JoinTargets(t.targets(pools))
}
