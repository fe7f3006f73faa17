package propagation_test

import (
	"context"
	"os"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

func TestMain(m *testing.M) { os.Exit(m.Run()) }

// TestDeletedBindingLetsGoOfAnUnreachableMember: a Binding deleted while one of its members
// cannot be reached waits, then lets go after ReleaseAfter, with the member marked Released
// and an Event, instead of hanging on its finalizer forever.
func TestDeletedBindingLetsGoOfAnUnreachableMember(t *testing.T) {
	g := NewWithT(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env, cfg, err := testenv.Start()
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = env.Stop() })
	c, err := client.New(cfg, client.Options{Scheme: setup.Scheme()})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(setup.InstallCRDs(ctx, c)).To(Succeed())
	g.Expect(c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}})).To(Succeed())

	// A member whose API server is gone: its kubeconfig points at a closed port.
	unreachable := []byte("apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: \"https://127.0.0.1:1\"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n")
	g.Expect(c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: n6sv1alpha1.SystemNamespace, Name: "lost-kubeconfig"}, Data: map[string][]byte{"kubeconfig": unreachable}})).To(Succeed())
	lost := &n6sv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "lost"}, Spec: n6sv1alpha1.ClusterSpec{KubeconfigSecretRef: &n6sv1alpha1.SecretReference{Name: "lost-kubeconfig", Namespace: n6sv1alpha1.SystemNamespace, Key: "kubeconfig"}}}
	g.Expect(c.Create(ctx, lost)).To(Succeed())
	lost.Status.KubeconfigSecretRef = lost.Spec.KubeconfigSecretRef
	g.Expect(c.Status().Update(ctx, lost)).To(Succeed())

	b := &n6sv1alpha1.ResourceBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "configmap-settings", Finalizers: []string{n6sv1alpha1.BindingFinalizer}},
		Spec: n6sv1alpha1.ResourceBindingSpec{
			Resource:  n6sv1alpha1.ResourceReference{APIVersion: "v1", Kind: "ConfigMap", Namespace: "shop", Name: "settings"},
			Placement: n6sv1alpha1.PlacementReference{Kind: "Placement", Namespace: "shop", Name: "web"},
		},
	}
	g.Expect(c.Create(ctx, b)).To(Succeed())
	b.Status.Clusters = []n6sv1alpha1.ClusterResourceStatus{{Name: "lost", State: n6sv1alpha1.ResourceApplied}}
	g.Expect(c.Status().Update(ctx, b)).To(Succeed())
	g.Expect(c.Delete(ctx, b)).To(Succeed())

	mgr, err := ctrl.NewManager(cfg, ctrl.Options{Scheme: setup.Scheme(), Metrics: metricsserver.Options{BindAddress: "0"},
		Controller: config.Controller{SkipNameValidation: ptr.To(true)}})
	g.Expect(err).NotTo(HaveOccurred())
	r := &propagation.Reconciler{
		Client: mgr.GetClient(), Members: &member.Clients{Fleet: mgr.GetClient(), Scheme: mgr.GetScheme()},
		ReleaseAfter: 3 * time.Second, Recorder: mgr.GetEventRecorder("navarkos-propagation"),
	}
	g.Expect(r.SetupWithManager(ctx, mgr)).To(Succeed())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	g.Eventually(func(g Gomega) {
		err := c.Get(ctx, client.ObjectKeyFromObject(b), &n6sv1alpha1.ResourceBinding{})
		g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "ResourceBinding still there: %v", err)
	}, time.Minute, 100*time.Millisecond).Should(Succeed(), "waiting for the deleted ResourceBinding to let go of the unreachable member")
	g.Eventually(func(g Gomega) {
		list := &eventsv1.EventList{}
		g.Expect(c.List(ctx, list, client.InNamespace("shop"))).To(Succeed())
		found := false
		for _, e := range list.Items {
			if e.Reason == "MembersReleased" && e.Regarding.Name == b.Name {
				g.Expect(e.Note).To(ContainSubstring("released clusters lost"))
				found = true
			}
		}
		g.Expect(found).To(BeTrue(), "no MembersReleased Event")
	}, 30*time.Second, 100*time.Millisecond).Should(Succeed(), "waiting for the Event that says which members were released")
}
