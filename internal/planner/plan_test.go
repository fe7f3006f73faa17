package planner

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/navarkos/navarkos/internal/placement"
)

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// 4 CPU, 16 GiB, 110 pods per node; a 1-CPU replica fits 4 times.
var shape = placement.Resources{MilliCPU: 4000, MemoryBytes: 16 << 30, Pods: 110}
var oneCPU = placement.Resources{MilliCPU: 1000, MemoryBytes: 1 << 30}

func testPool(name, region string, nodePrice float64, opts ...func(*Pool)) Pool {
	p := Pool{
		Name: name, Region: region, Labels: labels.Set{"n6s.io/pool": name, placement.RegionLabel: region},
		Shape: shape, NodePrice: nodePrice, ClusterPrice: 0.10, MaxClusters: 3, MinNodes: 1, MaxNodes: 10,
		IdleTTL: 20 * time.Minute, CreateTime: 5 * time.Minute, WakeTime: time.Minute, ScaleTime: 2 * time.Minute,
	}
	for _, o := range opts {
		o(&p)
	}
	return p
}

func withLabel(k, v string) func(*Pool) {
	return func(p *Pool) { p.Labels[k] = v }
}

func testCluster(name string, pool Pool, state State, nodes int32, opts ...func(*Cluster)) Cluster {
	c := Cluster{Name: name, Pool: pool.Name, Labels: pool.Labels, State: state, Nodes: nodes, Managed: true, DrainLimit: -1}
	for _, o := range opts {
		o(&c)
	}
	return c
}

func idleSince(t time.Time) func(*Cluster) { return func(c *Cluster) { c.IdleSince = t } }

func testDemand(name string, replicas int32, assigned map[string]int32, opts ...func(*Demand)) Demand {
	d := Demand{Name: name, Replicas: replicas, Request: oneCPU, Grow: true, Assigned: assigned}
	d.Policy.Mode = placement.Divided
	for _, o := range opts {
		o(&d)
	}
	return d
}

func requiring(sel string) func(*Demand) {
	return func(d *Demand) { d.Policy.ClusterSelector = labels.SelectorFromSet(labels.Set(mustParse(sel))) }
}

func mustParse(s string) map[string]string {
	k, v, _ := strings.Cut(s, "=")
	return map[string]string{k: v}
}

func decide(pools []Pool, clusters []Cluster, demands []Demand, now time.Time, mem *Memory) Plan {
	if mem == nil {
		mem = NewMemory()
	}
	return Decide(Input{Now: now, Pools: pools, Clusters: clusters, Demands: demands, Config: DefaultConfig()}, mem)
}

// summary writes a plan's actions as "Kind cluster-or-pool nodes", one per line, for exact comparison.
func summary(p Plan) string {
	var b strings.Builder
	for _, a := range p.Actions {
		target := a.Cluster
		if a.Kind == Create {
			target = "pool/" + a.Pool
		}
		fmt.Fprintf(&b, "%s %s", a.Kind, target)
		switch a.Kind {
		case Create, Wake, Scale:
			fmt.Fprintf(&b, " nodes=%d", a.Nodes)
		case Drain:
			fmt.Fprintf(&b, " limit=%d", a.DrainLimit)
		}
		b.WriteString("\n")
	}
	for _, u := range p.Unserved {
		fmt.Fprintf(&b, "Unserved %s %d\n", u.Demand, u.Replicas)
	}
	return b.String()
}

