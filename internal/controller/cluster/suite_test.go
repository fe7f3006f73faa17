package cluster_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/controller/cluster"
	"github.com/navarkos/navarkos/internal/kwokctl"
	"github.com/navarkos/navarkos/internal/provider"
	"github.com/navarkos/navarkos/internal/provider/local"
	"github.com/navarkos/navarkos/internal/provider/static"
	"github.com/navarkos/navarkos/internal/setup"
	"github.com/navarkos/navarkos/internal/testenv"
)

const testHealthInterval = time.Second

var (
	testEnv *envtest.Environment
	k8s     client.Client
	// brokenLocal is a real local provider whose kube-apiserver binary always fails.
	brokenLocal *local.Provider
)

func TestMain(m *testing.M) {
	suite := &testenv.Suite{Scheme: setup.Scheme(), Install: setup.InstallCRDs}
	suite.Setup = func(ctx context.Context, mgr ctrl.Manager) error {
		tmp, err := os.MkdirTemp("", "navarkos-cluster-test-")
		if err != nil {
			return err
		}
		suite.Defer(func() { _ = os.RemoveAll(tmp) })
		if brokenLocal, err = newBrokenLocalProvider(tmp); err != nil {
			return err
		}
		testEnv, k8s = suite.Env, mgr.GetClient()
		r := &cluster.Reconciler{
			Client: mgr.GetClient(),
			Providers: provider.Registry{
				n6sv1alpha1.ProviderStatic: static.Provider{},
				n6sv1alpha1.ProviderLocal:  brokenLocal,
			},
			Recorder:                mgr.GetEventRecorder("navarkos-cluster-manager"),
			Clock:                   clock.RealClock{},
			HealthInterval:          testHealthInterval,
			MaxConcurrentReconciles: 4,
		}
		return r.SetupWithManager(ctx, mgr)
	}
	os.Exit(suite.Run(m))
}

// newBrokenLocalProvider builds the real local provider over a bin directory whose
// kube-apiserver exits at once, so that every creation fails inside kwokctl.
func newBrokenLocalProvider(tmp string) (*local.Provider, error) {
	if err := testenv.RequireBinaries("kwokctl", "kwok", "etcd", "kube-controller-manager", "kube-scheduler"); err != nil {
		return nil, err
	}
	bin := filepath.Join(tmp, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return nil, err
	}
	for _, b := range []string{"kwokctl", "kwok", "etcd", "kube-controller-manager", "kube-scheduler"} {
		if err := os.Symlink(filepath.Join(testenv.BinDir(), b), filepath.Join(bin, b)); err != nil {
			return nil, err
		}
	}
	script := "#!/bin/sh\necho 'kube-apiserver: refusing to start (test fault)' >&2\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "kube-apiserver"), []byte(script), 0o755); err != nil {
		return nil, err
	}
	return &local.Provider{
		Runner:        kwokctl.Runner{BinDir: bin, WorkDir: filepath.Join(tmp, "work"), KubeVersion: "v1.37.2"},
		CreateTimeout: 10 * time.Second,
	}, nil
}
