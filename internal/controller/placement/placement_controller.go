package placement

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/fleetmodel"
	"github.com/navarkos/navarkos/internal/kindwatch"
	"github.com/navarkos/navarkos/internal/placement"
)

// defaultToleration applies when a placement does not set failoverToleration.
const defaultToleration = 60 * time.Second

// placementObject is a pointer to a Placement or a ClusterPlacement.
type placementObject[T any] interface {
	*T
	n6sv1alpha1.PlacementObject
}

// Reconciler schedules the placements of one kind, Placement or ClusterPlacement: it selects
// their resources, asks the placement engine where each runs, and writes one Binding per
// resource.
type Reconciler[T any, P placementObject[T]] struct {
	// Client reads and writes the fleet API.
	Client client.Client
	// Clock tells how long a cluster has been unhealthy.
	Clock clock.PassiveClock
	// MaxConcurrentReconciles bounds how many resources are scheduled at once; 0 means 1.
	MaxConcurrentReconciles int
	// Kinds, when set, stops the watches of the kinds nothing uses any more.
	Kinds *kindwatch.Janitor
	// Recorder, when set, records each step of a move between clusters as an Event on the placement.
	Recorder events.EventRecorder

	// kind is Placement or ClusterPlacement, as Bindings name it.
	kind    string
	listGVK schema.GroupVersionKind
	mapper  meta.RESTMapper
	kinds   *kindwatch.Watcher[request]
	passes  passLocks
}

// PlacementReconciler schedules Placements.
type PlacementReconciler = Reconciler[n6sv1alpha1.Placement, *n6sv1alpha1.Placement]

// ClusterPlacementReconciler schedules ClusterPlacements.
type ClusterPlacementReconciler = Reconciler[n6sv1alpha1.ClusterPlacement, *n6sv1alpha1.ClusterPlacement]

// passLocks lets the resource passes of one placement run at the same time, but never while
// its whole pass runs, which lists the Bindings it keeps and deletes the rest.
type passLocks struct {
	byPlacement sync.Map // placement key → *sync.RWMutex
}

func (l *passLocks) of(key client.ObjectKey) *sync.RWMutex {
	m, _ := l.byPlacement.LoadOrStore(key, &sync.RWMutex{})
	return m.(*sync.RWMutex)
}

// IndexBindings registers the Binding index the schedulers share; call it once per manager.
func IndexBindings(ctx context.Context, mgr ctrl.Manager) error {
	err := mgr.GetFieldIndexer().IndexField(ctx, &n6sv1alpha1.ResourceBinding{}, n6sv1alpha1.BindingPlacementIndex, func(o client.Object) []string {
		return []string{n6sv1alpha1.PlacementIndexKey(o.(*n6sv1alpha1.ResourceBinding).Spec.Placement)}
	})
	if err != nil {
		return fmt.Errorf("failed to index ResourceBindings by placement: %w", err)
	}
	return nil
}

// SetupSchedulers registers the Binding index and the schedulers of both kinds, each
// scheduling up to maxConcurrent resources at once; kinds, when set, stops the watches of
// kinds nothing uses any more.
func SetupSchedulers(ctx context.Context, mgr ctrl.Manager, clk clock.PassiveClock, maxConcurrent int, kinds *kindwatch.Janitor) error {
	if err := IndexBindings(ctx, mgr); err != nil {
		return err
	}
	recorder := mgr.GetEventRecorder("navarkos-scheduler")
	if err := (&PlacementReconciler{Client: mgr.GetClient(), Clock: clk, MaxConcurrentReconciles: maxConcurrent, Kinds: kinds, Recorder: recorder}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("failed to set up the Placement scheduler: %w", err)
	}
	if err := (&ClusterPlacementReconciler{Client: mgr.GetClient(), Clock: clk, MaxConcurrentReconciles: maxConcurrent, Kinds: kinds, Recorder: recorder}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("failed to set up the ClusterPlacement scheduler: %w", err)
	}
	return nil
}

