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
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/kubeconfig"
	"github.com/navarkos/navarkos/internal/propagation"
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
	// OnChange, when set before the first client is made, hears of every change to an object
	// Navarkos made in a member, for the kinds followed with Client.Observe. It runs on
	// informer goroutines and must not block for long.
	OnChange func(cluster string, obj client.Object)
	// Kubeconfigs says what the members' kubeconfigs may ask of this process.
	Kubeconfigs kubeconfig.Policy

	mu     sync.Mutex
	byName map[string]cached
}

type cached struct {
	digest [32]byte
	client client.Client
	// namespaces made or found in this member, so each is checked once per client.
	namespaces *sync.Map
	objects    *objectCache
	follows    *followCache
}

// stop ends the member's watches.
func (c cached) stop() {
	c.objects.stop()
	c.follows.stop()
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
	data, err := KubeconfigOf(ctx, m.Fleet, c)
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(data)

	m.mu.Lock()
	defer m.mu.Unlock()
	got, ok := m.byName[cluster]
	if ok && got.digest == digest {
		return &Client{Client: got.client, namespaces: got.namespaces, objects: got.objects, follows: got.follows}, nil
	}
	cfg, err := m.Kubeconfigs.RESTConfig(data)
	if err != nil {
		return nil, fmt.Errorf("the kubeconfig of Cluster %s: %w", cluster, err)
	}
	cfg.Timeout = requestTimeout
	cfg.QPS, cfg.Burst = 100, 200
	cl, err := client.New(cfg, client.Options{Scheme: m.Scheme})
	if err != nil {
		return nil, fmt.Errorf("failed to build a client of Cluster %s: %w", cluster, err)
	}
	// Watches last longer than any request timeout.
	watchCfg := rest.CopyConfig(cfg)
	watchCfg.Timeout = 0
	objects, err := newObjectCache(watchCfg, m.Scheme, cluster, m.OnChange)
	if err != nil {
		return nil, err
	}
	follows, err := newFollowCache(watchCfg, m.Scheme, cluster)
	if err != nil {
		objects.stop()
		return nil, err
	}
	if ok {
		got.stop()
	}
	if m.byName == nil {
		m.byName = map[string]cached{}
	}
	entry := cached{digest: digest, client: cl, namespaces: &sync.Map{}, objects: objects, follows: follows}
	m.byName[cluster] = entry
	return &Client{Client: cl, namespaces: entry.namespaces, objects: objects, follows: follows}, nil
}

// Forget drops the client and the object cache of a cluster that left the fleet.
func (m *Clients) Forget(cluster string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if got, ok := m.byName[cluster]; ok {
		got.stop()
		delete(m.byName, cluster)
	}
}

// Stop drops every client and stops every object cache.
func (m *Clients) Stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, got := range m.byName {
		got.stop()
		delete(m.byName, name)
	}
}

// Client is a client of one member cluster.
type Client struct {
	client.Client
	namespaces *sync.Map
	objects    *objectCache
	follows    *followCache
}

// Observe follows the kind in this member, from the first call on, and returns the cached,
// trimmed copy of an object Navarkos made there (metadata, spec.replicas and status); nil when
// there is none, or while the kind's cache is still filling.
func (c *Client) Observe(ctx context.Context, gvk schema.GroupVersionKind, key client.ObjectKey) (*unstructured.Unstructured, error) {
	return c.objects.observe(ctx, gvk, key)
}

// ApplyRecorded puts obj into the member with server-side apply, forcing ownership,
// decodes the member's answer into obj, and remembers it under the configuration's hash.
// The events this apply causes in the member wake nothing.
func (c *Client) ApplyRecorded(ctx context.Context, obj *unstructured.Unstructured, hash [32]byte, owner client.FieldOwner) error {
	gvk, key := obj.GroupVersionKind(), client.ObjectKeyFromObject(obj)
	labels, annotations := obj.GetLabels(), obj.GetAnnotations()
	c.objects.applyStarted(gvk, key)
	if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), owner, client.ForceOwnership); err != nil {
		c.objects.applyDone(gvk, key, nil, hash, nil, nil)
		return err
	}
	c.objects.applyDone(gvk, key, obj, hash, labels, annotations)
	return nil
}

// LastApplied returns what ApplyRecorded remembered for an object.
func (c *Client) LastApplied(gvk schema.GroupVersionKind, key client.ObjectKey) (propagation.Applied, bool) {
	return c.objects.lastApplied(gvk, key)
}

// ForgetApplied drops the record of an object that was removed.
func (c *Client) ForgetApplied(gvk schema.GroupVersionKind, key client.ObjectKey) {
	c.objects.forget(gvk, key)
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

// ForgetNamespace drops what EnsureNamespace knew of a namespace, so that the next call makes
// it again: someone deleted it in the member.
func (c *Client) ForgetNamespace(name string) {
	c.namespaces.Delete(name)
}

// NamespaceGone reports whether a write into a member failed because the object's namespace
// is not there (deleted) or is being deleted.
func NamespaceGone(err error) bool {
	if apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
		return true
	}
	var status apierrors.APIStatus
	if !apierrors.IsNotFound(err) || !errors.As(err, &status) {
		return false
	}
	details := status.Status().Details
	return details != nil && details.Kind == "namespaces"
}
