package charts

import (
	"context"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestControllerRoleIsEnoughAndNoMore applies the control-plane chart's ServiceAccount, Role
// and RoleBinding to a real kube-apiserver, then acts as that ServiceAccount: it wins the
// controllers' leader election, and is refused everything else.
func TestControllerRoleIsEnoughAndNoMore(t *testing.T) {
	ctx, c, ns := t.Context(), k8s, chartNamespaces[Navarkos]
	ch, err := Load(Navarkos)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Render(ctx, ch, "navarkos", ns, nil)
	if err != nil {
		t.Fatal(err)
	}
	applied := 0
	for _, obj := range out.Objects {
		switch obj.GetKind() {
		case "ServiceAccount", "Role", "RoleBinding":
			if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), client.FieldOwner("chart-test")); err != nil {
				t.Fatal(err)
			}
			applied++
		}
	}
	if applied != 3 {
		t.Fatalf("the chart renders %d of ServiceAccount, Role and RoleBinding, want 3", applied)
	}
	asController := rest.CopyConfig(restConfig)
	asController.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + ns + ":navarkos"}
	cs, err := kubernetes.NewForConfig(asController)
	if err != nil {
		t.Fatal(err)
	}
	// The Lease controller-runtime uses for `navarkos controller --leader-elect`.
	lock, err := resourcelock.New(resourcelock.LeasesResourceLock, ns, "navarkos-controllers.n6s.io",
		cs.CoreV1(), cs.CoordinationV1(), resourcelock.ResourceLockConfig{Identity: "controller-0"})
	if err != nil {
		t.Fatal(err)
	}
	leading := make(chan struct{})
	electCtx, stop := context.WithCancel(ctx)
	defer stop()
	elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock: lock, LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: time.Second,
		Callbacks: leaderelection.LeaderCallbacks{OnStartedLeading: func(context.Context) { close(leading) }, OnStoppedLeading: func() {}},
	})
	if err != nil {
		t.Fatal(err)
	}
	go elector.Run(electCtx)
	select {
	case <-leading:
	case <-time.After(time.Minute):
		t.Fatal("the controllers' ServiceAccount did not win the leader election within a minute")
	}
	// Nothing else: no other Lease, no Secrets, no Pods, nothing outside the namespace.
	_, err = cs.CoordinationV1().Leases(ns).Get(ctx, "someone-else", metav1.GetOptions{})
	expectForbidden(t, "get another Lease", err)
	_, err = cs.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
	expectForbidden(t, "list Secrets", err)
	_, err = cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	expectForbidden(t, "list Pods", err)
	_, err = cs.CoordinationV1().Leases("default").List(ctx, metav1.ListOptions{})
	expectForbidden(t, "list Leases of another namespace", err)
}

func expectForbidden(t *testing.T, what string, err error) {
	t.Helper()
	if !apierrors.IsForbidden(err) {
		t.Errorf("the controllers' ServiceAccount may %s: %v", what, err)
	}
}
