package placement

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/labels"
)

type clusterOption func(*Cluster)

// testCluster is a schedulable cluster with room for 100 replicas of 100m/128Mi, priced 1 per node-hour.
func testCluster(name, region string, opts ...clusterOption) Cluster {
	c := Cluster{
		Name: name, Region: region, Schedulable: true,
		Labels:           labels.Set{RegionLabel: region},
		Allocatable:      Resources{MilliCPU: 10000, MemoryBytes: 100 << 30, Pods: 100},
		NodeShape:        Resources{MilliCPU: 4000, MemoryBytes: 16 << 30, Pods: 110},
		PricePerNodeHour: 1,
	}
	for _, o := range opts {
		o(&c)
	}
	return c
}

func withLabel(k, v string) clusterOption { return func(c *Cluster) { c.Labels[k] = v } }
func withTier(t string) clusterOption     { return func(c *Cluster) { c.Tier = t } }
func withPrice(p float64) clusterOption   { return func(c *Cluster) { c.PricePerNodeHour = p } }
func withFreeReplicas(n int64) clusterOption {
	return func(c *Cluster) { c.Used = Resources{Pods: c.Allocatable.Pods - n} }
}
func unschedulable() clusterOption { return func(c *Cluster) { c.Schedulable = false } }

func selector(s string) labels.Selector {
	sel, err := labels.Parse(s)
	if err != nil {
		panic(err)
	}
	return sel
}

var web = Workload{Replicas: 6, Request: Resources{MilliCPU: 100, MemoryBytes: 128 << 20}}

