package planner

import (
	"fmt"
	"slices"
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
	// Its nodes cost nothing, so the cluster comes with all 16 of them: room for what comes next.
	if got, want := summary(plan), "Create pool/onprem nodes=16\n"; got != want {
		t.Fatalf("plan:\n%s\nwant:\n%s", got, want)
	}
	if r := plan.Actions[0].Reason; !strings.Contains(r, "whole-fleet decision: the managed clusters cost 2.800/h") || !strings.Contains(r, "onprem: 1 clusters, 3 nodes") {
		t.Errorf("reason %q", r)
	}
	if w := plan.WholeFleet; w == nil || fmt.Sprint(w.Pools) != "[onprem: 1 clusters, 3 nodes]" || w.CostPerHour != 1.5 || fmt.Sprintf("%.3f", w.NowPerHour) != "2.800" {
		t.Errorf("the plan's whole-fleet decision: %+v", w)
	}
	running := append(clusters, testCluster("onprem-1", onprem, Running, 16))
	decide(pools, running, demands, at(8*time.Hour+25*time.Minute), mem)
	plan = decide(pools, running, demands, at(8*time.Hour+40*time.Minute), mem)
	if got := summary(plan); !strings.HasPrefix(got, "Drain cloud-") {
		t.Fatalf("once the on-premises cluster runs, plan:\n%s\nwant a cloud cluster drained", got)
	}
	if r := plan.Actions[0].Reason; !strings.Contains(r, "the whole-fleet decision has no cluster in pool cloud") {
		t.Errorf("drain reason %q", r)
	}
	// Moving a replica dearer (0.07): a cloud cluster's drain (24 replicas, 0.700/h) does not pay
	// within the 2 h horizon, but the on-premises cluster was ordered on the promise of these
	// drains, for as long as the demand has run (8 h), so it pays over that.
	dear := DefaultConfig()
	dear.DisruptionCost = 0.07
	plan = Decide(Input{Now: at(8*time.Hour + 41*time.Minute), Pools: pools, Clusters: running, Demands: demands, Config: dear}, mem)
	if got := summary(plan); !strings.HasPrefix(got, "Drain cloud-") {
		t.Errorf("at 0.07 a move, plan:\n%s\nwant a cloud cluster drained", got)
	}
	// Once one workload runs on-premises, that cluster is the dearest per replica, but it is
	// what the whole-fleet decision wants: the cloud clusters are drained, not it.
	moved := slices.Clone(demands)
	moved[0].Assigned = map[string]int32{"onprem-1": 8}
	fresh := NewMemory()
	Decide(Input{Now: at(6 * time.Hour), Demands: moved, Config: DefaultConfig()}, fresh)
	plan = decide(pools, running, moved, at(8*time.Hour+42*time.Minute), fresh)
	if got := summary(plan); strings.Contains(got, "onprem-1") || !strings.HasPrefix(got, "Drain cloud-") {
		t.Errorf("with a workload on-premises, plan:\n%s\nwant a cloud cluster drained, and the on-premises one kept", got)
	}
	// A single small workload keeps its cloud cluster: the pool paid by the cluster costs more.
	one := []Demand{testDemand("team0/svc0", 8, map[string]int32{"cloud-0": 8}, halfCPU)}
	plan = decide(pools, clusters[:1], one, at(8*time.Hour), NewMemory())
	if strings.Contains(summary(plan), "onprem") {
		t.Errorf("one small workload moves to the pool paid by the cluster:\n%s", summary(plan))
	}
}

