package placement

import (
	"context"
	"errors"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/fleetmodel"
	"github.com/navarkos/navarkos/internal/placement"
)

// maxReasonLength bounds the reason a Binding carries.
const maxReasonLength = 4096

// bind schedules one resource, writes its ResourceBinding one rollout step toward the
// decision, records the dependencies that must follow it unless the placement ignores them,
// and says whether a replica is too large for every node it may run on.
func (r *Reconciler[T, P]) bind(ctx context.Context, p P, obj *unstructured.Unstructured, policy placement.Policy, fl *fleetState, followers map[dependency]map[string]bool) (bound, error) {
	spec := fleetmodel.PodSpec(obj)
	w, hasReplicas := fleetmodel.Workload(obj, spec)
	if !hasReplicas {
		policy.Mode = placement.Duplicated
	}
	old, err := r.binding(ctx, obj)
	if err != nil {
		return bound{}, err
	}
	out := bound{decision: placement.Schedule(fl.withoutOwnUsage(old, &w), w, policy)}
	applied := out.decision
	if hasReplicas {
		out.tooLarge = fl.tooLarge(policy, w)
		grace, _ := p.PlacementSpec().GracePeriodOr() // a malformed one counts as the default
		limits := fleetmodel.Rollout(p.PlacementSpec(), w.Replicas, policy.Mode == placement.Duplicated)
		out.move = nextMove(old, out.decision, limits, grace, fl, r.Clock.Now())
		applied = stepResult(out.decision, out.move.step)
	}
	if out.key, err = r.writeBinding(ctx, p, obj, old, applied, out.move.rollout, hasReplicas); err != nil {
		return out, err
	}
	r.recordMove(p, obj, out)
	if spec != nil && p.PlacementSpec().Dependencies != n6sv1alpha1.DependenciesIgnore {
		// Dependencies follow every cluster that runs or will run the workload.
		addFollowers(followers, obj.GetNamespace(), spec, out.decision)
		addFollowers(followers, obj.GetNamespace(), spec, applied)
	}
	return out, nil
}

// binding reads the ResourceBinding of a resource; nil when it has none.
func (r *Reconciler[T, P]) binding(ctx context.Context, obj *unstructured.Unstructured) (*n6sv1alpha1.ResourceBinding, error) {
	b := &n6sv1alpha1.ResourceBinding{}
	err := r.Client.Get(ctx, n6sv1alpha1.BindingKey(obj.GetKind(), obj.GetNamespace(), obj.GetName()), b)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to get the ResourceBinding of %s %s/%s: %w", obj.GetKind(), obj.GetNamespace(), obj.GetName(), err)
	}
	return b, nil
}

// bound is what binding one resource gave: its ResourceBinding's key, the engine's decision,
// the step of a move toward it, and, when a replica is larger than every node it may run
// on, what it needs.
type bound struct {
	key      client.ObjectKey
	decision placement.Result
	move     move
	tooLarge string
}

// unbind deletes the Binding of a resource the placement no longer selects, if the placement made it.
func (r *Reconciler[T, P]) unbind(ctx context.Context, p P, kind string, key client.ObjectKey) error {
	b := &n6sv1alpha1.ResourceBinding{}
	err := r.Client.Get(ctx, n6sv1alpha1.BindingKey(kind, key.Namespace, key.Name), b)
	if err != nil || b.Spec.Placement != p.Reference() {
		return client.IgnoreNotFound(err)
	}
	if err := r.Client.Delete(ctx, b); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("failed to delete ResourceBinding %s/%s: %w", b.Namespace, b.Name, err)
	}
	return nil
}