// SetupWithManager registers the scheduler and its watches on its placements, Clusters and
// Bindings. Watches on the selected kinds are added as placements name them.
func (r *Reconciler[T, P]) SetupWithManager(mgr ctrl.Manager) error {
	if r.Client == nil || r.Clock == nil {
		return errors.New("placement reconciler needs a Client and a Clock")
	}
	gvk, err := apiutil.GVKForObject(P(new(T)), mgr.GetScheme())
	if err != nil {
		return fmt.Errorf("failed to find the kind of the placements: %w", err)
	}
	r.kind, r.listGVK, r.mapper = gvk.Kind, gvk.GroupVersion().WithKind(gvk.Kind+"List"), mgr.GetRESTMapper()
	cache := mgr.GetCache()
	c, err := builder.TypedControllerManagedBy[request](mgr).
		Named(strings.ToLower(r.kind)).
		WithLogConstructor(logger(mgr.GetLogger().WithValues("controller", strings.ToLower(r.kind)))).
		WithOptions(controller.TypedOptions[request]{MaxConcurrentReconciles: max(r.MaxConcurrentReconciles, 1)}).
		WatchesRawSource(source.TypedKind(cache, P(new(T)), handler.TypedEnqueueRequestsFromMapFunc(placementItself[P]),
			predicate.TypedGenerationChangedPredicate[P]{})).
		WatchesRawSource(source.TypedKind[client.Object](cache, &n6sv1alpha1.Cluster{},
			handler.TypedEnqueueRequestsFromMapFunc(r.wholePasses), schedulingChanged{})).
		WatchesRawSource(source.TypedKind[client.Object](cache, &n6sv1alpha1.ResourceBinding{},
			handler.TypedEnqueueRequestsFromMapFunc(r.placementOfBinding), predicate.Funcs{
				CreateFunc: func(event.CreateEvent) bool { return false },
				UpdateFunc: moveStartedOrEnded,
			})).
		WatchesRawSource(source.TypedKind[client.Object](cache, &n6sv1alpha1.ResourceBinding{},
			handler.TypedEnqueueRequestsFromMapFunc(r.resourceOfBinding), predicate.Funcs{
				CreateFunc: func(event.CreateEvent) bool { return false },
				DeleteFunc: func(event.DeleteEvent) bool { return false },
				UpdateFunc: movingReplicasReady,
			})).
		Build(r)
	if err != nil {
		return err
	}
	r.kinds = &kindwatch.Watcher[request]{
		Controller: c, Cache: cache,
		Handler: func(gvk schema.GroupVersionKind) handler.TypedEventHandler[client.Object, request] {
			return handler.TypedEnqueueRequestsFromMapFunc(r.resourcePasses(gvk))
		},
		Predicates: []predicate.Predicate{predicate.Or[client.Object](predicate.GenerationChangedPredicate{}, predicate.LabelChangedPredicate{})},
	}
	r.Kinds.Add(r.kinds)
	return nil
}

// Reconcile runs a whole pass or a resource pass of one placement.
func (r *Reconciler[T, P]) Reconcile(ctx context.Context, req request) (ctrl.Result, error) {
	lock := r.passes.of(req.Placement)
	if !req.whole() {
		lock.RLock()
		defer lock.RUnlock()
		return r.reconcileResource(ctx, req)
	}
	lock.Lock()
	defer lock.Unlock()
	p, err := r.get(ctx, req.Placement)
	if err != nil {
		return ctrl.Result{}, err
	}
	if p == nil {
		r.passes.byPlacement.Delete(req.Placement) // gone, even without our finalizer
		return ctrl.Result{}, nil
	}
	if !p.GetDeletionTimestamp().IsZero() {
		if err := r.deleteBindings(ctx, p, nil); err != nil {
			return ctrl.Result{}, err
		}
		if controllerutil.RemoveFinalizer(p, n6sv1alpha1.PlacementFinalizer) {
			r.passes.byPlacement.Delete(req.Placement)
			return ctrl.Result{}, client.IgnoreNotFound(r.Client.Update(ctx, p))
		}
		return ctrl.Result{}, nil
	}
	if controllerutil.AddFinalizer(p, n6sv1alpha1.PlacementFinalizer) {
		if err := r.Client.Update(ctx, p); err != nil {
			return ctrl.Result{}, fmt.Errorf("failed to add finalizer to %s %s: %w", r.kind, req.Placement, err)
		}
	}
	before := p.DeepCopyObject().(client.Object)
	res, cond, err := r.schedule(ctx, p)
	cond.ObservedGeneration = p.GetGeneration()
	status := p.PlacementStatus()
	meta.SetStatusCondition(&status.Conditions, cond)
	_, malformed := p.PlacementSpec().FailoverTolerationOr(defaultToleration)
	n6sv1alpha1.SetSpecValidity(&status.Conditions, p.GetGeneration(), malformed)
	if err == nil {
		status.ObservedGeneration = p.GetGeneration()
	}
	if perr := r.Client.Status().Patch(ctx, p, client.MergeFrom(before)); perr != nil && !apierrors.IsNotFound(perr) {
		err = errors.Join(err, fmt.Errorf("failed to patch the status of %s %s: %w", r.kind, req.Placement, perr))
	}
	return res, err
}

