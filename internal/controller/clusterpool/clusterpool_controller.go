package clusterpool

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/fleetmodel"
)

// Reconciler counts the Clusters of each ClusterPool.
type Reconciler struct {
	// Client reads and writes the fleet API.
	Client client.Client
}

// SetupWithManager registers the reconciler; a change to any Cluster recounts its pool.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Client == nil {
		return errors.New("clusterpool reconciler needs a Client")
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&n6sv1alpha1.ClusterPool{}).
		Watches(&n6sv1alpha1.Cluster{}, handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
			if pool := o.(*n6sv1alpha1.Cluster).Spec.Pool; pool != "" {
				return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: pool}}}
			}
			return nil
		})).
		Named("clusterpool").
		Complete(r)
}

// Reconcile recounts one pool's clusters.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	pool := &n6sv1alpha1.ClusterPool{}
	if err := r.Client.Get(ctx, req.NamespacedName, pool); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	list := &n6sv1alpha1.ClusterList{}
	if err := r.Client.List(ctx, list); err != nil {
		return ctrl.Result{}, fmt.Errorf("failed to list Clusters for ClusterPool %s: %w", pool.Name, err)
	}
	// The planner writes the measured times; this controller only counts.
	want := n6sv1alpha1.ClusterPoolStatus{MeasuredTimeToCapacity: pool.Status.MeasuredTimeToCapacity, Conditions: slices.Clone(pool.Status.Conditions)}
	n6sv1alpha1.SetSpecValidity(&want.Conditions, pool.Generation, fleetmodel.MalformedDurations(&pool.Spec))
	for i := range list.Items {
		c := &list.Items[i]
		if c.Spec.Pool != pool.Name {
			continue
		}
		want.Clusters++
		if meta.IsStatusConditionTrue(c.Status.Conditions, n6sv1alpha1.ClusterReadyCondition) {
			want.ReadyClusters++
		}
	}
	if equality.Semantic.DeepEqual(want, pool.Status) {
		return ctrl.Result{}, nil
	}
	patch := client.MergeFrom(pool.DeepCopy())
	pool.Status = want
	if err := r.Client.Status().Patch(ctx, pool, patch); err != nil {
		return ctrl.Result{}, fmt.Errorf("failed to patch the status of ClusterPool %s: %w", pool.Name, err)
	}
	return ctrl.Result{}, nil
}