func TestDecide(t *testing.T) {
	cheap := testPool("cheap", "us-east", 0.10)
	dear := testPool("dear", "eu-west", 0.20, withLabel("compliance.n6s.io/gdpr", "true"))
	small := testPool("small", "us-east", 0.10, func(p *Pool) { p.MaxClusters, p.MaxNodes = 1, 3 })
	tests := []struct {
		name     string
		pools    []Pool
		clusters []Cluster
		demands  []Demand
		now      time.Time
		want     string
		reason   string // a part of the first action's or unserved reason
	}{
		{
			name:    "no application, no cluster",
			pools:   []Pool{cheap, dear},
			demands: nil,
			want:    "",
		},
		{
			name:    "the cheapest eligible pool gets the new cluster, sized for the demand",
			pools:   []Pool{cheap, dear},
			demands: []Demand{testDemand("shop/web", 10, nil)},
			want:    "Create pool/cheap nodes=3\n",
			reason:  "next best: create a cluster in pool dear",
		},
		{
			name:    "compliance excludes pools",
			pools:   []Pool{cheap, dear},
			demands: []Demand{testDemand("shop/web", 10, nil, requiring("compliance.n6s.io/gdpr=true"))},
			want:    "Create pool/dear nodes=3\n",
			reason:  "pool cheap does not meet the placement's constraints",
		},
		{
			name:    "a replica larger than every pool's node buys nothing, and says why",
			pools:   []Pool{cheap},
			demands: []Demand{testDemand("shop/big", 2, nil, func(d *Demand) { d.Request = placement.Resources{MilliCPU: 8000, MemoryBytes: 1 << 30} })},
			want:    "Unserved shop/big 2\n",
			reason:  "pool cheap: one replica needs 8 CPU, 1Gi, more than its node's 4 CPU, 16Gi",
		},
		{
			// (Nor shrink it: a first decision has watched no stabilisation window.)
			name:     "replicas larger than the node, bound to a cluster, grow it not",
			pools:    []Pool{cheap},
			clusters: []Cluster{testCluster("c1", cheap, Running, 2)},
			demands:  []Demand{testDemand("shop/big", 2, map[string]int32{"c1": 2}, func(d *Demand) { d.Request = placement.Resources{MilliCPU: 8000, MemoryBytes: 1 << 30} })},
			want:     "Unserved shop/big 2\n",
		},
		{
			name:     "wake before create",
			pools:    []Pool{cheap},
			clusters: []Cluster{testCluster("sleepy", cheap, Hibernated, 2)},
			demands:  []Demand{testDemand("shop/web", 6, nil)},
			want:     "Wake sleepy nodes=2\n",
		},
		{
			name:     "a dearer hibernated cluster loses to a new cheap one when hibernation costs nothing",
			pools:    []Pool{cheap, testPool("kept", "us-east", 0.20)},
			clusters: []Cluster{testCluster("sleepy", testPool("kept", "us-east", 0.20), Hibernated, 2)},
			demands:  []Demand{testDemand("shop/web", 6, nil)},
			want:     "Create pool/cheap nodes=2\n",
		},
		{
			name:     "what a hibernated cluster costs anyway makes waking it the cheaper way",
			pools:    []Pool{cheap, testPool("kept", "us-east", 0.20, func(p *Pool) { p.HibernatedPrice = 0.25 })},
			clusters: []Cluster{testCluster("sleepy", testPool("kept", "us-east", 0.20), Hibernated, 2)},
			demands:  []Demand{testDemand("shop/web", 6, nil)},
			want:     "Wake sleepy nodes=2\n",
			reason:   "cheapest way: wake cluster sleepy",
		},
		{
			name:     "grow a running cluster before making another",
			pools:    []Pool{cheap},
			clusters: []Cluster{testCluster("busy", cheap, Running, 1)},
			demands:  []Demand{testDemand("shop/web", 6, map[string]int32{"busy": 4})},
			want:     "Scale busy nodes=2\n",
		},
		{
			name:    "pool max clusters and max nodes bound the growth; the rest is unserved with the reason",
			pools:   []Pool{small},
			demands: []Demand{testDemand("shop/web", 20, nil)},
			want:    "Create pool/small nodes=3\nUnserved shop/web 8\n",
			reason:  "pool small has its 1 clusters",
		},
		{
			name:    "a placement that forbids provisioning gets no cluster",
			pools:   []Pool{cheap},
			demands: []Demand{testDemand("shop/web", 4, nil, func(d *Demand) { d.Grow = false })},
			want:    "Unserved shop/web 4\n",
			reason:  "provisioning is not allowed",
		},
		{
			name:    "duplicated replicas get a whole cluster per spread minimum",
			pools:   []Pool{cheap},
			demands: []Demand{testDemand("shop/web", 4, nil, func(d *Demand) { d.Policy.Mode, d.Policy.MinClusters = placement.Duplicated, 2 })},
			want:    "Create pool/cheap nodes=1\nCreate pool/cheap nodes=1\n",
		},
		{
			name:     "idle for less than the time-to-live: kept",
			pools:    []Pool{cheap},
			clusters: []Cluster{testCluster("quiet", cheap, Running, 1, idleSince(t0.Add(-19*time.Minute)))},
			now:      t0,
			want:     "",
		},
		{
			name:     "idle for the time-to-live: hibernated",
			pools:    []Pool{cheap},
			clusters: []Cluster{testCluster("quiet", cheap, Running, 1, idleSince(t0.Add(-20*time.Minute)))},
			now:      t0,
			want:     "Hibernate quiet\n",
			reason:   "idle time-to-live is 20m0s",
		},
		{
			name:     "idle for the time-to-live in a delete pool: deleted",
			pools:    []Pool{testPool("cheap", "us-east", 0.10, func(p *Pool) { p.DeleteWhenIdle = true })},
			clusters: []Cluster{testCluster("quiet", cheap, Running, 1, idleSince(t0.Add(-time.Hour)))},
			now:      t0,
			want:     "Delete quiet\n",
		},
		{
			name:     "idle but the pool keeps a minimum of clusters",
			pools:    []Pool{testPool("cheap", "us-east", 0.10, func(p *Pool) { p.MinClusters = 1 })},
			clusters: []Cluster{testCluster("quiet", cheap, Running, 1, idleSince(t0.Add(-time.Hour)))},
			now:      t0,
			want:     "",
		},
		{
			name:     "a cluster not managed by the planner is left alone",
			pools:    []Pool{cheap},
			clusters: []Cluster{testCluster("mine", cheap, Running, 5, idleSince(t0.Add(-time.Hour)), func(c *Cluster) { c.Managed = false })},
			now:      t0,
			want:     "",
		},
		{
			name:     "a failed provider: the cluster goes, the next eligible pool is tried, and the plan says so",
			pools:    []Pool{cheap, dear},
			clusters: []Cluster{testCluster("broken", cheap, Failed, 1, func(c *Cluster) { c.FailureReason = "ProviderFailed: quota exceeded" })},
			demands:  []Demand{testDemand("shop/web", 4, nil)},
			want:     "Delete broken\nCreate pool/dear nodes=1\n",
			reason:   "pool cheap is passed over",
		},
		{
			name:     "pre-emption: a lost spot cluster is deleted and its replicas get capacity elsewhere",
			pools:    []Pool{testPool("spot", "ap-south", 0.05, func(p *Pool) { p.Spot = true; p.MaxClusters = 1 }), cheap},
			clusters: []Cluster{testCluster("spot-1", testPool("spot", "ap-south", 0.05), Lost, 2, func(c *Cluster) { c.FailureReason = "Unreachable" })},
			demands:  []Demand{testDemand("shop/web", 8, map[string]int32{"spot-1": 8})},
			want:     "Delete spot-1\nCreate pool/spot nodes=2\n",
			reason:   "pre-empted",
		},
		{
			name:     "a lost on-demand cluster is kept, and its replicas get capacity elsewhere",
			pools:    []Pool{cheap},
			clusters: []Cluster{testCluster("c-1", cheap, Lost, 2)},
			demands:  []Demand{testDemand("shop/web", 4, map[string]int32{"c-1": 4})},
			want:     "Create pool/cheap nodes=1\n",
		},
		{
			name:     "pre-emption: the replicas of a vanished spot cluster get replacement capacity",
			pools:    []Pool{testPool("spot", "ap-south", 0.05, func(p *Pool) { p.Spot = true }), testPool("dear", "eu-west", 0.20, func(p *Pool) { p.MaxNodes = 1 })},
			clusters: []Cluster{testCluster("eu-1", dear, Running, 1)},
			demands:  []Demand{testDemand("shop/web", 8, map[string]int32{"spot-1": 4, "eu-1": 4})},
			want:     "Create pool/spot nodes=1\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := tt.now
			if now.IsZero() {
				now = t0
			}
			plan := decide(tt.pools, tt.clusters, tt.demands, now, nil)
			if got := summary(plan); got != tt.want {
				t.Fatalf("plan:\n%s\nwant:\n%s\nreasons: %+v", got, tt.want, plan)
			}
			if tt.reason != "" {
				var all []string
				for _, a := range plan.Actions {
					all = append(all, a.Reason)
				}
				for _, u := range plan.Unserved {
					all = append(all, u.Reason)
				}
				if !strings.Contains(strings.Join(all, "\n"), tt.reason) {
					t.Fatalf("no reason contains %q: %q", tt.reason, all)
				}
			}
		})
	}
}

