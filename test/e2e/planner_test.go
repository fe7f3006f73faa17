package e2e

import (
	"context"
	"slices"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/planner"
	"github.com/navarkos/navarkos/internal/setup"
)

// TestDemandDrivenFleet runs the planner's whole cycle on real local clusters, with short
// settings: no application, no cluster; an application makes one; growing past its
// capacity adds nodes or a cluster; deleting it takes the clusters offline after the idle
// time-to-live; applying it again wakes them instead of creating new ones, twice over.
func TestDemandDrivenFleet(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	cfg := planner.DefaultConfig()
	cfg.StabilizationWindow = 10 * time.Second
	f := startFleetWith(t, setup.Options{HealthInterval: healthInterval, Planner: setup.PlannerOptions{Interval: 2 * time.Second, Config: cfg}})

	g.Expect(f.client.Create(ctx, &n6sv1alpha1.ClusterPool{
		ObjectMeta: metav1.ObjectMeta{Name: "auto", Labels: map[string]string{"e2e": "auto"}},
		Spec: n6sv1alpha1.ClusterPoolSpec{
			Provider: n6sv1alpha1.ProviderLocal, Region: "us-east",
			NodeShape:       n6sv1alpha1.NodeShape{CPU: resource.MustParse("4"), Memory: resource.MustParse("16Gi"), Pods: 110},
			Price:           n6sv1alpha1.Price{PerNodeHour: resource.MustParse("0.1")},
			Clusters:        n6sv1alpha1.CountRange{Max: 3},
			NodesPerCluster: n6sv1alpha1.CountRange{Min: 1, Max: 2},
			IdleTTL:         n6sv1alpha1.DurationOf(20 * time.Second),
			OfflineMode:     n6sv1alpha1.OfflineHibernate,
			// No timeToCapacity: the planner goes by what it measures, and a wake it has not
			// measured yet must not lose to a create it has.
		},
	})).To(Succeed())
	g.Expect(f.client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}})).To(Succeed())
	g.Expect(f.client.Create(ctx, poolPlacement("shop", "auto"))).To(Succeed())
	g.Consistently(func(g Gomega) { g.Expect(autoClusters(g, f)).To(BeEmpty()) }, "3s", poll).Should(Succeed(), "no application, no cluster")

	// An application of two one-CPU replicas: one cluster, made for it.
	g.Expect(f.client.Create(ctx, cpuDeployment(2))).To(Succeed())
	expectReadyReplicas(g, f, 2)
	first := autoClusters(g, f)
	g.Expect(first).To(HaveLen(1), "one cluster holds two replicas")
	measured := func(g Gomega) *n6sv1alpha1.MeasuredTimes {
		p := &n6sv1alpha1.ClusterPool{}
		g.Expect(f.client.Get(ctx, client.ObjectKey{Name: "auto"}, p)).To(Succeed())
		g.Expect(p.Status.MeasuredTimeToCapacity).NotTo(BeNil())
		return p.Status.MeasuredTimeToCapacity
	}
	g.Eventually(func(g Gomega) {
		g.Expect(measured(g).Create).NotTo(BeNil())
		g.Expect(measured(g).Create.Duration).To(BeNumerically(">", 0))
	}, clusterTimeout, poll).Should(Succeed(), "waiting for the measured creation time in the pool's status")
	t.Logf("measured: create %s", measured(g).Create.Duration)

	// Twelve replicas need 12 CPUs, past one node of 4: nodes are added, or a second cluster appears.
	patchDeployment(t, f.client, "web", func(d *appsv1.Deployment) { d.Spec.Replicas = ptr.To[int32](12) })
	expectReadyReplicas(g, f, 12)
	grown := autoClusters(g, f)
	var nodes int32
	for _, name := range grown {
		nodes += f.getCluster(g, name).Status.Nodes
	}
	g.Expect(nodes).To(BeNumerically(">=", 3), "12 one-CPU replicas need at least 3 four-CPU nodes: clusters %v", grown)
	t.Logf("grown to %d nodes over clusters %v", nodes, grown)

	// Twice: without the application, every cluster goes offline after the idle
	// time-to-live; when it comes back, a hibernated cluster is woken and none is created.
	for round := 1; round <= 2; round++ {
		g.Expect(f.client.Delete(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"}})).To(Succeed())
		g.Eventually(func(g Gomega) {
			for _, name := range grown {
				c := f.getCluster(g, name)
				g.Expect(c.Spec.DesiredState).To(Equal(n6sv1alpha1.DesiredHibernated), "cluster %s", name)
				g.Expect(c.Status.Phase).To(Equal(n6sv1alpha1.ClusterPhaseHibernated), "cluster %s", name)
			}
		}, clusterTimeout, poll).Should(Succeed(), "round %d: waiting for the idle clusters to hibernate", round)

		g.Expect(f.client.Create(ctx, cpuDeployment(2))).To(Succeed())
		expectReadyReplicas(g, f, 2)
		g.Expect(autoClusters(g, f)).To(Equal(grown), "round %d: the same clusters, none created", round)
		woken := 0
		for _, name := range grown {
			if f.getCluster(g, name).Spec.DesiredState == n6sv1alpha1.DesiredOnline {
				woken++
			}
		}
		g.Expect(woken).To(Equal(1), "round %d: two replicas need one woken cluster", round)
		g.Eventually(func(g Gomega) { g.Expect(measured(g).Wake).NotTo(BeNil()) }, clusterTimeout, poll).
			Should(Succeed(), "round %d: waiting for the measured wake time in the pool's status", round)
		t.Logf("round %d: measured wake %s", round, measured(g).Wake.Duration)
	}
}

// poolPlacement places the Deployment web of the namespace on the clusters labelled
// e2e=<pool>, divided by capacity, and lets the planner make clusters in that pool.
func poolPlacement(namespace, pool string) *n6sv1alpha1.Placement {
	return &n6sv1alpha1.Placement{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "web"},
		Spec: n6sv1alpha1.PlacementSpec{
			ResourceSelectors: []n6sv1alpha1.ResourceSelector{{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"}},
			ClusterAffinity:   &n6sv1alpha1.ClusterAffinity{ClusterSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"e2e": pool}}},
			Replicas:          &n6sv1alpha1.ReplicaScheduling{Mode: n6sv1alpha1.ReplicaModeDivided, Division: n6sv1alpha1.DivisionCapacity},
			Provisioning:      &n6sv1alpha1.Provisioning{Pools: []string{pool}},
		},
	}
}

