package propagation

import (
	"cmp"
	"context"
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
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/kindwatch"
	"github.com/navarkos/navarkos/internal/member"
	"github.com/navarkos/navarkos/internal/propagation"
)

const (
	// fieldOwner is the server-side apply field manager of everything Navarkos puts in members.
	fieldOwner = client.FieldOwner("navarkos")
	// DefaultRetryInterval is how often a Binding that is not applied everywhere is tried again.
	DefaultRetryInterval = 30 * time.Second
	// memberEventDelay gathers the bursts of changes a member makes to a new object (its
	// controllers fill in status) into one reconcile, and lets the Binding's own status write
	// reach the cache first. Propagation never waits on it: only drift and status do.
	memberEventDelay = time.Second
	// settledResync rechecks an applied Binding against the member caches now and then. Member
	// objects are watched, so this is a safety net: it costs no API call when nothing changed.
	settledResync = 10 * time.Minute
	// targetClusterIndex indexes Bindings by their target clusters.
	targetClusterIndex = "spec.clusters.name"
)

// Reconciler propagates Bindings.
type Reconciler struct {
	// Client reads and writes the fleet API.
	Client client.Client
	// Members gives clients of member clusters; the reconciler sets its OnChange.
	Members *member.Clients
	// MaxConcurrentReconciles bounds how many Bindings are propagated at once.
	MaxConcurrentReconciles int
	// RetryInterval is how often a Binding that failed or met a conflict somewhere is tried
	// again; 0 means DefaultRetryInterval.
	RetryInterval time.Duration
	// ReleaseAfter is how long a deleted Binding waits for a member that cannot be reached
	// before it lets go of that member, leaving its object there; 0 means DefaultReleaseAfter.
	ReleaseAfter time.Duration
	// Recorder, when set, records a released member as an Event on the Binding.
	Recorder events.EventRecorder
	// Kinds, when set, stops the watches of the kinds nothing uses any more.
	Kinds *kindwatch.Janitor

	kinds *kindwatch.Watcher[reconcile.Request]
}

// SetupWithManager registers the propagation controller with its index and watches: Bindings,
// the fleet objects they bind, their placements, Clusters, and the objects Navarkos made in members.
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager) error {
	if r.Client == nil || r.Members == nil {
		return errors.New("propagation reconciler needs a Client and Members")
	}
	if r.RetryInterval <= 0 {
		r.RetryInterval = DefaultRetryInterval
	}
	err := mgr.GetFieldIndexer().IndexField(ctx, &n6sv1alpha1.ResourceBinding{}, targetClusterIndex, func(o client.Object) []string {
		var names []string
		for _, c := range o.(*n6sv1alpha1.ResourceBinding).Spec.Clusters {
			names = append(names, c.Name)
		}
		return names
	})
	if err != nil {
		return fmt.Errorf("failed to index ResourceBindings by cluster: %w", err)
	}
	memberChanges, stopped := make(chan event.GenericEvent, 1024), make(chan struct{})
	r.Members.OnChange = func(_ string, obj client.Object) {
		select {
		case memberChanges <- event.GenericEvent{Object: obj}:
		case <-stopped:
		}
	}
	err = mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		<-ctx.Done()
		close(stopped)
		r.Members.Stop()
		return nil
	}))
	if err != nil {
		return err
	}
	c, err := ctrl.NewControllerManagedBy(mgr).
		For(&n6sv1alpha1.ResourceBinding{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&n6sv1alpha1.Cluster{}, handler.EnqueueRequestsFromMapFunc(r.bindingsOnCluster), builder.WithPredicates(becameReady{})).
		Watches(&n6sv1alpha1.Cluster{}, handler.Funcs{DeleteFunc: func(_ context.Context, e event.DeleteEvent, _ workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			r.Members.Forget(e.Object.GetName())
		}}).
		Watches(&n6sv1alpha1.Placement{}, handler.EnqueueRequestsFromMapFunc(r.bindingsOfPlacement), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&n6sv1alpha1.ClusterPlacement{}, handler.EnqueueRequestsFromMapFunc(r.bindingsOfPlacement), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WatchesRawSource(source.Channel(memberChanges, handler.Funcs{
			GenericFunc: func(_ context.Context, e event.GenericEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
				if req, ok := bindingOfMemberObject(e.Object); ok {
					q.AddAfter(req, memberEventDelay)
				}
			},
		})).
		WithOptions(controller.Options{MaxConcurrentReconciles: max(r.MaxConcurrentReconciles, 1)}).
		Named("propagation").
		Build(r)
	if err != nil {
		return err
	}
	// Fleet objects of bound kinds are followed so that template changes roll out at once.
	r.kinds = &kindwatch.Watcher[reconcile.Request]{
		Controller: c, Cache: mgr.GetCache(),
		Handler: func(gvk schema.GroupVersionKind) handler.EventHandler {
			return handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
				return []reconcile.Request{{NamespacedName: n6sv1alpha1.BindingKey(gvk.Kind, o.GetNamespace(), o.GetName())}}
			})
		},
		Predicates: []predicate.Predicate{specChanged{}},
	}
	r.Kinds.Add(r.kinds)
	return nil
}