func TestScaleDownWaitsForTheStabilisationWindow(t *testing.T) {
	pool := testPool("cheap", "us-east", 0.10)
	mem := NewMemory()
	busy := func(n int32) []Cluster { return []Cluster{testCluster("c1", pool, Running, n)} }
	// 16 replicas need 4 nodes.
	if got := summary(decide([]Pool{pool}, busy(4), []Demand{testDemand("a/w", 16, map[string]int32{"c1": 16})}, t0, mem)); got != "" {
		t.Fatalf("at need: %q", got)
	}
	// Demand falls to 4 replicas (1 node): nothing shrinks within the window.
	for _, after := range []time.Duration{time.Minute, 4 * time.Minute} {
		if got := summary(decide([]Pool{pool}, busy(4), []Demand{testDemand("a/w", 4, map[string]int32{"c1": 4})}, t0.Add(after), mem)); got != "" {
			t.Fatalf("%s after the fall: %q, want nothing within the window", after, got)
		}
	}
	got := summary(decide([]Pool{pool}, busy(4), []Demand{testDemand("a/w", 4, map[string]int32{"c1": 4})}, t0.Add(5*time.Minute), mem))
	if got != "Scale c1 nodes=1\n" {
		t.Fatalf("once the window passed: %q", got)
	}
}

