// Package kindwatch adds watches on kinds that are only known at run time, such as the kinds a Placement selects.
package kindwatch

import (
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/source"
)

// Watcher starts at most one watch per kind for one controller, whose requests are of type R.
type Watcher[R comparable] struct {
	// Controller receives the events.
	Controller controller.TypedController[R]
	// Cache serves the informers.
	Cache cache.Cache
	// Handler maps an object of a kind to requests.
	Handler func(gvk schema.GroupVersionKind) handler.TypedEventHandler[client.Object, R]
	// Predicates filter the events of every kind.
	Predicates []predicate.Predicate

	mu      sync.Mutex
	watched map[schema.GroupVersionKind]bool
}

// Ensure watches the kind unless it is watched already. It is safe to call from reconciles.
func (w *Watcher[R]) Ensure(gvk schema.GroupVersionKind) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.watched[gvk] {
		return nil
	}
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(gvk)
	if err := w.Controller.Watch(source.TypedKind[client.Object](w.Cache, obj, w.Handler(gvk), w.Predicates...)); err != nil {
		return fmt.Errorf("failed to watch %s: %w", gvk, err)
	}
	if w.watched == nil {
		w.watched = map[schema.GroupVersionKind]bool{}
	}
	w.watched[gvk] = true
	return nil
}