// Reconcile applies one Binding's resource where it belongs and removes it elsewhere.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	b := &n6sv1alpha1.ResourceBinding{}
	if err := r.Client.Get(ctx, req.NamespacedName, b); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	outOfScope, err := r.outOfScope(b)
	if !b.DeletionTimestamp.IsZero() {
		// An object out of the Binding's reach was never Navarkos' to delete.
		if err == nil && outOfScope == nil {
			err = r.removeEverywhere(ctx, b)
		}
		if err != nil && !r.releaseUnreachable(ctx, b, err) {
			return ctrl.Result{}, err
		}
		if controllerutil.RemoveFinalizer(b, n6sv1alpha1.BindingFinalizer) {
			return ctrl.Result{}, client.IgnoreNotFound(r.Client.Update(ctx, b))
		}
		return ctrl.Result{}, nil
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	if outOfScope != nil {
		return ctrl.Result{}, r.refuseOutOfScope(ctx, b, outOfScope)
	}
	if controllerutil.AddFinalizer(b, n6sv1alpha1.BindingFinalizer) {
		if err := r.Client.Update(ctx, b); err != nil {
			return ctrl.Result{}, fmt.Errorf("failed to add finalizer to ResourceBinding %s: %w", req, err)
		}
	}
	before := b.DeepCopy()
	res, err := r.propagate(ctx, b)
	if equality.Semantic.DeepEqual(before.Status, b.Status) {
		return res, err
	}
	if perr := r.Client.Status().Patch(ctx, b, client.MergeFrom(before)); perr != nil && !apierrors.IsNotFound(perr) {
		err = errors.Join(err, fmt.Errorf("failed to patch the status of ResourceBinding %s: %w", req, perr))
	}
	return res, err
}

// outOfScope checks, with the kind's scope from discovery, that the Binding reaches only what
// its placement may: err is set when the scope could not be found out.
func (r *Reconciler) outOfScope(b *n6sv1alpha1.ResourceBinding) (outOfScope, err error) {
	gvk := schema.FromAPIVersionAndKind(b.Spec.Resource.APIVersion, b.Spec.Resource.Kind)
	mapping, err := r.Client.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, fmt.Errorf("failed to find the scope of %s for ResourceBinding %s/%s: %w", gvk, b.Namespace, b.Name, err)
	}
	namespaced := mapping.Scope.Name() == meta.RESTScopeNameNamespace
	return propagation.CheckScope(b.Namespace, b.Spec.Resource, b.Spec.Placement, namespaced), nil
}

