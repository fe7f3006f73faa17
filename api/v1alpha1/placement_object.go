package v1alpha1

import "sigs.k8s.io/controller-runtime/pkg/client"

// +kubebuilder:object:generate=false

// PlacementObject is what a Placement and a ClusterPlacement share: the scheduler, the
// planner and the CLI treat both alike through it.
type PlacementObject interface {
	client.Object
	// PlacementSpec is the object's spec.
	PlacementSpec() *PlacementSpec
	// PlacementStatus is the object's status.
	PlacementStatus() *PlacementStatus
	// Reference names the object as a Binding refers to it.
	Reference() PlacementReference
	// SelectorNamespace is the namespace a selector picks namespaced objects in: the
	// Placement's own, or the selector's for a ClusterPlacement ("" for all namespaces).
	SelectorNamespace(sel ResourceSelector) string
}

// Kinds of placement, as a PlacementReference names them.
const (
	PlacementKind        = "Placement"
	ClusterPlacementKind = "ClusterPlacement"
)

var (
	_ PlacementObject = &Placement{}
	_ PlacementObject = &ClusterPlacement{}
)

// PlacementSpec is the Placement's spec.
func (p *Placement) PlacementSpec() *PlacementSpec { return &p.Spec }

// PlacementStatus is the Placement's status.
func (p *Placement) PlacementStatus() *PlacementStatus { return &p.Status }

// Reference names the Placement as its Bindings refer to it.
func (p *Placement) Reference() PlacementReference {
	return PlacementReference{Kind: PlacementKind, Namespace: p.Namespace, Name: p.Name}
}

// SelectorNamespace is the Placement's own namespace: it selects nothing outside it.
func (p *Placement) SelectorNamespace(ResourceSelector) string { return p.Namespace }

// PlacementSpec is the ClusterPlacement's spec.
func (p *ClusterPlacement) PlacementSpec() *PlacementSpec { return &p.Spec }

// PlacementStatus is the ClusterPlacement's status.
func (p *ClusterPlacement) PlacementStatus() *PlacementStatus { return &p.Status }

// Reference names the ClusterPlacement as its Bindings refer to it.
func (p *ClusterPlacement) Reference() PlacementReference {
	return PlacementReference{Kind: ClusterPlacementKind, Name: p.Name}
}

// SelectorNamespace is the selector's namespace; "" selects in every namespace.
func (p *ClusterPlacement) SelectorNamespace(sel ResourceSelector) string { return sel.Namespace }

// EmptyObject is an empty Placement or ClusterPlacement, of the kind the reference names,
// to read the placement into.
func (ref PlacementReference) EmptyObject() PlacementObject {
	if ref.Kind == ClusterPlacementKind {
		return &ClusterPlacement{}
	}
	return &Placement{}
}