// TestGrowingDemandOrdersTheFixedPricePoolSooner: teams arrive every five minutes, each
// filling a cloud node. While they arrive, what the on-premises cluster saves over the horizon
// does not yet pay for moving every replica into it; but each team that lands in the cloud
// meanwhile is one more to move, so once the arrivals are a trend, the planner orders it and
// says why. The same fleet, steady for as long, waits: nothing says its moves will grow.
func TestGrowingDemandOrdersTheFixedPricePoolSooner(t *testing.T) {
	cloud := testPool("cloud", "eu-west", 0.2, func(p *Pool) { p.MaxClusters = 4 })
	pools := []Pool{onPremises(), cloud}
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	fleet := func(n int) ([]Cluster, []Demand) { return teamsInTheCloud(cloud, n) }
	growing := NewMemory()
	ordered := 0
	var reason string
	for n := 1; n <= 30 && ordered == 0; n++ {
		clusters, demands := fleet(n)
		plan := decide(pools, clusters, demands, at(time.Duration(n)*5*time.Minute), growing)
		if strings.Contains(summary(plan), "Create pool/onprem") {
			ordered, reason = n, plan.Actions[0].Reason
		}
	}
	if ordered == 0 {
		t.Fatal("thirty teams arrived in the cloud, and the on-premises cluster was never ordered")
	}
	if !strings.Contains(reason, "replicas an hour, so waiting would only add moves") {
		t.Errorf("the order does not say that demand keeps coming: %q", reason)
	}
	// The same fleet as it was when ordered, there for the two hours before without change.
	clusters, demands := fleet(ordered)
	steady := NewMemory()
	for m := 0; m <= 120; m += 5 {
		if plan := decide(pools, clusters, demands, at(time.Duration(m)*time.Minute), steady); strings.Contains(summary(plan), "onprem") {
			t.Fatalf("with %d steady teams, the on-premises cluster is ordered at minute %d:\n%s", ordered, m, summary(plan))
		}
	}
	t.Logf("ordered with %d teams in the cloud: %s", ordered, reason)
}

// teamsInTheCloud is the first n teams of 8 replicas, ten to a cluster of the cloud pool
// with a node each.
func teamsInTheCloud(cloud Pool, n int) ([]Cluster, []Demand) {
	var clusters []Cluster
	var demands []Demand
	for i := range n {
		name := fmt.Sprintf("cloud-%d", i/10)
		if i%10 == 0 {
			clusters = append(clusters, testCluster(name, cloud, Running, 0))
		}
		clusters[len(clusters)-1].Nodes++
		demands = append(demands, testDemand(fmt.Sprintf("team%02d/svc", i), 8, map[string]int32{name: 8}, halfCPU))
	}
	return clusters, demands
}

func halfCPU(d *Demand) { d.Request = placement.Resources{MilliCPU: 500, MemoryBytes: 512 << 20} }

// TestFreeNodesAreRoom: a cluster of a pool whose nodes cost nothing is made, woken and grown
// to its most nodes at once, and never shrunk: room for what comes next, at no price.
func TestFreeNodesAreRoom(t *testing.T) {
	onprem := onPremises()
	pools := []Pool{onprem}
	demand := []Demand{testDemand("team/svc", 4, nil)}
	if got, want := summary(decide(pools, nil, demand, t0, nil)), "Create pool/onprem nodes=16\n"; got != want {
		t.Errorf("a new cluster: %s, want %s", got, want)
	}
	asleep := []Cluster{testCluster("onprem-1", onprem, Hibernated, 9)}
	if got, want := summary(decide(pools, asleep, demand, t0, nil)), "Wake onprem-1 nodes=16\n"; got != want {
		t.Errorf("a hibernated cluster: %s, want %s", got, want)
	}
	// A cluster at one node (made before its pool's nodes were free): the first need beyond it takes all 16.
	small := []Cluster{testCluster("onprem-1", onprem, Running, 1)}
	busy := []Demand{testDemand("team/svc", 20, map[string]int32{"onprem-1": 16})}
	if got, want := summary(decide(pools, small, busy, t0, nil)), "Scale onprem-1 nodes=16\n"; got != want {
		t.Errorf("a cluster that needs more: %s, want %s", got, want)
	}
	// Its replicas need one node for hours: it keeps its 16.
	full := []Cluster{testCluster("onprem-1", onprem, Running, 16)}
	mem := NewMemory()
	for m := 0; m <= 120; m += 5 {
		quiet := []Demand{testDemand("team/svc", 4, map[string]int32{"onprem-1": 4})}
		if plan := decide(pools, full, quiet, t0.Add(time.Duration(m)*time.Minute), mem); strings.Contains(summary(plan), "Scale") {
			t.Fatalf("minute %d: %s", m, summary(plan))
		}
	}
}

// growingTeams are teams of 8 half-CPU replicas arriving in pool cloud every 5 minutes,
// beside an on-premises pool, where moves cost too much for the whole-fleet order.
type growingTeams struct {
	onprem, cloud Pool
	cfg           Config
	mem           *Memory
}