// refuseOutOfScope records why nothing of the Binding is applied; only a new spec changes that.
func (r *Reconciler) refuseOutOfScope(ctx context.Context, b *n6sv1alpha1.ResourceBinding, why error) error {
	ctrl.LoggerFrom(ctx).Info("Refusing a ResourceBinding that reaches out of its scope", "reason", why.Error())
	before := b.DeepCopy()
	setApplied(b, metav1.ConditionFalse, n6sv1alpha1.BindingOutOfScopeReason, n6sv1alpha1.Truncate(why.Error()+"; nothing is applied", 1024))
	if err := r.Client.Status().Patch(ctx, b, client.MergeFrom(before)); err != nil {
		return fmt.Errorf("failed to patch the status of ResourceBinding %s/%s: %w", b.Namespace, b.Name, err)
	}
	return reconcile.TerminalError(why)
}

// propagate applies, prunes, records per-cluster state and sums status into the fleet object.
func (r *Reconciler) propagate(ctx context.Context, b *n6sv1alpha1.ResourceBinding) (ctrl.Result, error) {
	gvk := schema.FromAPIVersionAndKind(b.Spec.Resource.APIVersion, b.Spec.Resource.Kind)
	if err := r.kinds.Ensure(gvk); err != nil {
		return ctrl.Result{}, err
	}
	src := &unstructured.Unstructured{}
	src.SetGroupVersionKind(gvk)
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: b.Spec.Resource.Namespace, Name: b.Spec.Resource.Name}, src)
	if apierrors.IsNotFound(err) {
		setApplied(b, metav1.ConditionFalse, n6sv1alpha1.BindingResourceGoneReason, "the fleet object no longer exists")
		return ctrl.Result{}, r.removeEverywhere(ctx, b)
	}
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("failed to get %s %s/%s: %w", gvk.Kind, b.Spec.Resource.Namespace, b.Spec.Resource.Name, err)
	}
	spec, err := r.placementSpec(ctx, b)
	if err != nil {
		return ctrl.Result{}, err
	}

	// Clusters are independent: apply to all of them at once.
	states := make([]n6sv1alpha1.ClusterResourceStatus, len(b.Spec.Clusters))
	applied := make([]*unstructured.Unstructured, len(b.Spec.Clusters))
	wasApplied := map[string]bool{}
	for _, st := range b.Status.Clusters {
		wasApplied[st.Name] = st.State == n6sv1alpha1.ResourceApplied
	}
	var wg sync.WaitGroup
	for i, tc := range b.Spec.Clusters {
		wg.Go(func() { states[i], applied[i] = r.applyTo(ctx, b, src, tc, spec, wasApplied[tc.Name]) })
	}
	wg.Wait()
	var members []*unstructured.Unstructured
	for _, a := range applied {
		if a != nil {
			members = append(members, a)
		}
	}
	var errs []error
	for _, old := range b.Status.Clusters {
		if slices.ContainsFunc(b.Spec.Clusters, func(tc n6sv1alpha1.TargetCluster) bool { return tc.Name == old.Name }) {
			continue
		}
		if err := r.removeFrom(ctx, b, old.Name); err != nil {
			// Keep it listed, so that removal is tried again.
			states = append(states, n6sv1alpha1.ClusterResourceStatus{Name: old.Name, State: n6sv1alpha1.ResourceFailed, Message: "removal failed: " + err.Error()})
			errs = append(errs, err)
		}
	}
	b.Status.Clusters = states
	failed := slices.ContainsFunc(states, func(s n6sv1alpha1.ClusterResourceStatus) bool { return s.State != n6sv1alpha1.ResourceApplied })
	if failed {
		setApplied(b, metav1.ConditionFalse, n6sv1alpha1.BindingPartiallyAppliedReason, "the resource is not applied in every cluster; see status.clusters")
	} else {
		setApplied(b, metav1.ConditionTrue, n6sv1alpha1.BindingAppliedReason, fmt.Sprintf("applied in %d clusters", len(states)))
		b.Status.ObservedGeneration = b.Generation
	}
	// Member status changes arrive as events, so the sum is rewritten as replicas come up.
	errs = append(errs, r.sumStatus(ctx, src, members))
	if err := errors.Join(errs...); err != nil {
		return ctrl.Result{}, err
	}
	if failed {
		return ctrl.Result{RequeueAfter: r.RetryInterval}, nil
	}
	return ctrl.Result{RequeueAfter: settledResync}, nil
}