// TestARestartShrinksNothingItWouldNotHave: a planner that restarts (a fresh memory) while
// demand is low has not watched the stabilisation window, so it shrinks nothing until it has,
// however low the demand it sees first.
func TestARestartShrinksNothingItWouldNotHave(t *testing.T) {
	pool := testPool("cheap", "us-east", 0.10)
	busy := []Cluster{testCluster("c1", pool, Running, 4)}
	low := []Demand{testDemand("a/w", 4, map[string]int32{"c1": 4})}
	mem := NewMemory() // the memory of the restarted planner
	for _, after := range []time.Duration{0, time.Minute, 4 * time.Minute} {
		if got := summary(decide([]Pool{pool}, busy, low, t0.Add(after), mem)); got != "" {
			t.Fatalf("%s after a restart: %q, want nothing before the window was watched", after, got)
		}
	}
	if got := summary(decide([]Pool{pool}, busy, low, t0.Add(5*time.Minute), mem)); got != "Scale c1 nodes=1\n" {
		t.Fatalf("once the window was watched: %q", got)
	}
}

// watched has the memory watch the demands for d before t0, with no fleet yet: a planner that
// has seen the demand at this level for that long.
func watched(mem *Memory, d time.Duration, demands ...Demand) {
	Decide(Input{Now: t0.Add(-d), Demands: demands, Config: DefaultConfig()}, mem)
}

