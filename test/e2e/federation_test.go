package e2e

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// TestFederation propagates workloads from the fleet API to three real member clusters:
// divided and duplicated replicas, overrides, a rollout, drift correction, conflicts,
// summed status and clean removal; then, on the same fleet, a tenant's attacks (testTenancy).
func TestFederation(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	f := startFleet(t)
	members := f.startMembers(t, map[string]string{"us": "local-us-east", "eu": "local-eu-west", "ap": "local-ap-south"})
	us, eu, ap := members["us"], members["eu"], members["ap"]

	g.Expect(f.client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}})).To(Succeed())
	web := fleetDeployment("web", 6)
	g.Expect(f.client.Create(ctx, web)).To(Succeed())
	g.Expect(f.client.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-config"}, Data: map[string]string{"greeting": "hello"}})).To(Succeed())

	// The fleet API runs no workload controllers: the Deployment stays a template.
	g.Consistently(func() int32 {
		d := &appsv1.Deployment{}
		_ = f.client.Get(ctx, client.ObjectKeyFromObject(web), d)
		return d.Status.Replicas
	}, "1s", poll).Should(BeZero())

	// Divided by weight between us (2) and eu (1); ap gets nothing. eu runs its own image.
	g.Expect(f.client.Create(ctx, &n6sv1alpha1.Placement{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"},
		Spec: n6sv1alpha1.PlacementSpec{
			ResourceSelectors: []n6sv1alpha1.ResourceSelector{
				{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
				{APIVersion: "v1", Kind: "ConfigMap", Name: "web-config"},
			},
			Replicas: &n6sv1alpha1.ReplicaScheduling{
				Mode: n6sv1alpha1.ReplicaModeDivided, Division: n6sv1alpha1.DivisionWeighted,
				Weights: []n6sv1alpha1.ClusterWeight{{ClusterNames: []string{"us"}, Weight: 2}, {ClusterNames: []string{"eu"}, Weight: 1}},
			},
			Overrides: []n6sv1alpha1.ClusterOverride{{ClusterNames: []string{"eu"}, Images: []n6sv1alpha1.ImageOverride{{Image: "web:1-eu"}}}},
		},
	})).To(Succeed())
	expectMemberDeployment(g, us, "web", 4, "web:1")
	expectMemberDeployment(g, eu, "web", 2, "web:1-eu")
	// The ConfigMap has no replicas: every eligible cluster gets it whole, and the image override does not concern it.
	expectConfigMap(g, us, true)
	expectConfigMap(g, eu, true)
	expectConfigMap(g, ap, true)
	g.Consistently(func() bool { return exists(ap, "web") }, "1s", poll).Should(BeFalse(), "ap has weight 0 and must get no replica of web")

	// The fleet Deployment shows the replicas of all clusters, summed.
	g.Eventually(func(g Gomega) {
		d := &appsv1.Deployment{}
		g.Expect(f.client.Get(ctx, client.ObjectKeyFromObject(web), d)).To(Succeed())
		g.Expect(d.Status.Replicas).To(Equal(int32(6)))
		g.Expect(d.Status.ReadyReplicas).To(Equal(int32(6)))
		g.Expect(d.Status.AvailableReplicas).To(Equal(int32(6)))
	}, clusterTimeout, poll).Should(Succeed(), "waiting for the summed status on the fleet Deployment")
	g.Eventually(func(g Gomega) {
		b := &n6sv1alpha1.ResourceBinding{}
		g.Expect(f.client.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "deployment-web"}, b)).To(Succeed())
		g.Expect(meta.IsStatusConditionTrue(b.Status.Conditions, n6sv1alpha1.BindingAppliedCondition)).To(BeTrue(), "%+v", b.Status)
		g.Expect(b.Spec.Reason).To(ContainSubstring("divided by static weights"))
	}, clusterTimeout, poll).Should(Succeed(), "waiting for the ResourceBinding to be Applied")
	g.Expect(runCLI(t, f.DataDir, "get", "resourcebindings", "-n", "shop")).To(MatchRegexp(`(?m)^shop\s+deployment/web\s+placement/web\s+eu=2,us=4\s+True\s+0$`))
	g.Expect(runCLI(t, f.DataDir, "get", "placements", "-A")).To(MatchRegexp(`(?m)^shop\s+web\s+2\s+True\s+Scheduled\s`))
	g.Expect(runCLI(t, f.DataDir, "describe", "deployment/web", "-n", "shop")).To(And(
		ContainSubstring("Why:        3 of 3 clusters eligible"), ContainSubstring("us: 4 replicas, Applied (4 ready)")))

	// A template update rolls out everywhere; eu keeps its override.
	patchDeployment(t, f.client, "web", func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "web:2" })
	expectMemberDeployment(g, us, "web", 4, "web:2")
	expectMemberDeployment(g, eu, "web", 2, "web:1-eu")

	// A hand edit in a member is undone.
	_, err := us.AppsV1().Deployments("shop").Patch(ctx, "web", types.MergePatchType, []byte(`{"spec":{"replicas":1}}`), metav1.PatchOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	expectMemberDeployment(g, us, "web", 4, "web:2")
	// So are an edit of an object without a generation, a removed label and a deleted object:
	// member objects are watched, and the periodic recheck is minutes away.
	_, err = eu.CoreV1().ConfigMaps("shop").Patch(ctx, "web-config", types.MergePatchType, []byte(`{"data":{"greeting":"bye"}}`), metav1.PatchOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	expectConfigMap(g, eu, true)
	_, err = us.AppsV1().Deployments("shop").Patch(ctx, "web", types.JSONPatchType, []byte(`[{"op":"remove","path":"/metadata/labels/app.kubernetes.io~1managed-by"}]`), metav1.PatchOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Eventually(func() string {
		d, err := us.AppsV1().Deployments("shop").Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return err.Error()
		}
		return d.Labels[n6sv1alpha1.ManagedByLabel]
	}, clusterTimeout, poll).Should(Equal(n6sv1alpha1.ManagedByValue), "waiting for the removed label to come back")
	g.Expect(ap.CoreV1().ConfigMaps("shop").Delete(ctx, "web-config", metav1.DeleteOptions{})).To(Succeed())
	expectConfigMap(g, ap, true)

	// An object that exists in a member and was not made by Navarkos is refused, then adopted on request.
	_, err = ap.AppsV1().Deployments("shop").Create(ctx, memberOnlyDeployment("legacy"), metav1.CreateOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(f.client.Create(ctx, fleetDeployment("legacy", 2))).To(Succeed())
	legacy := &n6sv1alpha1.Placement{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "legacy"},
		Spec: n6sv1alpha1.PlacementSpec{
			ResourceSelectors: []n6sv1alpha1.ResourceSelector{{APIVersion: "apps/v1", Kind: "Deployment", Name: "legacy"}},
			ClusterAffinity:   &n6sv1alpha1.ClusterAffinity{ClusterNames: []string{"ap"}},
		},
	}
	g.Expect(f.client.Create(ctx, legacy)).To(Succeed())
	g.Eventually(func(g Gomega) {
		b := &n6sv1alpha1.ResourceBinding{}
		g.Expect(f.client.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "deployment-legacy"}, b)).To(Succeed())
		g.Expect(b.Status.Clusters).To(ContainElement(And(
			HaveField("Name", "ap"), HaveField("State", n6sv1alpha1.ResourceConflict),
			HaveField("Message", ContainSubstring("Navarkos did not make it")))))
	}, clusterTimeout, poll).Should(Succeed(), "waiting for the conflict to be reported")
	expectMemberDeployment(g, ap, "legacy", 1, "legacy:hand-made")
	patch := client.MergeFrom(legacy.DeepCopy())
	legacy.Spec.ConflictPolicy = n6sv1alpha1.ConflictAdopt
	g.Expect(f.client.Patch(ctx, legacy, patch)).To(Succeed())
	expectMemberDeployment(g, ap, "legacy", 2, "legacy:1")

	// A JSON patch that does not apply fails that cluster only.
	g.Expect(f.client.Create(ctx, fleetDeployment("api", 2))).To(Succeed())
	g.Expect(f.client.Create(ctx, &n6sv1alpha1.Placement{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "api"},
		Spec: n6sv1alpha1.PlacementSpec{
			ResourceSelectors: []n6sv1alpha1.ResourceSelector{{APIVersion: "apps/v1", Kind: "Deployment", Name: "api"}},
			Overrides: []n6sv1alpha1.ClusterOverride{{
				ClusterNames: []string{"eu"},
				JSONPatch:    []n6sv1alpha1.JSONPatchOperation{{Op: "replace", Path: "/spec/no/such/field", Value: &apiextensionsv1.JSON{Raw: []byte(`1`)}}},
			}},
		},
	})).To(Succeed())
	expectMemberDeployment(g, us, "api", 2, "api:1")
	expectMemberDeployment(g, ap, "api", 2, "api:1")
	g.Eventually(func(g Gomega) {
		b := &n6sv1alpha1.ResourceBinding{}
		g.Expect(f.client.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "deployment-api"}, b)).To(Succeed())
		g.Expect(b.Status.Clusters).To(ContainElement(And(
			HaveField("Name", "eu"), HaveField("State", n6sv1alpha1.ResourceFailed),
			HaveField("Message", ContainSubstring("jsonPatch does not apply")))))
		g.Expect(meta.FindStatusCondition(b.Status.Conditions, n6sv1alpha1.BindingAppliedCondition).Reason).To(Equal(n6sv1alpha1.BindingPartiallyAppliedReason))
	}, clusterTimeout, poll).Should(Succeed(), "waiting for the failed override to show in the ResourceBinding")

	// Deleting the fleet object removes it from every member; deleting a placement removes what it placed.
	g.Expect(f.client.Delete(ctx, web)).To(Succeed())
	for _, m := range []kubernetes.Interface{us, eu} {
		g.Eventually(func() bool { return exists(m, "web") }, clusterTimeout, poll).Should(BeFalse(), "waiting for web to leave the members")
	}
	g.Expect(f.client.Delete(ctx, &n6sv1alpha1.Placement{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "api"}})).To(Succeed())
	for _, m := range []kubernetes.Interface{us, ap} {
		g.Eventually(func() bool { return exists(m, "api") }, clusterTimeout, poll).Should(BeFalse(), "waiting for api to leave the members")
	}
	g.Eventually(func() bool {
		return apierrors.IsNotFound(f.client.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "deployment-api"}, &n6sv1alpha1.ResourceBinding{}))
	}, clusterTimeout, poll).Should(BeTrue(), "waiting for the ResourceBinding of api to go")

	t.Run("tenancy", func(t *testing.T) { testTenancy(t, f, "us", us) })
}

