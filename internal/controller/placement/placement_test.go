package placement_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/planner"
	"github.com/navarkos/navarkos/internal/report"
	"github.com/navarkos/navarkos/internal/setup"
	"github.com/navarkos/navarkos/internal/testenv"
)

const wait = 30 * time.Second

func selectDeployment(name string) []n6sv1alpha1.ResourceSelector {
	return []n6sv1alpha1.ResourceSelector{{APIVersion: "apps/v1", Kind: "Deployment", Name: name}}
}

func TestAPIRejectsBadPlacements(t *testing.T) {
	tests := []struct {
		name    string
		spec    n6sv1alpha1.PlacementSpec
		wantErr []string
	}{
		{"selects nothing", n6sv1alpha1.PlacementSpec{ResourceSelectors: []n6sv1alpha1.ResourceSelector{}}, []string{"spec.resourceSelectors", "should have at least 1 items"}},
		{"has no selectors", n6sv1alpha1.PlacementSpec{}, []string{"spec.resourceSelectors: Required value"}},
		{
			"weights all zero",
			n6sv1alpha1.PlacementSpec{ResourceSelectors: selectDeployment("a"), Replicas: &n6sv1alpha1.ReplicaScheduling{
				Mode: n6sv1alpha1.ReplicaModeDivided, Division: n6sv1alpha1.DivisionWeighted,
				Weights: []n6sv1alpha1.ClusterWeight{{ClusterNames: []string{"x"}, Weight: 0}},
			}},
			[]string{"spec.replicas.weights", "weights must not all be zero"},
		},
		{
			"min clusters above max",
			n6sv1alpha1.PlacementSpec{ResourceSelectors: selectDeployment("a"), Spread: &n6sv1alpha1.SpreadConstraint{MinClusters: 3, MaxClusters: ptr.To[int32](2)}},
			[]string{"spec.spread", "minClusters must not exceed maxClusters"},
		},
		{
			"a preference with two criteria",
			n6sv1alpha1.PlacementSpec{ResourceSelectors: selectDeployment("a"), Preferences: []n6sv1alpha1.Preference{
				{Weight: 1, Cost: &n6sv1alpha1.CostPreference{}, QoS: &n6sv1alpha1.QoSPreference{Tier: "premium"}},
			}},
			[]string{"spec.preferences[0]", "exactly one of cost, locality and qos"},
		},
		{
			"a patch of the kind",
			n6sv1alpha1.PlacementSpec{ResourceSelectors: selectDeployment("a"), Overrides: []n6sv1alpha1.ClusterOverride{{ClusterNames: []string{"x"},
				JSONPatch: []n6sv1alpha1.JSONPatchOperation{{Op: "replace", Path: "/kind", Value: &apiextensionsv1.JSON{Raw: []byte(`"ClusterRoleBinding"`)}}}}}},
			[]string{"spec.overrides[0].jsonPatch[0].path", "may not change apiVersion, kind or metadata"},
		},
		{
			"a patch of the namespace",
			n6sv1alpha1.PlacementSpec{ResourceSelectors: selectDeployment("a"), Overrides: []n6sv1alpha1.ClusterOverride{{ClusterNames: []string{"x"},
				JSONPatch: []n6sv1alpha1.JSONPatchOperation{{Op: "add", Path: "/metadata/namespace", Value: &apiextensionsv1.JSON{Raw: []byte(`"kube-system"`)}}}}}},
			[]string{"spec.overrides[0].jsonPatch[0].path", "may not change apiVersion, kind or metadata"},
		},
		{
			"an override for no cluster",
			n6sv1alpha1.PlacementSpec{ResourceSelectors: selectDeployment("a"), Overrides: []n6sv1alpha1.ClusterOverride{{Replicas: ptr.To[int32](1)}}},
			[]string{"spec.overrides[0]", "needs clusterNames or a clusterSelector"},
		},
		{
			"a JSON patch with an unknown op",
			n6sv1alpha1.PlacementSpec{ResourceSelectors: selectDeployment("a"), Overrides: []n6sv1alpha1.ClusterOverride{{
				ClusterNames: []string{"x"}, JSONPatch: []n6sv1alpha1.JSONPatchOperation{{Op: "move", Path: "/a"}},
			}}},
			[]string{"spec.overrides[0].jsonPatch[0].op", `Unsupported value: "move"`},
		},
		{
			"a share for a region that is not a target",
			n6sv1alpha1.PlacementSpec{ResourceSelectors: selectDeployment("a"), Preferences: []n6sv1alpha1.Preference{
				{Weight: 1, Locality: &n6sv1alpha1.LocalityPreference{TargetRegions: []string{"us-east"}, Shares: map[string]int32{"us-east": 3, "eu-west": 2}}},
			}},
			[]string{"spec.preferences[0].locality", "shares may only name target regions"},
		},
		{
			"a share of 0",
			n6sv1alpha1.PlacementSpec{ResourceSelectors: selectDeployment("a"), Preferences: []n6sv1alpha1.Preference{
				{Weight: 1, Locality: &n6sv1alpha1.LocalityPreference{TargetRegions: []string{"us-east"}, Shares: map[string]int32{"us-east": 0}}},
			}},
			[]string{"spec.preferences[0].locality.shares", "each share is a weight from 1 to 1000"},
		},
		{
			"a surge above 100%",
			n6sv1alpha1.PlacementSpec{ResourceSelectors: selectDeployment("a"), Rollout: &n6sv1alpha1.RolloutPolicy{MaxSurge: ptr.To(intstr.FromString("150%"))}},
			[]string{"spec.rollout.maxSurge", "a percentage from 0% to 100%"},
		},
		{
			"a negative maxUnavailable",
			n6sv1alpha1.PlacementSpec{ResourceSelectors: selectDeployment("a"), Rollout: &n6sv1alpha1.RolloutPolicy{MaxUnavailable: ptr.To(intstr.FromInt32(-1))}},
			[]string{"spec.rollout.maxUnavailable", "a count of at least 0"},
		},
		{
			"a rollout that can never move",
			n6sv1alpha1.PlacementSpec{ResourceSelectors: selectDeployment("a"), Rollout: &n6sv1alpha1.RolloutPolicy{MaxSurge: ptr.To(intstr.FromString("0%"))}},
			[]string{"spec.rollout", "maxSurge and maxUnavailable cannot both be 0"},
		},
		{
			"a grace period of nothing",
			n6sv1alpha1.PlacementSpec{ResourceSelectors: selectDeployment("a"), Rollout: &n6sv1alpha1.RolloutPolicy{GracePeriod: "0s"}},
			[]string{"spec.rollout.gracePeriod", "between 1s and 24h"},
		},
		{
			"a namespaced selector in a Placement",
			n6sv1alpha1.PlacementSpec{ResourceSelectors: []n6sv1alpha1.ResourceSelector{{APIVersion: "v1", Kind: "ConfigMap", Namespace: "other"}}},
			[]string{"namespace is only for ClusterPlacement"},
		},
	}
	good := &n6sv1alpha1.Placement{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "shares"}, Spec: n6sv1alpha1.PlacementSpec{
		ResourceSelectors: selectDeployment("a"), Preferences: []n6sv1alpha1.Preference{{Weight: 1, Locality: &n6sv1alpha1.LocalityPreference{
			TargetRegions: []string{"us-east", "eu-west"}, Shares: map[string]int32{"us-east": 60, "eu-west": 40}}}},
	}}
	if err := k8s.Create(context.Background(), good); err != nil {
		t.Fatalf("a Placement with region shares was refused: %v", err)
	}
	_ = k8s.Delete(context.Background(), good)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &n6sv1alpha1.Placement{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "bad-" + string(rune('a'+i))}, Spec: tt.spec}
			err := k8s.Create(context.Background(), p)
			if err == nil {
				_ = k8s.Delete(context.Background(), p)
				t.Fatalf("want the API to reject the Placement with %q, it was accepted", tt.wantErr)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err.Error(), want)
				}
			}
		})
	}
}