// TestARestartDrainsNothingUntilTheLullPays: a planner that restarts has not watched how long
// demand has been this low, so it drains nothing until it has watched as long as the drain
// takes to pay back its moves; a demand that was higher than what is left after the drain
// just before counts the lull from then.
func TestARestartDrainsNothingUntilTheLullPays(t *testing.T) {
	cheap := testPool("cheap", "us-east", 0.10)
	dear := testPool("dear", "us-east", 0.40)
	clusters := []Cluster{testCluster("cheap-1", cheap, Running, 5), testCluster("dear-1", dear, Running, 3, func(c *Cluster) { c.Pods = 12 })}
	demand := testDemand("a/w", 20, map[string]int32{"cheap-1": 8, "dear-1": 12})
	drains := func(mem *Memory, at time.Duration) bool {
		return strings.HasPrefix(summary(decide([]Pool{cheap, dear}, clusters, []Demand{demand}, t0.Add(at), mem)), "Drain dear-1")
	}
	// dear-1 costs 1.30/h; its 12 moves, at 0.05, are paid back in about 28 minutes.
	mem := NewMemory()
	for _, at := range []time.Duration{0, 10 * time.Minute, 25 * time.Minute} {
		if drains(mem, at) {
			t.Fatalf("%s after a restart: drained, want nothing before the lull pays the moves", at)
		}
	}
	if !drains(mem, 35*time.Minute) {
		t.Fatal("35 minutes after a restart: no drain, want dear-1 drained")
	}
	// Demand of 60 replicas, more than cheap-1 can hold, 10 minutes before: the lull is 10 minutes.
	mem = NewMemory()
	watched(mem, 2*time.Hour, demand)
	busy := demand
	busy.Replicas = 60
	Decide(Input{Now: t0.Add(-10 * time.Minute), Pools: []Pool{cheap, dear}, Clusters: clusters, Demands: []Demand{busy}, Config: DefaultConfig()}, mem)
	if drains(mem, 0) {
		t.Fatal("10 minutes after 60 replicas: drained, want the drain to wait for the lull")
	}
}

func TestConsolidationDrainsWithinTheBudget(t *testing.T) {
	cheap := testPool("cheap", "us-east", 0.10)
	dear := testPool("dear", "us-east", 0.40)
	mem := NewMemory()
	clusters := []Cluster{testCluster("cheap-1", cheap, Running, 3), testCluster("dear-1", dear, Running, 3, func(c *Cluster) { c.Pods = 12 })}
	demand := testDemand("a/w", 20, map[string]int32{"cheap-1": 8, "dear-1": 12})
	watched(mem, 2*time.Hour, demand)
	plan := decide([]Pool{cheap, dear}, clusters, []Demand{demand}, t0, mem)
	// dear-1's 12 replicas move to cheap-1, grown from 3 to 5 nodes; 5 at a time.
	if got := summary(plan); got != "Drain dear-1 limit=7\nScale cheap-1 nodes=5\n" {
		t.Fatalf("plan:\n%s", got)
	}
	// The scheduler has moved the first 5: the next step moves 5 more.
	clusters[0].Nodes = 5
	clusters[1].DrainLimit, clusters[1].Pods = 7, 7
	demand.Assigned = map[string]int32{"cheap-1": 13, "dear-1": 7}
	if got := summary(decide([]Pool{cheap, dear}, clusters, []Demand{demand}, t0.Add(time.Minute), mem)); got != "Drain dear-1 limit=2\n" {
		t.Fatalf("second step:\n%s", got)
	}
	// A step that has not landed yet (replicas unplaced): wait.
	demand.Assigned = map[string]int32{"cheap-1": 13, "dear-1": 2}
	clusters[1].DrainLimit, clusters[1].Pods = 2, 2
	if got := summary(decide([]Pool{cheap, dear}, clusters, []Demand{demand}, t0.Add(2*time.Minute), mem)); got != "" {
		t.Fatalf("while replicas are unplaced:\n%s", got)
	}
	// Drained: offline.
	clusters[1].Pods = 0
	demand.Assigned = map[string]int32{"cheap-1": 20}
	if got := summary(decide([]Pool{cheap, dear}, clusters, []Demand{demand}, t0.Add(3*time.Minute), mem)); got != "Hibernate dear-1\n" {
		t.Fatalf("drained:\n%s", got)
	}
}

func TestConsolidationNeedsTheThreshold(t *testing.T) {
	free := func(p *Pool) { p.ClusterPrice = 0 }
	a := testPool("a", "us-east", 0.10, free)
	b := testPool("b", "us-east", 0.11, free)
	clusters := []Cluster{testCluster("a-1", a, Running, 3), testCluster("b-1", b, Running, 3)}
	// b-1's replicas fit on a-1 only by growing it by as many nodes as b-1 has: the saving is
	// 0.03/h of b-1's 0.33/h, under the 20% threshold.
	demand := testDemand("a/w", 24, map[string]int32{"a-1": 12, "b-1": 12})
	if got := summary(decide([]Pool{a, b}, clusters, []Demand{demand}, t0, nil)); got != "" {
		t.Fatalf("plan:\n%s", got)
	}
}

