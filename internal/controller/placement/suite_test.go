package placement_test

import (
	"context"
	"os"
	"testing"

	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/navarkos/navarkos/internal/controller/placement"
	"github.com/navarkos/navarkos/internal/kindwatch"
	"github.com/navarkos/navarkos/internal/setup"
	"github.com/navarkos/navarkos/internal/testenv"
)

// k8s talks to a real kube-apiserver where only the schedulers run: the tests write Cluster
// status themselves, standing in for the Cluster Manager, so every fleet state is reachable.
var k8s client.Client

// kinds is the schedulers' janitor of watched kinds; the tests sweep it themselves.
var kinds *kindwatch.Janitor

// fleetCache is the schedulers' cache.
var fleetCache cache.Cache

// adminConfig reaches the API server as its administrator, to make tenants.
var adminConfig *rest.Config

func TestMain(m *testing.M) {
	suite := &testenv.Suite{Scheme: setup.Scheme(), Install: setup.InstallCRDs, Setup: func(ctx context.Context, mgr ctrl.Manager) error {
		k8s, fleetCache, adminConfig = mgr.GetClient(), mgr.GetCache(), mgr.GetConfig()
		kinds = &kindwatch.Janitor{Cache: mgr.GetCache(), InUse: setup.KindsInUse(mgr.GetClient())}
		return placement.SetupSchedulers(ctx, mgr, clock.RealClock{}, 1, kinds)
	}}
	os.Exit(suite.Run(m))
}
