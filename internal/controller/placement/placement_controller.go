package placement

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/controller/kindwatch"
	"github.com/navarkos/navarkos/internal/fleetmodel"
	"github.com/navarkos/navarkos/internal/placement"
	"github.com/navarkos/navarkos/internal/propagation"
)

const (
	// BindingPlacementIndex indexes Bindings by the placement that made them, as kind/namespace/name.
	BindingPlacementIndex = "spec.placement"
	// defaultToleration applies when a placement does not set failoverToleration.
	defaultToleration = 60 * time.Second
)

// Reconciler schedules the Placements (or, with ClusterScoped, the ClusterPlacements) of the fleet.
type Reconciler struct {
	// Client reads and writes the fleet API.
	Client client.Client
	// Clock tells how long a cluster has been unhealthy.
	Clock clock.PassiveClock
	// ClusterScoped selects ClusterPlacements instead of Placements.
	ClusterScoped bool
	// MaxConcurrentReconciles bounds how many resources are scheduled at once; 0 means 1.
	MaxConcurrentReconciles int

	mapper meta.RESTMapper
	kinds  *kindwatch.Watcher
	passes passLocks
}

// passLocks lets the resources of one placement be scheduled at the same time, but never
// while a whole-placement pass runs, which lists the Bindings it keeps and deletes the rest.
type passLocks struct {
	byPlacement sync.Map // placement key → *sync.RWMutex
}

func (l *passLocks) of(key client.ObjectKey) *sync.RWMutex {
	m, _ := l.byPlacement.LoadOrStore(key, &sync.RWMutex{})
	return m.(*sync.RWMutex)
}

// target is a Placement or a ClusterPlacement, seen through what both have.
type target struct {
	obj    client.Object
	spec   *n6sv1alpha1.PlacementSpec
	status *n6sv1alpha1.PlacementStatus
	ref    n6sv1alpha1.PlacementReference
}

func (r *Reconciler) kind() string {
	if r.ClusterScoped {
		return "ClusterPlacement"
	}
	return "Placement"
}

// IndexBindings registers the Binding index the schedulers share; call it once per manager.
func IndexBindings(ctx context.Context, mgr ctrl.Manager) error {
	err := mgr.GetFieldIndexer().IndexField(ctx, &n6sv1alpha1.Binding{}, BindingPlacementIndex, func(o client.Object) []string {
		p := o.(*n6sv1alpha1.Binding).Spec.Placement
		return []string{PlacementIndexKey(p)}
	})
	if err != nil {
		return fmt.Errorf("failed to index Bindings by placement: %w", err)
	}
	return nil
}

// SetupWithManager registers the scheduler and its watches on Clusters and Bindings.
// Watches on the selected kinds are added as placements name them.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Client == nil || r.Clock == nil {
		return errors.New("placement reconciler needs a Client and a Clock")
	}
	r.mapper = mgr.GetRESTMapper()
	var forObj client.Object = &n6sv1alpha1.Placement{}
	if r.ClusterScoped {
		forObj = &n6sv1alpha1.ClusterPlacement{}
	}
	c, err := ctrl.NewControllerManagedBy(mgr).
		For(forObj, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&n6sv1alpha1.Cluster{}, handler.EnqueueRequestsFromMapFunc(r.allPlacements), builder.WithPredicates(schedulingChanged{})).
		Watches(&n6sv1alpha1.Binding{}, handler.EnqueueRequestsFromMapFunc(r.placementOfBinding), builder.WithPredicates(predicate.Funcs{
			CreateFunc: func(event.CreateEvent) bool { return false },
			UpdateFunc: func(event.UpdateEvent) bool { return false },
		})).
		WithOptions(controller.Options{MaxConcurrentReconciles: max(r.MaxConcurrentReconciles, 1)}).
		Named(strings.ToLower(r.kind())).
		Build(r)
	if err != nil {
		return err
	}
	r.kinds = &kindwatch.Watcher{
		Controller: c, Cache: mgr.GetCache(),
		Handler: func(gvk schema.GroupVersionKind) handler.EventHandler {
			return handler.EnqueueRequestsFromMapFunc(r.placementsSelecting(gvk))
		},
		Predicates: []predicate.Predicate{predicate.Or[client.Object](predicate.GenerationChangedPredicate{}, predicate.LabelChangedPredicate{})},
	}
	return nil
}

