package e2e

import (
	"context"
	"fmt"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/setup"
	"github.com/navarkos/navarkos/internal/testenv"
)

// bindingWriterRole grants writing Bindings, as a careless administrator might: admission
// must refuse the tenant all the same.
const bindingWriterRole = "e2e:binding-writer"

// testTenancy runs the attacks of a team that has only its own namespace in the fleet, as a
// ServiceAccount token bound to Kubernetes' own admin role there, against a real member:
// every attack is refused, and the member is unchanged. It shares TestFederation's fleet;
// member is one of its members.
func testTenancy(t *testing.T, f *localFleet, memberName string, member kubernetes.Interface) {
	g := NewWithT(t)
	ctx := context.Background()
	g.Expect(f.client.Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: bindingWriterRole},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{n6sv1alpha1.GroupVersion.Group}, Resources: []string{"resourcebindings", "resourcebindings/status"}, Verbs: []string{"*"}}},
	})).To(Succeed())
	opts := client.Options{Scheme: setup.Scheme()}
	teamA, _, err := testenv.TenantClient(ctx, f.cfg, opts, "tenant-a", "team-a", "admin", bindingWriterRole)
	g.Expect(err).NotTo(HaveOccurred())
	teamB, _, err := testenv.TenantClient(ctx, f.cfg, opts, "tenant-b", "team-b", "admin")
	g.Expect(err).NotTo(HaveOccurred())

	// Kubernetes' own admin role works in the fleet: the aggregation controller runs, and the
	// Navarkos kinds are aggregated into it.
	g.Eventually(func() error {
		return teamB.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "tenant-b", Name: "b-data"}, Data: map[string]string{"owner": "b"}})
	}, clusterTimeout, poll).Should(Succeed(), "waiting for the admin role to let team-b write a ConfigMap")
	g.Expect(teamB.Create(ctx, &n6sv1alpha1.Placement{
		ObjectMeta: metav1.ObjectMeta{Namespace: "tenant-b", Name: "data"},
		Spec: n6sv1alpha1.PlacementSpec{
			ResourceSelectors: []n6sv1alpha1.ResourceSelector{{APIVersion: "v1", Kind: "ConfigMap", Name: "b-data"}},
			ClusterAffinity:   &n6sv1alpha1.ClusterAffinity{ClusterNames: []string{memberName}},
		},
	})).To(Succeed(), "the admin role writes Placements")
	expectMemberConfigMap(g, member, "tenant-b", "b-data")
	g.Eventually(func() error {
		return teamB.List(ctx, &n6sv1alpha1.ResourceBindingList{}, client.InNamespace("tenant-b"))
	}, clusterTimeout, poll).Should(Succeed(), "the admin role reads ResourceBindings")
	err = teamB.Create(ctx, forgedBinding("tenant-b", "own", configMapRef("tenant-b", "b-data")))
	g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "the admin role writes no ResourceBinding: %v", err)
	g.Expect(apierrors.IsForbidden(teamA.Get(ctx, client.ObjectKey{Namespace: "tenant-b", Name: "b-data"}, &corev1.ConfigMap{}))).
		To(BeTrue(), "team-a reads nothing of tenant-b")

	attackWithForgedBindings(t, f, teamA)
	expectMemberUnchanged(g, member)
	expectMemberConfigMap(g, member, "tenant-b", "b-data")

	claimReservedNames(t, teamA)

	// A member namespace deleted by anyone comes back, with what Navarkos placed in it.
	g.Expect(member.CoreV1().Namespaces().Delete(ctx, "tenant-b", metav1.DeleteOptions{})).To(Succeed())
	g.Eventually(func(g Gomega) {
		ns, err := member.CoreV1().Namespaces().Get(ctx, "tenant-b", metav1.GetOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(ns.DeletionTimestamp).To(BeNil(), "the old namespace is still being deleted")
		_, err = member.CoreV1().ConfigMaps("tenant-b").Get(ctx, "b-data", metav1.GetOptions{})
		g.Expect(err).NotTo(HaveOccurred())
	}, clusterTimeout, poll).Should(Succeed(), "waiting for the deleted member namespace and its ConfigMap to come back")

	// Each default pool bounds what one namespace may make the planner buy.
	pools := &n6sv1alpha1.ClusterPoolList{}
	g.Expect(f.client.List(ctx, pools)).To(Succeed())
	for _, p := range pools.Items {
		g.Expect(p.Spec.NamespaceQuota).NotTo(BeNil(), "pool %s has no namespaceQuota", p.Name)
	}
}

