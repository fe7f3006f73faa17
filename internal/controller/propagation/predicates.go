package propagation

import (
	"reflect"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// becameReady passes a Cluster that turned Ready, so that what waits for it is applied at once.
type becameReady struct {
	predicate.Funcs
}

// Update reports whether the cluster just turned Ready.
func (becameReady) Update(e event.UpdateEvent) bool {
	o, okOld := e.ObjectOld.(*n6sv1alpha1.Cluster)
	n, okNew := e.ObjectNew.(*n6sv1alpha1.Cluster)
	return okOld && okNew &&
		!meta.IsStatusConditionTrue(o.Status.Conditions, n6sv1alpha1.ClusterReadyCondition) &&
		meta.IsStatusConditionTrue(n.Status.Conditions, n6sv1alpha1.ClusterReadyCondition)
}

// specChanged passes fleet object changes other than status, including to objects without a
// generation (ConfigMaps, Secrets), but not the summed status Navarkos writes itself.
type specChanged struct {
	predicate.Funcs
}

// Update reports whether anything but status and server bookkeeping changed.
func (specChanged) Update(e event.UpdateEvent) bool {
	o, okOld := e.ObjectOld.(*unstructured.Unstructured)
	n, okNew := e.ObjectNew.(*unstructured.Unstructured)
	if !okOld || !okNew {
		return true
	}
	return !reflect.DeepEqual(withoutStatus(o), withoutStatus(n))
}

func withoutStatus(u *unstructured.Unstructured) map[string]any {
	out := map[string]any{}
	for k, v := range u.Object {
		if k != "status" && k != "metadata" {
			out[k] = v
		}
	}
	out["labels"], out["annotations"], out["deleting"] = u.GetLabels(), u.GetAnnotations(), u.GetDeletionTimestamp() != nil
	return out
}
