package e2e

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// TestFailover freezes one of three members' kube-apiserver: once the cluster has been
// unhealthy for the toleration, its replicas move to the other members; thawed, the fleet
// converges back with no more replicas than desired. bench/failover times the same steps.
func TestFailover(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	f := startFleet(t)
	members := f.startMembers(t, map[string]string{"fa": "local-us-east", "fb": "local-eu-west", "fc": "local-ap-south"})
	fa, fb, fc := members["fa"], members["fb"], members["fc"]
	g.Expect(f.client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}})).To(Succeed())
	svc := fleetDeployment("svc", 6)
	g.Expect(f.client.Create(ctx, svc)).To(Succeed())
	g.Expect(f.client.Create(ctx, &n6sv1alpha1.Placement{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "svc"},
		Spec: n6sv1alpha1.PlacementSpec{
			ResourceSelectors: []n6sv1alpha1.ResourceSelector{{APIVersion: "apps/v1", Kind: "Deployment", Name: "svc"}},
			Replicas: &n6sv1alpha1.ReplicaScheduling{
				Mode: n6sv1alpha1.ReplicaModeDivided, Division: n6sv1alpha1.DivisionWeighted,
				Weights: []n6sv1alpha1.ClusterWeight{{ClusterNames: []string{"fa", "fb", "fc"}, Weight: 1}},
			},
			FailoverToleration: n6sv1alpha1.DurationOf(3 * time.Second),
		},
	})).To(Succeed())
	expectMemberDeployment(g, fa, "svc", 2, "svc:1")
	expectMemberDeployment(g, fb, "svc", 2, "svc:1")
	expectMemberDeployment(g, fc, "svc", 2, "svc:1")

	thaw := f.freezeAPIServer(t, "fc")
	frozen := time.Now()
	expectMemberDeployment(g, fa, "svc", 3, "svc:1")
	expectMemberDeployment(g, fb, "svc", 3, "svc:1")
	t.Logf("the frozen member's replicas ran Ready elsewhere %v after the freeze (toleration 3s)", time.Since(frozen).Round(time.Second))

	thaw()
	expectMemberDeployment(g, fa, "svc", 2, "svc:1")
	expectMemberDeployment(g, fb, "svc", 2, "svc:1")
	expectMemberDeployment(g, fc, "svc", 2, "svc:1")
	g.Eventually(func(g Gomega) {
		d := &appsv1.Deployment{}
		g.Expect(f.client.Get(ctx, client.ObjectKeyFromObject(svc), d)).To(Succeed())
		g.Expect(d.Status.Replicas).To(Equal(int32(6)), "no surplus replicas once converged")
		g.Expect(d.Status.ReadyReplicas).To(Equal(int32(6)))
	}, clusterTimeout, poll).Should(Succeed(), "waiting for the fleet to converge on 6 replicas")
}