// readyCluster makes a Cluster and writes the status the Cluster Manager would.
func readyCluster(t *testing.T, name, region string, healthySince time.Duration, healthy bool) {
	t.Helper()
	ctx := context.Background()
	c := &n6sv1alpha1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{n6sv1alpha1.RegionLabel: region}},
		Spec:       n6sv1alpha1.ClusterSpec{KubeconfigSecretRef: &n6sv1alpha1.SecretReference{Name: name}},
	}
	if err := k8s.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), c) })
	setHealth(t, name, healthy, healthySince)
}

// setHealth writes a cluster's Ready and Healthy conditions, changed `since` ago.
func setHealth(t *testing.T, name string, healthy bool, since time.Duration) {
	t.Helper()
	// The cache may not have the new Cluster yet, and an update may conflict: retry both.
	NewWithT(t).Eventually(func() error { return writeHealth(name, healthy, since) }, wait, 50*time.Millisecond).
		Should(Succeed(), "waiting to write the health of Cluster %s", name)
}

func writeHealth(name string, healthy bool, since time.Duration) error {
	ctx := context.Background()
	c := &n6sv1alpha1.Cluster{}
	if err := k8s.Get(ctx, client.ObjectKey{Name: name}, c); err != nil {
		return err
	}
	status := metav1.ConditionFalse
	if healthy {
		status = metav1.ConditionTrue
	}
	when := metav1.NewTime(time.Now().Add(-since))
	c.Status.Conditions = nil
	for _, typ := range []string{n6sv1alpha1.ClusterProvisionedCondition, n6sv1alpha1.ClusterHealthyCondition, n6sv1alpha1.ClusterReadyCondition} {
		st := status
		if typ == n6sv1alpha1.ClusterProvisionedCondition {
			st = metav1.ConditionTrue
		}
		meta.SetStatusCondition(&c.Status.Conditions, metav1.Condition{Type: typ, Status: st, Reason: "Test", LastTransitionTime: when})
	}
	c.Status.Capacity.Allocatable = n6sv1alpha1.ResourceAmounts{CPU: resource.MustParse("16"), Memory: resource.MustParse("64Gi"), Pods: 100}
	return k8s.Status().Update(ctx, c)
}

