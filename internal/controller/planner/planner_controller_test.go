package planner_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/fleetplan"
	"github.com/navarkos/navarkos/internal/planner"
	"github.com/navarkos/navarkos/internal/report"
)

const wait = 30 * time.Second

// testPool is a pool of 4-CPU nodes behind a selector label that only one test uses.
func testPool(t *testing.T, name, group, nodePrice string, opts ...func(*n6sv1alpha1.ClusterPool)) {
	t.Helper()
	p := &n6sv1alpha1.ClusterPool{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"test-group": group}},
		Spec: n6sv1alpha1.ClusterPoolSpec{
			Provider: n6sv1alpha1.ProviderLocal, Region: "us-east",
			NodeShape:       n6sv1alpha1.NodeShape{CPU: resource.MustParse("4"), Memory: resource.MustParse("16Gi"), Pods: 110},
			Price:           n6sv1alpha1.Price{PerNodeHour: resource.MustParse(nodePrice)},
			Clusters:        n6sv1alpha1.CountRange{Max: 2},
			NodesPerCluster: n6sv1alpha1.CountRange{Min: 1, Max: 4},
		},
	}
	for _, o := range opts {
		o(p)
	}
	if err := k8s.Create(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), p) })
}

// application creates a namespace, a Deployment of 1-CPU replicas and a Placement that
// divides them over the clusters of the test's pool group.
func application(t *testing.T, ns string, replicas int32, provisioning *n6sv1alpha1.Provisioning) {
	t.Helper()
	ctx := context.Background()
	g := NewWithT(t)
	g.Expect(k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
	l := map[string]string{"app": "web"}
	g.Expect(k8s.Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas), Selector: &metav1.LabelSelector{MatchLabels: l},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: l}, Spec: corev1.PodSpec{Containers: []corev1.Container{{
				Name: "c", Image: "i", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}},
			}}}},
		},
	})).To(Succeed())
	g.Expect(k8s.Create(ctx, &n6sv1alpha1.Placement{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"},
		Spec: n6sv1alpha1.PlacementSpec{
			ResourceSelectors: []n6sv1alpha1.ResourceSelector{{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"}},
			ClusterAffinity:   &n6sv1alpha1.ClusterAffinity{ClusterSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"test-group": ns}}},
			Replicas:          &n6sv1alpha1.ReplicaScheduling{Mode: n6sv1alpha1.ReplicaModeDivided, Division: n6sv1alpha1.DivisionCapacity},
			Provisioning:      provisioning,
		},
	})).To(Succeed())
}

func clustersOfPool(g Gomega, pool string) []n6sv1alpha1.Cluster {
	list := &n6sv1alpha1.ClusterList{}
	g.Expect(k8s.List(context.Background(), list)).To(Succeed())
	var out []n6sv1alpha1.Cluster
	for _, c := range list.Items {
		if c.Spec.Pool == pool && c.DeletionTimestamp.IsZero() {
			out = append(out, c)
		}
	}
	return out
}

func names(cs []n6sv1alpha1.Cluster) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

// events lists the reasons and notes of the Events about an object.
func events(g Gomega, kind, name string) []string {
	list := &eventsv1.EventList{}
	g.Expect(k8s.List(context.Background(), list)).To(Succeed())
	var out []string
	for _, e := range list.Items {
		if e.Regarding.Kind == kind && e.Regarding.Name == name {
			out = append(out, e.Reason+": "+e.Note)
		}
	}
	return out
}

// failCluster writes the condition the Cluster Manager writes when a provider fails.
func failCluster(g Gomega, name, message string) {
	c := &n6sv1alpha1.Cluster{}
	g.Expect(k8s.Get(context.Background(), client.ObjectKey{Name: name}, c)).To(Succeed())
	meta.SetStatusCondition(&c.Status.Conditions, metav1.Condition{Type: n6sv1alpha1.ClusterReadyCondition, Status: metav1.ConditionFalse,
		Reason: n6sv1alpha1.ClusterProviderFailedReason, Message: message})
	g.Expect(k8s.Status().Update(context.Background(), c)).To(Succeed())
}