// applyTo puts the rendered resource into one member with server-side apply. An object that
// exists there and was not applied by Navarkos is left alone unless the placement adopts it.
// An object that the member cache shows as Navarkos last applied it costs no API call.
func (r *Reconciler) applyTo(ctx context.Context, b *n6sv1alpha1.ResourceBinding, src *unstructured.Unstructured, tc n6sv1alpha1.TargetCluster, spec *n6sv1alpha1.PlacementSpec, wasApplied bool) (n6sv1alpha1.ClusterResourceStatus, *unstructured.Unstructured) {
	st := n6sv1alpha1.ClusterResourceStatus{Name: tc.Name, State: n6sv1alpha1.ResourcePending}
	fail := func(state n6sv1alpha1.ClusterResourceState, err error) (n6sv1alpha1.ClusterResourceStatus, *unstructured.Unstructured) {
		st.State, st.Message = state, n6sv1alpha1.Truncate(err.Error(), 4096)
		return st, nil
	}
	cl := &n6sv1alpha1.Cluster{}
	if err := r.Client.Get(ctx, client.ObjectKey{Name: tc.Name}, cl); err != nil {
		return fail(n6sv1alpha1.ResourceFailed, fmt.Errorf("cluster %s: %w", tc.Name, err))
	}
	var overrides []n6sv1alpha1.ClusterOverride
	if spec != nil {
		overrides = spec.Overrides
	}
	desired, err := propagation.Render(src, propagation.Target{Cluster: tc.Name, Labels: cl.Labels, Replicas: tc.Replicas}, overrides, b.Namespace+"/"+b.Name)
	if err != nil {
		// A broken override fails this cluster only; the others still get the resource.
		return fail(n6sv1alpha1.ResourceFailed, err)
	}
	hash, err := propagation.Hash(desired)
	if err != nil {
		return fail(n6sv1alpha1.ResourceFailed, err)
	}
	mc, err := r.Members.ForCluster(ctx, cl)
	if err != nil {
		return fail(n6sv1alpha1.ResourceFailed, err)
	}
	gvk, key := desired.GroupVersionKind(), client.ObjectKeyFromObject(desired)
	live, err := mc.Observe(ctx, gvk, key)
	if err != nil {
		ctrl.LoggerFrom(ctx).V(1).Info("Member cache unavailable; reading the member", "cluster", tc.Name, "error", err.Error())
	}
	knownOurs := wasApplied || (live != nil && ours(live, b))
	if last, ok := mc.LastApplied(gvk, key); ok && live != nil && ours(live, b) && propagation.Unchanged(desired, live, hash, last) {
		st.State = n6sv1alpha1.ResourceApplied
		st.ReadyReplicas = readyReplicas(live)
		return st, live
	}
	// The cache holds only Navarkos' objects: an object missing from it may still be someone
	// else's, which only a placement that adopts may take over without asking.
	if adopt := spec != nil && spec.ConflictPolicy == n6sv1alpha1.ConflictAdopt; !knownOurs && !adopt {
		// Its metadata is all that is needed, and all that is asked for.
		existing := &metav1.PartialObjectMetadata{}
		existing.SetGroupVersionKind(gvk)
		err = mc.Get(ctx, key, existing)
		switch {
		case err == nil && !ours(existing, b):
			return fail(n6sv1alpha1.ResourceConflict, fmt.Errorf("%s %s already exists in cluster %s and Navarkos did not make it; set conflictPolicy: Adopt to take it over", desired.GetKind(), desired.GetName(), tc.Name))
		case err != nil && !apierrors.IsNotFound(err):
			return fail(n6sv1alpha1.ResourceFailed, fmt.Errorf("failed to read %s in cluster %s: %w", desired.GetKind(), tc.Name, err))
		}
	}
	// The member's answer, status included, is decoded into desired.
	if err := applyInNamespace(ctx, mc, desired, hash); err != nil {
		return fail(n6sv1alpha1.ResourceFailed, fmt.Errorf("failed to apply %s in cluster %s: %w", desired.GetKind(), tc.Name, err))
	}
	st.State = n6sv1alpha1.ResourceApplied
	st.ReadyReplicas = readyReplicas(desired)
	return st, desired
}