func testDeployment(ns, name string, replicas int32) *appsv1.Deployment {
	l := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas), Selector: &metav1.LabelSelector{MatchLabels: l},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: l}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "i"}}}},
		},
	}
}

func bindingReplicas(g Gomega, ns, name string) map[string]int32 {
	b := &n6sv1alpha1.ResourceBinding{}
	g.Expect(k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, b)).To(Succeed())
	out := map[string]int32{}
	for _, c := range b.Spec.Clusters {
		out[c.Name] = ptr.Deref(c.Replicas, -1)
	}
	return out
}

// TestFailoverAfterToleration checks that replicas stay on a cluster that is unhealthy for
// less than the toleration, and move once it has been unhealthy for longer.
func TestFailoverAfterToleration(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	namespaceAndTwoClusters(t, "failover", "fo")
	g.Expect(k8s.Create(ctx, testDeployment("failover", "web", 6))).To(Succeed())
	g.Expect(k8s.Create(ctx, &n6sv1alpha1.Placement{
		ObjectMeta: metav1.ObjectMeta{Namespace: "failover", Name: "web"},
		Spec: n6sv1alpha1.PlacementSpec{
			ResourceSelectors:  selectDeployment("web"),
			ClusterAffinity:    &n6sv1alpha1.ClusterAffinity{ClusterNames: []string{"fo-a", "fo-b"}},
			Replicas:           &n6sv1alpha1.ReplicaScheduling{Mode: n6sv1alpha1.ReplicaModeDivided, Division: n6sv1alpha1.DivisionCapacity},
			FailoverToleration: n6sv1alpha1.DurationOf(3 * time.Second),
		},
	})).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(bindingReplicas(g, "failover", "deployment-web")).To(Equal(map[string]int32{"fo-a": 3, "fo-b": 3}))
	}, wait, 100*time.Millisecond).Should(Succeed(), "waiting for 3+3 replicas")

	// fo-b turns unhealthy: within the toleration nothing moves, after it everything does.
	setHealth(t, "fo-b", false, 0)
	g.Consistently(func(g Gomega) {
		g.Expect(bindingReplicas(g, "failover", "deployment-web")).To(Equal(map[string]int32{"fo-a": 3, "fo-b": 3}))
	}, 2*time.Second, 100*time.Millisecond).Should(Succeed(), "replicas must stay during the toleration")
	g.Eventually(func(g Gomega) {
		g.Expect(bindingReplicas(g, "failover", "deployment-web")).To(Equal(map[string]int32{"fo-a": 6}))
	}, wait, 100*time.Millisecond).Should(Succeed(), "waiting for the replicas to fail over to fo-a")

	// Back to health: the replicas stay where they run, since moving them would disrupt them
	// for nothing; fo-b takes its share of new ones (6 more over 94 free on fo-a, 100 on fo-b).
	setHealth(t, "fo-b", true, 0)
	g.Consistently(func(g Gomega) {
		g.Expect(bindingReplicas(g, "failover", "deployment-web")).To(Equal(map[string]int32{"fo-a": 6}))
	}, 2*time.Second, 100*time.Millisecond).Should(Succeed(), "running replicas must not move back")
	scaleDeployment(t, "failover", "web", 12)
	g.Eventually(func(g Gomega) {
		g.Expect(bindingReplicas(g, "failover", "deployment-web")).To(Equal(map[string]int32{"fo-a": 9, "fo-b": 3}))
	}, wait, 100*time.Millisecond).Should(Succeed(), "waiting for the new replicas to be shared")
}

// TestADuplicatedWorkloadAtZeroStaysOnItsClusters: a Duplicated workload with no replicas,
// made so or scaled down to zero, is still bound to every cluster the engine chose, at zero
// replicas, so that its member objects are scaled down rather than deleted.
func TestADuplicatedWorkloadAtZeroStaysOnItsClusters(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	namespaceAndTwoClusters(t, "zero", "zero")
	g.Expect(k8s.Create(ctx, testDeployment("zero", "idle", 0))).To(Succeed())
	g.Expect(k8s.Create(ctx, testDeployment("zero", "web", 2))).To(Succeed())
	g.Expect(k8s.Create(ctx, &n6sv1alpha1.Placement{
		ObjectMeta: metav1.ObjectMeta{Namespace: "zero", Name: "both"},
		Spec: n6sv1alpha1.PlacementSpec{
			ResourceSelectors: []n6sv1alpha1.ResourceSelector{{APIVersion: "apps/v1", Kind: "Deployment"}},
			ClusterAffinity:   &n6sv1alpha1.ClusterAffinity{ClusterNames: []string{"zero-a", "zero-b"}},
			Replicas:          &n6sv1alpha1.ReplicaScheduling{Mode: n6sv1alpha1.ReplicaModeDuplicated},
		},
	})).To(Succeed())
	for name, want := range map[string]map[string]int32{"idle": {"zero-a": 0, "zero-b": 0}, "web": {"zero-a": 2, "zero-b": 2}} {
		g.Eventually(func(g Gomega) {
			g.Expect(bindingReplicas(g, "zero", "deployment-"+name)).To(Equal(want))
		}, wait, 100*time.Millisecond).Should(Succeed(), "waiting for Deployment %s on both clusters", name)
	}
	scaleDeployment(t, "zero", "web", 0)
	g.Eventually(func(g Gomega) {
		g.Expect(bindingReplicas(g, "zero", "deployment-web")).To(Equal(map[string]int32{"zero-a": 0, "zero-b": 0}))
	}, wait, 100*time.Millisecond).Should(Succeed(), "waiting for Deployment web at zero replicas on both clusters")
}

