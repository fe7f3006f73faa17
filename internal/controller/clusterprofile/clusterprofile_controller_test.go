package clusterprofile_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	inventoryv1alpha1 "sigs.k8s.io/cluster-inventory-api/apis/v1alpha1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/controller/clusterprofile"
)

const wait = 30 * time.Second

// memberCluster creates a Cluster and writes the status the Cluster Manager would.
func memberCluster(t *testing.T, g Gomega, name string, healthy metav1.ConditionStatus) *n6sv1alpha1.Cluster {
	t.Helper()
	ctx := context.Background()
	c := &n6sv1alpha1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
			// as the Cluster Manager labels its Clusters
			n6sv1alpha1.RegionLabel: "eu-west", n6sv1alpha1.ProviderLabel: "local", n6sv1alpha1.PoolLabel: "eu-pool", n6sv1alpha1.TierLabel: "standard",
		}},
		Spec: n6sv1alpha1.ClusterSpec{Pool: "eu-pool"},
	}
	g.Expect(k8s.Create(ctx, c)).To(Succeed())
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), c) })
	c.Status = n6sv1alpha1.ClusterStatus{
		Phase: n6sv1alpha1.ClusterPhaseReady, KubernetesVersion: "v1.37.2", Nodes: 3,
		CostPerHour: resource.NewMilliQuantity(648, resource.DecimalSI),
		Capacity:    n6sv1alpha1.ClusterCapacity{Allocatable: n6sv1alpha1.ResourceAmounts{CPU: resource.MustParse("12"), Memory: resource.MustParse("48Gi"), Pods: 330}},
		Conditions: []metav1.Condition{
			{Type: n6sv1alpha1.ClusterHealthyCondition, Status: healthy, Reason: n6sv1alpha1.ClusterHeartbeatReason, Message: "the API answered", LastTransitionTime: metav1.Now()},
			{Type: n6sv1alpha1.ClusterReadyCondition, Status: healthy, Reason: n6sv1alpha1.ClusterReadyReason, Message: "ready", LastTransitionTime: metav1.Now()},
		},
	}
	g.Expect(k8s.Status().Update(ctx, c)).To(Succeed())
	return c
}

func profileOf(g Gomega, name string) *inventoryv1alpha1.ClusterProfile {
	p := &inventoryv1alpha1.ClusterProfile{}
	g.Expect(k8s.Get(context.Background(), client.ObjectKey{Namespace: n6sv1alpha1.SystemNamespace, Name: name}, p)).To(Succeed())
	return p
}

func property(p *inventoryv1alpha1.ClusterProfile, name string) string {
	for _, prop := range p.Status.Properties {
		if prop.Name == name {
			return prop.Value
		}
	}
	return ""
}