// TestNoFlappingUnderOscillatingDemand applies every action at once and swings the demand
// between 40 and 8 replicas every two minutes: after the first peak the fleet holds still.
func TestNoFlappingUnderOscillatingDemand(t *testing.T) {
	pool := testPool("cheap", "us-east", 0.10)
	mem := NewMemory()
	var clusters []Cluster
	actions := 0
	for step := 0; step < 60; step++ {
		now := t0.Add(time.Duration(step) * 30 * time.Second)
		replicas := int32(40)
		if (step/4)%2 == 1 {
			replicas = 8
		}
		assigned := map[string]int32{}
		left := replicas
		for _, c := range clusters {
			n := min(left, c.Nodes*4)
			assigned[c.Name] = n
			left -= n
		}
		plan := decide([]Pool{pool}, clusters, []Demand{testDemand("a/w", replicas, assigned)}, now, mem)
		for _, a := range plan.Actions {
			if step > 0 {
				actions++
				t.Logf("step %d (%d replicas): %s %s: %s", step, replicas, a.Kind, a.Cluster, a.Reason)
			}
			switch a.Kind {
			case Create:
				clusters = append(clusters, testCluster(fmt.Sprintf("c%d", len(clusters)+1), pool, Running, a.Nodes))
			case Scale:
				for i := range clusters {
					if clusters[i].Name == a.Cluster {
						clusters[i].Nodes = a.Nodes
					}
				}
			default:
				t.Fatalf("unexpected %s", a.Kind)
			}
		}
	}
	if actions != 0 {
		t.Fatalf("%d actions after the first peak, want none", actions)
	}
	// Holding still must mean holding the peak: 40 one-CPU replicas need 10 four-CPU nodes.
	var nodes int32
	for _, c := range clusters {
		nodes += c.Nodes
	}
	if nodes < 10 {
		t.Fatalf("the fleet holds %d nodes, want the 10 the peak needs", nodes)
	}
}

// TestHibernatedPriceIsNotSaved: taking a cluster offline saves what it costs online less
// what it costs hibernated; deleting it saves all of it.
func TestHibernatedPriceIsNotSaved(t *testing.T) {
	for _, tt := range []struct {
		name      string
		deletes   bool
		wantSaved float64
	}{
		{"hibernated", false, 0.10 + 0.10 - 0.04},
		{"deleted", true, 0.10 + 0.10},
	} {
		pool := testPool("kept", "us-east", 0.10, func(p *Pool) { p.HibernatedPrice, p.DeleteWhenIdle = 0.04, tt.deletes })
		p := decide([]Pool{pool}, []Cluster{testCluster("quiet", pool, Running, 1, idleSince(t0.Add(-time.Hour)))}, nil, t0, nil)
		if len(p.Actions) != 1 {
			t.Fatalf("%s: want one action, got %s", tt.name, summary(p))
		}
		if got := -p.Actions[0].CostPerHour; got < tt.wantSaved-1e-9 || got > tt.wantSaved+1e-9 {
			t.Errorf("%s: %s saves %.3f/h, want %.3f/h", tt.name, p.Actions[0].Kind, got, tt.wantSaved)
		}
	}
}