// namespaceAndTwoClusters makes namespace ns and two Ready clusters, prefix-a in eu and prefix-b in us.
func namespaceAndTwoClusters(t *testing.T, ns, prefix string) {
	t.Helper()
	if err := k8s.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	readyCluster(t, prefix+"-a", "eu", time.Hour, true)
	readyCluster(t, prefix+"-b", "us", time.Hour, true)
}

func scaleDeployment(t *testing.T, ns, name string, replicas int32) {
	t.Helper()
	d := &appsv1.Deployment{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, d); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(d.DeepCopy())
	d.Spec.Replicas = ptr.To(replicas)
	if err := k8s.Patch(context.Background(), d, patch); err != nil {
		t.Fatal(err)
	}
}

// TestDrainLimitMovesOnlyTheDifference: the planner drains a cluster by lowering its pod
// limit; the scheduler keeps what fits under the limit and moves only the rest.
func TestDrainLimitMovesOnlyTheDifference(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	namespaceAndTwoClusters(t, "drain", "dr")
	g.Expect(k8s.Create(ctx, testDeployment("drain", "web", 10))).To(Succeed())
	g.Expect(k8s.Create(ctx, &n6sv1alpha1.Placement{
		ObjectMeta: metav1.ObjectMeta{Namespace: "drain", Name: "web"},
		Spec: n6sv1alpha1.PlacementSpec{
			ResourceSelectors: selectDeployment("web"),
			ClusterAffinity:   &n6sv1alpha1.ClusterAffinity{ClusterNames: []string{"dr-a", "dr-b"}},
			Replicas:          &n6sv1alpha1.ReplicaScheduling{Mode: n6sv1alpha1.ReplicaModeDivided, Division: n6sv1alpha1.DivisionCapacity},
		},
	})).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(bindingReplicas(g, "drain", "deployment-web")).To(Equal(map[string]int32{"dr-a": 5, "dr-b": 5}))
	}, wait, 100*time.Millisecond).Should(Succeed(), "waiting for 5+5 replicas")
	for _, step := range []struct {
		limit string
		want  map[string]int32
	}{
		{"2", map[string]int32{"dr-a": 2, "dr-b": 8}},
		{"0", map[string]int32{"dr-b": 10}},
	} {
		c := &n6sv1alpha1.Cluster{}
		g.Expect(k8s.Get(ctx, client.ObjectKey{Name: "dr-a"}, c)).To(Succeed())
		patch := client.MergeFrom(c.DeepCopy())
		c.Annotations = map[string]string{n6sv1alpha1.DrainPodLimitAnnotation: step.limit}
		g.Expect(k8s.Patch(ctx, c, patch)).To(Succeed())
		g.Eventually(func(g Gomega) {
			g.Expect(bindingReplicas(g, "drain", "deployment-web")).To(Equal(step.want))
		}, wait, 100*time.Millisecond).Should(Succeed(), "waiting for the replicas under a drain limit of %s", step.limit)
	}
}

func TestPlacementReportsNothingSelectedAndDeselects(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	g.Expect(k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "select"}})).To(Succeed())
	readyCluster(t, "sel-a", "eu", time.Hour, true)
	p := &n6sv1alpha1.Placement{
		ObjectMeta: metav1.ObjectMeta{Namespace: "select", Name: "by-label"},
		Spec: n6sv1alpha1.PlacementSpec{ResourceSelectors: []n6sv1alpha1.ResourceSelector{{
			APIVersion: "apps/v1", Kind: "Deployment", LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"fleet": "yes"}},
		}}},
	}
	g.Expect(k8s.Create(ctx, p)).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(p), p)).To(Succeed())
		cond := meta.FindStatusCondition(p.Status.Conditions, n6sv1alpha1.PlacementScheduledCondition)
		g.Expect(cond).NotTo(BeNil())
		g.Expect(cond.Reason).To(Equal(n6sv1alpha1.PlacementNothingSelectedReason))
	}, wait, 100*time.Millisecond).Should(Succeed(), "waiting for NothingSelected")

	// A labelled Deployment is picked up through the dynamic watch; removing the label unbinds it.
	d := testDeployment("select", "api", 2)
	d.Labels = map[string]string{"fleet": "yes"}
	g.Expect(k8s.Create(ctx, d)).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(bindingReplicas(g, "select", "deployment-api")).To(Equal(map[string]int32{"sel-a": 2}))
	}, wait, 100*time.Millisecond).Should(Succeed(), "waiting for the labelled Deployment's ResourceBinding")
	patch := client.MergeFrom(d.DeepCopy())
	d.Labels = nil
	g.Expect(k8s.Patch(ctx, d, patch)).To(Succeed())
	g.Eventually(bindingRemoved(ctx, client.ObjectKey{Namespace: "select", Name: "deployment-api"}), wait, 100*time.Millisecond).Should(BeTrue(), "waiting for the deselected Deployment's ResourceBinding to go")
}