func TestSchedule(t *testing.T) {
	tests := []struct {
		name     string
		clusters []Cluster
		workload Workload
		policy   Policy
		want     map[string]int32
		unplaced int32
		spreadOK bool
	}{
		{
			name:     "duplicated to every eligible cluster",
			clusters: []Cluster{testCluster("a", "eu"), testCluster("b", "us"), testCluster("c", "ap", unschedulable())},
			workload: web, policy: Policy{Mode: Duplicated},
			want: map[string]int32{"a": 6, "b": 6}, spreadOK: true,
		},
		{
			name:     "required labels",
			clusters: []Cluster{testCluster("a", "eu", withLabel("compliance.n6s.io/gdpr", "true")), testCluster("b", "us")},
			workload: web, policy: Policy{ClusterSelector: selector("compliance.n6s.io/gdpr=true")},
			want: map[string]int32{"a": 6}, spreadOK: true,
		},
		{
			name:     "required label expressions",
			clusters: []Cluster{testCluster("a", "eu", withLabel("env", "prod")), testCluster("b", "us", withLabel("env", "dev")), testCluster("c", "ap")},
			workload: web, policy: Policy{ClusterSelector: selector("env notin (dev)")},
			want: map[string]int32{"a": 6, "c": 6}, spreadOK: true,
		},
		{
			name:     "required regions",
			clusters: []Cluster{testCluster("a", "eu"), testCluster("b", "us"), testCluster("c", "ap")},
			workload: web, policy: Policy{Regions: []string{"us", "ap"}},
			want: map[string]int32{"b": 6, "c": 6}, spreadOK: true,
		},
		{
			name:     "required names",
			clusters: []Cluster{testCluster("a", "eu"), testCluster("b", "us")},
			workload: web, policy: Policy{ClusterNames: []string{"b", "zz"}},
			want: map[string]int32{"b": 6}, spreadOK: true,
		},
		{
			name:     "max clusters keeps the cheapest",
			clusters: []Cluster{testCluster("a", "eu", withPrice(3)), testCluster("b", "us", withPrice(1)), testCluster("c", "ap", withPrice(2))},
			workload: web, policy: Policy{MaxClusters: 2, Preferences: []Preference{{Kind: PreferCost, Weight: 1}}},
			want: map[string]int32{"b": 6, "c": 6}, spreadOK: true,
		},
		{
			name:     "ties go to the first name",
			clusters: []Cluster{testCluster("c", "eu"), testCluster("a", "eu"), testCluster("b", "eu")},
			workload: web, policy: Policy{MaxClusters: 1},
			want: map[string]int32{"a": 6}, spreadOK: true,
		},
		{
			name:     "locality follows the order of target regions",
			clusters: []Cluster{testCluster("a", "eu"), testCluster("b", "us"), testCluster("c", "ap")},
			workload: web, policy: Policy{MaxClusters: 2, Preferences: []Preference{{Kind: PreferLocality, Weight: 1, TargetRegions: []string{"ap", "us"}}}},
			want: map[string]int32{"c": 6, "b": 6}, spreadOK: true,
		},
		{
			name:     "QoS tier",
			clusters: []Cluster{testCluster("a", "eu", withTier("economy")), testCluster("b", "us", withTier("premium"))},
			workload: web, policy: Policy{MaxClusters: 1, Preferences: []Preference{{Kind: PreferTier, Weight: 1, Tier: "premium"}}},
			want: map[string]int32{"b": 6}, spreadOK: true,
		},
		{
			name: "weighted preferences: locality outweighs cost",
			clusters: []Cluster{
				testCluster("cheap-far", "ap", withPrice(1)),
				testCluster("dear-near", "eu", withPrice(2)),
			},
			workload: web,
			policy: Policy{MaxClusters: 1, Preferences: []Preference{
				{Kind: PreferCost, Weight: 1}, {Kind: PreferLocality, Weight: 3, TargetRegions: []string{"eu"}},
			}},
			want: map[string]int32{"dear-near": 6}, spreadOK: true,
		},
		{
			name:     "topology spread takes one cluster per region first",
			clusters: []Cluster{testCluster("eu-1", "eu", withPrice(1)), testCluster("eu-2", "eu", withPrice(1)), testCluster("us-1", "us", withPrice(5))},
			workload: web, policy: Policy{MaxClusters: 2, TopologyKey: RegionLabel, Preferences: []Preference{{Kind: PreferCost, Weight: 1}}},
			want: map[string]int32{"eu-1": 6, "us-1": 6}, spreadOK: true,
		},
		{
			name:     "divided by static weights",
			clusters: []Cluster{testCluster("a", "eu"), testCluster("b", "us"), testCluster("c", "ap")},
			workload: Workload{Replicas: 8},
			policy: Policy{Mode: Divided, Division: ByWeight, Weights: []StaticWeight{
				{Names: []string{"a"}, Weight: 3}, {Selector: selector(RegionLabel + "=us"), Weight: 1},
			}},
			want: map[string]int32{"a": 6, "b": 2}, spreadOK: true,
		},
		{
			name:     "divided remainder goes to the better ranked cluster",
			clusters: []Cluster{testCluster("a", "eu"), testCluster("b", "us")},
			workload: Workload{Replicas: 3},
			policy:   Policy{Mode: Divided, Division: ByWeight, Weights: []StaticWeight{{Selector: labels.Everything(), Weight: 1}}},
			want:     map[string]int32{"a": 2, "b": 1}, spreadOK: true,
		},
		{
			name:     "current replicas stay where they fit when capacity is added",
			clusters: []Cluster{testCluster("a", "eu", withFreeReplicas(10)), testCluster("b", "us", withFreeReplicas(10)), testCluster("new", "us")},
			workload: Workload{Replicas: 8, Request: web.Request, Current: map[string]int32{"a": 4, "b": 4}},
			policy:   Policy{Mode: Divided, Division: ByCapacity},
			want:     map[string]int32{"a": 4, "b": 4}, spreadOK: true,
		},
		{
			name:     "growth is divided by the capacity left after the current replicas",
			clusters: []Cluster{testCluster("a", "eu", withFreeReplicas(4)), testCluster("b", "us", withFreeReplicas(12))},
			workload: Workload{Replicas: 12, Request: web.Request, Current: map[string]int32{"a": 4}},
			policy:   Policy{Mode: Divided, Division: ByCapacity},
			want:     map[string]int32{"a": 4, "b": 8}, spreadOK: true,
		},
		{
			name:     "a cluster whose capacity fell keeps what fits and only the rest moves",
			clusters: []Cluster{testCluster("a", "eu", withFreeReplicas(3)), testCluster("b", "us", withFreeReplicas(20))},
			workload: Workload{Replicas: 10, Request: web.Request, Current: map[string]int32{"a": 8, "b": 2}},
			policy:   Policy{Mode: Divided, Division: ByCapacity},
			want:     map[string]int32{"a": 3, "b": 7}, spreadOK: true,
		},
		{
			name:     "fewer replicas wanted: the worst ranked cluster gives them up",
			clusters: []Cluster{testCluster("a", "eu"), testCluster("b", "us", withPrice(2))},
			workload: Workload{Replicas: 5, Request: web.Request, Current: map[string]int32{"a": 4, "b": 4}},
			policy:   Policy{Mode: Divided, Division: ByCapacity, Preferences: []Preference{{Kind: PreferCost, Weight: 1}}},
			want:     map[string]int32{"a": 4, "b": 1}, spreadOK: true,
		},
		{
			name:     "divided by free capacity",
			clusters: []Cluster{testCluster("a", "eu", withFreeReplicas(30)), testCluster("b", "us", withFreeReplicas(10))},
			workload: Workload{Replicas: 8, Request: Resources{MilliCPU: 10}},
			policy:   Policy{Mode: Divided, Division: ByCapacity},
			want:     map[string]int32{"a": 6, "b": 2}, spreadOK: true,
		},
		{
			name:     "divided by capacity never overfills and reports the rest",
			clusters: []Cluster{testCluster("a", "eu", withFreeReplicas(3)), testCluster("b", "us", withFreeReplicas(2))},
			workload: Workload{Replicas: 8},
			policy:   Policy{Mode: Divided, Division: ByCapacity},
			want:     map[string]int32{"a": 3, "b": 2}, unplaced: 3, spreadOK: true,
		},
		{
			name:     "capacity counts CPU and memory, not only pods",
			clusters: []Cluster{testCluster("a", "eu"), testCluster("b", "us", func(c *Cluster) { c.Allocatable.MilliCPU = 1000 })},
			workload: Workload{Replicas: 11, Request: Resources{MilliCPU: 1000}},
			policy:   Policy{Mode: Divided, Division: ByCapacity},
			want:     map[string]int32{"a": 10, "b": 1}, spreadOK: true,
		},
		{
			name:     "min clusters gets every cluster a replica",
			clusters: []Cluster{testCluster("a", "eu", withFreeReplicas(100)), testCluster("b", "us", withFreeReplicas(1)), testCluster("c", "ap", withFreeReplicas(1))},
			workload: Workload{Replicas: 4},
			policy:   Policy{Mode: Divided, Division: ByCapacity, MinClusters: 3},
			want:     map[string]int32{"a": 2, "b": 1, "c": 1}, spreadOK: true,
		},
		{
			name:     "min clusters not reachable",
			clusters: []Cluster{testCluster("a", "eu"), testCluster("b", "us", unschedulable())},
			workload: web, policy: Policy{MinClusters: 2},
			want: map[string]int32{"a": 6}, spreadOK: false,
		},
		{
			name: "region shares: each region's part near it, by free capacity there",
			clusters: []Cluster{testCluster("use", "us-east"), testCluster("euw", "eu-west"), testCluster("euc", "eu-central", withFreeReplicas(30)),
				testCluster("aps", "ap-south", withPrice(0.1))},
			workload: Workload{Replicas: 10, Request: web.Request},
			policy:   Policy{Mode: Divided, RegionShares: map[string]float64{"us-east": 0.6, "eu-west": 0.4}},
			// eu-west's 4 go to eu-west and the near eu-central by their free room (100:30);
			// the cheap far ap-south gets nothing.
			want: map[string]int32{"use": 6, "euw": 3, "euc": 1}, spreadOK: true,
		},
		{
			name:     "region shares: what the region cannot hold goes elsewhere",
			clusters: []Cluster{testCluster("use", "us-east", withFreeReplicas(2)), testCluster("euw", "eu-west")},
			workload: Workload{Replicas: 10, Request: web.Request},
			policy:   Policy{Mode: Divided, RegionShares: map[string]float64{"us-east": 0.6, "eu-west": 0.4}},
			want:     map[string]int32{"use": 2, "euw": 8}, spreadOK: true,
		},
		{
			name:     "region shares: replicas far from their region stay; new ones go to the region short of its share",
			clusters: []Cluster{testCluster("use", "us-east"), testCluster("euw", "eu-west"), testCluster("aps", "ap-south")},
			workload: Workload{Replicas: 10, Request: web.Request, Current: map[string]int32{"aps": 2, "use": 5}},
			policy:   Policy{Mode: Divided, RegionShares: map[string]float64{"us-east": 0.5, "eu-west": 0.5}},
			want:     map[string]int32{"aps": 2, "use": 5, "euw": 3}, spreadOK: true,
		},
		{
			name:     "region shares: fewer replicas leave the region beyond its share",
			clusters: []Cluster{testCluster("use", "us-east"), testCluster("aps", "ap-south")},
			workload: Workload{Replicas: 8, Request: web.Request, Current: map[string]int32{"aps": 6, "use": 4}},
			policy:   Policy{Mode: Divided, RegionShares: map[string]float64{"us-east": 0.5, "ap-south": 0.5}},
			want:     map[string]int32{"use": 4, "aps": 4}, spreadOK: true,
		},
		{
			name:     "region shares: fewer replicas leave the far cluster first",
			clusters: []Cluster{testCluster("use", "us-east"), testCluster("euw", "eu-west"), testCluster("aps", "ap-south")},
			workload: Workload{Replicas: 8, Request: web.Request, Current: map[string]int32{"aps": 3, "use": 5, "euw": 3}},
			policy:   Policy{Mode: Divided, RegionShares: map[string]float64{"us-east": 0.5, "eu-west": 0.5}},
			want:     map[string]int32{"use": 5, "euw": 3}, spreadOK: true,
		},
		{
			name:     "nothing eligible",
			clusters: []Cluster{testCluster("a", "eu", unschedulable())},
			workload: web, policy: Policy{Mode: Divided},
			want: map[string]int32{}, unplaced: 6, spreadOK: true,
		},
		{
			name: "divided by capacity: a replica larger than a cluster's node does not go there, however much room it has",
			clusters: []Cluster{testCluster("small-nodes", "eu"),
				testCluster("joined", "us", func(c *Cluster) { c.NodeShape = Resources{} })},
			workload: Workload{Replicas: 2, Request: Resources{MilliCPU: 8000, MemoryBytes: 1 << 30}}, policy: Policy{Mode: Divided},
			// The joined cluster's nodes are not known: its free room decides.
			want: map[string]int32{"joined": 1}, unplaced: 1, spreadOK: true,
		},
		{
			name:     "duplicated onto a named cluster that does not exist: every replica is unplaced",
			clusters: []Cluster{testCluster("a", "eu")},
			workload: web, policy: Policy{Mode: Duplicated, ClusterNames: []string{"gone"}},
			want: map[string]int32{}, unplaced: 6, spreadOK: true,
		},
		{
			name:     "weighted onto a named cluster that does not exist: every replica is unplaced",
			clusters: []Cluster{testCluster("a", "eu")},
			workload: web, policy: Policy{Mode: Divided, Division: ByWeight, ClusterNames: []string{"gone"}},
			want: map[string]int32{}, unplaced: 6, spreadOK: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Schedule(tt.clusters, tt.workload, tt.policy)
			got := map[string]int32{}
			for _, a := range res.Assignments {
				got[a.Cluster] = a.Replicas
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("assignments = %v, want %v\nreason: %s", got, tt.want, res.Reason)
			}
			if res.Unplaced != tt.unplaced {
				t.Errorf("unplaced = %d, want %d", res.Unplaced, tt.unplaced)
			}
			if res.SpreadSatisfied != tt.spreadOK {
				t.Errorf("spread satisfied = %v, want %v", res.SpreadSatisfied, tt.spreadOK)
			}
		})
	}
}

