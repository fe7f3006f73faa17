package planner

import (
	"strings"
	"testing"
	"time"
)

// TestEachRegionGetsCapacityNearIt: demand from us-east and eu-west is served by pools in or
// near each region, not by a far spot pool that costs 67% less per replica (node and share
// of a full cluster), and the reason says so. At 86% less, beyond the threshold of 75%,
// the far pool serves both regions, and the reason says that too.
func TestEachRegionGetsCapacityNearIt(t *testing.T) {
	useast, euwest := testPool("us-east", "us-east", 0.20), testPool("eu-west", "eu-west", 0.22)
	eucentral := testPool("eu-central", "eu-central", 0.12) // near eu-west
	shares := func(d *Demand) { d.Shares = map[string]float64{"us-east": 0.6, "eu-west": 0.4} }
	demand := testDemand("shop/web", 20, nil, shares)

	spot := testPool("ap-south-spot", "ap-south", 0.06)
	plan := decide([]Pool{useast, euwest, eucentral, spot}, nil, []Demand{demand}, t0, nil)
	if got, want := summary(plan), "Create pool/us-east nodes=3\nCreate pool/eu-central nodes=2\n"; got != want {
		t.Fatalf("plan:\n%s\nwant:\n%s", got, want)
	}
	for _, a := range plan.Actions {
		if a.Pool == "us-east" && !strings.Contains(a.Reason, "kept near us-east: pool ap-south-spot in ap-south costs 67% less per replica than pool us-east, under the locality threshold of 75%") {
			t.Errorf("the reason does not say why the cheaper far pool lost: %s", a.Reason)
		}
	}

	cheaper := testPool("ap-south-spot", "ap-south", 0.02)
	plan = decide([]Pool{useast, euwest, eucentral, cheaper}, nil, []Demand{demand}, t0, nil)
	if got, want := summary(plan), "Create pool/ap-south-spot nodes=5\n"; got != want {
		t.Fatalf("with a far pool 86%% cheaper, plan:\n%s\nwant:\n%s", got, want)
	}
	for _, a := range plan.Actions {
		if a.Pool == "ap-south-spot" && !strings.Contains(a.Reason, "far from us-east: pool ap-south-spot costs 86% less per replica than pool us-east near it, above the locality threshold of 75%") {
			t.Errorf("the reason does not say why the far pool won: %s", a.Reason)
		}
	}
}

// TestFarCapacityServesWhenNoNearPoolCanGrow: locality is a preference, not a constraint.
func TestFarCapacityServesWhenNoNearPoolCanGrow(t *testing.T) {
	useast := testPool("us-east", "us-east", 0.20, func(p *Pool) { p.MaxClusters = 0 })
	far := testPool("ap-south", "ap-south", 0.19)
	demand := testDemand("shop/web", 8, nil, func(d *Demand) { d.Shares = map[string]float64{"us-east": 1} })
	plan := decide([]Pool{useast, far}, nil, []Demand{demand}, t0, nil)
	if got, want := summary(plan), "Create pool/ap-south nodes=2\n"; got != want {
		t.Fatalf("plan:\n%s\nwant:\n%s", got, want)
	}
	if len(plan.Unserved) > 0 {
		t.Errorf("unserved: %+v", plan.Unserved)
	}
}