// autoClusters lists the names of the clusters of the pool "auto", sorted.
func autoClusters(g Gomega, f *localFleet) []string {
	list := &n6sv1alpha1.ClusterList{}
	g.Expect(f.client.List(context.Background(), list, client.MatchingLabels{n6sv1alpha1.PoolLabel: "auto"})).To(Succeed())
	var names []string
	for _, c := range list.Items {
		names = append(names, c.Name)
	}
	slices.Sort(names)
	return names
}

// cpuDeployment is shop/web with replicas that each request one CPU.
func cpuDeployment(replicas int32) *appsv1.Deployment {
	d := fleetDeployment("web", replicas)
	d.Spec.Template.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}
	return d
}

// expectReadyReplicas waits until the fleet Deployment shop/web reports that many ready replicas, summed over its clusters.
func expectReadyReplicas(g Gomega, f *localFleet, replicas int32) {
	g.Eventually(func(g Gomega) {
		d := &appsv1.Deployment{}
		g.Expect(f.client.Get(context.Background(), client.ObjectKey{Namespace: "shop", Name: "web"}, d)).To(Succeed())
		g.Expect(d.Status.ReadyReplicas).To(Equal(replicas))
	}, clusterTimeout, poll).Should(Succeed(), "waiting for %d ready replicas of shop/web", replicas)
}