// reconcileResource binds one resource if the placement still selects it, and unbinds it
// otherwise. The whole passes keep the placement's status.
func (r *Reconciler[T, P]) reconcileResource(ctx context.Context, req request) (ctrl.Result, error) {
	p, err := r.get(ctx, req.Placement)
	if err != nil || p == nil || !p.GetDeletionTimestamp().IsZero() {
		return ctrl.Result{}, err
	}
	gvk, key := req.Resource.GVK, req.Resource.Key
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(gvk)
	err = r.Client.Get(ctx, key, obj)
	if client.IgnoreNotFound(err) != nil {
		return ctrl.Result{}, fmt.Errorf("failed to get %s %s: %w", gvk.Kind, key, err)
	}
	if err != nil || !obj.GetDeletionTimestamp().IsZero() || !selects(p, gvk, obj) {
		return ctrl.Result{}, r.unbind(ctx, p, gvk.Kind, key)
	}
	spec := p.PlacementSpec()
	policy, err := fleetmodel.Policy(spec)
	if err != nil {
		return ctrl.Result{}, reconcile.TerminalError(err)
	}
	fl, err := r.fleet(ctx, spec)
	if err != nil {
		return ctrl.Result{}, err
	}
	followers := map[dependency]map[string]bool{}
	b, err := r.bind(ctx, p, obj, policy, fl, followers)
	if err != nil {
		return ctrl.Result{}, err
	}
	if err := r.bindDependencies(ctx, p, followers, map[client.ObjectKey]bool{b.key: true}); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{RequeueAfter: sooner(fl.graceEnds, b.move.graceLeft)}, nil
}

// schedule runs the engine for every selected resource, writes their Bindings, deletes the
// placement's other Bindings, and says how it went as the Scheduled condition.
func (r *Reconciler[T, P]) schedule(ctx context.Context, p P) (ctrl.Result, metav1.Condition, error) {
	cond := metav1.Condition{Type: n6sv1alpha1.PlacementScheduledCondition}
	internalError := func(err error) (ctrl.Result, metav1.Condition, error) {
		cond.Status, cond.Reason, cond.Message = metav1.ConditionUnknown, n6sv1alpha1.InternalErrorReason, err.Error()
		return ctrl.Result{}, cond, err
	}
	invalid := func(err error) (ctrl.Result, metav1.Condition, error) {
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, n6sv1alpha1.PlacementSelectorInvalidReason, err.Error()
		return ctrl.Result{}, cond, reconcile.TerminalError(err)
	}
	spec := p.PlacementSpec()
	resources, err := r.selectResources(ctx, p)
	if err != nil {
		return invalid(err)
	}
	p.PlacementStatus().SelectedResources = int32(len(resources))
	policy, err := fleetmodel.Policy(spec)
	if err != nil {
		return invalid(err)
	}
	fl, err := r.fleet(ctx, spec)
	if err != nil {
		return internalError(err)
	}
	keep := map[client.ObjectKey]bool{}
	followers := map[dependency]map[string]bool{}
	spreadShort := 0
	var tooLarge []string
	moves := &moveSummary{}
	requeue := fl.graceEnds
	for i := range resources {
		b, err := r.bind(ctx, p, &resources[i], policy, fl, followers)
		if err != nil {
			return internalError(err)
		}
		keep[b.key] = true
		moves.add(&resources[i], b)
		requeue = sooner(requeue, b.move.graceLeft)
		if !b.decision.SpreadSatisfied {
			spreadShort++
		}
		if b.tooLarge != "" {
			tooLarge = append(tooLarge, strings.ToLower(resources[i].GetKind())+"/"+resources[i].GetName()+" "+b.tooLarge)
		}
	}
	if err := r.bindDependencies(ctx, p, followers, keep); err != nil {
		return internalError(err)
	}
	if err := r.deleteBindings(ctx, p, keep); err != nil {
		return internalError(err)
	}
	missing := fl.missingTargets(spec)
	switch {
	case len(resources) == 0:
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, n6sv1alpha1.PlacementNothingSelectedReason, "the resource selectors match no object"
	case missing != "":
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, n6sv1alpha1.PlacementUnknownTargetReason, missing
	case len(tooLarge) > 0:
		cond.Status, cond.Reason = metav1.ConditionFalse, n6sv1alpha1.PlacementUnschedulableReason
		cond.Message = n6sv1alpha1.Truncate(strings.Join(tooLarge, "; "), 1024)
	case spreadShort > 0:
		cond.Status, cond.Reason = metav1.ConditionFalse, n6sv1alpha1.PlacementSpreadUnsatisfiedReason
		cond.Message = fmt.Sprintf("%d of %d resources run on fewer than %d clusters", spreadShort, len(resources), policy.MinClusters)
	default:
		cond.Status, cond.Reason = metav1.ConditionTrue, n6sv1alpha1.PlacementScheduledReason
		cond.Message = fmt.Sprintf("%d resources bound", len(resources))
	}
	meta.SetStatusCondition(&p.PlacementStatus().Conditions, moves.condition(p.GetGeneration()))
	return ctrl.Result{RequeueAfter: requeue}, cond, nil
}

