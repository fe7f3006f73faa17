package placement

import (
	"reflect"

	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// schedulingChanged passes Cluster events that can change a placement: creation, deletion,
// labels, desired state, readiness, health and capacity; not the heartbeat of every check.
type schedulingChanged struct {
	predicate.Funcs
}

// Update reports whether the cluster changed in a way the engine sees.
func (schedulingChanged) Update(e event.UpdateEvent) bool {
	o, okOld := e.ObjectOld.(*n6sv1alpha1.Cluster)
	n, okNew := e.ObjectNew.(*n6sv1alpha1.Cluster)
	if !okOld || !okNew {
		return true
	}
	status := func(c *n6sv1alpha1.Cluster, typ string) string {
		if cd := meta.FindStatusCondition(c.Status.Conditions, typ); cd != nil {
			return string(cd.Status)
		}
		return ""
	}
	return !reflect.DeepEqual(o.Labels, n.Labels) ||
		o.Annotations[n6sv1alpha1.DrainPodLimitAnnotation] != n.Annotations[n6sv1alpha1.DrainPodLimitAnnotation] ||
		o.Spec.DesiredState != n.Spec.DesiredState ||
		!o.DeletionTimestamp.Equal(n.DeletionTimestamp) ||
		status(o, n6sv1alpha1.ClusterReadyCondition) != status(n, n6sv1alpha1.ClusterReadyCondition) ||
		status(o, n6sv1alpha1.ClusterHealthyCondition) != status(n, n6sv1alpha1.ClusterHealthyCondition) ||
		!reflect.DeepEqual(o.Status.Capacity.Allocatable, n.Status.Capacity.Allocatable)
}

// moveStartedOrEnded passes a Binding whose move between clusters started, ended or outlasted
// its grace period.
func moveStartedOrEnded(e event.UpdateEvent) bool {
	o, okOld := e.ObjectOld.(*n6sv1alpha1.ResourceBinding)
	n, okNew := e.ObjectNew.(*n6sv1alpha1.ResourceBinding)
	if !okOld || !okNew {
		return false
	}
	expired := func(b *n6sv1alpha1.ResourceBinding) bool {
		return b.Spec.Rollout != nil && b.Spec.Rollout.GracePeriodExpired
	}
	return (o.Spec.Rollout == nil) != (n.Spec.Rollout == nil) || expired(o) != expired(n)
}

// movingReplicasReady passes a Binding in the middle of a move whose member status changed:
// Ready replicas may let the move take its next step.
func movingReplicasReady(e event.UpdateEvent) bool {
	o, okOld := e.ObjectOld.(*n6sv1alpha1.ResourceBinding)
	n, okNew := e.ObjectNew.(*n6sv1alpha1.ResourceBinding)
	return okOld && okNew && n.Spec.Rollout != nil && !reflect.DeepEqual(o.Status.Clusters, n.Status.Clusters)
}