// TestNewOrGrownCapacityIsNotConsolidatedWithinTheWindow: a cluster that just came online,
// or just grew, is not drained for consolidation until the stabilisation window has passed.
func TestNewOrGrownCapacityIsNotConsolidatedWithinTheWindow(t *testing.T) {
	cheap := testPool("cheap", "us-east", 0.10)
	dear := testPool("dear", "us-east", 0.40)
	window := DefaultConfig().StabilizationWindow
	demand := testDemand("a/w", 20, map[string]int32{"cheap-1": 8, "dear-1": 12})
	fleet := func(dearState State, dearNodes int32) []Cluster {
		return []Cluster{testCluster("cheap-1", cheap, Running, 3), testCluster("dear-1", dear, dearState, dearNodes, func(c *Cluster) { c.Pods = 12 })}
	}
	drains := func(plan Plan) bool {
		return slices.ContainsFunc(plan.Actions, func(a Action) bool { return a.Kind == Drain && a.Cluster == "dear-1" })
	}

	mem := NewMemory()
	watched(mem, 2*time.Hour, demand)
	decide([]Pool{cheap, dear}, fleet(Starting, 3), []Demand{demand}, t0, mem)
	online := t0.Add(time.Minute)
	for _, at := range []time.Time{online, online.Add(window - time.Second)} {
		if plan := decide([]Pool{cheap, dear}, fleet(Running, 3), []Demand{demand}, at, mem); drains(plan) {
			t.Fatalf("%s after dear-1 came online: drained within the window:\n%s", at.Sub(online), summary(plan))
		}
	}
	if plan := decide([]Pool{cheap, dear}, fleet(Running, 3), []Demand{demand}, online.Add(window), mem); !drains(plan) {
		t.Fatalf("once the window passed: no drain:\n%s", summary(plan))
	}

	// A cluster already running when first seen, whose history is unknown, may be drained at
	// once; but not right after it grew.
	mem = NewMemory()
	watched(mem, 2*time.Hour, demand)
	decide([]Pool{cheap, dear}, fleet(Running, 2), []Demand{demand}, t0, mem)
	grown := t0.Add(time.Minute)
	if plan := decide([]Pool{cheap, dear}, fleet(Running, 3), []Demand{demand}, grown, mem); drains(plan) {
		t.Fatalf("right after dear-1 grew: drained:\n%s", summary(plan))
	}
	if plan := decide([]Pool{cheap, dear}, fleet(Running, 3), []Demand{demand}, grown.Add(window), mem); !drains(plan) {
		t.Fatalf("once the window after growing passed: no drain:\n%s", summary(plan))
	}
}

// TestConsolidationMustPayForItsMoves: draining dear-1 saves 1.1/h by moving its 12
// replicas. At 0.05 a move, that pays within the hour; at 0.10, within the planner's horizon
// of 2 h, which counts because the whole-fleet decision has no node in pool dear; at 0.20 it
// does not pay, and the cluster stays.
func TestConsolidationMustPayForItsMoves(t *testing.T) {
	cheap := testPool("cheap", "us-east", 0.10)
	dear := testPool("dear", "us-east", 0.40)
	clusters := []Cluster{testCluster("cheap-1", cheap, Running, 3), testCluster("dear-1", dear, Running, 3, func(c *Cluster) { c.Pods = 12 })}
	demand := testDemand("a/w", 20, map[string]int32{"cheap-1": 8, "dear-1": 12})
	for cost, want := range map[float64]bool{0.05: true, 0.1: true, 0.2: false} {
		cfg := DefaultConfig()
		cfg.DisruptionCost = cost
		mem := NewMemory()
		watched(mem, 2*time.Hour, demand)
		plan := Decide(Input{Now: t0, Pools: []Pool{cheap, dear}, Clusters: clusters, Demands: []Demand{demand}, Config: cfg}, mem)
		drained := slices.ContainsFunc(plan.Actions, func(a Action) bool { return a.Kind == Drain })
		if drained != want {
			t.Errorf("moving a replica at %.2f: drained %v, want %v:\n%s", cost, drained, want, summary(plan))
		}
	}
}

