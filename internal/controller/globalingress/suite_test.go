package globalingress_test

import (
	"context"
	"os"
	"testing"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

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