func TestScheduleIsDeterministic(t *testing.T) {
	var clusters []Cluster
	for i := range 50 {
		region := []string{"eu", "us", "ap"}[i%3]
		clusters = append(clusters, testCluster(
			string(rune('a'+i%26))+string(rune('a'+i/26)), region,
			withPrice(float64(1+i%4)), withFreeReplicas(int64(5+i%7)), withTier([]string{"premium", "standard"}[i%2])))
	}
	policy := Policy{
		Mode: Divided, Division: ByCapacity, MaxClusters: 7, MinClusters: 3, TopologyKey: RegionLabel,
		Preferences: []Preference{{Kind: PreferCost, Weight: 2}, {Kind: PreferTier, Weight: 1, Tier: "premium"}},
	}
	w := Workload{Replicas: 40, Request: Resources{MilliCPU: 50}}
	want := Schedule(copyClusters(clusters), w, policy)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		shuffled := copyClusters(clusters)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if got := Schedule(shuffled, w, policy); !reflect.DeepEqual(got, want) {
			t.Fatalf("the result depends on input order:\n got %+v\nwant %+v", got, want)
		}
	}
}

func TestScheduleExplains(t *testing.T) {
	res := Schedule(
		[]Cluster{testCluster("a", "eu"), testCluster("b", "us", unschedulable()), testCluster("c", "ap")},
		web, Policy{Regions: []string{"eu", "us"}, MinClusters: 2},
	)
	for _, want := range []string{"1 of 3 clusters eligible", "1 not schedulable", "1 outside regions", "chose a=6 (score 0)", "each gets all 6 replicas", "spread needs at least 2 clusters"} {
		if !strings.Contains(res.Reason, want) {
			t.Errorf("reason %q does not say %q", res.Reason, want)
		}
	}
}

func copyClusters(in []Cluster) []Cluster { return append([]Cluster(nil), in...) }
