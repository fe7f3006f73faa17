package charts

import (
	"context"
	"os"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/navarkos/navarkos/internal/testenv"
)

// k8s talks to a real kube-apiserver with the Navarkos CRDs, the Gateway API's HTTPRoute CRD
// and the charts' namespaces; restConfig reaches it too.
var (
	k8s        client.Client
	restConfig *rest.Config
)

func TestMain(m *testing.M) {
	suite := &testenv.Suite{}
	suite.Install = func(ctx context.Context, c client.Client) error {
		k8s, restConfig = c, suite.Config
		if err := testenv.InstallHTTPRouteCRD(ctx, c); err != nil {
			return err
		}
		for _, ns := range chartNamespaces {
			if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
				return err
			}
		}
		return nil
	}
	os.Exit(suite.Run(m))
}
