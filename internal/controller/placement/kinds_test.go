package placement_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/controller/placement"
)

// TestUnusedKindsStopBeingWatched: a kind is watched while a placement names it; once none
// does (and no Binding holds one), a sweep stops its informer, and naming it again watches
// it anew, with events delivered.
func TestUnusedKindsStopBeingWatched(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	serviceAccounts := schema.GroupVersionKind{Version: "v1", Kind: "ServiceAccount"}
	g.Expect(k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "unwatch"}})).To(Succeed())
	readyCluster(t, "uw-a", "eu", time.Hour, true)
	newPlacement := func() *n6sv1alpha1.Placement {
		return &n6sv1alpha1.Placement{
			ObjectMeta: metav1.ObjectMeta{Namespace: "unwatch", Name: "accounts"},
			Spec: n6sv1alpha1.PlacementSpec{ResourceSelectors: []n6sv1alpha1.ResourceSelector{{
				APIVersion: "v1", Kind: "ServiceAccount", LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"fleet": "yes"}},
			}}},
		}
	}
	scheduled := func(p *n6sv1alpha1.Placement) func(g Gomega) {
		return func(g Gomega) {
			got := &n6sv1alpha1.Placement{}
			g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(p), got)).To(Succeed())
			g.Expect(got.UID).To(Equal(p.UID))
			g.Expect(meta.FindStatusCondition(got.Status.Conditions, n6sv1alpha1.PlacementScheduledCondition)).NotTo(BeNil())
		}
	}
	p := newPlacement()
	g.Expect(k8s.Create(ctx, p)).To(Succeed())
	g.Eventually(scheduled(p), wait, 100*time.Millisecond).Should(Succeed(), "waiting for the first pass over ServiceAccounts")
	g.Expect(kinds.Sweep(ctx)).NotTo(ContainElement(serviceAccounts), "a kind a placement names is kept")
	probe := &unstructured.Unstructured{}
	probe.SetGroupVersionKind(serviceAccounts)
	informer, err := fleetCache.GetInformer(ctx, probe)
	g.Expect(err).NotTo(HaveOccurred())

	g.Expect(k8s.Delete(ctx, p)).To(Succeed())
	g.Eventually(func() error { return k8s.Get(ctx, client.ObjectKeyFromObject(p), &n6sv1alpha1.Placement{}) }, wait, 100*time.Millisecond).
		Should(MatchError(ContainSubstring("not found")), "waiting for the Placement to go")
	g.Expect(kinds.Sweep(ctx)).To(ContainElement(serviceAccounts), "a kind nothing names is released")
	g.Eventually(informer.(interface{ IsStopped() bool }).IsStopped, wait, 100*time.Millisecond).Should(BeTrue(), "waiting for the released kind's informer to stop")

	// Named again: watched again, and a new labelled ServiceAccount is bound through the watch.
	p = newPlacement()
	g.Expect(k8s.Create(ctx, p)).To(Succeed())
	g.Eventually(scheduled(p), wait, 100*time.Millisecond).Should(Succeed(), "waiting for the pass of the new Placement")
	g.Expect(k8s.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "unwatch", Name: "deployer", Labels: map[string]string{"fleet": "yes"}}})).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(bindingReplicas(g, "unwatch", "serviceaccount-deployer")).To(Equal(map[string]int32{"uw-a": -1}))
	}, wait, 100*time.Millisecond).Should(Succeed(), "waiting for the new ServiceAccount's ResourceBinding, through the new watch")
}

// TestPassLocksOfGonePlacementsArePruned: a placement that is gone, even one deleted without
// the scheduler's finalizer, leaves no pass lock behind.
func TestPassLocksOfGonePlacementsArePruned(t *testing.T) {
	r := &placement.PlacementReconciler{Client: k8s, Clock: clock.RealClock{}}
	for i := range 3 {
		if _, err := r.ReconcileWholePass(context.Background(), client.ObjectKey{Namespace: "gone", Name: string(rune('a' + i))}); err != nil {
			t.Fatal(err)
		}
	}
	if n := r.PassLocks(); n != 0 {
		t.Fatalf("%d pass locks left for placements that do not exist", n)
	}
}
