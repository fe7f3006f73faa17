package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/kubeconfig"
	"github.com/navarkos/navarkos/internal/provider"
)

const (
	// DefaultHealthInterval is how often a Ready cluster is checked.
	DefaultHealthInterval = 10 * time.Second
	// progressRequeue publishes a new phase before a long provider call starts.
	progressRequeue = 10 * time.Millisecond
	// nodeWaitRequeue re-checks a cluster whose new nodes are not Ready yet.
	nodeWaitRequeue = 250 * time.Millisecond
	// providerPollRequeue re-observes a provider that makes, wakes or removes a cluster in the background.
	providerPollRequeue = time.Second
	// poolIndexKey indexes Clusters by spec.pool.
	poolIndexKey = "spec.pool"
)

// Reconciler drives Clusters through their providers.
type Reconciler struct {
	// Client reads and writes the fleet API.
	Client client.Client
	// Providers maps each provider name to its implementation.
	Providers provider.Registry
	// Recorder emits Events on Clusters.
	Recorder events.EventRecorder
	// Clock stamps heartbeats and idle times.
	Clock clock.PassiveClock
	// HealthInterval is how often a cluster's health and capacity are observed.
	HealthInterval time.Duration
	// Kubeconfigs says what joined clusters' kubeconfigs may ask of this process.
	Kubeconfigs kubeconfig.Policy
	// MaxConcurrentReconciles bounds how many clusters are worked on at once.
	MaxConcurrentReconciles int
}

// SetupWithManager registers the reconciler, its index on spec.pool and its watches.
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager) error {
	switch {
	case r.Client == nil:
		return errors.New("cluster reconciler needs a Client")
	case len(r.Providers) == 0:
		return errors.New("cluster reconciler needs at least one provider")
	case r.Recorder == nil:
		return errors.New("cluster reconciler needs a Recorder")
	case r.Clock == nil:
		return errors.New("cluster reconciler needs a Clock")
	}
	if r.HealthInterval <= 0 {
		r.HealthInterval = DefaultHealthInterval
	}
	err := mgr.GetFieldIndexer().IndexField(ctx, &n6sv1alpha1.Cluster{}, poolIndexKey, func(o client.Object) []string {
		if pool := o.(*n6sv1alpha1.Cluster).Spec.Pool; pool != "" {
			return []string{pool}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("failed to index Clusters by pool: %w", err)
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&n6sv1alpha1.Cluster{}, builder.WithPredicates(predicate.Or(
			predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}, predicate.LabelChangedPredicate{}))).
		Watches(&n6sv1alpha1.ClusterPool{}, handler.EnqueueRequestsFromMapFunc(r.clustersOfPool)).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.clustersOfSecret)).
		WithOptions(controller.Options{MaxConcurrentReconciles: max(r.MaxConcurrentReconciles, 1)}).
		Named("cluster").
		Complete(r)
}

// Reconcile moves one Cluster one step closer to its desired state and records what it saw.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (res ctrl.Result, retErr error) {
	c := &n6sv1alpha1.Cluster{}
	if err := r.Client.Get(ctx, req.NamespacedName, c); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if c.DeletionTimestamp.IsZero() && !controllerutil.ContainsFinalizer(c, n6sv1alpha1.ClusterFinalizer) {
		controllerutil.AddFinalizer(c, n6sv1alpha1.ClusterFinalizer)
		if err := r.Client.Update(ctx, c); err != nil {
			return ctrl.Result{}, fmt.Errorf("failed to add finalizer to Cluster %s: %w", c.Name, err)
		}
		// Go on: the For predicate ignores this metadata-only update, so no new event would come.
	}

	before := c.DeepCopy()
	s := newScope(c)
	defer func() {
		if s.deleted {
			return
		}
		setStatus(s, r.Clock.Now())
		if retErr == nil && s.done {
			c.Status.ObservedGeneration = c.Generation
		}
		if err := r.Client.Status().Patch(ctx, c, client.MergeFrom(before)); err != nil && !apierrors.IsNotFound(err) {
			retErr = errors.Join(retErr, fmt.Errorf("failed to patch the status of Cluster %s: %w", c.Name, err))
		}
	}()

	if err := r.resolve(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	leaving := !c.DeletionTimestamp.IsZero() || c.Spec.DesiredState == n6sv1alpha1.DesiredOffline || c.Spec.DesiredState == n6sv1alpha1.DesiredHibernated
	if leaving && s.blocker == nil && s.provider != nil {
		if held, res, err := r.holdForDrain(ctx, s); held || err != nil {
			return res, err
		}
	}
	if !c.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, s)
	}
	if s.blocker != nil {
		return ctrl.Result{}, s.blocker.err
	}
	switch c.Spec.DesiredState {
	case n6sv1alpha1.DesiredOffline:
		return r.reconcileOffline(ctx, s)
	case n6sv1alpha1.DesiredHibernated:
		return r.reconcileHibernated(ctx, s)
	default:
		return r.reconcileOnline(ctx, s)
	}
}

// clustersOfPool maps a ClusterPool to the Clusters made from it.
func (r *Reconciler) clustersOfPool(ctx context.Context, o client.Object) []reconcile.Request {
	list := &n6sv1alpha1.ClusterList{}
	if err := r.Client.List(ctx, list, client.MatchingFields{poolIndexKey: o.GetName()}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Failed to list the Clusters of a pool", "pool", o.GetName())
		return nil
	}
	return requestsFor(list.Items, func(c *n6sv1alpha1.Cluster) bool { return true })
}

// clustersOfSecret maps a Secret to the Clusters whose kubeconfig it holds or would hold.
func (r *Reconciler) clustersOfSecret(ctx context.Context, o client.Object) []reconcile.Request {
	list := &n6sv1alpha1.ClusterList{}
	if err := r.Client.List(ctx, list); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Failed to list Clusters")
		return nil
	}
	return requestsFor(list.Items, func(c *n6sv1alpha1.Cluster) bool {
		if o.GetNamespace() == n6sv1alpha1.SystemNamespace && o.GetName() == kubeconfigSecretName(c) {
			return true // the Secret Navarkos writes for it, or one in its way
		}
		ref := c.Spec.KubeconfigSecretRef
		return ref != nil && ref.Name == o.GetName() && ref.Namespace == o.GetNamespace()
	})
}

func requestsFor(clusters []n6sv1alpha1.Cluster, keep func(*n6sv1alpha1.Cluster) bool) []reconcile.Request {
	var reqs []reconcile.Request
	for i := range clusters {
		if keep(&clusters[i]) {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&clusters[i])})
		}
	}
	return reqs
}