// TestPlacementRefusesClusterScopedKinds: a namespace's Placement places nothing outside its
// namespace, so a cluster-scoped kind is refused with a condition and bound nowhere.
func TestPlacementRefusesClusterScopedKinds(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	g.Expect(k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "tenant"}})).To(Succeed())
	readyCluster(t, "tenant-a", "eu", time.Hour, true)
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "tenant-escalation"}, Rules: []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}}}
	g.Expect(k8s.Create(ctx, role)).To(Succeed())
	p := &n6sv1alpha1.Placement{
		ObjectMeta: metav1.ObjectMeta{Namespace: "tenant", Name: "escalate"},
		Spec: n6sv1alpha1.PlacementSpec{ResourceSelectors: []n6sv1alpha1.ResourceSelector{
			{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: "tenant-escalation"},
		}},
	}
	g.Expect(k8s.Create(ctx, p)).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(p), p)).To(Succeed())
		cond := meta.FindStatusCondition(p.Status.Conditions, n6sv1alpha1.PlacementScheduledCondition)
		g.Expect(cond).NotTo(BeNil())
		g.Expect(cond.Reason).To(Equal(n6sv1alpha1.PlacementSelectorInvalidReason))
		g.Expect(cond.Message).To(ContainSubstring("ClusterRole is cluster-scoped"))
	}, wait, 100*time.Millisecond).Should(Succeed(), "waiting for the cluster-scoped selector to be refused")
	bindings := &n6sv1alpha1.ResourceBindingList{}
	g.Expect(k8s.List(ctx, bindings)).To(Succeed())
	for _, b := range bindings.Items {
		g.Expect(b.Spec.Resource.Name).NotTo(Equal("tenant-escalation"), "no ResourceBinding of the ClusterRole")
	}
}

// TestBindingsStayInTheirNamespace: the fleet API refuses a Binding that would place a
// resource of another namespace, or a cluster-scoped one outside navarkos-system, whoever
// writes it.
func TestBindingsStayInTheirNamespace(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	g.Expect(k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "forger"}})).To(Succeed())
	forged := func(name string, resource n6sv1alpha1.ResourceReference, kind string) *n6sv1alpha1.ResourceBinding {
		return &n6sv1alpha1.ResourceBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: "forger", Name: name},
			Spec:       n6sv1alpha1.ResourceBindingSpec{Resource: resource, Placement: n6sv1alpha1.PlacementReference{Kind: kind, Name: "p"}},
		}
	}
	for _, tc := range []struct {
		binding *n6sv1alpha1.ResourceBinding
		want    string
	}{
		{forged("other-ns", n6sv1alpha1.ResourceReference{APIVersion: "v1", Kind: "Secret", Namespace: "kube-system", Name: "token"}, "Placement"), "must be the ResourceBinding's own namespace"},
		{forged("cluster-scoped", n6sv1alpha1.ResourceReference{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: "admin"}, "ClusterPlacement"), "must be the ResourceBinding's own namespace"},
	} {
		g.Eventually(func(g Gomega) {
			err := k8s.Create(ctx, tc.binding.DeepCopy())
			g.Expect(err).To(HaveOccurred(), "ResourceBinding %s was accepted", tc.binding.Name)
			g.Expect(err.Error()).To(ContainSubstring(tc.want))
		}, wait, 100*time.Millisecond).Should(Succeed(), "waiting for the admission policy to refuse ResourceBinding %s", tc.binding.Name)
	}
	// The policy refuses only forgeries: a Binding of the namespace's own resource is accepted.
	g.Expect(k8s.Create(ctx, forged("own", n6sv1alpha1.ResourceReference{APIVersion: "v1", Kind: "ConfigMap", Namespace: "forger", Name: "c"}, "Placement"))).To(Succeed())
}

// scheduledCondition reads a Placement's Scheduled condition, which must be there.
func scheduledCondition(g Gomega, namespace, name string) *metav1.Condition {
	p := &n6sv1alpha1.Placement{}
	g.Expect(k8s.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, p)).To(Succeed())
	cond := meta.FindStatusCondition(p.Status.Conditions, n6sv1alpha1.PlacementScheduledCondition)
	g.Expect(cond).NotTo(BeNil(), "Placement %s/%s has no Scheduled condition", namespace, name)
	return cond
}