// TestClusterProfilePublished: a member gets a profile with its version, health and
// properties, which follow the Cluster's changes, and which goes with the Cluster.
func TestClusterProfilePublished(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	c := memberCluster(t, g, "inventory-eu", metav1.ConditionTrue)
	g.Eventually(func(g Gomega) {
		p := profileOf(g, c.Name)
		g.Expect(p.Spec.ClusterManager.Name).To(Equal("navarkos"))
		g.Expect(p.Labels).To(HaveKeyWithValue(inventoryv1alpha1.LabelClusterManagerKey, "navarkos"))
		g.Expect(p.Labels).To(HaveKeyWithValue(n6sv1alpha1.RegionLabel, "eu-west"))
		g.Expect(p.Status.Version.Kubernetes).To(Equal("v1.37.2"))
		g.Expect(meta.IsStatusConditionTrue(p.Status.Conditions, inventoryv1alpha1.ClusterConditionControlPlaneHealthy)).To(BeTrue())
		g.Expect(meta.IsStatusConditionTrue(p.Status.Conditions, clusterprofile.ReadyCondition)).To(BeTrue())
		g.Expect(property(p, n6sv1alpha1.RegionLabel)).To(Equal("eu-west"))
		g.Expect(property(p, n6sv1alpha1.PoolLabel)).To(Equal("eu-pool"))
		g.Expect(property(p, n6sv1alpha1.ProviderLabel)).To(Equal("local"))
		g.Expect(property(p, n6sv1alpha1.TierLabel)).To(Equal("standard"))
		g.Expect(property(p, clusterprofile.NodesProperty)).To(Equal("3"))
		g.Expect(property(p, clusterprofile.CostPerHourProperty)).To(Equal("648m"))
		g.Expect(property(p, clusterprofile.PodsProperty)).To(Equal("330"))
		g.Expect(p.OwnerReferences).To(ContainElement(HaveField("Name", c.Name)))
	}, wait, 100*time.Millisecond).Should(Succeed(), "awaiting the ClusterProfile of %s with its status", c.Name)

	// The cluster stops answering: its profile says so, with the Cluster Manager's reason.
	g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(c), c)).To(Succeed())
	meta.SetStatusCondition(&c.Status.Conditions, metav1.Condition{Type: n6sv1alpha1.ClusterHealthyCondition, Status: metav1.ConditionFalse,
		Reason: n6sv1alpha1.ClusterUnreachableReason, Message: "connection refused"})
	g.Expect(k8s.Status().Update(ctx, c)).To(Succeed())
	g.Eventually(func(g Gomega) {
		cond := meta.FindStatusCondition(profileOf(g, c.Name).Status.Conditions, inventoryv1alpha1.ClusterConditionControlPlaneHealthy)
		g.Expect(cond).NotTo(BeNil())
		g.Expect(cond.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(cond.Reason).To(Equal(n6sv1alpha1.ClusterUnreachableReason))
	}, wait, 100*time.Millisecond).Should(Succeed(), "awaiting ControlPlaneHealthy=False on the profile of %s", c.Name)

	// The Cluster goes: so does its profile (the fleet API's garbage collector would too).
	g.Expect(k8s.Delete(ctx, c)).To(Succeed())
	g.Eventually(func() error {
		return k8s.Get(ctx, client.ObjectKey{Namespace: n6sv1alpha1.SystemNamespace, Name: c.Name}, &inventoryv1alpha1.ClusterProfile{})
	}, wait, 100*time.Millisecond).Should(MatchError(ContainSubstring("not found")), "awaiting the removal of the profile of %s", c.Name)
}

// TestClusterProfileOfAnotherManager: a profile of the same name that another cluster manager
// published is neither taken over nor removed.
func TestClusterProfileOfAnotherManager(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	foreign := &inventoryv1alpha1.ClusterProfile{
		ObjectMeta: metav1.ObjectMeta{Namespace: n6sv1alpha1.SystemNamespace, Name: "inventory-foreign"},
		Spec:       inventoryv1alpha1.ClusterProfileSpec{DisplayName: "theirs", ClusterManager: inventoryv1alpha1.ClusterManager{Name: "ocm"}},
	}
	g.Expect(k8s.Create(ctx, foreign)).To(Succeed())
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), foreign) })
	c := memberCluster(t, g, "inventory-foreign", metav1.ConditionTrue)
	// A second member proves the publisher has run since: its profile appears.
	other := memberCluster(t, g, "inventory-other", metav1.ConditionTrue)
	g.Eventually(func(g Gomega) { profileOf(g, other.Name) }, wait, 100*time.Millisecond).Should(Succeed(), "awaiting the profile of %s", other.Name)
	g.Consistently(func(g Gomega) {
		p := profileOf(g, c.Name)
		g.Expect(p.Spec.ClusterManager.Name).To(Equal("ocm"))
		g.Expect(p.Spec.DisplayName).To(Equal("theirs"))
		g.Expect(p.Status.Properties).To(BeEmpty())
	}, 2*time.Second, 200*time.Millisecond).Should(Succeed(), "the foreign profile must stay as its manager wrote it")
	g.Expect(k8s.Delete(ctx, c)).To(Succeed())
	g.Consistently(func(g Gomega) { profileOf(g, c.Name) }, 2*time.Second, 200*time.Millisecond).Should(Succeed(), "the foreign profile must outlive the Cluster")
}
