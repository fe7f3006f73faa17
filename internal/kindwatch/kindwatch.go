// Package kindwatch adds watches on kinds that are only known at run time, such as the kinds
// a Placement selects, and stops them when nothing needs them any more.
package kindwatch

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/source"
)

// ensures stamps every Ensure, so that a sweep can tell a kind ensured after it began.
var ensures atomic.Uint64

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

	mu sync.Mutex
	// watched holds each watched kind's stamp of its last Ensure.
	watched map[schema.GroupVersionKind]uint64
}

// Ensure watches the kind unless it is watched already. It is safe to call from reconciles.
func (w *Watcher[R]) Ensure(gvk schema.GroupVersionKind) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.watched[gvk]; !ok {
		obj := &unstructured.Unstructured{}
		obj.SetGroupVersionKind(gvk)
		if err := w.Controller.Watch(source.TypedKind[client.Object](w.Cache, obj, w.Handler(gvk), w.Predicates...)); err != nil {
			return fmt.Errorf("failed to watch %s: %w", gvk, err)
		}
	}
	if w.watched == nil {
		w.watched = map[schema.GroupVersionKind]uint64{}
	}
	w.watched[gvk] = ensures.Add(1)
	return nil
}

// Watched lists the kinds watched now.
func (w *Watcher[R]) Watched() []schema.GroupVersionKind {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]schema.GroupVersionKind, 0, len(w.watched))
	for gvk := range w.watched {
		out = append(out, gvk)
	}
	return out
}

func (w *Watcher[R]) lock()   { w.mu.Lock() }
func (w *Watcher[R]) unlock() { w.mu.Unlock() }

// stamps is the watched kinds with their last stamps; the caller holds the lock.
func (w *Watcher[R]) stamps() map[schema.GroupVersionKind]uint64 { return w.watched }

// forget drops the kind, so that the next Ensure watches it again; the caller holds the lock.
func (w *Watcher[R]) forget(gvk schema.GroupVersionKind) { delete(w.watched, gvk) }

// sweepable is a Watcher of any request type, as the Janitor sees it.
type sweepable interface {
	lock()
	unlock()
	stamps() map[schema.GroupVersionKind]uint64
	forget(schema.GroupVersionKind)
}

// Janitor stops the informers of the kinds its watchers watch that nothing uses any more
// (no placement names the kind, no Binding holds one of its objects), so that a kind named
// once is not followed, and held in memory, for ever. The watchers share one cache; a kind
// is released from all of them at once, and only if none ensured it since the sweep began.
type Janitor struct {
	// Cache is the watchers' cache.
	Cache cache.Cache
	// InUse lists the kinds something still needs.
	InUse func(ctx context.Context) (map[schema.GroupVersionKind]bool, error)
	// Every is the time between sweeps; a minute when zero.
	Every time.Duration

	mu       sync.Mutex
	watchers []sweepable
}

// Add puts a watcher under the janitor's care; a nil Janitor ignores it.
func (j *Janitor) Add(w sweepable) {
	if j == nil {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.watchers = append(j.watchers, w)
}

// Start sweeps every so often until ctx ends; it runs as a manager Runnable.
func (j *Janitor) Start(ctx context.Context) error {
	every := j.Every
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if released, err := j.Sweep(ctx); err != nil {
				log.FromContext(ctx).Error(err, "failed to sweep the watched kinds")
			} else if len(released) > 0 {
				log.FromContext(ctx).Info("stopped watching kinds no placement names", "kinds", released)
			}
		}
	}
}

// Sweep releases every watched kind not in use, stopping its informer, and returns them.
func (j *Janitor) Sweep(ctx context.Context) ([]schema.GroupVersionKind, error) {
	began := ensures.Load()
	inUse, err := j.InUse(ctx)
	if err != nil {
		return nil, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, w := range j.watchers {
		w.lock()
		defer w.unlock()
	}
	idle := map[schema.GroupVersionKind]bool{}
	for _, w := range j.watchers {
		for gvk, stamp := range w.stamps() {
			if _, seen := idle[gvk]; !seen {
				idle[gvk] = !inUse[gvk]
			}
			idle[gvk] = idle[gvk] && stamp <= began
		}
	}
	var released []schema.GroupVersionKind
	for gvk, ok := range idle {
		if !ok {
			continue
		}
		for _, w := range j.watchers {
			w.forget(gvk)
		}
		obj := &unstructured.Unstructured{}
		obj.SetGroupVersionKind(gvk)
		if err := j.Cache.RemoveInformer(ctx, obj); err != nil {
			return released, fmt.Errorf("failed to stop the informer of %s: %w", gvk, err)
		}
		released = append(released, gvk)
	}
	slices.SortFunc(released, func(a, b schema.GroupVersionKind) int { return strings.Compare(a.String(), b.String()) })
	return released, nil
}