// Reconcile binds every resource the placement selects and unbinds the rest.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	if name, gvk, key, ok := parseResourceRequest(req.Name); ok {
		placementKey := client.ObjectKey{Namespace: req.Namespace, Name: name}
		lock := r.passes.of(placementKey)
		lock.RLock()
		defer lock.RUnlock()
		return r.reconcileResource(ctx, placementKey, gvk, key)
	}
	lock := r.passes.of(req.NamespacedName)
	lock.Lock()
	defer lock.Unlock()
	t, err := r.get(ctx, req)
	if err != nil || t == nil {
		return ctrl.Result{}, err
	}
	if !t.obj.GetDeletionTimestamp().IsZero() {
		if err := r.deleteBindings(ctx, t, nil); err != nil {
			return ctrl.Result{}, err
		}
		if controllerutil.RemoveFinalizer(t.obj, n6sv1alpha1.PlacementFinalizer) {
			r.passes.byPlacement.Delete(req.NamespacedName)
			return ctrl.Result{}, client.IgnoreNotFound(r.Client.Update(ctx, t.obj))
		}
		return ctrl.Result{}, nil
	}
	if controllerutil.AddFinalizer(t.obj, n6sv1alpha1.PlacementFinalizer) {
		if err := r.Client.Update(ctx, t.obj); err != nil {
			return ctrl.Result{}, fmt.Errorf("failed to add finalizer to %s %s: %w", r.kind(), req, err)
		}
	}
	before := t.obj.DeepCopyObject().(client.Object)
	res, cond, err := r.schedule(ctx, t)
	cond.ObservedGeneration = t.obj.GetGeneration()
	meta.SetStatusCondition(&t.status.Conditions, cond)
	if err == nil {
		t.status.ObservedGeneration = t.obj.GetGeneration()
	}
	if perr := r.Client.Status().Patch(ctx, t.obj, client.MergeFrom(before)); perr != nil && !apierrors.IsNotFound(perr) {
		err = errors.Join(err, fmt.Errorf("failed to patch the status of %s %s: %w", r.kind(), req, perr))
	}
	return res, err
}

// reconcileResource schedules one resource of a placement after the resource changed: it
// binds it if the placement still selects it, and unbinds it otherwise. Whole-placement
// passes, on placement and cluster changes, keep the placement's status.
func (r *Reconciler) reconcileResource(ctx context.Context, placementKey client.ObjectKey, gvk schema.GroupVersionKind, key client.ObjectKey) (ctrl.Result, error) {
	t, err := r.get(ctx, ctrl.Request{NamespacedName: placementKey})
	if err != nil || t == nil || !t.obj.GetDeletionTimestamp().IsZero() {
		return ctrl.Result{}, err
	}
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(gvk)
	err = r.Client.Get(ctx, key, obj)
	if client.IgnoreNotFound(err) != nil {
		return ctrl.Result{}, fmt.Errorf("failed to get %s %s: %w", gvk.Kind, key, err)
	}
	if err != nil || !obj.GetDeletionTimestamp().IsZero() || !r.selects(t, gvk, obj) {
		return ctrl.Result{}, r.unbind(ctx, t, gvk.Kind, key)
	}
	policy, err := fleetmodel.Policy(t.spec)
	if err != nil {
		return ctrl.Result{}, reconcile.TerminalError(err)
	}
	fl, err := r.fleet(ctx, t.spec)
	if err != nil {
		return ctrl.Result{}, err
	}
	followers := map[dependency]map[string]bool{}
	bound, _, err := r.bind(ctx, t, obj, policy, fl, followers)
	if err != nil {
		return ctrl.Result{}, err
	}
	if err := r.bindDependencies(ctx, t, followers, map[client.ObjectKey]bool{bound: true}); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{RequeueAfter: fl.graceEnds}, nil
}

