package clusterprofile_test

import (
	"context"
	"os"
	"testing"

	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/navarkos/navarkos/internal/controller/clusterprofile"
	"github.com/navarkos/navarkos/internal/setup"
	"github.com/navarkos/navarkos/internal/testenv"
)

// k8s talks to a real kube-apiserver where only the ClusterProfile publisher runs; the tests
// write Clusters and their status themselves, standing in for the Cluster Manager.
var k8s client.Client

func TestMain(m *testing.M) {
	suite := &testenv.Suite{Scheme: setup.Scheme(), Install: setup.InstallCRDs, Setup: func(_ context.Context, mgr ctrl.Manager) error {
		k8s = mgr.GetClient()
		return (&clusterprofile.Reconciler{Client: mgr.GetClient(), Clock: clock.RealClock{}}).SetupWithManager(mgr)
	}}
	os.Exit(suite.Run(m))
}
