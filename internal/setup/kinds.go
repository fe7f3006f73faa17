package setup

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// KindsInUse lists the kinds of fleet objects something still needs watched: those a
// Placement or ClusterPlacement names, and those of the objects Bindings hold (a Binding
// outlives its placement while it cleans up).
func KindsInUse(c client.Reader) func(ctx context.Context) (map[schema.GroupVersionKind]bool, error) {
	return func(ctx context.Context) (map[schema.GroupVersionKind]bool, error) {
		inUse := map[schema.GroupVersionKind]bool{}
		var placements n6sv1alpha1.PlacementList
		var clusterPlacements n6sv1alpha1.ClusterPlacementList
		var bindings n6sv1alpha1.ResourceBindingList
		for _, list := range []client.ObjectList{&placements, &clusterPlacements, &bindings} {
			if err := c.List(ctx, list); err != nil {
				return nil, fmt.Errorf("failed to list %T: %w", list, err)
			}
		}
		var specs []n6sv1alpha1.PlacementSpec
		for _, p := range placements.Items {
			specs = append(specs, p.Spec)
		}
		for _, p := range clusterPlacements.Items {
			specs = append(specs, p.Spec)
		}
		for _, spec := range specs {
			for _, sel := range spec.ResourceSelectors {
				inUse[schema.FromAPIVersionAndKind(sel.APIVersion, sel.Kind)] = true
			}
		}
		for _, b := range bindings.Items {
			inUse[schema.FromAPIVersionAndKind(b.Spec.Resource.APIVersion, b.Spec.Resource.Kind)] = true
		}
		return inUse, nil
	}
}