// bind schedules one resource, writes its Binding, and records the dependencies that must
// follow it unless the placement ignores them.
func (r *Reconciler) bind(ctx context.Context, t *target, obj *unstructured.Unstructured, policy placement.Policy, fl *fleetState, followers map[dependency]map[string]bool) (client.ObjectKey, placement.Result, error) {
	spec := fleetmodel.PodSpec(obj)
	w, hasReplicas := fleetmodel.Workload(obj, spec)
	if !hasReplicas {
		policy.Mode = placement.Duplicated
	}
	view := r.withoutOwnUsage(ctx, fl, obj, &w)
	decision := placement.Schedule(view, w, policy)
	key, err := r.writeBinding(ctx, t, obj, decision, hasReplicas)
	if err != nil {
		return key, decision, err
	}
	if spec != nil && t.spec.Dependencies != n6sv1alpha1.DependenciesIgnore {
		addFollowers(followers, obj.GetNamespace(), spec, decision)
	}
	return key, decision, nil
}

// selects reports whether one of the placement's selectors picks the object.
func (r *Reconciler) selects(t *target, gvk schema.GroupVersionKind, obj *unstructured.Unstructured) bool {
	for _, sel := range t.spec.ResourceSelectors {
		if schema.FromAPIVersionAndKind(sel.APIVersion, sel.Kind) != gvk || (sel.Name != "" && sel.Name != obj.GetName()) {
			continue
		}
		ns := t.obj.GetNamespace()
		if r.ClusterScoped {
			ns = sel.Namespace
		}
		if obj.GetNamespace() != "" && ns != "" && obj.GetNamespace() != ns {
			continue
		}
		if sel.LabelSelector != nil {
			ls, err := metav1.LabelSelectorAsSelector(sel.LabelSelector)
			if err != nil || !ls.Matches(labels.Set(obj.GetLabels())) {
				continue
			}
		}
		return true
	}
	return false
}

// unbind deletes the Binding of a resource the placement no longer selects, if the placement made it.
func (r *Reconciler) unbind(ctx context.Context, t *target, kind string, key client.ObjectKey) error {
	ns := key.Namespace
	if ns == "" {
		ns = n6sv1alpha1.SystemNamespace
	}
	b := &n6sv1alpha1.Binding{}
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: BindingName(kind, key.Name)}, b)
	if err != nil || b.Spec.Placement != t.ref {
		return client.IgnoreNotFound(err)
	}
	if err := r.Client.Delete(ctx, b); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("failed to delete Binding %s/%s: %w", b.Namespace, b.Name, err)
	}
	return nil
}

// schedule runs the engine for every selected resource and writes their Bindings.
func (r *Reconciler) schedule(ctx context.Context, t *target) (ctrl.Result, metav1.Condition, error) {
	cond := metav1.Condition{Type: n6sv1alpha1.PlacementScheduledCondition}
	resources, err := r.selectResources(ctx, t)
	if err != nil {
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, n6sv1alpha1.PlacementSelectorInvalidReason, err.Error()
		return ctrl.Result{}, cond, reconcile.TerminalError(err)
	}
	t.status.SelectedResources = int32(len(resources))
	policy, err := fleetmodel.Policy(t.spec)
	if err != nil {
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, n6sv1alpha1.PlacementSelectorInvalidReason, err.Error()
		return ctrl.Result{}, cond, reconcile.TerminalError(err)
	}
	fl, err := r.fleet(ctx, t.spec)
	if err != nil {
		cond.Status, cond.Reason, cond.Message = metav1.ConditionUnknown, "InternalError", err.Error()
		return ctrl.Result{}, cond, err
	}
	keep := map[client.ObjectKey]bool{}
	followers := map[dependency]map[string]bool{}
	spreadShort := 0
	for i := range resources {
		key, decision, err := r.bind(ctx, t, &resources[i], policy, fl, followers)
		if err != nil {
			cond.Status, cond.Reason, cond.Message = metav1.ConditionUnknown, "InternalError", err.Error()
			return ctrl.Result{}, cond, err
		}
		keep[key] = true
		if !decision.SpreadSatisfied {
			spreadShort++
		}
	}
	if err := r.bindDependencies(ctx, t, followers, keep); err != nil {
		cond.Status, cond.Reason, cond.Message = metav1.ConditionUnknown, "InternalError", err.Error()
		return ctrl.Result{}, cond, err
	}
	if err := r.deleteBindings(ctx, t, keep); err != nil {
		cond.Status, cond.Reason, cond.Message = metav1.ConditionUnknown, "InternalError", err.Error()
		return ctrl.Result{}, cond, err
	}
	switch {
	case len(resources) == 0:
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, n6sv1alpha1.PlacementNothingSelectedReason, "the resource selectors match no object"
	case spreadShort > 0:
		cond.Status, cond.Reason = metav1.ConditionFalse, n6sv1alpha1.PlacementSpreadUnsatisfiedReason
		cond.Message = fmt.Sprintf("%d of %d resources run on fewer than %d clusters", spreadShort, len(resources), policy.MinClusters)
	default:
		cond.Status, cond.Reason = metav1.ConditionTrue, n6sv1alpha1.PlacementScheduledReason
		cond.Message = fmt.Sprintf("%d resources bound", len(resources))
	}
	return ctrl.Result{RequeueAfter: fl.graceEnds}, cond, nil
}

