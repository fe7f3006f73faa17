package get

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

func TestClusterTable(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	cost := resource.MustParse("0.484")
	clusters := []n6sv1alpha1.Cluster{
		{
			ObjectMeta: metav1.ObjectMeta{Name: "zeta"},
			Spec:       n6sv1alpha1.ClusterSpec{KubeconfigSecretRef: &n6sv1alpha1.SecretReference{Name: "s"}, DesiredState: n6sv1alpha1.DesiredOnline},
			Status: n6sv1alpha1.ClusterStatus{Phase: n6sv1alpha1.ClusterPhaseUnhealthy, Conditions: []metav1.Condition{
				{Type: n6sv1alpha1.ClusterReadyCondition, Status: metav1.ConditionFalse, Reason: n6sv1alpha1.ClusterUnreachableReason},
			}},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: "alpha", Labels: map[string]string{n6sv1alpha1.RegionLabel: "us-east"}},
			Spec:       n6sv1alpha1.ClusterSpec{Pool: "local-us-east", Nodes: ptr.To[int32](2), DesiredState: n6sv1alpha1.DesiredOnline},
			Status: n6sv1alpha1.ClusterStatus{
				Phase: n6sv1alpha1.ClusterPhaseReady, Nodes: 2, CostPerHour: &cost,
				LastHeartbeatTime: &metav1.Time{Time: now.Add(-3 * time.Second)},
				Capacity: n6sv1alpha1.ClusterCapacity{
					Allocatable: n6sv1alpha1.ResourceAmounts{CPU: resource.MustParse("8"), Pods: 220},
					Used:        n6sv1alpha1.ResourceAmounts{CPU: resource.MustParse("300m"), Pods: 3},
				},
				Conditions: []metav1.Condition{{Type: n6sv1alpha1.ClusterReadyCondition, Status: metav1.ConditionTrue, Reason: "Ready"}},
			},
		},
	}
	var buf bytes.Buffer
	if err := writeTable(&buf, ClusterTable(clusters, now)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := [][]string{
		{"NAME", "POOL", "REGION", "DESIRED", "PHASE", "NODES"},
		{"alpha", "local-us-east", "us-east", "Online", "Ready", "2/2", "300m/8", "3/220", "0.484", "3s", "ago", "-"},
		{"zeta", "-", "-", "Online", "Unhealthy", "0", "0/0", "0/0", "-", "-", "Unreachable"},
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), buf.String())
	}
	for i, w := range want {
		got := strings.Fields(lines[i])
		for j, cell := range w {
			if j >= len(got) || got[j] != cell {
				t.Errorf("line %d = %q, want fields starting %q", i, lines[i], w)
				break
			}
		}
	}
}

func TestPoolTable(t *testing.T) {
	pools := []n6sv1alpha1.ClusterPool{{
		ObjectMeta: metav1.ObjectMeta{Name: "p"},
		Spec: n6sv1alpha1.ClusterPoolSpec{
			Provider: n6sv1alpha1.ProviderLocal, Region: "eu-west",
			NodeShape:       n6sv1alpha1.NodeShape{CPU: resource.MustParse("4"), Memory: resource.MustParse("16Gi"), Pods: 110},
			Price:           n6sv1alpha1.Price{PerNodeHour: resource.MustParse("0.216"), Market: n6sv1alpha1.MarketSpot},
			Clusters:        n6sv1alpha1.CountRange{Max: 3},
			NodesPerCluster: n6sv1alpha1.CountRange{Min: 1, Max: 10},
		},
		Status: n6sv1alpha1.ClusterPoolStatus{Clusters: 2, ReadyClusters: 1},
	}}
	rows := PoolTable(pools)
	got := strings.Join(rows[1], "|")
	want := "p|local|eu-west|4 CPU, 16Gi, 110 pods|0.216|Spot|1/2 ready, max 3|1-10|-"
	if got != want {
		t.Errorf("row = %q, want %q", got, want)
	}
}

func TestBindingTable(t *testing.T) {
	bindings := []n6sv1alpha1.ResourceBinding{{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "deployment-web"},
		Spec: n6sv1alpha1.ResourceBindingSpec{
			Resource:  n6sv1alpha1.ResourceReference{Kind: "Deployment", Name: "web"},
			Placement: n6sv1alpha1.PlacementReference{Kind: "Placement", Name: "web"},
			Clusters:  []n6sv1alpha1.TargetCluster{{Name: "eu", Replicas: ptr.To[int32](2)}, {Name: "us", Replicas: ptr.To[int32](4)}},
		},
		Status: n6sv1alpha1.ResourceBindingStatus{
			Clusters:   []n6sv1alpha1.ClusterResourceStatus{{Name: "eu", State: n6sv1alpha1.ResourceFailed}, {Name: "us", State: n6sv1alpha1.ResourceApplied}},
			Conditions: []metav1.Condition{{Type: n6sv1alpha1.BindingAppliedCondition, Status: metav1.ConditionFalse}},
		},
	}}
	got := strings.Join(BindingTable(bindings)[1], "|")
	want := "shop|deployment/web|placement/web|eu=2(Failed),us=4|False|0"
	if got != want {
		t.Errorf("row = %q, want %q", got, want)
	}
}

func TestGlobalIngressTable(t *testing.T) {
	gi := n6sv1alpha1.GlobalIngress{}
	gi.Namespace, gi.Name = "shop", "web"
	gi.Spec.Hosts, gi.Spec.TTL, gi.Spec.Strategy.Type = []string{"shop.navarkos.local"}, 5, n6sv1alpha1.StrategyRoundRobin
	gi.Status.Hosts = []n6sv1alpha1.HostStatus{{Host: "shop.navarkos.local", Targets: []n6sv1alpha1.TargetStatus{
		{Cluster: "eu", Addresses: []string{"127.1.0.2"}, Healthy: true},
		{Cluster: "us", Reason: "no ready endpoint"},
	}}}
	rows := GlobalIngressTable([]n6sv1alpha1.GlobalIngress{gi})
	want := []string{"shop", "web", "shop.navarkos.local", "RoundRobin", "5", "eu=127.1.0.2", "us (no ready endpoint)"}
	if len(rows) != 2 || strings.Join(rows[1], "|") != strings.Join(want, "|") {
		t.Fatalf("rows %q, want %q", rows, want)
	}
}

func TestResourceNamed(t *testing.T) {
	tests := []struct {
		name, want string
	}{
		{"clusters", "clusters"}, {"cluster", "clusters"}, {"mc", "clusters"},
		{"pools", "clusterpools"}, {"pool", "clusterpools"}, {"clusterpools", "clusterpools"}, {"cp", "clusterpools"},
		{"placements", "placements"}, {"placement", "placements"}, {"pl", "placements"},
		{"resourcebindings", "resourcebindings"}, {"bindings", "resourcebindings"}, {"binding", "resourcebindings"}, {"rb", "resourcebindings"},
		{"globalingresses", "globalingresses"}, {"globalingress", "globalingresses"}, {"gi", "globalingresses"}, {"GlobalIngress", "globalingresses"},
		{"globalingres", ""}, {"clusterss", ""}, {"deployments", ""}, {"", ""},
	}
	for _, tt := range tests {
		r, ok := resourceNamed(tt.name)
		if got := r.plural; got != tt.want || ok != (tt.want != "") {
			t.Errorf("resourceNamed(%q) = %q, %v; want %q", tt.name, got, ok, tt.want)
		}
	}
}
