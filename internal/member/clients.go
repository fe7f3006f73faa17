package member

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// requestTimeout bounds every request to a member, so that one unreachable cluster cannot stall the others.
const requestTimeout = 10 * time.Second

// ErrNoKubeconfig is returned for a Cluster whose kubeconfig Secret is not known yet.
var ErrNoKubeconfig = errors.New("the cluster has no kubeconfig yet")

// Clients hands out one client per member cluster, rebuilt when its kubeconfig changes.
type Clients struct {
	// Fleet reads Clusters and their kubeconfig Secrets.
	Fleet client.Reader
	// Scheme serves typed objects; unstructured ones need nothing from it.
	Scheme *runtime.Scheme

	mu     sync.Mutex
	byName map[string]cached
}

type cached struct {
	digest [32]byte
	client client.Client
	// namespaces made or found in this member, so each is checked once per client.
	namespaces *sync.Map
}

// For returns a client of the named member cluster.
func (m *Clients) For(ctx context.Context, cluster string) (*Client, error) {
	c := &n6sv1alpha1.Cluster{}
	if err := m.Fleet.Get(ctx, client.ObjectKey{Name: cluster}, c); err != nil {
		return nil, fmt.Errorf("failed to get Cluster %s: %w", cluster, err)
	}
	return m.ForCluster(ctx, c)
}

// ForCluster returns a client of a member cluster the caller has read already.
func (m *Clients) ForCluster(ctx context.Context, c *n6sv1alpha1.Cluster) (*Client, error) {
	cluster := c.Name
	ref := c.Status.KubeconfigSecretRef
	if ref == nil {
		return nil, fmt.Errorf("cluster %s: %w", cluster, ErrNoKubeconfig)
	}
	secret := &corev1.Secret{}
	if err := m.Fleet.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, secret); err != nil {
		return nil, fmt.Errorf("failed to get the kubeconfig Secret of Cluster %s: %w", cluster, err)
	}
	data := secret.Data[ref.Key]
	digest := sha256.Sum256(data)

	m.mu.Lock()
	defer m.mu.Unlock()
	if got, ok := m.byName[cluster]; ok && got.digest == digest {
		return &Client{Client: got.client, namespaces: got.namespaces}, nil
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(data)
	if err != nil {
		return nil, fmt.Errorf("the kubeconfig of Cluster %s does not load: %w", cluster, err)
	}
	cfg.Timeout = requestTimeout
	cfg.QPS, cfg.Burst = 100, 200
	cl, err := client.New(cfg, client.Options{Scheme: m.Scheme})
	if err != nil {
		return nil, fmt.Errorf("failed to build a client of Cluster %s: %w", cluster, err)
	}
	if m.byName == nil {
		m.byName = map[string]cached{}
	}
	entry := cached{digest: digest, client: cl, namespaces: &sync.Map{}}
	m.byName[cluster] = entry
	return &Client{Client: cl, namespaces: entry.namespaces}, nil
}

// Client is a client of one member cluster.
type Client struct {
	client.Client
	namespaces *sync.Map
}

// EnsureNamespace creates a namespace in the member unless it is known to exist.
func (c *Client) EnsureNamespace(ctx context.Context, name string) error {
	if _, known := c.namespaces.Load(name); known {
		return nil
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("failed to create namespace %s: %w", name, err)
	}
	c.namespaces.Store(name, true)
	return nil
}
