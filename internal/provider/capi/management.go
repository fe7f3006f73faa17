package capi

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/kubeconfig"
)

// managementTimeout bounds each request to a management cluster, so that an unreachable
// one fails a reconcile instead of holding it.
const managementTimeout = 15 * time.Second

// scheme holds the kinds the provider reads and writes in a management cluster.
var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := clusterv1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}()

// managementClients builds one client per management cluster and rebuilds it when its
// kubeconfig Secret changes.
type managementClients struct {
	// fleet reads the kubeconfig Secrets in navarkos-system.
	fleet client.Reader
	// fleetConfig reaches the fleet API server, the management cluster of pools that name none.
	fleetConfig *rest.Config

	mu     sync.Mutex
	fleetC client.Client
	// bySecret caches clients by Secret name, valid while the Secret's resourceVersion holds.
	bySecret map[string]versionedClient
}

type versionedClient struct {
	resourceVersion string
	client          client.Client
}

// forTemplate returns a client of the template's management cluster.
func (m *managementClients) forTemplate(ctx context.Context, t *n6sv1alpha1.CAPITemplate) (client.Client, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t.Management == nil {
		if m.fleetC == nil {
			if m.fleetConfig == nil {
				return nil, fmt.Errorf("the pool names no management cluster and this controller has no fleet API configuration")
			}
			c, err := newClient(m.fleetConfig)
			if err != nil {
				return nil, err
			}
			m.fleetC = c
		}
		return m.fleetC, nil
	}
	name := t.Management.KubeconfigSecretName
	key := t.Management.Key
	if key == "" {
		key = "kubeconfig"
	}
	secret := &corev1.Secret{}
	ref := types.NamespacedName{Namespace: n6sv1alpha1.SystemNamespace, Name: name}
	if err := m.fleet.Get(ctx, ref, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("the management cluster's kubeconfig Secret %s does not exist", ref)
		}
		return nil, fmt.Errorf("failed to read the management cluster's kubeconfig Secret %s: %w", ref, err)
	}
	if cached, ok := m.bySecret[name]; ok && cached.resourceVersion == secret.ResourceVersion {
		return cached.client, nil
	}
	data, ok := secret.Data[key]
	if !ok {
		return nil, fmt.Errorf("the management cluster's kubeconfig Secret %s has no key %q", ref, key)
	}
	cfg, err := kubeconfig.Policy{}.RESTConfig(data)
	if err != nil {
		return nil, fmt.Errorf("the management cluster's kubeconfig in Secret %s key %q does not load: %w", ref, key, err)
	}
	c, err := newClient(cfg)
	if err != nil {
		return nil, err
	}
	if m.bySecret == nil {
		m.bySecret = map[string]versionedClient{}
	}
	m.bySecret[name] = versionedClient{resourceVersion: secret.ResourceVersion, client: c}
	return c, nil
}

func newClient(cfg *rest.Config) (client.Client, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.Timeout = managementTimeout
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("failed to build a client of the management cluster: %w", err)
	}
	return c, nil
}
