package globalingress_test

import (
	"context"
	"os"
	"sync"
	"testing"

	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/navarkos/navarkos/internal/controller/globalingress"
	"github.com/navarkos/navarkos/internal/member"
	"github.com/navarkos/navarkos/internal/setup"
	"github.com/navarkos/navarkos/internal/testenv"
)

// k8s talks to a real kube-apiserver with the Navarkos CRDs; restConfig reaches it too.
var (
	k8s        client.Client
	restConfig *rest.Config
)

func TestMain(m *testing.M) {
	suite := &testenv.Suite{Scheme: setup.Scheme()}
	suite.Install = func(ctx context.Context, c client.Client) error {
		k8s, restConfig = c, suite.Config
		return setup.InstallCRDs(ctx, c)
	}
	os.Exit(suite.Run(m))
}

// startReconciler runs a GlobalIngress reconciler on a manager of its own; settings fill in
// its registry and publishers. stop ends it; the test's end does too.
func startReconciler(t *testing.T, settings func(*globalingress.Reconciler)) (r *globalingress.Reconciler, stop func()) {
	t.Helper()
	return startReconcilerOn(t, restConfig, settings)
}

// startReconcilerOn is startReconciler against the API server of cfg.
func startReconcilerOn(t *testing.T, cfg *rest.Config, settings func(*globalingress.Reconciler)) (r *globalingress.Reconciler, stop func()) {
	t.Helper()
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{Scheme: setup.Scheme(), Metrics: metricsserver.Options{BindAddress: "0"},
		Controller: config.Controller{SkipNameValidation: ptr.To(true)}})
	if err != nil {
		t.Fatal(err)
	}
	r = &globalingress.Reconciler{Client: mgr.GetClient(), Members: &member.Clients{Fleet: mgr.GetClient(), Scheme: mgr.GetScheme()}}
	settings(r)
	if err := r.SetupWithManager(mgr); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = mgr.Start(ctx) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return r, stop
}
