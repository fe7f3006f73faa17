package member

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/propagation"
)

// objectCache follows, in one member, the objects that Navarkos applied there: one informer
// per kind, limited to Navarkos' label and trimmed to what propagation reads back. It also
// remembers what each apply returned.
type objectCache struct {
	cluster  string
	cache    cache.Cache
	stop     context.CancelFunc
	onChange func(cluster string, obj client.Object)

	mu      sync.Mutex
	kinds   map[schema.GroupVersionKind]cache.Informer
	applied map[objectID]propagation.Applied
	// applying holds, for each apply in flight, the resource versions its object's events
	// showed meanwhile: the apply's own echo may arrive before the apply returns.
	applying map[objectID][]string
}

// objectID names one object of one kind in a member.
type objectID struct {
	gvk schema.GroupVersionKind
	key client.ObjectKey
}

func newObjectCache(cfg *rest.Config, scheme *runtime.Scheme, cluster string, onChange func(string, client.Object)) (*objectCache, error) {
	c, err := cache.New(cfg, cache.Options{
		Scheme:                      scheme,
		DefaultLabelSelector:        labels.SelectorFromSet(labels.Set{n6sv1alpha1.ManagedByLabel: n6sv1alpha1.ManagedByValue}),
		DefaultTransform:            trim,
		ReaderFailOnMissingInformer: true,
	})
	if err != nil {
		return nil, fmt.Errorf("failed to build the object cache of cluster %s: %w", cluster, err)
	}
	ctx, stop := context.WithCancel(context.Background())
	go func() { _ = c.Start(ctx) }()
	return &objectCache{cluster: cluster, cache: c, stop: stop, onChange: onChange,
		kinds: map[schema.GroupVersionKind]cache.Informer{}, applied: map[objectID]propagation.Applied{}, applying: map[objectID][]string{}}, nil
}

// observe starts following the kind unless it is followed, and returns the cached object:
// nil when the member has no such object made by Navarkos, or while the kind's first list
// has not arrived, so that callers read the member instead.
func (oc *objectCache) observe(ctx context.Context, gvk schema.GroupVersionKind, key client.ObjectKey) (*unstructured.Unstructured, error) {
	inf, err := oc.informer(ctx, gvk)
	if err != nil || !inf.HasSynced() {
		return nil, err
	}
	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(gvk)
	if err := oc.cache.Get(ctx, key, live); err != nil {
		return nil, client.IgnoreNotFound(err)
	}
	return live, nil
}

func (oc *objectCache) informer(ctx context.Context, gvk schema.GroupVersionKind) (cache.Informer, error) {
	oc.mu.Lock()
	defer oc.mu.Unlock()
	if inf, ok := oc.kinds[gvk]; ok {
		return inf, nil
	}
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(gvk)
	inf, err := oc.cache.GetInformer(ctx, obj, cache.BlockUntilSynced(false))
	if err != nil {
		return nil, fmt.Errorf("failed to follow %s in cluster %s: %w", gvk.Kind, oc.cluster, err)
	}
	// Only what can change propagation is passed on: not the echo of Navarkos' own apply,
	// which the reconcile that made it has seen, nor others' labels and annotations, nor
	// status writes that leave the summed counters alone.
	_, err = inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc: func(o any) {
			if !oc.isOwnApply(o) {
				oc.changed(o)
			}
		},
		UpdateFunc: func(old, o any) {
			before, okOld := old.(*unstructured.Unstructured)
			after, okNew := o.(*unstructured.Unstructured)
			if okOld && okNew && (oc.isOwnApply(after) || !propagation.MemberChangeMatters(before, after, oc.lastAppliedOf(after))) {
				return
			}
			oc.changed(o)
		},
		DeleteFunc: oc.changed,
	})
	if err != nil {
		return nil, fmt.Errorf("failed to follow %s in cluster %s: %w", gvk.Kind, oc.cluster, err)
	}
	oc.kinds[gvk] = inf
	return inf, nil
}

