package propagation_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/controller/propagation"
	"github.com/navarkos/navarkos/internal/member"
	"github.com/navarkos/navarkos/internal/setup"
	"github.com/navarkos/navarkos/internal/testenv"
)

// TestForgedBindingsReachNothingOutOfScope: Bindings that slipped past admission (written
// here by the administrator, whom the policy lets through) and name a cluster-scoped object
// with the tenant's namespace, under a Placement that adopts and patches, are refused by
// propagation: the member's cluster-admin ClusterRoleBinding and another tenant's Namespace
// are neither adopted nor changed, and deleting the Bindings deletes neither. The envtest API
// server is both the fleet and the member.
func TestForgedBindingsReachNothingOutOfScope(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	cfg, c := testenv.StartForTest(t, setup.Scheme(), setup.InstallCRDs)
	selfMember(t, c, cfg)
	for _, ns := range []string{"tenant-a", "tenant-b"} {
		g.Expect(c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
	}
	anonymous := &apiextensionsv1.JSON{Raw: []byte(`[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"system:anonymous"}]`)}
	g.Expect(c.Create(ctx, &n6sv1alpha1.Placement{
		ObjectMeta: metav1.ObjectMeta{Namespace: "tenant-a", Name: "adopt"},
		Spec: n6sv1alpha1.PlacementSpec{
			ResourceSelectors: []n6sv1alpha1.ResourceSelector{{APIVersion: "v1", Kind: "ConfigMap", Name: "nothing-here"}},
			ConflictPolicy:    n6sv1alpha1.ConflictAdopt,
			Overrides:         []n6sv1alpha1.ClusterOverride{{ClusterNames: []string{"self"}, JSONPatch: []n6sv1alpha1.JSONPatchOperation{{Op: "replace", Path: "/subjects", Value: anonymous}}}},
		},
	})).To(Succeed())
	forged := map[string]n6sv1alpha1.ResourceReference{
		"forged-crb": {APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding", Namespace: "tenant-a", Name: "cluster-admin"},
		"forged-ns":  {APIVersion: "v1", Kind: "Namespace", Namespace: "tenant-a", Name: "tenant-b"},
	}
	for name, res := range forged {
		g.Expect(c.Create(ctx, &n6sv1alpha1.ResourceBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: "tenant-a", Name: name},
			Spec: n6sv1alpha1.ResourceBindingSpec{Resource: res, Clusters: []n6sv1alpha1.TargetCluster{{Name: "self"}},
				Placement: n6sv1alpha1.PlacementReference{Kind: n6sv1alpha1.PlacementKind, Namespace: "tenant-a", Name: "adopt"}},
		})).To(Succeed(), "the administrator writes ResourceBinding %s", name)
	}
	startPropagation(t, ctx, cfg)

	for name := range forged {
		g.Eventually(func(g Gomega) {
			b := &n6sv1alpha1.ResourceBinding{}
			g.Expect(c.Get(ctx, client.ObjectKey{Namespace: "tenant-a", Name: name}, b)).To(Succeed())
			cond := meta.FindStatusCondition(b.Status.Conditions, n6sv1alpha1.BindingAppliedCondition)
			g.Expect(cond).NotTo(BeNil())
			g.Expect(cond.Reason).To(Equal(n6sv1alpha1.BindingOutOfScopeReason))
			g.Expect(cond.Message).To(ContainSubstring("is cluster-scoped"))
		}, time.Minute, 100*time.Millisecond).Should(Succeed(), "waiting for ResourceBinding %s to be refused as out of scope", name)
	}
	expectUntouched := func() {
		t.Helper()
		crb := &rbacv1.ClusterRoleBinding{}
		g.Expect(c.Get(ctx, client.ObjectKey{Name: "cluster-admin"}, crb)).To(Succeed())
		g.Expect(crb.Subjects).To(ConsistOf(rbacv1.Subject{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "system:masters"}))
		g.Expect(crb.Labels).NotTo(HaveKey(n6sv1alpha1.ManagedByLabel))
		ns := &corev1.Namespace{}
		g.Expect(c.Get(ctx, client.ObjectKey{Name: "tenant-b"}, ns)).To(Succeed())
		g.Expect(ns.Labels).NotTo(HaveKey(n6sv1alpha1.ManagedByLabel))
		g.Expect(ns.DeletionTimestamp).To(BeNil())
	}
	expectUntouched()
	for name := range forged {
		g.Expect(c.Delete(ctx, &n6sv1alpha1.ResourceBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "tenant-a", Name: name}})).To(Succeed())
		g.Eventually(func() bool {
			return apierrors.IsNotFound(c.Get(ctx, client.ObjectKey{Namespace: "tenant-a", Name: name}, &n6sv1alpha1.ResourceBinding{}))
		}, time.Minute, 100*time.Millisecond).Should(BeTrue(), "waiting for ResourceBinding %s to go", name)
	}
	expectUntouched()
}

// selfMember registers the API server itself as the member cluster "self".
func selfMember(t *testing.T, c client.Client, cfg *rest.Config) {
	t.Helper()
	ctx := t.Context()
	kubeconfig, err := testenv.Kubeconfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ref := &n6sv1alpha1.SecretReference{Namespace: n6sv1alpha1.SystemNamespace, Name: "self-kubeconfig", Key: "kubeconfig"}
	if err := c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ref.Namespace, Name: ref.Name}, Data: map[string][]byte{ref.Key: kubeconfig}}); err != nil {
		t.Fatal(err)
	}
	self := &n6sv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "self"}, Spec: n6sv1alpha1.ClusterSpec{KubeconfigSecretRef: ref}}
	if err := c.Create(ctx, self); err != nil {
		t.Fatal(err)
	}
	self.Status.KubeconfigSecretRef = ref
	if err := c.Status().Update(ctx, self); err != nil {
		t.Fatal(err)
	}
}

// startPropagation runs the propagation controller until the test ends.
func startPropagation(t *testing.T, ctx context.Context, cfg *rest.Config) {
	t.Helper()
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{Scheme: setup.Scheme(), Metrics: metricsserver.Options{BindAddress: "0"},
		Controller: config.Controller{SkipNameValidation: ptr.To(true)}})
	if err != nil {
		t.Fatal(err)
	}
	r := &propagation.Reconciler{Client: mgr.GetClient(), Members: &member.Clients{Fleet: mgr.GetClient(), Scheme: mgr.GetScheme()}}
	if err := r.SetupWithManager(ctx, mgr); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}
