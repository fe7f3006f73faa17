package placement_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// reportReady writes a ResourceBinding's status as propagation would once the members
// report these Ready replicas: the test stands in for propagation and the members, as the
// suite stands in for the Cluster Manager.
func reportReady(g Gomega, key client.ObjectKey, ready map[string]int32) {
	b := &n6sv1alpha1.ResourceBinding{}
	g.Expect(k8s.Get(context.Background(), key, b)).To(Succeed())
	b.Status.Clusters = nil
	for _, tc := range b.Spec.Clusters {
		b.Status.Clusters = append(b.Status.Clusters, n6sv1alpha1.ClusterResourceStatus{
			Name: tc.Name, State: n6sv1alpha1.ResourceApplied, ReadyReplicas: min(ready[tc.Name], ptr.Deref(tc.Replicas, 0)),
		})
	}
	g.Expect(k8s.Status().Update(context.Background(), b)).To(Succeed())
}

func progressing(g Gomega, key client.ObjectKey) *metav1.Condition {
	p := &n6sv1alpha1.Placement{}
	g.Expect(k8s.Get(context.Background(), key, p)).To(Succeed())
	cond := meta.FindStatusCondition(p.Status.Conditions, n6sv1alpha1.PlacementProgressingCondition)
	g.Expect(cond).NotTo(BeNil(), "the Placement has no Progressing condition")
	return cond
}

// movingWorkload makes namespace ns with two Ready clusters, ns-a and ns-b, and a
// Deployment of the given replicas that a Placement with rollout puts on ns-a, divided by
// capacity; moveTo later points the Placement at one cluster.
func movingWorkload(t *testing.T, ns string, replicas int32, rollout *n6sv1alpha1.RolloutPolicy) (p *n6sv1alpha1.Placement, moveTo func(cluster string)) {
	t.Helper()
	g := NewWithT(t)
	ctx := context.Background()
	g.Expect(k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
	readyCluster(t, ns+"-a", "eu", time.Hour, true)
	readyCluster(t, ns+"-b", "us", time.Hour, true)
	g.Expect(k8s.Create(ctx, testDeployment(ns, "web", replicas))).To(Succeed())
	p = &n6sv1alpha1.Placement{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"},
		Spec: n6sv1alpha1.PlacementSpec{
			ResourceSelectors: selectDeployment("web"),
			ClusterAffinity:   &n6sv1alpha1.ClusterAffinity{ClusterNames: []string{ns + "-a"}},
			Replicas:          &n6sv1alpha1.ReplicaScheduling{Mode: n6sv1alpha1.ReplicaModeDivided, Division: n6sv1alpha1.DivisionCapacity},
			Rollout:           rollout,
		},
	}
	g.Expect(k8s.Create(ctx, p)).To(Succeed())
	return p, func(cluster string) {
		g.Eventually(func(g Gomega) {
			g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(p), p)).To(Succeed())
			p.Spec.ClusterAffinity.ClusterNames = []string{cluster}
			g.Expect(k8s.Update(ctx, p)).To(Succeed())
		}, wait, 50*time.Millisecond).Should(Succeed(), "pointing the Placement at %s", cluster)
	}
}

