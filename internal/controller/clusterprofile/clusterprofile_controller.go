package clusterprofile

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	inventoryv1alpha1 "sigs.k8s.io/cluster-inventory-api/apis/v1alpha1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// Reconciler keeps one ClusterProfile per Cluster, of any provider, in one namespace of the
// fleet API.
type Reconciler struct {
	// Client reads Clusters and writes ClusterProfiles.
	Client client.Client
	// Clock dates the properties' observations.
	Clock clock.PassiveClock
	// Namespace holds the profiles; empty means navarkos-system.
	Namespace string
}

// SetupWithManager registers the reconciler: a Cluster's changes, and its profile's, reconcile it.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Client == nil || r.Clock == nil {
		return errors.New("clusterprofile reconciler needs a Client and a Clock")
	}
	if r.Namespace == "" {
		r.Namespace = n6sv1alpha1.SystemNamespace
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&n6sv1alpha1.Cluster{}).
		Watches(&inventoryv1alpha1.ClusterProfile{}, handler.EnqueueRequestsFromMapFunc(r.clusterOf)).
		Named("clusterprofile").
		Complete(r)
}

// clusterOf maps a profile in the profiles' namespace to the Cluster of the same name.
func (r *Reconciler) clusterOf(_ context.Context, o client.Object) []reconcile.Request {
	if o.GetNamespace() != r.Namespace {
		return nil
	}
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: o.GetName()}}}
}

// Reconcile publishes one Cluster's profile, or removes it once the Cluster is gone.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	key := client.ObjectKey{Namespace: r.Namespace, Name: req.Name}
	prev := &inventoryv1alpha1.ClusterProfile{}
	if err := r.Client.Get(ctx, key, prev); err != nil {
		if !apierrors.IsNotFound(err) {
			return ctrl.Result{}, fmt.Errorf("failed to get ClusterProfile %s: %w", key, err)
		}
		prev = nil
	}
	if prev != nil && prev.Spec.ClusterManager.Name != ManagerName {
		ctrl.LoggerFrom(ctx).Info("Leaving a ClusterProfile of another cluster manager alone", "profile", klog.KObj(prev), "manager", prev.Spec.ClusterManager.Name)
		return ctrl.Result{}, nil
	}
	c := &n6sv1alpha1.Cluster{}
	if err := r.Client.Get(ctx, req.NamespacedName, c); err != nil {
		if !apierrors.IsNotFound(err) {
			return ctrl.Result{}, fmt.Errorf("failed to get Cluster %s: %w", req.Name, err)
		}
		if prev == nil {
			return ctrl.Result{}, nil
		}
		ctrl.LoggerFrom(ctx).Info("Removing the ClusterProfile of a Cluster that is gone", "profile", klog.KObj(prev))
		return ctrl.Result{}, client.IgnoreNotFound(r.Client.Delete(ctx, prev))
	}
	want := Profile(c, r.Namespace, prev, metav1.NewTime(r.Clock.Now()))
	if prev == nil {
		return ctrl.Result{}, r.create(ctx, c, want)
	}
	if !equality.Semantic.DeepEqual(prev.Labels, want.Labels) || !equality.Semantic.DeepEqual(prev.Spec, want.Spec) {
		patch := client.MergeFrom(prev.DeepCopy())
		prev.Labels, prev.Spec = want.Labels, want.Spec
		if err := r.Client.Patch(ctx, prev, patch); err != nil {
			return ctrl.Result{}, fmt.Errorf("failed to update ClusterProfile %s: %w", key, err)
		}
	}
	if equality.Semantic.DeepEqual(prev.Status, want.Status) {
		return ctrl.Result{}, nil
	}
	patch := client.MergeFrom(prev.DeepCopy())
	prev.Status = want.Status
	if err := r.Client.Status().Patch(ctx, prev, patch); err != nil {
		return ctrl.Result{}, fmt.Errorf("failed to update the status of ClusterProfile %s: %w", key, err)
	}
	return ctrl.Result{}, nil
}

// create makes a profile, owned by its Cluster so that the fleet API's garbage collector
// removes it with the Cluster, then writes its status.
func (r *Reconciler) create(ctx context.Context, c *n6sv1alpha1.Cluster, want *inventoryv1alpha1.ClusterProfile) error {
	status := want.Status
	if err := controllerutil.SetOwnerReference(c, want, r.Client.Scheme()); err != nil {
		return err
	}
	ctrl.LoggerFrom(ctx).Info("Publishing a ClusterProfile", "profile", klog.KObj(want))
	if err := r.Client.Create(ctx, want); err != nil {
		return fmt.Errorf("failed to create ClusterProfile %s/%s: %w", want.Namespace, want.Name, err)
	}
	want.Status = status
	if err := r.Client.Status().Update(ctx, want); err != nil {
		return fmt.Errorf("failed to write the status of ClusterProfile %s/%s: %w", want.Namespace, want.Name, err)
	}
	return nil
}