func (r *Reconciler) get(ctx context.Context, req ctrl.Request) (*target, error) {
	if r.ClusterScoped {
		p := &n6sv1alpha1.ClusterPlacement{}
		if err := r.Client.Get(ctx, req.NamespacedName, p); err != nil {
			return nil, client.IgnoreNotFound(err)
		}
		return &target{obj: p, spec: &p.Spec, status: &p.Status, ref: n6sv1alpha1.PlacementReference{Kind: "ClusterPlacement", Name: p.Name}}, nil
	}
	p := &n6sv1alpha1.Placement{}
	if err := r.Client.Get(ctx, req.NamespacedName, p); err != nil {
		return nil, client.IgnoreNotFound(err)
	}
	return &target{obj: p, spec: &p.Spec, status: &p.Status, ref: n6sv1alpha1.PlacementReference{Kind: "Placement", Namespace: p.Namespace, Name: p.Name}}, nil
}

// fleetState is the engine's view of the fleet for one reconcile.
type fleetState struct {
	view []placement.Cluster
	// index finds a cluster of view by name.
	index map[string]int
	// graceEnds is when the earliest failover toleration ends; 0 when none runs.
	graceEnds time.Duration
}

// fleet reads the Clusters and pools into the engine's view.
func (r *Reconciler) fleet(ctx context.Context, spec *n6sv1alpha1.PlacementSpec) (*fleetState, error) {
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
	toleration := defaultToleration
	if spec.FailoverToleration != nil {
		toleration = spec.FailoverToleration.Duration
	}
	fl := &fleetState{}
	fl.view, fl.graceEnds = fleetView(clusters.Items, pools, r.Clock.Now(), toleration)
	fl.index = make(map[string]int, len(fl.view))
	for i, c := range fl.view {
		fl.index[c.Name] = i
	}
	return fl, nil
}

// selectResources lists the objects the selectors pick, and makes sure their kinds are watched.
func (r *Reconciler) selectResources(ctx context.Context, t *target) ([]unstructured.Unstructured, error) {
	var out []unstructured.Unstructured
	seen := map[string]bool{}
	for i, sel := range t.spec.ResourceSelectors {
		gvk := schema.FromAPIVersionAndKind(sel.APIVersion, sel.Kind)
		mapping, err := r.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			return nil, fmt.Errorf("resourceSelectors[%d]: the fleet API does not serve %s %s: %w", i, sel.APIVersion, sel.Kind, err)
		}
		if err := r.kinds.Ensure(gvk); err != nil {
			return nil, err
		}
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		var opts []client.ListOption
		if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
			ns := t.obj.GetNamespace()
			if r.ClusterScoped {
				ns = sel.Namespace
			}
			if ns != "" {
				opts = append(opts, client.InNamespace(ns))
			}
		}
		if sel.LabelSelector != nil {
			s, err := metav1.LabelSelectorAsSelector(sel.LabelSelector)
			if err != nil {
				return nil, fmt.Errorf("resourceSelectors[%d].labelSelector: %w", i, err)
			}
			opts = append(opts, client.MatchingLabelsSelector{Selector: s})
		}
		if err := r.Client.List(ctx, list, opts...); err != nil {
			return nil, fmt.Errorf("failed to list %s: %w", gvk.Kind, err)
		}
		for _, obj := range list.Items {
			id := gvk.String() + "/" + obj.GetNamespace() + "/" + obj.GetName()
			if (sel.Name != "" && obj.GetName() != sel.Name) || seen[id] || !obj.GetDeletionTimestamp().IsZero() {
				continue
			}
			seen[id] = true
			obj.SetGroupVersionKind(gvk)
			out = append(out, obj)
		}
	}
	return out, nil
}