// attackWithForgedBindings is the attack and its variants: a Placement that adopts and
// patches, then Bindings naming the member's cluster-admin ClusterRoleBinding, another
// tenant's Namespace, another namespace's object, and a Placement of another namespace. RBAC
// lets team-a write Bindings; admission refuses every one.
func attackWithForgedBindings(t *testing.T, f *localFleet, teamA client.Client) {
	g := NewWithT(t)
	ctx := context.Background()
	anonymous := &apiextensionsv1.JSON{Raw: []byte(`[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"system:anonymous"}]`)}
	g.Expect(teamA.Create(ctx, &n6sv1alpha1.Placement{
		ObjectMeta: metav1.ObjectMeta{Namespace: "tenant-a", Name: "adopt"},
		Spec: n6sv1alpha1.PlacementSpec{
			ResourceSelectors: []n6sv1alpha1.ResourceSelector{{APIVersion: "v1", Kind: "ConfigMap", Name: "nothing-here"}},
			ConflictPolicy:    n6sv1alpha1.ConflictAdopt,
			Provisioning:      &n6sv1alpha1.Provisioning{Policy: n6sv1alpha1.ProvisioningNever},
			Overrides: []n6sv1alpha1.ClusterOverride{{ClusterNames: []string{"us", "eu", "ap"},
				JSONPatch: []n6sv1alpha1.JSONPatchOperation{{Op: "replace", Path: "/subjects", Value: anonymous}}}},
		},
	})).To(Succeed())
	attacks := map[string]n6sv1alpha1.ResourceReference{
		"cluster-admin":       {APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding", Namespace: "tenant-a", Name: "cluster-admin"},
		"other-namespace":     {APIVersion: "v1", Kind: "Namespace", Namespace: "tenant-a", Name: "tenant-b"},
		"other-tenants-data":  configMapRef("tenant-b", "b-data"),
		"kube-system-secrets": {APIVersion: "v1", Kind: "Secret", Namespace: "kube-system", Name: "anything"},
	}
	for name, res := range attacks {
		err := teamA.Create(ctx, forgedBinding("tenant-a", name, res))
		g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "the forged ResourceBinding %s was not refused: %v", name, err)
		g.Expect(err.Error()).To(ContainSubstring("written by the Navarkos controllers only"))
	}
	other := forgedBinding("tenant-a", "other-placement", configMapRef("tenant-a", "nothing-here"))
	other.Spec.Placement.Namespace = "tenant-b"
	g.Expect(apierrors.IsForbidden(teamA.Create(ctx, other))).To(BeTrue(), "a ResourceBinding under another namespace's Placement")
	list := &n6sv1alpha1.ResourceBindingList{}
	g.Expect(f.client.List(ctx, list, client.InNamespace("tenant-a"))).To(Succeed())
	g.Expect(list.Items).To(BeEmpty(), "no forged ResourceBinding was stored")
}

// claimReservedNames: a GlobalIngress naming the zone's name server and apex publishes neither.
func claimReservedNames(t *testing.T, teamA client.Client) {
	g := NewWithT(t)
	ctx := context.Background()
	gi := &n6sv1alpha1.GlobalIngress{
		ObjectMeta: metav1.ObjectMeta{Namespace: "tenant-a", Name: "grab"},
		Spec: n6sv1alpha1.GlobalIngressSpec{
			Hosts: []string{"ns1.navarkos.local", "navarkos.local"}, Backend: n6sv1alpha1.GlobalIngressBackend{ServiceName: "web"}, TTL: 5,
		},
	}
	g.Expect(teamA.Create(ctx, gi)).To(Succeed(), "the admin role writes GlobalIngresses")
	g.Eventually(func(g Gomega) {
		got := &n6sv1alpha1.GlobalIngress{}
		g.Expect(teamA.Get(ctx, client.ObjectKeyFromObject(gi), got)).To(Succeed())
		c := meta.FindStatusCondition(got.Status.Conditions, n6sv1alpha1.GlobalIngressReadyCondition)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Reason).To(Equal(n6sv1alpha1.GlobalIngressReservedNameReason))
	}, clusterTimeout, poll).Should(Succeed(), "waiting for the reserved names to be refused")
}

// expectMemberUnchanged checks what the attacks aimed at in the member.
func expectMemberUnchanged(g Gomega, member kubernetes.Interface) {
	ctx := context.Background()
	g.Consistently(func(g Gomega) {
		crb, err := member.RbacV1().ClusterRoleBindings().Get(ctx, "cluster-admin", metav1.GetOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(crb.Subjects).To(ConsistOf(rbacv1.Subject{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "system:masters"}))
		g.Expect(crb.Labels).NotTo(HaveKey(n6sv1alpha1.ManagedByLabel))
		ns, err := member.CoreV1().Namespaces().Get(ctx, "tenant-b", metav1.GetOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(ns.Labels).NotTo(HaveKey(n6sv1alpha1.ManagedByLabel))
	}, "2s", poll).Should(Succeed(), "the member's cluster-admin binding and tenant-b's namespace are untouched")
}

func expectMemberConfigMap(g Gomega, member kubernetes.Interface, namespace, name string) {
	g.Eventually(func() error {
		_, err := member.CoreV1().ConfigMaps(namespace).Get(context.Background(), name, metav1.GetOptions{})
		return err
	}, clusterTimeout, poll).Should(Succeed(), "waiting for ConfigMap %s/%s in the member", namespace, name)
}

func configMapRef(namespace, name string) n6sv1alpha1.ResourceReference {
	return n6sv1alpha1.ResourceReference{APIVersion: "v1", Kind: "ConfigMap", Namespace: namespace, Name: name}
}

func forgedBinding(namespace, name string, res n6sv1alpha1.ResourceReference) *n6sv1alpha1.ResourceBinding {
	return &n6sv1alpha1.ResourceBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: fmt.Sprintf("forged-%s", name)},
		Spec: n6sv1alpha1.ResourceBindingSpec{
			Resource: res, Clusters: []n6sv1alpha1.TargetCluster{{Name: "us"}},
			Placement: n6sv1alpha1.PlacementReference{Kind: n6sv1alpha1.PlacementKind, Namespace: namespace, Name: "adopt"},
		},
	}
}
