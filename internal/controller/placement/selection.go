package placement

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// selects reports whether one of the placement's selectors picks the object.
func selects(p n6sv1alpha1.PlacementObject, gvk schema.GroupVersionKind, obj *unstructured.Unstructured) bool {
	for _, sel := range p.PlacementSpec().ResourceSelectors {
		if schema.FromAPIVersionAndKind(sel.APIVersion, sel.Kind) != gvk || (sel.Name != "" && sel.Name != obj.GetName()) {
			continue
		}
		if ns := p.SelectorNamespace(sel); obj.GetNamespace() != "" && ns != "" && obj.GetNamespace() != ns {
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

// selectResources lists the objects the selectors pick, and makes sure their kinds are watched.
func (r *Reconciler[T, P]) selectResources(ctx context.Context, p P) ([]unstructured.Unstructured, error) {
	var out []unstructured.Unstructured
	seen := map[string]bool{}
	for i, sel := range p.PlacementSpec().ResourceSelectors {
		gvk := schema.FromAPIVersionAndKind(sel.APIVersion, sel.Kind)
		mapping, err := r.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			return nil, fmt.Errorf("resourceSelectors[%d]: the fleet API does not serve %s %s: %w", i, sel.APIVersion, sel.Kind, err)
		}
		if p.GetNamespace() != "" && mapping.Scope.Name() != meta.RESTScopeNameNamespace {
			// A namespace's user reaches nothing outside it through a Placement.
			return nil, fmt.Errorf("resourceSelectors[%d]: %s is cluster-scoped; a Placement places only objects of its own namespace, use a ClusterPlacement", i, sel.Kind)
		}
		if err := r.kinds.Ensure(gvk); err != nil {
			return nil, err
		}
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		var opts []client.ListOption
		if ns := p.SelectorNamespace(sel); mapping.Scope.Name() == meta.RESTScopeNameNamespace && ns != "" {
			opts = append(opts, client.InNamespace(ns))
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