// withoutOwnUsage frees, in a copy of the view, the capacity the resource's current replicas
// take, so that dividing by free capacity does not flee from its own pods and flap. It
// records those replicas as the workload's current ones, which the engine keeps while they fit.
func (r *Reconciler) withoutOwnUsage(ctx context.Context, fl *fleetState, obj *unstructured.Unstructured, w *placement.Workload) []placement.Cluster {
	view, index := fl.view, fl.index
	ns := obj.GetNamespace()
	if ns == "" {
		ns = n6sv1alpha1.SystemNamespace
	}
	b := &n6sv1alpha1.Binding{}
	if err := r.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: BindingName(obj.GetKind(), obj.GetName())}, b); err != nil {
		return view
	}
	adjusted := view
	for _, tc := range b.Spec.Clusters {
		i, ok := index[tc.Name]
		if !ok || tc.Replicas == nil || *tc.Replicas == 0 {
			continue
		}
		if &adjusted[0] == &view[0] {
			adjusted = slices.Clone(view)
			w.Current = map[string]int32{}
		}
		w.Current[tc.Name] = *tc.Replicas
		adjusted[i].Used = adjusted[i].Used.Sub(w.Request.Times(int64(*tc.Replicas)))
	}
	return adjusted
}

// dependency is a ConfigMap, Secret or ServiceAccount that a selected workload refers to.
type dependency struct {
	kind, namespace, name string
}

// addFollowers records the dependencies of a workload and the clusters they must follow it to.
func addFollowers(followers map[dependency]map[string]bool, namespace string, spec *corev1.PodSpec, d placement.Result) {
	deps := propagation.DependenciesOf(spec)
	for kind, names := range map[string][]string{"ConfigMap": deps.ConfigMaps, "Secret": deps.Secrets, "ServiceAccount": deps.ServiceAccounts} {
		for _, name := range names {
			key := dependency{kind: kind, namespace: namespace, name: name}
			if followers[key] == nil {
				followers[key] = map[string]bool{}
			}
			for _, a := range d.Assignments {
				followers[key][a.Cluster] = true
			}
		}
	}
}

// bindDependencies binds each dependency that the selectors did not pick to the clusters of
// the workloads that use it. A dependency that does not exist, or that another placement
// already binds, is left alone.
func (r *Reconciler) bindDependencies(ctx context.Context, t *target, followers map[dependency]map[string]bool, keep map[client.ObjectKey]bool) error {
	for dep, clusters := range followers {
		key := client.ObjectKey{Namespace: dep.namespace, Name: BindingName(dep.kind, dep.name)}
		if keep[key] {
			continue // selected in its own right
		}
		obj := &unstructured.Unstructured{}
		obj.SetGroupVersionKind(schema.GroupVersionKind{Version: "v1", Kind: dep.kind})
		if err := r.Client.Get(ctx, client.ObjectKey{Namespace: dep.namespace, Name: dep.name}, obj); err != nil {
			if apierrors.IsNotFound(err) {
				continue
			}
			return fmt.Errorf("failed to get %s %s/%s: %w", dep.kind, dep.namespace, dep.name, err)
		}
		names := make([]string, 0, len(clusters))
		for c := range clusters {
			names = append(names, c)
		}
		slices.Sort(names)
		decision := placement.Result{SpreadSatisfied: true, Reason: "follows the workloads that refer to it"}
		for _, c := range names {
			decision.Assignments = append(decision.Assignments, placement.Assignment{Cluster: c})
		}
		if _, err := r.writeBinding(ctx, t, obj, decision, false); err != nil {
			if errors.Is(err, errPlacedElsewhere) {
				continue
			}
			return err
		}
		keep[key] = true
	}
	return nil
}