// isOwnApply reports whether an event shows a member object exactly as Navarkos' last apply
// returned it, or comes while an apply of the object is in flight; applyDone decides about
// the latter when the apply returns.
func (oc *objectCache) isOwnApply(o any) bool {
	obj, ok := o.(*unstructured.Unstructured)
	if !ok {
		return false
	}
	id := objectID{obj.GroupVersionKind(), client.ObjectKeyFromObject(obj)}
	oc.mu.Lock()
	defer oc.mu.Unlock()
	if seen, ok := oc.applying[id]; ok {
		oc.applying[id] = append(seen, obj.GetResourceVersion())
		return true
	}
	last, ok := oc.applied[id]
	return ok && last.ResourceVersion == obj.GetResourceVersion()
}

// changed passes an event on.
func (oc *objectCache) changed(o any) {
	if tomb, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
		o = tomb.Obj
	}
	if obj, ok := o.(client.Object); ok && oc.onChange != nil {
		oc.onChange(oc.cluster, obj)
	}
}

// lastAppliedOf returns Navarkos' last apply of obj, nil when there is none on record.
func (oc *objectCache) lastAppliedOf(obj *unstructured.Unstructured) *propagation.Applied {
	last, ok := oc.lastApplied(obj.GroupVersionKind(), client.ObjectKeyFromObject(obj))
	if !ok {
		return nil
	}
	return &last
}

// applyStarted marks an apply of the object as in flight.
func (oc *objectCache) applyStarted(gvk schema.GroupVersionKind, key client.ObjectKey) {
	oc.mu.Lock()
	defer oc.mu.Unlock()
	oc.applying[objectID{gvk, key}] = nil
}

// applyDone ends an apply in flight: obj is what the member returned, nil when the apply
// failed (the reconcile that tried it retries anyway). A success is recorded, and if the
// object's events meanwhile showed any version but this apply's, one event is passed on.
func (oc *objectCache) applyDone(gvk schema.GroupVersionKind, key client.ObjectKey, obj *unstructured.Unstructured, hash [32]byte, labels, annotations map[string]string) {
	id := objectID{gvk, key}
	oc.mu.Lock()
	seen := oc.applying[id]
	delete(oc.applying, id)
	if obj != nil {
		oc.applied[id] = propagation.Applied{Hash: hash, Generation: obj.GetGeneration(), ResourceVersion: obj.GetResourceVersion(), Labels: labels, Annotations: annotations}
	}
	oc.mu.Unlock()
	if obj != nil && slices.ContainsFunc(seen, func(rv string) bool { return rv != obj.GetResourceVersion() }) {
		oc.changed(obj)
	}
}

func (oc *objectCache) lastApplied(gvk schema.GroupVersionKind, key client.ObjectKey) (propagation.Applied, bool) {
	oc.mu.Lock()
	defer oc.mu.Unlock()
	a, ok := oc.applied[objectID{gvk, key}]
	return a, ok
}

func (oc *objectCache) forget(gvk schema.GroupVersionKind, key client.ObjectKey) {
	oc.mu.Lock()
	defer oc.mu.Unlock()
	delete(oc.applied, objectID{gvk, key})
}

// trim keeps what propagation reads back from a member object: identity, ownership marks,
// generation, spec.replicas and status. Specs, managed fields and the rest stay out of memory.
func trim(in any) (any, error) {
	u, ok := in.(*unstructured.Unstructured)
	if !ok {
		return in, nil
	}
	md := map[string]any{}
	if all, ok := u.Object["metadata"].(map[string]any); ok {
		for _, k := range []string{"name", "namespace", "uid", "resourceVersion", "generation", "labels", "annotations", "deletionTimestamp"} {
			if v, ok := all[k]; ok {
				md[k] = v
			}
		}
	}
	out := map[string]any{"apiVersion": u.GetAPIVersion(), "kind": u.GetKind(), "metadata": md}
	if r, ok, _ := unstructured.NestedFieldNoCopy(u.Object, "spec", "replicas"); ok {
		out["spec"] = map[string]any{"replicas": r}
	}
	if s, ok := u.Object["status"]; ok {
		out["status"] = s
	}
	return &unstructured.Unstructured{Object: out}, nil
}