func newGrowingTeams(onprem Pool) *growingTeams {
	cfg := DefaultConfig()
	cfg.DisruptionCost = 1000
	return &growingTeams{onprem: onprem, cloud: testPool("cloud", "eu-west", 0.2, func(p *Pool) { p.MaxClusters = 4 }), cfg: cfg, mem: NewMemory()}
}

// decide has the first n teams placed in the cloud, extra clusters beside them, and team n
// arriving with nowhere to run.
func (g *growingTeams) decide(n int, now time.Duration, extra ...Cluster) Plan {
	clusters, demands := teamsInTheCloud(g.cloud, n)
	return g.decideOn(now, append(clusters, extra...), append(demands, testDemand(fmt.Sprintf("team%02d/svc", n), 8, nil, halfCPU)))
}

func (g *growingTeams) decideOn(now time.Duration, clusters []Cluster, demands []Demand) Plan {
	return Decide(Input{Now: t0.Add(now), Pools: []Pool{g.onprem, g.cloud}, Clusters: clusters, Demands: demands, Config: g.cfg}, g.mem)
}

// untilOrdered has teams arrive, one every 5 minutes, until the on-premises cluster is
// ordered: it returns the arriving team's number and the plan, or 0 when thirty teams did not.
func (g *growingTeams) untilOrdered() (int, Plan) {
	for n := 1; n <= 30; n++ {
		if plan := g.decide(n, time.Duration(n)*5*time.Minute); strings.Contains(summary(plan), "Create pool/"+g.onprem.Name) {
			return n, plan
		}
	}
	return 0, Plan{}
}

// TestGrowingDemandGetsAClusterOfFreeNodes: where moves cost too much for the whole-fleet
// order, teams keep arriving in the cloud, each too small for a cluster paid by the hour.
// Priced over the growth it will hold, the on-premises cluster is ordered for the teams
// still to come, while the team that needs room now gets the cloud's faster capacity. The
// same teams after two steady hours do not order it for one more team.
func TestGrowingDemandGetsAClusterOfFreeNodes(t *testing.T) {
	g := newGrowingTeams(onPremises())
	ordered, plan := g.untilOrdered()
	if ordered == 0 {
		t.Fatal("thirty teams arrived in the cloud at a high disruption cost, and the on-premises cluster was never ordered")
	}
	var why, now string
	for _, a := range plan.Actions {
		switch a.Pool {
		case "onprem":
			why = a.Reason
		case "cloud":
			now = a.Reason
		}
	}
	if !strings.Contains(why, "capacity for the growth: demand has been adding") {
		t.Errorf("the on-premises cluster is not ordered for the growth: %q", why)
	}
	if !strings.Contains(now, fmt.Sprintf("8 replicas of team%02d/svc need room", ordered)) {
		t.Errorf("the arriving team does not get the cloud's capacity now:\n%s", summary(plan))
	}
	if !strings.Contains(now, "next best: create a cluster in pool onprem") {
		t.Errorf("the arriving team's reason does not name the on-premises cluster as next best: %q", now)
	}
	if strings.Contains(summary(plan), "Drain") {
		t.Errorf("moves at a disruption cost of 1000:\n%s", summary(plan))
	}
	// The same teams, steady for two hours, then one more.
	steady := newGrowingTeams(onPremises())
	for m := 0; m <= 120; m += 5 {
		clusters, demands := teamsInTheCloud(steady.cloud, ordered)
		steady.decideOn(time.Duration(m)*time.Minute, clusters, demands)
	}
	if plan := steady.decide(ordered, 125*time.Minute); strings.Contains(summary(plan), "onprem") {
		t.Errorf("with %d steady teams, one more orders the on-premises cluster:\n%s", ordered, summary(plan))
	}
	t.Logf("ordered with team %d arriving: %s", ordered, why)
}