// TestConsolidationKeepsReplicasNearTheirUsers: a cheaper far cluster with room does not
// take the replicas of a cluster in their region, however much draining would save.
func TestConsolidationKeepsReplicasNearTheirUsers(t *testing.T) {
	useast, far := testPool("us-east", "us-east", 0.20), testPool("ap-south", "ap-south", 0.10)
	clusters := []Cluster{testCluster("use-1", useast, Running, 1), testCluster("aps-1", far, Running, 4)}
	us := testDemand("shop/us", 4, map[string]int32{"use-1": 4}, func(d *Demand) { d.Shares = map[string]float64{"us-east": 1} })
	ap := testDemand("shop/ap", 4, map[string]int32{"aps-1": 4}, func(d *Demand) { d.Shares = map[string]float64{"ap-south": 1} })
	mem := NewMemory()
	decide([]Pool{useast, far}, clusters, []Demand{us, ap}, t0, mem) // first sight: history unknown
	plan := decide([]Pool{useast, far}, clusters, []Demand{us, ap}, t0.Add(time.Hour), mem)
	for _, a := range plan.Actions {
		if a.Kind == Drain {
			t.Errorf("drained %s: %s", a.Cluster, a.Reason)
		}
	}
	// Without locality the same fleet is consolidated: the test can fail.
	us.Shares, ap.Shares = nil, nil
	plan = decide([]Pool{useast, far}, clusters, []Demand{us, ap}, t0.Add(2*time.Hour), mem)
	if !strings.Contains(summary(plan), "Drain use-1") {
		t.Errorf("without locality, want use-1 drained; plan:\n%s", summary(plan))
	}
}

// TestFewerReplicasLeaveTheFarClusterFirst: when a workload with region shares wants fewer
// replicas, the plan takes them off the cluster far from its users, as the scheduler does,
// though the cluster near them is dearer; so the far cluster is the one that shrinks.
func TestFewerReplicasLeaveTheFarClusterFirst(t *testing.T) {
	near, far := testPool("us-east", "us-east", 0.30), testPool("ap-south", "ap-south", 0.10)
	clusters := []Cluster{testCluster("use-1", near, Running, 3), testCluster("aps-1", far, Running, 3)}
	assigned := map[string]int32{"use-1": 12, "aps-1": 12}
	demand := testDemand("shop/web", 12, assigned, func(d *Demand) { d.Shares = map[string]float64{"us-east": 1} })
	mem := NewMemory()
	decide([]Pool{near, far}, clusters, []Demand{demand}, t0, mem)
	plan := decide([]Pool{near, far}, clusters, []Demand{demand}, t0.Add(6*time.Minute), mem)
	if got := summary(plan); !strings.Contains(got, "Scale aps-1 nodes=1") || strings.Contains(got, "use-1") {
		t.Fatalf("plan:\n%s\nwant aps-1, far from the users, shrunk and use-1 kept", got)
	}
}

// TestABurstIsServedFarWhileNearCapacityComes: when the near pool takes 40 minutes to make a
// cluster, a far cluster that grows in one serves the jump, and the near cluster is still
// ordered to take the demand back. When the near pool is only a little slower, locality holds.
func TestABurstIsServedFarWhileNearCapacityComes(t *testing.T) {
	slow := func(p *Pool) { p.CreateTime = 40 * time.Minute }
	far := testPool("ap-south", "ap-south", 0.19, func(p *Pool) { p.ScaleTime = time.Minute })
	clusters := []Cluster{testCluster("aps-1", far, Running, 1)}
	demand := testDemand("shop/web", 8, nil, func(d *Demand) { d.Shares = map[string]float64{"us-east": 1} })

	plan := decide([]Pool{testPool("us-east", "us-east", 0.20, slow), far}, clusters, []Demand{demand}, t0, nil)
	if got, want := summary(plan), "Scale aps-1 nodes=2\nCreate pool/us-east nodes=2\n"; got != want {
		t.Fatalf("plan:\n%s\nwant:\n%s", got, want)
	}
	for _, a := range plan.Actions {
		if a.Kind == Scale && !strings.Contains(a.Reason, "a burst: the best way near us-east, create a cluster in pool us-east") {
			t.Errorf("the far growth does not say it serves a burst: %s", a.Reason)
		}
		if a.Kind == Create && !strings.Contains(a.Reason, "near capacity for 8 replicas of shop/web: it comes in 40m0s; pool ap-south, far, serves them meanwhile") {
			t.Errorf("the near cluster does not say it takes the demand back: %s", a.Reason)
		}
	}

	plan = decide([]Pool{testPool("us-east", "us-east", 0.20), far}, clusters, []Demand{demand}, t0, nil)
	if got, want := summary(plan), "Create pool/us-east nodes=2\n"; got != want {
		t.Fatalf("with the near pool 5 minutes away, plan:\n%s\nwant:\n%s", got, want)
	}
}