// withoutOwnUsage frees, in a copy of the view, the capacity the resource's bound replicas
// take, so that dividing by free capacity does not flee from its own pods and flap. It
// records those replicas as the workload's current ones, which the engine keeps while they fit.
func (fl *fleetState) withoutOwnUsage(b *n6sv1alpha1.ResourceBinding, w *placement.Workload) []placement.Cluster {
	view, index := fl.view, fl.index
	if b == nil {
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
	deps := DependenciesOf(spec)
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
func (r *Reconciler[T, P]) bindDependencies(ctx context.Context, p P, followers map[dependency]map[string]bool, keep map[client.ObjectKey]bool) error {
	for dep, clusters := range followers {
		key := n6sv1alpha1.BindingKey(dep.kind, dep.namespace, dep.name)
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
		old, err := r.binding(ctx, obj)
		if err != nil {
			return err
		}
		if _, err := r.writeBinding(ctx, p, obj, old, decision, nil, false); err != nil {
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
func (r *Reconciler[T, P]) writeBinding(ctx context.Context, p P, obj *unstructured.Unstructured, old *n6sv1alpha1.ResourceBinding, d placement.Result, rollout *n6sv1alpha1.BindingRollout, hasReplicas bool) (client.ObjectKey, error) {
	ref := p.Reference()
	want := n6sv1alpha1.ResourceBindingSpec{
		Placement: ref,
		Resource: n6sv1alpha1.ResourceReference{
			APIVersion: obj.GetAPIVersion(), Kind: obj.GetKind(), Namespace: obj.GetNamespace(), Name: obj.GetName(), UID: obj.GetUID(),
		},
		UnplacedReplicas: d.Unplaced,
		Reason:           n6sv1alpha1.Truncate(d.Reason, maxReasonLength),
		Rollout:          rollout,
	}
	for _, a := range d.Assignments {
		tc := n6sv1alpha1.TargetCluster{Name: a.Cluster}
		if hasReplicas {
			tc.Replicas = &a.Replicas
		}
		want.Clusters = append(want.Clusters, tc)
	}
	key := n6sv1alpha1.BindingKey(obj.GetKind(), obj.GetNamespace(), obj.GetName())
	switch b := old; {
	case b == nil:
		// Born with propagation's finalizer, so that no write stands between scheduling and propagation.
		b = &n6sv1alpha1.ResourceBinding{ObjectMeta: metav1.ObjectMeta{
			Namespace: key.Namespace, Name: key.Name, Finalizers: []string{n6sv1alpha1.BindingFinalizer},
		}, Spec: want}
		if err := r.setOwner(p, b); err != nil {
			return key, err
		}
		if err := r.Client.Create(ctx, b); err != nil {
			return key, fmt.Errorf("failed to create ResourceBinding %s: %w", key, err)
		}
		return key, nil
	case b.Spec.Placement != ref:
		return key, fmt.Errorf("resource %s %s/%s is %w %s %s", obj.GetKind(), obj.GetNamespace(), obj.GetName(), errPlacedElsewhere, b.Spec.Placement.Kind, b.Spec.Placement.Name)
	case equality.Semantic.DeepEqual(b.Spec, want):
		return key, nil
	}
	b := old.DeepCopy()
	patch := client.MergeFrom(old)
	b.Spec = want
	if err := r.setOwner(p, b); err != nil {
		return key, err
	}
	if err := r.Client.Patch(ctx, b, patch); err != nil {
		return key, fmt.Errorf("failed to update ResourceBinding %s: %w", key, err)
	}
	return key, nil
}

// setOwner makes the placement own its Binding, where an owner reference is allowed: a
// namespaced owner only owns objects of its own namespace.
func (r *Reconciler[T, P]) setOwner(p P, b *n6sv1alpha1.ResourceBinding) error {
	if p.GetNamespace() != "" && p.GetNamespace() != b.Namespace {
		return nil
	}
	return controllerutil.SetOwnerReference(p, b, r.Client.Scheme())
}

// deleteBindings deletes the placement's Bindings that are not in keep (all of them when keep is nil).
func (r *Reconciler[T, P]) deleteBindings(ctx context.Context, p P, keep map[client.ObjectKey]bool) error {
	ref := p.Reference()
	list := &n6sv1alpha1.ResourceBindingList{}
	if err := r.Client.List(ctx, list, client.MatchingFields{n6sv1alpha1.BindingPlacementIndex: n6sv1alpha1.PlacementIndexKey(ref)}); err != nil {
		return fmt.Errorf("failed to list the ResourceBindings of %s %s: %w", ref.Kind, ref.Name, err)
	}
	for i := range list.Items {
		b := &list.Items[i]
		if keep[client.ObjectKeyFromObject(b)] || !b.DeletionTimestamp.IsZero() {
			continue
		}
		if err := r.Client.Delete(ctx, b); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("failed to delete ResourceBinding %s/%s: %w", b.Namespace, b.Name, err)
		}
	}
	return nil
}