// TestNoApplicationNoCluster: the first application makes the first cluster, in the
// cheapest eligible pool, sized for it, with the reason on the Cluster and in an Event.
// When that pool's provider fails, the planner deletes the cluster and says it tries the next pool.
func TestNoApplicationNoCluster(t *testing.T) {
	g := NewWithT(t)
	testPool(t, "nanc-cheap", "nanc", "0.10")
	testPool(t, "nanc-dear", "nanc", "0.30")
	g.Consistently(func(g Gomega) { g.Expect(clustersOfPool(g, "nanc-cheap")).To(BeEmpty()) }, 2*time.Second, 200*time.Millisecond).
		Should(Succeed(), "no application, no cluster")

	application(t, "nanc", 6, nil)
	var created n6sv1alpha1.Cluster
	g.Eventually(func(g Gomega) {
		cs := clustersOfPool(g, "nanc-cheap")
		g.Expect(names(cs)).To(HaveLen(1))
		created = cs[0]
	}, wait, 200*time.Millisecond).Should(Succeed(), "waiting for the planner to create a cluster in the cheapest pool")
	g.Expect(created.Labels).To(HaveKeyWithValue(n6sv1alpha1.PlannerLabel, n6sv1alpha1.PlannerManaged))
	g.Expect(*created.Spec.Nodes).To(Equal(int32(2)), "6 one-CPU replicas need 2 four-CPU nodes")
	g.Expect(created.Annotations[n6sv1alpha1.PlannerReasonAnnotation]).To(ContainSubstring("6 replicas of nanc/web need room"))
	g.Eventually(func(g Gomega) []string { return events(g, "Cluster", created.Name) }, wait, 200*time.Millisecond).
		Should(ContainElement(ContainSubstring("PlannerCreated")), "waiting for the Event of the creation")
	g.Consistently(func(g Gomega) { g.Expect(clustersOfPool(g, "nanc-cheap")).To(HaveLen(1)) }, 3*time.Second, 200*time.Millisecond).
		Should(Succeed(), "a starting cluster counts as coming capacity: no second cluster")

	failCluster(g, created.Name, "quota exceeded")
	g.Eventually(func(g Gomega) {
		g.Expect(names(clustersOfPool(g, "nanc-cheap"))).To(BeEmpty())
		cs := clustersOfPool(g, "nanc-dear")
		g.Expect(names(cs)).To(HaveLen(1))
		g.Expect(cs[0].Annotations[n6sv1alpha1.PlannerReasonAnnotation]).To(ContainSubstring("pool nanc-cheap: its provider failed (ProviderFailed: quota exceeded)"))
	}, wait, 200*time.Millisecond).Should(Succeed(), "waiting for the failed cluster to go and the next pool to be tried")
	g.Expect(strings.Join(events(g, "Cluster", created.Name), "\n")).To(ContainSubstring("the next eligible pool is tried"))
	g.Expect(counter(g, "navarkos_planner_actions_total", "Create", "nanc-cheap")).To(Equal(1.0))
	g.Expect(counter(g, "navarkos_planner_actions_total", "Delete", "nanc-cheap")).To(Equal(1.0))
	g.Expect(counter(g, "navarkos_planner_actions_total", "Create", "nanc-dear")).To(Equal(1.0))
}

