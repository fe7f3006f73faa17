package member

import (
	"context"
	"fmt"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/source"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// changesBuffer is how many member changes may wait for a controller before Notify blocks.
const changesBuffer = 256

// followCache watches whole kinds of one member, whoever made their objects, for the
// controllers that act on them (the local provider's load balancer and volumes): a watch
// costs the member nothing while nothing changes, where a poll lists every time.
type followCache struct {
	cluster string
	scheme  *runtime.Scheme
	cache   cache.Cache
	stop    context.CancelFunc

	mu sync.Mutex
	// notified records, per kind and follower, that its handler is registered.
	notified map[string]bool
}

func newFollowCache(cfg *rest.Config, scheme *runtime.Scheme, cluster string) (*followCache, error) {
	c, err := cache.New(cfg, cache.Options{Scheme: scheme, DefaultTransform: cache.TransformStripManagedFields()})
	if err != nil {
		return nil, fmt.Errorf("failed to build the watch cache of cluster %s: %w", cluster, err)
	}
	ctx, stop := context.WithCancel(context.Background())
	go func() { _ = c.Start(ctx) }()
	return &followCache{cluster: cluster, scheme: scheme, cache: c, stop: stop, notified: map[string]bool{}}, nil
}

// Follow watches every object of obj's kind in the member and calls notify on each change,
// once per follower however often it is called. It returns a reader of that kind: the watch's
// cache once its first list has arrived, the member itself until then.
func (c *Client) Follow(ctx context.Context, obj client.Object, follower string, notify func()) (client.Reader, error) {
	fc := c.follows
	gvk, err := apiutil.GVKForObject(obj, fc.scheme)
	if err != nil {
		return nil, err
	}
	inf, err := fc.cache.GetInformer(ctx, obj, cache.BlockUntilSynced(false))
	if err != nil {
		return nil, fmt.Errorf("failed to watch %s in cluster %s: %w", gvk.Kind, fc.cluster, err)
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if key := gvk.String() + "/" + follower; !fc.notified[key] {
		changed := func(any) { notify() }
		_, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
			AddFunc: changed, UpdateFunc: func(_, o any) { changed(o) }, DeleteFunc: changed,
		})
		if err != nil {
			return nil, fmt.Errorf("failed to watch %s in cluster %s: %w", gvk.Kind, fc.cluster, err)
		}
		fc.notified[key] = true
	}
	if !inf.HasSynced() {
		return c.Client, nil
	}
	return fc.cache, nil
}

// Changes passes to a controller the Clusters whose followed member objects changed, as the
// events of its Source.
type Changes struct {
	events chan event.GenericEvent
	done   chan struct{}
}

// NewChanges makes the Changes of one controller of mgr; they end with mgr.
func NewChanges(mgr manager.Manager) (*Changes, error) {
	c := &Changes{events: make(chan event.GenericEvent, changesBuffer), done: make(chan struct{})}
	return c, mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		<-ctx.Done()
		close(c.done)
		return nil
	}))
}

// Source is the watch the controller adds: a request for each Cluster notified.
func (c *Changes) Source() source.Source {
	return source.Channel(c.events, &handler.EnqueueRequestForObject{})
}

// Notify asks the controller to look at the named Cluster again.
func (c *Changes) Notify(cluster string) {
	select {
	case c.events <- event.GenericEvent{Object: &n6sv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: cluster}}}:
	case <-c.done:
	}
}