func fleetDeployment(name string, replicas int32) *appsv1.Deployment {
	d := webDeployment(replicas)
	d.Name, d.Namespace = name, "shop"
	d.Spec.Selector.MatchLabels = map[string]string{"app": name}
	d.Spec.Template.Labels = map[string]string{"app": name}
	d.Spec.Template.Spec.Containers[0].Image = name + ":1"
	return d
}

func memberOnlyDeployment(name string) *appsv1.Deployment {
	d := fleetDeployment(name, 1)
	d.Spec.Template.Spec.Containers[0].Image = name + ":hand-made"
	return d
}

func patchDeployment(t *testing.T, c client.Client, name string, change func(*appsv1.Deployment)) {
	t.Helper()
	d := &appsv1.Deployment{}
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: "shop", Name: name}, d); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(d.DeepCopy())
	change(d)
	if err := c.Patch(context.Background(), d, patch); err != nil {
		t.Fatal(err)
	}
}

// expectMemberDeployment waits until a member runs the Deployment with the replicas and image, all Ready.
func expectMemberDeployment(g Gomega, m kubernetes.Interface, name string, replicas int32, image string) {
	g.Eventually(func(g Gomega) {
		d, err := m.AppsV1().Deployments("shop").Get(context.Background(), name, metav1.GetOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(d.Spec.Replicas).To(HaveValue(Equal(replicas)))
		g.Expect(d.Spec.Template.Spec.Containers[0].Image).To(Equal(image))
		g.Expect(d.Status.ReadyReplicas).To(Equal(replicas))
	}, clusterTimeout, poll).Should(Succeed(), "waiting for Deployment %s with %d ready replicas of %s in a member", name, replicas, image)
}

func expectConfigMap(g Gomega, m kubernetes.Interface, want bool) {
	g.Eventually(func() bool {
		cm, err := m.CoreV1().ConfigMaps("shop").Get(context.Background(), "web-config", metav1.GetOptions{})
		return err == nil && cm.Data["greeting"] == "hello"
	}, clusterTimeout, poll).Should(Equal(want), "waiting for web-config to be present=%v in a member", want)
}

func exists(m kubernetes.Interface, name string) bool {
	_, err := m.AppsV1().Deployments("shop").Get(context.Background(), name, metav1.GetOptions{})
	return err == nil
}
