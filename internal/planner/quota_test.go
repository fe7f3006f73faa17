package planner

import (
	"strings"
	"testing"

	"github.com/navarkos/navarkos/internal/placement"
)

func withQuota(milliCPU, memory int64) func(*Pool) {
	return func(p *Pool) {
		p.NamespaceQuota = &placement.Resources{MilliCPU: milliCPU, MemoryBytes: memory, Pods: Unbounded}
	}
}

func inNamespace(ns string) func(*Demand) { return func(d *Demand) { d.Namespace = ns } }

// TestNamespaceQuota: a pool adds capacity for one namespace only up to its quota; other
// namespaces, other pools and capacity already there are not held back by it.
func TestNamespaceQuota(t *testing.T) {
	cheap := testPool("cheap", "us-east", 0.10, withQuota(3000, Unbounded))
	dear := testPool("dear", "us-east", 0.20)
	tests := []struct {
		name     string
		pools    []Pool
		clusters []Cluster
		demands  []Demand
		want     string
		// quota is the demand/pool pairs held back; unserved a part of the first unserved reason.
		quota    []string
		unserved string
	}{
		{
			name:     "capacity for the quota's worth, the rest unserved",
			pools:    []Pool{cheap},
			demands:  []Demand{testDemand("team-a/web", 10, nil, inNamespace("team-a"))},
			want:     "Create pool/cheap nodes=1\nUnserved team-a/web 7\n",
			quota:    []string{"team-a/web@cheap"},
			unserved: `pool cheap: namespace "team-a" has reached its quota in pool cheap: its replicas there request cpu 3 of 3`,
		},
		{
			name:  "each namespace has its own quota",
			pools: []Pool{cheap},
			demands: []Demand{
				testDemand("team-a/web", 3, nil, inNamespace("team-a")),
				testDemand("team-b/web", 3, nil, inNamespace("team-b")),
			},
			want: "Create pool/cheap nodes=2\n",
		},
		{
			name:    "past the quota, the next pool serves",
			pools:   []Pool{cheap, dear},
			demands: []Demand{testDemand("team-a/web", 10, nil, inNamespace("team-a"))},
			want:    "Create pool/cheap nodes=1\nCreate pool/dear nodes=2\n",
			quota:   []string{"team-a/web@cheap"},
		},
		{
			name:     "replicas already in the pool count",
			pools:    []Pool{cheap},
			clusters: []Cluster{testCluster("c1", cheap, Running, 1)},
			demands:  []Demand{testDemand("team-a/web", 5, map[string]int32{"c1": 3}, inNamespace("team-a"))},
			// One more fits the room c1 has; none is added for the last one.
			want:     "Unserved team-a/web 1\n",
			quota:    []string{"team-a/web@cheap"},
			unserved: "request cpu 4 of 3",
		},
		{
			name:     "room already there is not capacity added",
			pools:    []Pool{cheap},
			clusters: []Cluster{testCluster("c1", cheap, Running, 2)},
			demands:  []Demand{testDemand("team-a/web", 5, map[string]int32{"c1": 3}, inNamespace("team-a"))},
			want:     "",
		},
		{
			name:     "a memory quota",
			pools:    []Pool{testPool("cheap", "us-east", 0.10, withQuota(Unbounded, 2<<30))},
			demands:  []Demand{testDemand("team-a/web", 4, nil, inNamespace("team-a"))},
			want:     "Create pool/cheap nodes=1\nUnserved team-a/web 2\n",
			quota:    []string{"team-a/web@cheap"},
			unserved: "request memory 2Gi of 2Gi",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := decide(tt.pools, tt.clusters, tt.demands, t0, nil)
			if got := summary(plan); got != tt.want {
				t.Fatalf("plan:\n%s\nwant:\n%s", got, tt.want)
			}
			var quota []string
			for _, q := range plan.QuotaReached {
				quota = append(quota, q.Demand+"@"+q.Pool)
			}
			if strings.Join(quota, ",") != strings.Join(tt.quota, ",") {
				t.Fatalf("quotas reached %v, want %v", quota, tt.quota)
			}
			if tt.unserved != "" && (len(plan.Unserved) == 0 || !strings.Contains(plan.Unserved[0].Reason, tt.unserved)) {
				t.Fatalf("unserved %+v, want a reason with %q", plan.Unserved, tt.unserved)
			}
		})
	}
}