// errPlacedElsewhere: the resource's Binding belongs to another placement.
var errPlacedElsewhere = errors.New("already placed by another placement")

// writeBinding creates or updates the Binding of one resource. An unchanged Binding costs no
// API call, so rescheduling every resource of a placement stays cheap.
func (r *Reconciler) writeBinding(ctx context.Context, t *target, obj *unstructured.Unstructured, d placement.Result, hasReplicas bool) (client.ObjectKey, error) {
	ns := obj.GetNamespace()
	if ns == "" {
		ns = n6sv1alpha1.SystemNamespace
	}
	want := n6sv1alpha1.BindingSpec{
		Placement: t.ref,
		Resource: n6sv1alpha1.ResourceReference{
			APIVersion: obj.GetAPIVersion(), Kind: obj.GetKind(), Namespace: obj.GetNamespace(), Name: obj.GetName(), UID: obj.GetUID(),
		},
		UnplacedReplicas: d.Unplaced,
		Reason:           truncate(d.Reason, 4096),
	}
	for _, a := range d.Assignments {
		tc := n6sv1alpha1.TargetCluster{Name: a.Cluster}
		if hasReplicas {
			tc.Replicas = &a.Replicas
		}
		want.Clusters = append(want.Clusters, tc)
	}
	key := client.ObjectKey{Namespace: ns, Name: BindingName(obj.GetKind(), obj.GetName())}
	b := &n6sv1alpha1.Binding{}
	err := r.Client.Get(ctx, key, b)
	switch {
	case apierrors.IsNotFound(err):
		// Born with propagation's finalizer, so that no write stands between scheduling and propagation.
		b = &n6sv1alpha1.Binding{ObjectMeta: metav1.ObjectMeta{
			Namespace: key.Namespace, Name: key.Name, Finalizers: []string{n6sv1alpha1.BindingFinalizer},
		}, Spec: want}
		if err := r.setOwner(t, b); err != nil {
			return key, err
		}
		if err := r.Client.Create(ctx, b); err != nil {
			return key, fmt.Errorf("failed to create Binding %s: %w", key, err)
		}
		return key, nil
	case err != nil:
		return key, fmt.Errorf("failed to get Binding %s: %w", key, err)
	case b.Spec.Placement != t.ref:
		return key, fmt.Errorf("resource %s %s/%s is %w %s %s", obj.GetKind(), obj.GetNamespace(), obj.GetName(), errPlacedElsewhere, b.Spec.Placement.Kind, b.Spec.Placement.Name)
	case equality.Semantic.DeepEqual(b.Spec, want):
		return key, nil
	}
	patch := client.MergeFrom(b.DeepCopy())
	b.Spec = want
	if err := r.setOwner(t, b); err != nil {
		return key, err
	}
	if err := r.Client.Patch(ctx, b, patch); err != nil {
		return key, fmt.Errorf("failed to update Binding %s: %w", key, err)
	}
	return key, nil
}

// setOwner makes the placement own its Binding, where an owner reference is allowed: a
// namespaced owner only owns objects of its own namespace.
func (r *Reconciler) setOwner(t *target, b *n6sv1alpha1.Binding) error {
	if t.obj.GetNamespace() != "" && t.obj.GetNamespace() != b.Namespace {
		return nil
	}
	return controllerutil.SetOwnerReference(t.obj, b, r.Client.Scheme())
}

// deleteBindings deletes the placement's Bindings that are not in keep (all of them when keep is nil).
func (r *Reconciler) deleteBindings(ctx context.Context, t *target, keep map[client.ObjectKey]bool) error {
	list := &n6sv1alpha1.BindingList{}
	if err := r.Client.List(ctx, list, client.MatchingFields{BindingPlacementIndex: PlacementIndexKey(t.ref)}); err != nil {
		return fmt.Errorf("failed to list the Bindings of %s %s: %w", t.ref.Kind, t.ref.Name, err)
	}
	for i := range list.Items {
		b := &list.Items[i]
		if keep[client.ObjectKeyFromObject(b)] || !b.DeletionTimestamp.IsZero() {
			continue
		}
		if err := r.Client.Delete(ctx, b); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("failed to delete Binding %s/%s: %w", b.Namespace, b.Name, err)
		}
	}
	return nil
}