// TestAMoveKeepsReplicasUntilTheirReplacementsAreReady changes a Placement's clusters and
// follows the move step by step: the old cluster keeps its Ready replicas until as many are
// Ready on the new one, the surge bounds the replicas started at once, and each step is an
// Event and shows in the Progressing condition.
func TestAMoveKeepsReplicasUntilTheirReplacementsAreReady(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	// A surge of 34% is 3 of 6, rounded up.
	p, moveTo := movingWorkload(t, "move", 6, &n6sv1alpha1.RolloutPolicy{MaxSurge: ptr.To(intstr.FromString("34%"))})
	key := client.ObjectKey{Namespace: "move", Name: "deployment-web"}
	expect := func(want map[string]int32, why string) {
		g.Eventually(func(g Gomega) {
			g.Expect(bindingReplicas(g, "move", "deployment-web")).To(Equal(want))
		}, wait, 50*time.Millisecond).Should(Succeed(), "waiting for %v: %s", want, why)
	}
	expect(map[string]int32{"move-a": 6}, "the first placement")
	g.Expect(moveEvents(g, "move", "web")).To(BeEmpty(), "a first placement is no move")
	g.Eventually(func(g Gomega) { reportReady(g, key, map[string]int32{"move-a": 6}) }, wait, 50*time.Millisecond).Should(Succeed())

	moveTo("move-b")
	expect(map[string]int32{"move-a": 6, "move-b": 3}, "the surge starts first")
	g.Consistently(func(g Gomega) {
		g.Expect(bindingReplicas(g, "move", "deployment-web")).To(Equal(map[string]int32{"move-a": 6, "move-b": 3}))
	}, time.Second, 100*time.Millisecond).Should(Succeed(), "move-a must keep its replicas while none is Ready on move-b")
	g.Eventually(func(g Gomega) {
		cond := progressing(g, client.ObjectKeyFromObject(p))
		g.Expect(cond.Reason).To(Equal(n6sv1alpha1.PlacementMovingReason))
		g.Expect(cond.Message).To(ContainSubstring("move-a 6→0, move-b 3→6; 6 of 6 Ready"))
	}, wait, 50*time.Millisecond).Should(Succeed(), "waiting for the Progressing condition to show the move")

	g.Eventually(func(g Gomega) { reportReady(g, key, map[string]int32{"move-a": 6, "move-b": 2}) }, wait, 50*time.Millisecond).Should(Succeed())
	expect(map[string]int32{"move-a": 4, "move-b": 5}, "two Ready on move-b let move-a give up two")
	g.Eventually(func(g Gomega) { reportReady(g, key, map[string]int32{"move-a": 4, "move-b": 5}) }, wait, 50*time.Millisecond).Should(Succeed())
	expect(map[string]int32{"move-a": 1, "move-b": 6}, "five Ready on move-b")
	g.Eventually(func(g Gomega) { reportReady(g, key, map[string]int32{"move-a": 1, "move-b": 6}) }, wait, 50*time.Millisecond).Should(Succeed())
	expect(map[string]int32{"move-b": 6}, "the move ends")
	g.Eventually(func(g Gomega) {
		b := &n6sv1alpha1.ResourceBinding{}
		g.Expect(k8s.Get(ctx, key, b)).To(Succeed())
		g.Expect(b.Spec.Rollout).To(BeNil())
		g.Expect(progressing(g, client.ObjectKeyFromObject(p)).Reason).To(Equal(n6sv1alpha1.PlacementSettledReason))
	}, wait, 50*time.Millisecond).Should(Succeed(), "waiting for the move to settle")
	expectEvents(g, "move", "web", "MovingReplicas", "MoveStep", "MoveDone")
}

// TestAMoveThatOutlastsItsGracePeriodCompletes: replacements that never turn Ready hold a
// move for the grace period only; then the move completes, with an Event and a False
// Progressing condition.
func TestAMoveThatOutlastsItsGracePeriodCompletes(t *testing.T) {
	g := NewWithT(t)
	p, moveTo := movingWorkload(t, "grace", 4, &n6sv1alpha1.RolloutPolicy{GracePeriod: n6sv1alpha1.DurationOf(3 * time.Second)})
	key := client.ObjectKey{Namespace: "grace", Name: "deployment-web"}
	g.Eventually(func(g Gomega) {
		g.Expect(bindingReplicas(g, "grace", "deployment-web")).To(Equal(map[string]int32{"grace-a": 4}))
		reportReady(g, key, map[string]int32{"grace-a": 4})
	}, wait, 50*time.Millisecond).Should(Succeed(), "waiting for the first placement")
	moveTo("grace-b")
	g.Eventually(func(g Gomega) {
		g.Expect(bindingReplicas(g, "grace", "deployment-web")).To(Equal(map[string]int32{"grace-a": 4, "grace-b": 1}))
	}, wait, 50*time.Millisecond).Should(Succeed(), "waiting for the move to start with a surge of one")
	g.Eventually(func(g Gomega) {
		g.Expect(bindingReplicas(g, "grace", "deployment-web")).To(Equal(map[string]int32{"grace-b": 4}))
		cond := progressing(g, client.ObjectKeyFromObject(p))
		g.Expect(cond.Status).To(Equal(metav1.ConditionFalse), "%+v", cond)
		g.Expect(cond.Reason).To(Equal(n6sv1alpha1.PlacementGracePeriodExpiredReason))
	}, wait, 100*time.Millisecond).Should(Succeed(), "waiting for the grace period to end the move")
	expectEvents(g, "grace", "web", "GracePeriodExpired")
}

// moveEvents are the reasons of the placement's Events about moves.
func moveEvents(g Gomega, ns, placement string) []string {
	list := &eventsv1.EventList{}
	g.Expect(k8s.List(context.Background(), list, client.InNamespace(ns))).To(Succeed())
	var reasons []string
	for _, e := range list.Items {
		if e.Regarding.Name == placement && e.Action == "Move" {
			reasons = append(reasons, e.Reason+": "+e.Note)
		}
	}
	return reasons
}

// expectEvents waits for the placement's Events of each reason.
func expectEvents(g Gomega, ns, placement string, reasons ...string) {
	for _, reason := range reasons {
		g.Eventually(func(g Gomega) {
			list := &eventsv1.EventList{}
			g.Expect(k8s.List(context.Background(), list, client.InNamespace(ns))).To(Succeed())
			found := false
			for _, e := range list.Items {
				found = found || (e.Regarding.Name == placement && e.Reason == reason)
			}
			g.Expect(found).To(BeTrue(), "no %s Event on Placement %s/%s", reason, ns, placement)
		}, wait, 100*time.Millisecond).Should(Succeed(), "waiting for a %s Event", reason)
	}
}