// TestASlowPoolIsPricedOverAsLongAService: an on-premises pool that takes 40 minutes, an
// hour or 3 hours to make a cluster is ordered for the same growing teams within two teams
// of one that takes 20. Its cluster is priced over the growth of a capacity horizon from its
// coming, as the fast one is (counted only to the horizon's end from now, one that takes 3
// hours held none), and only the replicas that need room now are weighed by its delay, since
// the growth comes after it does (weighed whole, one that takes an hour cost 11 times its
// price, and thirty teams ended in the cloud).
func TestASlowPoolIsPricedOverAsLongAService(t *testing.T) {
	fast, _ := newGrowingTeams(onPremises()).untilOrdered()
	if fast == 0 {
		t.Fatal("thirty teams arrived in the cloud, and the on-premises cluster was never ordered")
	}
	for _, create := range []time.Duration{40 * time.Minute, time.Hour, 3 * time.Hour} {
		slowPool := onPremises()
		slowPool.CreateTime = create
		if slow, _ := newGrowingTeams(slowPool).untilOrdered(); slow == 0 || slow > fast+2 {
			t.Errorf("the pool that makes a cluster in 20 minutes is ordered with team %d arriving, the one that takes %v with team %d (0: never): want it within two teams", fast, create, slow)
		}
	}
}

// TestArrivalsWaitForTheGrowthClusterOnceItIsNear: the teams of
// TestGrowingDemandGetsAClusterOfFreeNodes order the on-premises cluster for the growth (20
// minutes to come). A team arriving 15 minutes before it comes gets the cloud's nodes (2
// minutes) now; one arriving 5 minutes before it waits for it, as it would for any cluster
// ordered for it, rather than be moved there later: the cluster costs nothing more, and 5
// minutes is less than the cloud's 2 and the 6 that double a price (DelayWeight 10).
func TestArrivalsWaitForTheGrowthClusterOnceItIsNear(t *testing.T) {
	g := newGrowingTeams(onPremises())
	ordered, plan := g.untilOrdered()
	var nodes int32
	for _, a := range plan.Actions {
		if a.Kind == Create && a.Pool == "onprem" {
			nodes = a.Nodes
		}
	}
	if ordered == 0 || nodes == 0 {
		t.Fatal("thirty teams arrived in the cloud, and the on-premises cluster was never ordered")
	}
	starting := testCluster("onprem-1", g.onprem, Starting, nodes)
	at := time.Duration(ordered) * 5 * time.Minute
	far := g.decide(ordered+1, at+5*time.Minute, starting)
	if len(far.Actions) == 0 || far.Actions[0].Pool != "cloud" || !strings.Contains(far.Actions[0].Reason, fmt.Sprintf("team%02d/svc need room", ordered+1)) {
		t.Errorf("15 minutes before the on-premises cluster comes, the arriving team does not get the cloud's nodes:\n%s", summary(far))
	}
	if near := g.decide(ordered+2, at+15*time.Minute, starting); len(near.Actions) > 0 || len(near.Unserved) > 0 {
		t.Errorf("5 minutes before the on-premises cluster comes, the arriving team does not wait for it:\n%s", summary(near))
	}
}

// TestWhatTheWholeFleetKeepsIsNotReplaced: the on-premises cluster has run its 40 replicas
// for six hours, and a spot cluster would hold them for less; but the whole-fleet decision
// keeps the on-premises cluster for all demand, so consolidation would not drain it into
// the replacement. No replacement is ordered: before, one was ordered, sat empty, was handed
// back, and was ordered again, all evening.
func TestWhatTheWholeFleetKeepsIsNotReplaced(t *testing.T) {
	spot := testPool("spot", "eu-west", 0.081)
	pools := []Pool{onPremises(), spot}
	demands := []Demand{
		testDemand("shop/api", 40, map[string]int32{"onprem-1": 40}),
		testDemand("shop/web", 40, map[string]int32{"spot-1": 40}),
	}
	mem := NewMemory()
	decideAt := func(d time.Duration, state State) Plan {
		clusters := []Cluster{testCluster("onprem-1", onPremises(), state, 16), testCluster("spot-1", spot, state, 10)}
		return Decide(Input{Now: t0.Add(d), Pools: pools, Clusters: clusters, Demands: demands, Config: DefaultConfig()}, mem)
	}
	decideAt(-time.Minute, Starting)
	// shop/web moves as often as an hour allows, so spot-1 is not drained into onprem-1.
	var plan Plan
	for at := time.Duration(0); at <= 6*time.Hour; at += 30 * time.Minute {
		mem.Moved("shop/web", t0.Add(at))
		plan = decideAt(at, Running)
		if got := summary(plan); strings.Contains(got, "Create pool/spot") {
			t.Fatalf("at %v, a replacement is ordered for the cluster the whole-fleet decision keeps:\n%s\n%s", at, got, plan.Actions[0].Reason)
		}
	}
	if plan.WholeFleet == nil || !strings.HasPrefix(JoinTargets(plan.WholeFleet.Pools), "onprem: 1 clusters") {
		t.Fatalf("the whole-fleet decision is %+v, want it to keep the on-premises cluster", plan.WholeFleet)
	}
}

