package charts

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/navarkos/navarkos/internal/fleetpki"
	corev1 "k8s.io/api/core/v1"
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
			if strings.HasSuffix(obj.GetName(), "-pki") {
				continue // the PKI Job's, checked by TestPKIJobRoleIsEnoughAndNoMore
			}
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

// TestPKIJobRoleIsEnoughAndNoMore applies the PKI Job's ServiceAccount, Role and RoleBinding,
// then makes the PKI as that ServiceAccount, twice, and is refused every other Secret.
func TestPKIJobRoleIsEnoughAndNoMore(t *testing.T) {
	ctx, c, ns := t.Context(), k8s, chartNamespaces[Navarkos]
	ch, err := Load(Navarkos)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Render(ctx, ch, "second", ns, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, obj := range out.Objects {
		if obj.GetName() == "second-navarkos-pki" && obj.GetKind() != "Job" {
			if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), client.FieldOwner("chart-test")); err != nil {
				t.Fatal(err)
			}
		}
	}
	asJob := rest.CopyConfig(restConfig)
	asJob.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + ns + ":second-navarkos-pki"}
	jc, err := client.New(asJob, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := fleetpki.Request{Namespace: ns, Prefix: "second-navarkos", EtcdService: "second-navarkos-etcd",
		FleetAPIService: "second-navarkos-fleet-api", FleetAPIURL: "https://second-navarkos-fleet-api." + ns + ".svc:443"}
	t.Cleanup(func() {
		for _, name := range r.SecretNames() {
			_ = c.Delete(context.Background(), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}})
		}
	})
	for i := range 2 {
		if err := fleetpki.Ensure(ctx, jc, r); err != nil {
			t.Fatalf("run %d of the PKI as the Job's ServiceAccount: %v", i+1, err)
		}
	}
	r.ExtraSANs = []string{"fleet.example.com"}
	if err := fleetpki.Ensure(ctx, jc, r); err != nil {
		t.Fatalf("renewing the serving certificate as the Job's ServiceAccount: %v", err)
	}
	pki := &corev1.Secret{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "second-navarkos-pki"}, pki); err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(pki.Data["apiserver.crt"])
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil || !slices.Contains(cert.DNSNames, "fleet.example.com") {
		t.Fatalf("the serving certificate names %v (%v), want fleet.example.com added", cert.DNSNames, err)
	}
	err = jc.Get(ctx, client.ObjectKey{Namespace: ns, Name: "someone-elses"}, &corev1.Secret{})
	expectForbidden(t, "read another Secret", err)
	err = jc.List(ctx, &corev1.SecretList{}, client.InNamespace(ns))
	expectForbidden(t, "list Secrets", err)
	err = jc.Delete(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "second-navarkos-ca"}})
	expectForbidden(t, "delete the CA", err)
}