// TestUnknownClustersAndPoolsAreReported: a Placement naming a Cluster and a ClusterPool that
// do not exist is not Scheduled: its condition names both, and the replicas meant only for
// the missing cluster count as unplaced. Once the cluster exists, they run there.
func TestUnknownClustersAndPoolsAreReported(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	g.Expect(k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "unknown"}})).To(Succeed())
	g.Expect(k8s.Create(ctx, testDeployment("unknown", "app", 3))).To(Succeed())
	g.Expect(k8s.Create(ctx, &n6sv1alpha1.Placement{
		ObjectMeta: metav1.ObjectMeta{Namespace: "unknown", Name: "app"},
		Spec: n6sv1alpha1.PlacementSpec{
			ResourceSelectors: selectDeployment("app"),
			ClusterAffinity:   &n6sv1alpha1.ClusterAffinity{ClusterNames: []string{"not-yet"}},
			Replicas:          &n6sv1alpha1.ReplicaScheduling{Mode: n6sv1alpha1.ReplicaModeDuplicated},
			Provisioning:      &n6sv1alpha1.Provisioning{Pools: []string{"no-such-pool"}},
		},
	})).To(Succeed())
	g.Eventually(func(g Gomega) {
		cond := scheduledCondition(g, "unknown", "app")
		g.Expect(cond.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(cond.Reason).To(Equal(n6sv1alpha1.PlacementUnknownTargetReason))
		g.Expect(cond.Message).To(And(ContainSubstring("no Cluster named not-yet"), ContainSubstring("no ClusterPool named no-such-pool")))
		b := &n6sv1alpha1.ResourceBinding{}
		g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: "unknown", Name: "deployment-app"}, b)).To(Succeed())
		g.Expect(b.Spec.UnplacedReplicas).To(Equal(int32(3)))
	}, wait, 100*time.Millisecond).Should(Succeed(), "waiting for the missing cluster and pool to be reported")
	readyCluster(t, "not-yet", "eu", time.Hour, true)
	g.Eventually(func(g Gomega) {
		g.Expect(bindingReplicas(g, "unknown", "deployment-app")).To(Equal(map[string]int32{"not-yet": 3}))
	}, wait, 100*time.Millisecond).Should(Succeed(), "waiting for the replicas to run on the cluster once it exists")
}

// TestAReplicaLargerThanEveryNodeIsUnschedulable: a Deployment whose replica asks 8 CPU, where
// the only pool it may run in has 4-CPU nodes, is reported Unschedulable, naming both sizes.
func TestAReplicaLargerThanEveryNodeIsUnschedulable(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	pool := &n6sv1alpha1.ClusterPool{
		ObjectMeta: metav1.ObjectMeta{Name: "mars-small"},
		Spec: n6sv1alpha1.ClusterPoolSpec{
			Provider: n6sv1alpha1.ProviderStatic, Region: "mars",
			NodeShape:       n6sv1alpha1.NodeShape{CPU: resource.MustParse("4"), Memory: resource.MustParse("16Gi"), Pods: 110},
			Price:           n6sv1alpha1.Price{PerNodeHour: resource.MustParse("0.1")},
			Clusters:        n6sv1alpha1.CountRange{Max: 2},
			NodesPerCluster: n6sv1alpha1.CountRange{Min: 1, Max: 3},
		},
	}
	g.Expect(k8s.Create(ctx, pool)).To(Succeed())
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), pool) })
	g.Expect(k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "big"}})).To(Succeed())
	d := testDeployment("big", "app", 2)
	d.Spec.Template.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("8"), corev1.ResourceMemory: resource.MustParse("1Gi")}
	g.Expect(k8s.Create(ctx, d)).To(Succeed())
	g.Expect(k8s.Create(ctx, &n6sv1alpha1.Placement{
		ObjectMeta: metav1.ObjectMeta{Namespace: "big", Name: "app"},
		Spec:       n6sv1alpha1.PlacementSpec{ResourceSelectors: selectDeployment("app"), ClusterAffinity: &n6sv1alpha1.ClusterAffinity{Regions: []string{"mars"}}},
	})).To(Succeed())
	g.Eventually(func(g Gomega) {
		cond := scheduledCondition(g, "big", "app")
		g.Expect(cond.Reason).To(Equal(n6sv1alpha1.PlacementUnschedulableReason))
		g.Expect(cond.Message).To(Equal("deployment/app needs 8 CPU, 1Gi per replica; the largest node of any eligible cluster or pool has 4 CPU, 16Gi"))
	}, wait, 100*time.Millisecond).Should(Succeed(), "waiting for the Placement to be Unschedulable")

	// `navarkos explain` puts it first, in red on a terminal.
	for color, want := range map[bool]string{
		false: "Problem:    Unschedulable: deployment/app needs 8 CPU, 1Gi per replica",
		true:  "\x1b[31mProblem:    Unschedulable: deployment/app needs 8 CPU",
	} {
		var out strings.Builder
		g.Expect(report.Explain(ctx, &out, k8s, "Deployment", "big", "app", time.Now(), planner.DefaultConfig(), color)).To(Succeed())
		g.Expect(out.String()).To(HavePrefix(want))
	}
}

