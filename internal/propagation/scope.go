package propagation

import (
	"fmt"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// CheckScope says whether a Binding in bindingNamespace may reach the object it names, given
// whether that object's kind is namespaced (as discovery says, never as the Binding says):
//   - a namespaced object only from a Binding of its own namespace, and a Placement only of
//     that namespace;
//   - a cluster-scoped object only from a ClusterPlacement, through a Binding in
//     SystemNamespace, and never with a namespace of its own.
//
// Admission keeps tenants from writing Bindings at all; this holds even when one slips by.
func CheckScope(bindingNamespace string, res n6sv1alpha1.ResourceReference, placement n6sv1alpha1.PlacementReference, namespaced bool) error {
	what := fmt.Sprintf("%s %s", res.Kind, res.Name)
	if !namespaced {
		switch {
		case res.Namespace != "":
			return fmt.Errorf("%s is cluster-scoped, yet the ResourceBinding gives it namespace %q", what, res.Namespace)
		case placement.Kind != n6sv1alpha1.ClusterPlacementKind:
			return fmt.Errorf("%s is cluster-scoped: only a ClusterPlacement places it, not a %s", what, placement.Kind)
		case bindingNamespace != n6sv1alpha1.SystemNamespace:
			return fmt.Errorf("%s is cluster-scoped: its ResourceBinding belongs in %s, not %s", what, n6sv1alpha1.SystemNamespace, bindingNamespace)
		}
		return nil
	}
	switch {
	case res.Namespace == "":
		return fmt.Errorf("%s is namespaced, yet the ResourceBinding names no namespace", what)
	case res.Namespace != bindingNamespace:
		return fmt.Errorf("%s is in namespace %s, outside the ResourceBinding's namespace %s", what, res.Namespace, bindingNamespace)
	case placement.Kind != n6sv1alpha1.ClusterPlacementKind && placement.Namespace != bindingNamespace:
		return fmt.Errorf("the ResourceBinding's Placement %s/%s is outside its namespace %s", placement.Namespace, placement.Name, bindingNamespace)
	}
	return nil
}