// allPlacements maps any scheduling-relevant Cluster change to every placement of this kind.
func (r *Reconciler) allPlacements(ctx context.Context, _ client.Object) []reconcile.Request {
	return r.placementsWhere(ctx, "", func(*n6sv1alpha1.PlacementSpec) bool { return true })
}

// placementsSelecting maps an object of a selected kind to the placements whose selectors may pick it.
func (r *Reconciler) placementsSelecting(gvk schema.GroupVersionKind) handler.MapFunc {
	return func(ctx context.Context, o client.Object) []reconcile.Request {
		ns := o.GetNamespace()
		if r.ClusterScoped {
			ns = ""
		}
		placements := r.placementsWhere(ctx, ns, func(spec *n6sv1alpha1.PlacementSpec) bool {
			return slices.ContainsFunc(spec.ResourceSelectors, func(s n6sv1alpha1.ResourceSelector) bool {
				return schema.FromAPIVersionAndKind(s.APIVersion, s.Kind) == gvk && (s.Name == "" || s.Name == o.GetName())
			})
		})
		// Ask for this one resource only: rescheduling every resource of a placement at each
		// event would cost O(resources) per event.
		for i := range placements {
			placements[i].Name = resourceRequestName(placements[i].Name, gvk, o.GetNamespace(), o.GetName())
		}
		return placements
	}
}

// resourceRequestName encodes a request for one resource of a placement. Placement names
// hold no slash, so the first one separates the placement from the resource.
func resourceRequestName(placementName string, gvk schema.GroupVersionKind, ns, name string) string {
	return strings.Join([]string{placementName, gvk.GroupKind().String(), gvk.Version, ns, name}, "/")
}

// parseResourceRequest reverses resourceRequestName; ok is false for a whole-placement request.
func parseResourceRequest(reqName string) (placementName string, gvk schema.GroupVersionKind, key client.ObjectKey, ok bool) {
	parts := strings.SplitN(reqName, "/", 5)
	if len(parts) != 5 {
		return "", gvk, key, false
	}
	return parts[0], schema.ParseGroupKind(parts[1]).WithVersion(parts[2]), client.ObjectKey{Namespace: parts[3], Name: parts[4]}, true
}

// placementOfBinding maps a deleted Binding back to its placement, which recreates it if still wanted.
func (r *Reconciler) placementOfBinding(_ context.Context, o client.Object) []reconcile.Request {
	p := o.(*n6sv1alpha1.Binding).Spec.Placement
	if p.Kind != r.kind() {
		return nil
	}
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: p.Namespace, Name: p.Name}}}
}

func (r *Reconciler) placementsWhere(ctx context.Context, ns string, keep func(*n6sv1alpha1.PlacementSpec) bool) []reconcile.Request {
	var reqs []reconcile.Request
	if r.ClusterScoped {
		list := &n6sv1alpha1.ClusterPlacementList{}
		if err := r.Client.List(ctx, list); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "Failed to list ClusterPlacements")
			return nil
		}
		for i := range list.Items {
			if keep(&list.Items[i].Spec) {
				reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
			}
		}
		return reqs
	}
	list := &n6sv1alpha1.PlacementList{}
	if err := r.Client.List(ctx, list, client.InNamespace(ns)); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Failed to list Placements")
		return nil
	}
	for i := range list.Items {
		if keep(&list.Items[i].Spec) {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	return reqs
}

// BindingName names the Binding of a resource: kind-name, hashed when that is too long.
func BindingName(kind, name string) string {
	n := strings.ToLower(kind) + "-" + name
	if len(n) <= validation.DNS1123SubdomainMaxLength {
		return n
	}
	sum := sha256.Sum256([]byte(n))
	return n[:validation.DNS1123SubdomainMaxLength-17] + "-" + hex.EncodeToString(sum[:8])
}

// PlacementIndexKey is the value of BindingPlacementIndex for the Bindings of one placement.
func PlacementIndexKey(ref n6sv1alpha1.PlacementReference) string {
	return ref.Kind + "/" + ref.Namespace + "/" + ref.Name
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
