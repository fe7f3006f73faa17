package cluster_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// TestAClusterStaysUpUntilItsReplicasMoved deletes a cluster that a ResourceBinding still
// places replicas on: it stays, Draining, and says which replicas hold it and that they have
// nowhere else to go, until the Binding no longer names it.
func TestAClusterStaysUpUntilItsReplicasMoved(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	create(t, kubeconfigSecret("drainee-kubeconfig", memberKubeconfig(t)))
	create(t, testCluster("drainee", joinedBy("drainee-kubeconfig")))
	g.Eventually(func(g Gomega) {
		g.Expect(condition(getCluster(g, "drainee"), n6sv1alpha1.ClusterReadyCondition).Status).To(Equal(metav1.ConditionTrue))
	}, waitTimeout, 100*time.Millisecond).Should(Succeed(), "waiting for the joined cluster to be Ready")

	create(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "drain"}})
	b := &n6sv1alpha1.ResourceBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: "drain", Name: "deployment-web"},
		Spec: n6sv1alpha1.ResourceBindingSpec{
			Resource:         n6sv1alpha1.ResourceReference{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "drain", Name: "web"},
			Placement:        n6sv1alpha1.PlacementReference{Kind: "Placement", Namespace: "drain", Name: "web"},
			Clusters:         []n6sv1alpha1.TargetCluster{{Name: "drainee", Replicas: ptr.To[int32](3)}},
			UnplacedReplicas: 3,
		},
	}
	create(t, b)
	g.Expect(k8s.Delete(ctx, testCluster("drainee"))).To(Succeed())
	g.Eventually(func(g Gomega) {
		c := getCluster(g, "drainee")
		ready := condition(c, n6sv1alpha1.ClusterReadyCondition)
		g.Expect(ready.Reason).To(Equal(n6sv1alpha1.ClusterDrainingReason))
		g.Expect(ready.Message).To(ContainSubstring("until 3 replicas of 1 workloads are Ready elsewhere: drain/web (3, 3 with nowhere else to run)"))
		g.Expect(ready.Message).To(ContainSubstring("1 of them have nowhere else to run"))
		g.Expect(c.Status.Phase).To(Equal(n6sv1alpha1.ClusterPhaseDraining))
		g.Expect(condition(c, n6sv1alpha1.ClusterHealthyCondition).Status).To(Equal(metav1.ConditionTrue), "a draining cluster's health is still checked")
	}, waitTimeout, 100*time.Millisecond).Should(Succeed(), "waiting for the deleted cluster to drain")
	g.Consistently(func(g Gomega) {
		g.Expect(getCluster(g, "drainee").Status.Phase).To(Equal(n6sv1alpha1.ClusterPhaseDraining))
	}, 3*time.Second, 200*time.Millisecond).Should(Succeed(), "the cluster must stay while replicas are placed on it")

	// The scheduler moved the replicas: the cluster goes.
	g.Eventually(func(g Gomega) {
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(b), b)).To(Succeed())
		b.Spec.Clusters, b.Spec.UnplacedReplicas = []n6sv1alpha1.TargetCluster{{Name: "elsewhere", Replicas: ptr.To[int32](3)}}, 0
		g.Expect(k8s.Update(ctx, b)).To(Succeed())
	}, waitTimeout, 100*time.Millisecond).Should(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(k8s.Get(ctx, client.ObjectKey{Name: "drainee"}, &n6sv1alpha1.Cluster{}))
	}, waitTimeout, 100*time.Millisecond).Should(BeTrue(), "waiting for the drained Cluster to be deleted")
}