// TestOnlyTheControllersWriteBindings: a namespace's own identity (a ServiceAccount token)
// that RBAC lets write Bindings still cannot create one, change one's spec or its status,
// even for an object of its own namespace: Bindings are the controllers' output.
func TestOnlyTheControllersWriteBindings(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	g.Expect(k8s.Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "test:binding-writer"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{n6sv1alpha1.GroupVersion.Group}, Resources: []string{"resourcebindings", "resourcebindings/status"}, Verbs: []string{"*"}}},
	})).To(Succeed())
	tenant, _, err := testenv.TenantClient(ctx, adminConfig, client.Options{Scheme: setup.Scheme()}, "writer", "forger", "test:binding-writer")
	g.Expect(err).NotTo(HaveOccurred())
	own := func(name string) *n6sv1alpha1.ResourceBinding {
		return &n6sv1alpha1.ResourceBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: "writer", Name: name},
			Spec: n6sv1alpha1.ResourceBindingSpec{
				Resource:  n6sv1alpha1.ResourceReference{APIVersion: "v1", Kind: "ConfigMap", Namespace: "writer", Name: "c"},
				Placement: n6sv1alpha1.PlacementReference{Kind: n6sv1alpha1.PlacementKind, Namespace: "writer", Name: "p"},
			},
		}
	}
	const refused = "written by the Navarkos controllers only"
	attempt := 0
	g.Eventually(func(g Gomega) {
		attempt++
		err := tenant.Create(ctx, own(fmt.Sprintf("forged-%d", attempt)))
		g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "want Forbidden, got %v", err)
		g.Expect(err.Error()).To(ContainSubstring(refused))
	}, wait, 100*time.Millisecond).Should(Succeed(), "waiting for the admission policy to refuse the tenant's ResourceBinding")

	// One the controllers' identity wrote: the tenant reads it, and changes neither spec nor status.
	b := own("made-by-admin")
	g.Expect(k8s.Create(ctx, b)).To(Succeed())
	mine := &n6sv1alpha1.ResourceBinding{}
	g.Expect(tenant.Get(ctx, client.ObjectKeyFromObject(b), mine)).To(Succeed())
	patch := client.MergeFrom(mine.DeepCopy())
	mine.Spec.Clusters = []n6sv1alpha1.TargetCluster{{Name: "anywhere"}}
	err = tenant.Patch(ctx, mine, patch)
	g.Expect(err).To(MatchError(ContainSubstring(refused)), "the spec of a ResourceBinding")
	mine = &n6sv1alpha1.ResourceBinding{}
	g.Expect(tenant.Get(ctx, client.ObjectKeyFromObject(b), mine)).To(Succeed())
	patch = client.MergeFrom(mine.DeepCopy())
	mine.Status.ObservedGeneration = 99
	err = tenant.Status().Patch(ctx, mine, patch)
	g.Expect(err).To(MatchError(ContainSubstring(refused)), "the status of a ResourceBinding")
}

// TestDependenciesFollowTheirWorkload checks that the ConfigMap and Secret a Deployment refers
// to are bound to the clusters the Deployment runs on, and not when the placement says Ignore.
func TestDependenciesFollowTheirWorkload(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	g.Expect(k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "deps"}})).To(Succeed())
	readyCluster(t, "dep-a", "eu", time.Hour, true)
	readyCluster(t, "dep-b", "us", time.Hour, true)
	g.Expect(k8s.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "deps", Name: "cfg"}})).To(Succeed())
	g.Expect(k8s.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "deps", Name: "creds"}})).To(Succeed())
	d := testDeployment("deps", "app", 2)
	d.Spec.Template.Spec.Containers[0].EnvFrom = []corev1.EnvFromSource{
		{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}},
		{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}}},
		{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "missing"}}},
	}
	g.Expect(k8s.Create(ctx, d)).To(Succeed())
	p := &n6sv1alpha1.Placement{
		ObjectMeta: metav1.ObjectMeta{Namespace: "deps", Name: "app"},
		Spec: n6sv1alpha1.PlacementSpec{
			ResourceSelectors: selectDeployment("app"),
			ClusterAffinity:   &n6sv1alpha1.ClusterAffinity{ClusterNames: []string{"dep-b"}},
		},
	}
	g.Expect(k8s.Create(ctx, p)).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(bindingReplicas(g, "deps", "deployment-app")).To(Equal(map[string]int32{"dep-b": 2}))
		g.Expect(bindingReplicas(g, "deps", "configmap-cfg")).To(Equal(map[string]int32{"dep-b": -1}))
		g.Expect(bindingReplicas(g, "deps", "secret-creds")).To(Equal(map[string]int32{"dep-b": -1}))
	}, wait, 100*time.Millisecond).Should(Succeed(), "waiting for the dependencies to follow the Deployment to dep-b")

	patch := client.MergeFrom(p.DeepCopy())
	p.Spec.Dependencies = n6sv1alpha1.DependenciesIgnore
	g.Expect(k8s.Patch(ctx, p, patch)).To(Succeed())
	g.Eventually(bindingRemoved(ctx, client.ObjectKey{Namespace: "deps", Name: "configmap-cfg"}), wait, 100*time.Millisecond).Should(BeTrue(), "waiting for the ConfigMap's ResourceBinding to go with dependencies: Ignore")
}