// applyInNamespace applies the object into the member, making its namespace first. A
// namespace someone deleted in the member is forgotten and made again at once, so that the
// drift is undone; one still being deleted is made again on the next try.
func applyInNamespace(ctx context.Context, mc *member.Client, desired *unstructured.Unstructured, hash [32]byte) error {
	ns := desired.GetNamespace()
	for attempt := 0; ; attempt++ {
		if ns != "" {
			if err := mc.EnsureNamespace(ctx, ns); err != nil {
				return err
			}
		}
		err := mc.ApplyRecorded(ctx, desired, hash, fieldOwner)
		if ns == "" || !member.NamespaceGone(err) {
			return err
		}
		mc.ForgetNamespace(ns)
		if attempt > 0 || apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
			return err
		}
	}
}

func readyReplicas(obj *unstructured.Unstructured) int32 {
	ready, _, _ := unstructured.NestedInt64(obj.Object, "status", "readyReplicas")
	return int32(ready)
}

// ours reports whether a member object was made by Navarkos for this Binding.
func ours(obj metav1.Object, b *n6sv1alpha1.ResourceBinding) bool {
	return obj.GetLabels()[n6sv1alpha1.ManagedByLabel] == n6sv1alpha1.ManagedByValue &&
		obj.GetAnnotations()[n6sv1alpha1.BindingAnnotation] == b.Namespace+"/"+b.Name
}

// DefaultReleaseAfter is how long a deleted Binding waits for an unreachable member.
const DefaultReleaseAfter = 10 * time.Minute

// releaseUnreachable lets a deleted Binding go when the members it could not clean have
// been unreachable since its deletion for longer than ReleaseAfter: a member gone for good
// must not hold the Binding, its placement and its namespace forever. The members' objects
// may stay behind; the Binding's status and an Event say which. It reports whether the
// Binding may go.
func (r *Reconciler) releaseUnreachable(ctx context.Context, b *n6sv1alpha1.ResourceBinding, cleanupErr error) bool {
	waited := time.Since(b.DeletionTimestamp.Time)
	if waited < cmp.Or(r.ReleaseAfter, DefaultReleaseAfter) {
		return false
	}
	var names []string
	for i := range b.Status.Clusters {
		st := &b.Status.Clusters[i]
		st.State = n6sv1alpha1.ResourceReleased
		st.Message = fmt.Sprintf("released unreachable %s after deletion; the object may remain in the member", waited.Round(time.Second))
		names = append(names, st.Name)
	}
	msg := fmt.Sprintf("released clusters %s, unreachable for %s since the ResourceBinding's deletion; their objects may remain: %v",
		strings.Join(names, ", "), waited.Round(time.Second), cleanupErr)
	log.FromContext(ctx).Info("Releasing a deleted ResourceBinding from unreachable members", "clusters", names)
	if r.Recorder != nil {
		r.Recorder.Eventf(b, nil, corev1.EventTypeWarning, "MembersReleased", "delete", "%s", n6sv1alpha1.Truncate(msg, 1024))
	}
	if err := r.Client.Status().Update(ctx, b); err != nil && !apierrors.IsNotFound(err) {
		log.FromContext(ctx).Error(err, "Failed to record the released members")
	}
	return true
}

// removeEverywhere deletes the resource from every cluster the Binding's status lists.
func (r *Reconciler) removeEverywhere(ctx context.Context, b *n6sv1alpha1.ResourceBinding) error {
	var errs []error
	var left []n6sv1alpha1.ClusterResourceStatus
	for _, st := range b.Status.Clusters {
		if err := r.removeFrom(ctx, b, st.Name); err != nil {
			errs = append(errs, err)
			left = append(left, st)
		}
	}
	b.Status.Clusters = left
	return errors.Join(errs...)
}