// counter reads a planner counter by action and pool from the controller metrics registry.
func counter(g Gomega, name, action, pool string) float64 {
	families, err := metrics.Registry.Gather()
	g.Expect(err).NotTo(HaveOccurred())
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["action"] == action && labels["pool"] == pool {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// TestProvisioningNever: a placement that forbids new capacity gets none, and says so on the Placement.
func TestProvisioningNever(t *testing.T) {
	g := NewWithT(t)
	testPool(t, "never-pool", "never", "0.10")
	application(t, "never", 3, &n6sv1alpha1.Provisioning{Policy: n6sv1alpha1.ProvisioningNever})
	g.Eventually(func(g Gomega) []string { return events(g, "Placement", "web") }, wait, 200*time.Millisecond).
		Should(ContainElement(And(ContainSubstring("CapacityUnavailable"), ContainSubstring("3 replicas of never/web"), ContainSubstring("provisioning is not allowed"))))
	g.Expect(clustersOfPool(g, "never-pool")).To(BeEmpty())

	// `navarkos explain` and `navarkos plan` say the same, and change nothing.
	var out strings.Builder
	g.Expect(report.Explain(context.Background(), &out, k8s, "Deployment", "never", "web", time.Now(), planner.DefaultConfig(), false)).To(Succeed())
	g.Expect(out.String()).To(And(ContainSubstring("Placement:  Placement web"), ContainSubstring("3 replicas cannot be served"), ContainSubstring("provisioning is not allowed")))
	p, err := fleetplan.Compute(context.Background(), k8s, time.Now(), planner.DefaultConfig())
	g.Expect(err).NotTo(HaveOccurred())
	out.Reset()
	g.Expect(report.Plan(&out, p)).To(Succeed())
	g.Expect(out.String()).To(ContainSubstring("Unserved: 3 replicas of never/web: no capacity can be added: pool never-pool: provisioning is not allowed by the placement"))
	g.Expect(clustersOfPool(g, "never-pool")).To(BeEmpty())
}

// TestNamespaceQuotaHoldsCapacityBack: a pool adds capacity for one namespace only up to its
// namespace quota, and says so on the Placement.
func TestNamespaceQuotaHoldsCapacityBack(t *testing.T) {
	g := NewWithT(t)
	testPool(t, "quota-pool", "quota", "0.10", func(p *n6sv1alpha1.ClusterPool) {
		p.Spec.NamespaceQuota = &n6sv1alpha1.NamespaceQuota{CPU: ptr.To(resource.MustParse("3"))}
	})
	application(t, "quota", 6, nil)
	g.Eventually(func(g Gomega) []string { return events(g, "Placement", "web") }, wait, 200*time.Millisecond).
		Should(ContainElement(And(ContainSubstring("QuotaReached"), ContainSubstring(`namespace "quota" has reached its quota in pool quota-pool`))))
	var created []n6sv1alpha1.Cluster
	g.Eventually(func(g Gomega) {
		created = clustersOfPool(g, "quota-pool")
		g.Expect(created).To(HaveLen(1))
	}, wait, 200*time.Millisecond).Should(Succeed(), "waiting for the one cluster the quota allows")
	g.Expect(*created[0].Spec.Nodes).To(Equal(int32(1)), "sized for the quota's 3 replicas, not the 6 asked for")
}

// TestAPIRejectsBadPools: a pool without a price, with a negative price or negative limits.
func TestAPIRejectsBadPools(t *testing.T) {
	for _, tt := range []struct {
		name, yaml, want string
	}{
		{"no price", `{"provider":"local","region":"r","nodeShape":{"cpu":"1","memory":"1Gi","pods":10},"clusters":{"max":1},"nodesPerCluster":{"max":1}}`, "spec.price: Required value"},
		{"negative node price", `{"provider":"local","region":"r","nodeShape":{"cpu":"1","memory":"1Gi","pods":10},"price":{"perNodeHour":"-0.1"},"clusters":{"max":1},"nodesPerCluster":{"max":1}}`, `spec.price.perNodeHour: Invalid value: "-0.1": perNodeHour must not be negative`},
		{"negative cluster price", `{"provider":"local","region":"r","nodeShape":{"cpu":"1","memory":"1Gi","pods":10},"price":{"perNodeHour":"1","perClusterHour":"-1"},"clusters":{"max":1},"nodesPerCluster":{"max":1}}`, "perClusterHour must not be negative"},
		{"negative hibernated price", `{"provider":"local","region":"r","nodeShape":{"cpu":"1","memory":"1Gi","pods":10},"price":{"perNodeHour":"1","hibernatedPerClusterHour":"-0.01"},"clusters":{"max":1},"nodesPerCluster":{"max":1}}`, "hibernatedPerClusterHour must not be negative"},
		{"negative max clusters", `{"provider":"local","region":"r","nodeShape":{"cpu":"1","memory":"1Gi","pods":10},"price":{"perNodeHour":"1"},"clusters":{"max":-1},"nodesPerCluster":{"max":1}}`, "spec.clusters.max: Invalid value: -1"},
		{"empty namespace quota", `{"provider":"local","region":"r","nodeShape":{"cpu":"1","memory":"1Gi","pods":10},"price":{"perNodeHour":"1"},"clusters":{"max":1},"nodesPerCluster":{"max":1},"namespaceQuota":{}}`, "namespaceQuota needs cpu, memory or both"},
		{"negative namespace quota", `{"provider":"local","region":"r","nodeShape":{"cpu":"1","memory":"1Gi","pods":10},"price":{"perNodeHour":"1"},"clusters":{"max":1},"nodesPerCluster":{"max":1},"namespaceQuota":{"cpu":"-2"}}`, "spec.namespaceQuota.cpu: Invalid value"},
		{"negative max nodes", `{"provider":"local","region":"r","nodeShape":{"cpu":"1","memory":"1Gi","pods":10},"price":{"perNodeHour":"1"},"clusters":{"max":1},"nodesPerCluster":{"max":-2}}`, "spec.nodesPerCluster.max: Invalid value: -2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u := map[string]any{"apiVersion": "n6s.io/v1alpha1", "kind": "ClusterPool", "metadata": map[string]any{"name": "bad-" + strings.ReplaceAll(tt.name, " ", "-")}}
			obj := &unstructuredPool{}
			obj.fill(u, tt.yaml)
			err := k8s.Create(context.Background(), obj.u)
			if err == nil {
				_ = k8s.Delete(context.Background(), obj.u)
				t.Fatalf("the API accepted the pool, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

// markReady writes what the Cluster Manager writes once a cluster runs: Ready, with its pool's
// node shape times its nodes as capacity.
func markReady(g Gomega, name string) {
	c := &n6sv1alpha1.Cluster{}
	g.Expect(k8s.Get(context.Background(), client.ObjectKey{Name: name}, c)).To(Succeed())
	for _, typ := range []string{n6sv1alpha1.ClusterProvisionedCondition, n6sv1alpha1.ClusterHealthyCondition, n6sv1alpha1.ClusterReadyCondition} {
		meta.SetStatusCondition(&c.Status.Conditions, metav1.Condition{Type: typ, Status: metav1.ConditionTrue, Reason: "Test"})
	}
	nodes := ptr.Deref(c.Spec.Nodes, 1)
	c.Status.Nodes = nodes
	c.Status.Capacity.Allocatable = n6sv1alpha1.ResourceAmounts{
		CPU: *resource.NewQuantity(int64(4*nodes), resource.DecimalSI), Memory: resource.MustParse(fmt.Sprintf("%dGi", 16*nodes)), Pods: 110 * nodes,
	}
	g.Expect(k8s.Status().Update(context.Background(), c)).To(Succeed())
}

// TestPreemptedSpotClusterIsReplaced: a spot cluster that the provider removes takes its
// replicas with it; they fail over to nothing, and the planner makes replacement capacity.
func TestPreemptedSpotClusterIsReplaced(t *testing.T) {
	g := NewWithT(t)
	testPool(t, "spot-pool", "spot", "0.05", func(p *n6sv1alpha1.ClusterPool) { p.Spec.Price.Market = n6sv1alpha1.MarketSpot })

	application(t, "spot", 4, nil)
	var first string
	g.Eventually(func(g Gomega) {
		cs := names(clustersOfPool(g, "spot-pool"))
		g.Expect(cs).To(HaveLen(1))
		first = cs[0]
	}, wait, 200*time.Millisecond).Should(Succeed(), "waiting for the first spot cluster")
	g.Eventually(func(g Gomega) { markReady(g, first) }, wait, 200*time.Millisecond).Should(Succeed())
	g.Eventually(func(g Gomega) {
		b := &n6sv1alpha1.ResourceBinding{}
		g.Expect(k8s.Get(context.Background(), client.ObjectKey{Namespace: "spot", Name: "deployment-web"}, b)).To(Succeed())
		g.Expect(b.Spec.Clusters).To(HaveLen(1))
		g.Expect(b.Spec.Clusters[0].Name).To(Equal(first))
	}, wait, 200*time.Millisecond).Should(Succeed(), "waiting for the replicas to run on the spot cluster")

	// Pre-empted: the cluster is gone.
	g.Expect(k8s.Delete(context.Background(), &n6sv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: first}})).To(Succeed())
	g.Eventually(func(g Gomega) {
		cs := clustersOfPool(g, "spot-pool")
		g.Expect(names(cs)).To(HaveLen(1))
		g.Expect(cs[0].Name).NotTo(Equal(first))
		g.Expect(cs[0].Annotations[n6sv1alpha1.PlannerReasonAnnotation]).To(ContainSubstring("4 replicas of spot/web need room"))
	}, wait, 200*time.Millisecond).Should(Succeed(), "waiting for replacement capacity")
}