// TestClusterPlacementSelectsAcrossNamespaces checks a ClusterPlacement binding a namespaced
// object of a named namespace and a cluster-scoped object, whose Binding lives in navarkos-system.
func TestClusterPlacementSelectsAcrossNamespaces(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	g.Expect(k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}})).To(Succeed())
	readyCluster(t, "cp-a", "eu", time.Hour, true)
	g.Expect(k8s.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "settings"}})).To(Succeed())
	g.Expect(k8s.Create(ctx, &n6sv1alpha1.ClusterPlacement{
		ObjectMeta: metav1.ObjectMeta{Name: "team-a"},
		Spec: n6sv1alpha1.PlacementSpec{
			ResourceSelectors: []n6sv1alpha1.ResourceSelector{
				{APIVersion: "v1", Kind: "Namespace", Name: "team-a"},
				{APIVersion: "v1", Kind: "ConfigMap", Namespace: "team-a", Name: "settings"},
			},
			ClusterAffinity: &n6sv1alpha1.ClusterAffinity{ClusterNames: []string{"cp-a"}},
		},
	})).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(bindingReplicas(g, n6sv1alpha1.SystemNamespace, "namespace-team-a")).To(Equal(map[string]int32{"cp-a": -1}))
		g.Expect(bindingReplicas(g, "team-a", "configmap-settings")).To(Equal(map[string]int32{"cp-a": -1}))
		b := &n6sv1alpha1.ResourceBinding{}
		g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: "team-a", Name: "configmap-settings"}, b)).To(Succeed())
		g.Expect(b.Spec.Placement).To(Equal(n6sv1alpha1.PlacementReference{Kind: "ClusterPlacement", Name: "team-a"}))
	}, wait, 100*time.Millisecond).Should(Succeed(), "waiting for the ClusterPlacement's ResourceBindings")

	// Deleting the ClusterPlacement removes its Bindings through its finalizer.
	g.Expect(k8s.Delete(ctx, &n6sv1alpha1.ClusterPlacement{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}})).To(Succeed())
	g.Eventually(bindingRemoved(ctx, client.ObjectKey{Namespace: "team-a", Name: "configmap-settings"}), wait, 100*time.Millisecond).Should(BeTrue(), "waiting for the ResourceBindings to go with their ClusterPlacement")
}

// bindingRemoved reports whether a Binding is gone or being deleted: the scheduler's part.
// Its finalizer is propagation's, which this suite does not run.
func bindingRemoved(ctx context.Context, key client.ObjectKey) func() bool {
	return func() bool {
		b := &n6sv1alpha1.ResourceBinding{}
		err := k8s.Get(ctx, key, b)
		return apierrors.IsNotFound(err) || (err == nil && !b.DeletionTimestamp.IsZero())
	}
}

// TestRegionSharesDivideReplicasByWhereUsersAre: a placement whose locality preference weighs
// its target regions gets each region's part on the clusters there, through the real API and
// scheduler. By free capacity alone, the three equal clusters would get 4, 3 and 3.
func TestRegionSharesDivideReplicasByWhereUsersAre(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	g.Expect(k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shares"}})).To(Succeed())
	readyCluster(t, "sh-use", "us-east", time.Hour, true)
	readyCluster(t, "sh-euw", "eu-west", time.Hour, true)
	readyCluster(t, "sh-aps", "ap-south", time.Hour, true)
	g.Expect(k8s.Create(ctx, testDeployment("shares", "web", 10))).To(Succeed())
	placement := &n6sv1alpha1.Placement{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shares", Name: "web"},
		Spec: n6sv1alpha1.PlacementSpec{
			ResourceSelectors: selectDeployment("web"),
			ClusterAffinity:   &n6sv1alpha1.ClusterAffinity{ClusterNames: []string{"sh-use", "sh-euw", "sh-aps"}},
			Replicas:          &n6sv1alpha1.ReplicaScheduling{Mode: n6sv1alpha1.ReplicaModeDivided, Division: n6sv1alpha1.DivisionCapacity},
			Preferences: []n6sv1alpha1.Preference{{Weight: 1, Locality: &n6sv1alpha1.LocalityPreference{
				TargetRegions: []string{"us-east", "eu-west"}, Shares: map[string]int32{"us-east": 70, "eu-west": 30}}}},
		},
	}
	g.Expect(k8s.Create(ctx, placement)).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(bindingReplicas(g, "shares", "deployment-web")).To(Equal(map[string]int32{"sh-use": 7, "sh-euw": 3}))
	}, wait, 100*time.Millisecond).Should(Succeed(), "waiting for 7 replicas in us-east and 3 in eu-west")
}