// removeFrom deletes the member object if Navarkos made it for this Binding; a gone cluster has nothing left to delete.
func (r *Reconciler) removeFrom(ctx context.Context, b *n6sv1alpha1.ResourceBinding, cluster string) error {
	mc, err := r.Members.For(ctx, cluster)
	if apierrors.IsNotFound(err) || errors.Is(err, member.ErrNoKubeconfig) {
		return nil
	}
	if err != nil {
		return err
	}
	gvk, key := schema.FromAPIVersionAndKind(b.Spec.Resource.APIVersion, b.Spec.Resource.Kind), client.ObjectKey{Namespace: b.Spec.Resource.Namespace, Name: b.Spec.Resource.Name}
	obj := &metav1.PartialObjectMetadata{}
	obj.SetGroupVersionKind(gvk)
	err = mc.Get(ctx, key, obj)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("failed to read %s %s in cluster %s: %w", b.Spec.Resource.Kind, b.Spec.Resource.Name, cluster, err)
	}
	if !ours(obj, b) {
		return nil
	}
	mc.ForgetApplied(gvk, key)
	// The UID precondition spares an object that replaced Navarkos' since the read.
	uid := obj.GetUID()
	if err := mc.Delete(ctx, obj, client.PropagationPolicy(metav1.DeletePropagationBackground), client.Preconditions{UID: &uid}); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("failed to delete %s %s in cluster %s: %w", b.Spec.Resource.Kind, b.Spec.Resource.Name, cluster, err)
	}
	return nil
}

// placementSpec reads the spec of the Binding's placement; nil when it is gone.
func (r *Reconciler) placementSpec(ctx context.Context, b *n6sv1alpha1.ResourceBinding) (*n6sv1alpha1.PlacementSpec, error) {
	ref := b.Spec.Placement
	p := ref.EmptyObject()
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, p)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to get %s %s: %w", ref.Kind, ref.Name, err)
	}
	return p.PlacementSpec(), nil
}

// bindingsOnCluster maps a Cluster that became Ready to the Bindings that target it.
func (r *Reconciler) bindingsOnCluster(ctx context.Context, o client.Object) []reconcile.Request {
	list := &n6sv1alpha1.ResourceBindingList{}
	if err := r.Client.List(ctx, list, client.MatchingFields{targetClusterIndex: o.GetName()}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Failed to list ResourceBindings of a cluster", "cluster", o.GetName())
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
	return reqs
}

// bindingsOfPlacement maps a changed placement (overrides, conflict policy) to its Bindings.
func (r *Reconciler) bindingsOfPlacement(ctx context.Context, o client.Object) []reconcile.Request {
	p, ok := o.(n6sv1alpha1.PlacementObject)
	if !ok {
		return nil
	}
	ref := p.Reference()
	list := &n6sv1alpha1.ResourceBindingList{}
	if err := r.Client.List(ctx, list, client.MatchingFields{n6sv1alpha1.BindingPlacementIndex: n6sv1alpha1.PlacementIndexKey(ref)}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Failed to list the ResourceBindings of a placement", "placement", ref)
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
	return reqs
}

// bindingOfMemberObject maps a member object Navarkos made to the Binding its annotation names.
func bindingOfMemberObject(o client.Object) (reconcile.Request, bool) {
	ns, name, ok := strings.Cut(o.GetAnnotations()[n6sv1alpha1.BindingAnnotation], "/")
	if !ok || name == "" {
		return reconcile.Request{}, false
	}
	return reconcile.Request{NamespacedName: client.ObjectKey{Namespace: ns, Name: name}}, true
}

func setApplied(b *n6sv1alpha1.ResourceBinding, status metav1.ConditionStatus, reason, msg string) {
	meta.SetStatusCondition(&b.Status.Conditions, metav1.Condition{
		Type: n6sv1alpha1.BindingAppliedCondition, Status: status, Reason: reason, Message: msg, ObservedGeneration: b.Generation,
	})
}
