package placement

import (
	"context"
	"slices"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// request asks for a scheduling pass. A whole pass, on placement and cluster changes, binds
// every resource the placement selects, unbinds the rest and writes the placement's status.
// A resource pass, on a change of one selected resource, binds or unbinds that one only, so
// that an event costs O(1) rather than O(resources of the placement).
type request struct {
	// Placement is the key of the Placement or ClusterPlacement.
	Placement client.ObjectKey
	// Resource is the one resource of a resource pass; its zero value asks for a whole pass.
	Resource resourceRef
}

// resourceRef names one fleet object of a kind a placement selects.
type resourceRef struct {
	GVK schema.GroupVersionKind
	Key client.ObjectKey
}

// whole reports whether the request asks for a whole-placement pass.
func (q request) whole() bool { return q.Resource.GVK.Kind == "" }

// logger names the placement, and the resource of a resource pass, in every log line.
func logger(base logr.Logger) func(*request) logr.Logger {
	return func(q *request) logr.Logger {
		if q == nil {
			return base
		}
		log := base.WithValues("placement", klog.KRef(q.Placement.Namespace, q.Placement.Name))
		if !q.whole() {
			log = log.WithValues("resource", q.Resource.GVK.Kind, "object", klog.KRef(q.Resource.Key.Namespace, q.Resource.Key.Name))
		}
		return log
	}
}

// wholePasses maps an object to a whole pass of every placement of this kind.
func (r *Reconciler[T, P]) wholePasses(ctx context.Context, _ client.Object) []request {
	placements, err := r.list(ctx, "")
	if err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Failed to list placements", "kind", r.kind)
		return nil
	}
	reqs := make([]request, 0, len(placements))
	for _, p := range placements {
		reqs = append(reqs, request{Placement: client.ObjectKeyFromObject(p)})
	}
	return reqs
}

// resourcePasses maps an object of a selected kind to a resource pass of each placement
// whose selectors may pick it, whatever its labels: a label change may also unselect it.
func (r *Reconciler[T, P]) resourcePasses(gvk schema.GroupVersionKind) func(context.Context, client.Object) []request {
	return func(ctx context.Context, o client.Object) []request {
		placements, err := r.list(ctx, o.GetNamespace())
		if err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "Failed to list placements", "kind", r.kind)
			return nil
		}
		var reqs []request
		for _, p := range placements {
			mayPick := slices.ContainsFunc(p.PlacementSpec().ResourceSelectors, func(s n6sv1alpha1.ResourceSelector) bool {
				ns := p.SelectorNamespace(s)
				return schema.FromAPIVersionAndKind(s.APIVersion, s.Kind) == gvk && (s.Name == "" || s.Name == o.GetName()) &&
					(o.GetNamespace() == "" || ns == "" || ns == o.GetNamespace())
			})
			if mayPick {
				reqs = append(reqs, request{
					Placement: client.ObjectKeyFromObject(p),
					Resource:  resourceRef{GVK: gvk, Key: client.ObjectKeyFromObject(o)},
				})
			}
		}
		return reqs
	}
}

// placementOfBinding maps a deleted Binding back to a whole pass of its placement, which
// recreates it if still wanted, and a Binding whose move started or ended to one, which
// updates the placement's Progressing condition.
func (r *Reconciler[T, P]) placementOfBinding(_ context.Context, o client.Object) []request {
	p := o.(*n6sv1alpha1.ResourceBinding).Spec.Placement
	if p.Kind != r.kind {
		return nil
	}
	return []request{{Placement: client.ObjectKey{Namespace: p.Namespace, Name: p.Name}}}
}

// placementItself maps a placement's own events to its whole pass.
func placementItself[P client.Object](_ context.Context, p P) []request {
	return []request{{Placement: client.ObjectKeyFromObject(p)}}
}

// resourceOfBinding maps a Binding whose replicas are moving to a resource pass of its
// resource, which takes the move's next step.
func (r *Reconciler[T, P]) resourceOfBinding(_ context.Context, o client.Object) []request {
	b := o.(*n6sv1alpha1.ResourceBinding)
	p := b.Spec.Placement
	if p.Kind != r.kind {
		return nil
	}
	res := b.Spec.Resource
	return []request{{
		Placement: client.ObjectKey{Namespace: p.Namespace, Name: p.Name},
		Resource:  resourceRef{GVK: schema.FromAPIVersionAndKind(res.APIVersion, res.Kind), Key: client.ObjectKey{Namespace: res.Namespace, Name: res.Name}},
	}}
}