// TestConsolidationMovesAWorkloadAtMostSoOftenAnHour: with one move per workload an hour,
// draining dear-a moves a/w, and dear-b, which also runs a/w, waits for the hour to pass.
func TestConsolidationMovesAWorkloadAtMostSoOftenAnHour(t *testing.T) {
	cheap := testPool("cheap", "us-east", 0.10)
	dear := testPool("dear", "us-east", 0.40)
	cfg := DefaultConfig()
	cfg.MaxMovesPerHour = 1
	mem := NewMemory()
	watched(mem, 2*time.Hour, testDemand("a/w", 16, nil))
	decideAt := func(at time.Time, clusters []Cluster, assigned map[string]int32) Plan {
		return Decide(Input{Now: at, Pools: []Pool{cheap, dear}, Clusters: clusters, Demands: []Demand{testDemand("a/w", 16, assigned)}, Config: cfg}, mem)
	}
	drained := func(plan Plan) string {
		for _, a := range plan.Actions {
			if a.Kind == Drain {
				return a.Cluster
			}
		}
		return ""
	}
	busy := func(name string, pool Pool, pods int32) Cluster {
		return testCluster(name, pool, Running, 1, func(c *Cluster) { c.Pods = pods })
	}
	first := decideAt(t0, []Cluster{busy("cheap-1", cheap, 8), busy("dear-a", dear, 4), busy("dear-b", dear, 4)},
		map[string]int32{"cheap-1": 8, "dear-a": 4, "dear-b": 4})
	gone := drained(first)
	if gone == "" {
		t.Fatalf("no consolidation at first:\n%s", summary(first))
	}
	left := map[string]string{"dear-a": "dear-b", "dear-b": "dear-a"}[gone]
	// The first drain is done: its replicas run on cheap-1, grown to 3 nodes; the other dear cluster remains.
	after := []Cluster{testCluster("cheap-1", cheap, Running, 3, func(c *Cluster) { c.Pods = 12 }), busy(left, dear, 4)}
	assigned := map[string]int32{"cheap-1": 12, left: 4}
	decideAt(t0.Add(5*time.Minute), after, assigned) // cheap-1 seen grown: it settles first
	if plan := decideAt(t0.Add(30*time.Minute), after, assigned); drained(plan) != "" {
		t.Fatalf("a/w moved twice within the hour:\n%s", summary(plan))
	}
	if plan := decideAt(t0.Add(time.Hour), after, assigned); drained(plan) != left {
		t.Fatalf("an hour later, %s is not drained:\n%s", left, summary(plan))
	}
}

// Within a burst, demand that dips for a moment leaves room on a full cluster. Draining the
// burst's extra cluster into that room only lasts until the demand swings back: the room a
// workload's recent swing may take back is not free for consolidation.
func TestConsolidationLeavesRoomForTheSwingOfDemand(t *testing.T) {
	cheap := testPool("cheap", "us-east", 0.10, func(p *Pool) { p.MaxClusters, p.MaxNodes = 1, 4 })
	dear := testPool("dear", "us-east", 0.40)
	mem := NewMemory()
	clusters := []Cluster{testCluster("cheap-1", cheap, Running, 4), testCluster("dear-1", dear, Running, 1, func(c *Cluster) { c.Pods = 2 })}
	at := func(replicas int32, after time.Duration) string {
		d := testDemand("a/w", replicas, map[string]int32{"cheap-1": replicas - 2, "dear-1": 2})
		return summary(decide([]Pool{cheap, dear}, clusters, []Demand{d}, t0.Add(after), mem))
	}
	// 18 replicas: cheap-1 is full at its 4 nodes, dear-1 holds the 2 more.
	if got := at(18, 0); got != "" {
		t.Fatalf("at 18 replicas: %q", got)
	}
	// The demand dips to 16: cheap-1 has room for dear-1's 2, but the demand swung by 2 within
	// the window, so the room is not free.
	for _, after := range []time.Duration{time.Minute, 4 * time.Minute} {
		if got := at(16, after); got != "" {
			t.Fatalf("%s into the dip: %q, want no drain while the demand may swing back", after, got)
		}
	}
	// The demand has held at 16 for the stabilisation window, but 18 replicas, more than
	// cheap-1 holds, ran 10 minutes ago: the drain pays its 2 moves back in 12 minutes of
	// dear-1's 0.50/h, so it waits for the lull to last as long.
	if got := at(16, 10*time.Minute); got != "" {
		t.Fatalf("10 minutes into the lull: %q, want no drain before it lasts as long as the drain takes to pay", got)
	}
	if got := at(16, 15*time.Minute); !strings.HasPrefix(got, "Drain dear-1") {
		t.Fatalf("once the demand held: %q, want dear-1 drained", got)
	}
}