// get reads a placement; nil when it is gone.
func (r *Reconciler[T, P]) get(ctx context.Context, key client.ObjectKey) (P, error) {
	p := P(new(T))
	if err := r.Client.Get(ctx, key, p); err != nil {
		return nil, client.IgnoreNotFound(err)
	}
	return p, nil
}

// list reads the placements of this kind that may select objects of namespace ns: those of
// ns for Placements, all for ClusterPlacements or when ns is "".
func (r *Reconciler[T, P]) list(ctx context.Context, ns string) ([]P, error) {
	obj, err := r.Client.Scheme().New(r.listGVK)
	if err != nil {
		return nil, fmt.Errorf("failed to make a %s: %w", r.listGVK.Kind, err)
	}
	list := obj.(client.ObjectList)
	var opts []client.ListOption
	// The scope is looked up here, not at setup, where the CRDs may not be served yet; a
	// lookup that fails lists every namespace, which is slower but never wrong.
	if namespaced, err := apiutil.IsObjectNamespaced(P(new(T)), r.Client.Scheme(), r.mapper); err == nil && namespaced && ns != "" {
		opts = append(opts, client.InNamespace(ns))
	}
	if err := r.Client.List(ctx, list, opts...); err != nil {
		return nil, fmt.Errorf("failed to list %s: %w", r.listGVK.Kind, err)
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, fmt.Errorf("failed to read %s: %w", r.listGVK.Kind, err)
	}
	out := make([]P, 0, len(items))
	for _, o := range items {
		out = append(out, o.(P))
	}
	return out, nil
}

// fleetState is the engine's view of the fleet for one reconcile.
type fleetState struct {
	view []placement.Cluster
	// index finds a cluster of view by name.
	index map[string]int
	// graceEnds is when the earliest failover toleration ends; 0 when none runs.
	graceEnds time.Duration
	// pools are the ClusterPools by name.
	pools map[string]*n6sv1alpha1.ClusterPool
	// healthy names the clusters whose API answers their health checks: their Ready
	// replicas count while replicas move.
	healthy map[string]bool
}

// missingTargets says which clusters and pools the spec names that do not exist; "" when all do.
func (fl *fleetState) missingTargets(spec *n6sv1alpha1.PlacementSpec) string {
	var clusters, pools []string
	if a := spec.ClusterAffinity; a != nil {
		for _, name := range a.ClusterNames {
			if _, ok := fl.index[name]; !ok {
				clusters = append(clusters, name)
			}
		}
	}
	if pv := spec.Provisioning; pv != nil {
		for _, name := range pv.Pools {
			if _, ok := fl.pools[name]; !ok {
				pools = append(pools, name)
			}
		}
	}
	var parts []string
	if len(clusters) > 0 {
		parts = append(parts, "no Cluster named "+strings.Join(clusters, ", "))
	}
	if len(pools) > 0 {
		parts = append(parts, "no ClusterPool named "+strings.Join(pools, ", "))
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, "; ") + "; replicas meant only for them are unplaced"
}

// fleet reads the Clusters and pools into the engine's view.
func (r *Reconciler[T, P]) fleet(ctx context.Context, spec *n6sv1alpha1.PlacementSpec) (*fleetState, error) {
	clusters := &n6sv1alpha1.ClusterList{}
	if err := r.Client.List(ctx, clusters); err != nil {
		return nil, fmt.Errorf("failed to list Clusters: %w", err)
	}
	poolList := &n6sv1alpha1.ClusterPoolList{}
	if err := r.Client.List(ctx, poolList); err != nil {
		return nil, fmt.Errorf("failed to list ClusterPools: %w", err)
	}
	pools := map[string]*n6sv1alpha1.ClusterPool{}
	for i := range poolList.Items {
		pools[poolList.Items[i].Name] = &poolList.Items[i]
	}
	// A malformed toleration counts as the default; the status reports it.
	toleration, _ := spec.FailoverTolerationOr(defaultToleration)
	fl := &fleetState{pools: pools}
	fl.view, fl.graceEnds = fleetView(clusters.Items, pools, r.Clock.Now(), toleration)
	fl.index = make(map[string]int, len(fl.view))
	for i, c := range fl.view {
		fl.index[c.Name] = i
	}
	fl.healthy = make(map[string]bool, len(clusters.Items))
	for i := range clusters.Items {
		c := &clusters.Items[i]
		fl.healthy[c.Name] = meta.IsStatusConditionTrue(c.Status.Conditions, n6sv1alpha1.ClusterHealthyCondition)
	}
	return fl, nil
}
