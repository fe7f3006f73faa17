package planner_test

import (
	"context"
	"os"
	"testing"
	"time"

	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/navarkos/navarkos/internal/controller/placement"
	plannerctl "github.com/navarkos/navarkos/internal/controller/planner"
	"github.com/navarkos/navarkos/internal/planner"
	"github.com/navarkos/navarkos/internal/setup"
	"github.com/navarkos/navarkos/internal/testenv"
)

// k8s talks to a real kube-apiserver where the scheduler and the planner run; the tests
// write Cluster status themselves, standing in for the Cluster Manager and its providers.
var k8s client.Client

func TestMain(m *testing.M) {
	suite := &testenv.Suite{Scheme: setup.Scheme(), Install: setup.InstallCRDs, Setup: func(ctx context.Context, mgr ctrl.Manager) error {
		k8s = mgr.GetClient()
		if err := placement.SetupSchedulers(ctx, mgr, clock.RealClock{}, 1, nil); err != nil {
			return err
		}
		cfg := planner.DefaultConfig()
		cfg.FailureBackoff = time.Hour
		p := &plannerctl.Reconciler{Client: mgr.GetClient(), Recorder: mgr.GetEventRecorder("navarkos-planner"), Clock: clock.RealClock{}, Config: cfg, Interval: time.Second}
		return p.SetupWithManager(mgr)
	}}
	os.Exit(suite.Run(m))
}