// TestAPeakThatComesAndGoesOrdersNothing: 40 replicas that have run for six hours in the
// cloud order the on-premises cluster, the cheaper home. The same 40 swinging to 8 and back
// every ten minutes do not: at 8 the cloud is cheaper, and the order made at a peak would be
// undone at the next trough.
func TestAPeakThatComesAndGoesOrdersNothing(t *testing.T) {
	cloud := testPool("cloud", "eu-west", 0.2)
	pools := []Pool{onPremises(), cloud}
	run := func(replicas func(minute int) int32) string {
		mem := NewMemory()
		for m := 0; m <= 6*60; m++ {
			n := replicas(m)
			clusters := []Cluster{testCluster("cloud-1", cloud, Running, 10)}
			if m == 0 {
				clusters[0].State = Starting
			}
			demands := []Demand{testDemand("shop/search", n, map[string]int32{"cloud-1": n})}
			plan := Decide(Input{Now: t0.Add(time.Duration(m) * time.Minute), Pools: pools, Clusters: clusters, Demands: demands, Config: DefaultConfig()}, mem)
			if s := summary(plan); strings.Contains(s, "onprem") {
				return fmt.Sprintf("minute %d: %s", m, plan.Actions[0].Reason)
			}
		}
		return ""
	}
	if ordered := run(func(int) int32 { return 40 }); ordered == "" {
		t.Fatal("40 steady replicas never order the on-premises cluster")
	}
	swinging := func(m int) int32 {
		if m/5%2 == 0 {
			return 40
		}
		return 8
	}
	if ordered := run(swinging); ordered != "" {
		t.Errorf("demand swinging between 40 and 8 orders the on-premises cluster at %s", ordered)
	}
}

// TestALargeNeedIsPricedWhole: 119 replicas arriving at once. Two spot clusters hold 40 each,
// each cheaper per replica than the on-premises cluster, but the other 39 would need an
// on-demand cluster: together they cost more, time to capacity weighed in, than one
// on-premises cluster for all 119. A need that one spot cluster holds stays there, and the
// 119 without the on-premises pool fill the spot clusters before the dear one.
func TestALargeNeedIsPricedWhole(t *testing.T) {
	spot := testPool("spot", "eu-west", 0.081, func(p *Pool) { p.MaxClusters, p.CreateTime = 2, 6*time.Minute })
	dear := testPool("cloud", "eu-west", 0.216, func(p *Pool) { p.MaxNodes = 20 })
	for _, tt := range []struct {
		name     string
		pools    []Pool
		replicas int32
		want     string
	}{
		{"119 replicas", []Pool{onPremises(), spot, dear}, 119, "Create pool/onprem nodes=16\n"},
		{"30 replicas", []Pool{onPremises(), spot, dear}, 30, "Create pool/spot nodes=8\n"},
		{"119 replicas, no on-premises pool", []Pool{spot, dear}, 119, "Create pool/spot nodes=10\nCreate pool/spot nodes=10\nCreate pool/cloud nodes=10\n"},
	} {
		plan := decide(tt.pools, nil, []Demand{testDemand("erp/core", tt.replicas, nil)}, t0, nil)
		if got := summary(plan); got != tt.want {
			t.Errorf("%s:\n%swant:\n%s", tt.name, got, tt.want)
		}
		if tt.replicas == 119 && tt.pools[0].Name == "onprem" && len(plan.Actions) > 0 && !strings.Contains(plan.Actions[0].Reason, "for all 119 (the cheaper ways for part of them score") {
			t.Errorf("%s: reason %q does not weigh the whole need", tt.name, plan.Actions[0].Reason)
		}
	}
}
