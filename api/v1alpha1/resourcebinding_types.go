package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// ResourceReference names one fleet object.
type ResourceReference struct {
	// apiVersion of the object.
	// +required
	// +kubebuilder:validation:MaxLength=253
	APIVersion string `json:"apiVersion"`

	// kind of the object.
	// +required
	// +kubebuilder:validation:MaxLength=63
	Kind string `json:"kind"`

	// namespace of the object; empty for cluster-scoped objects.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace,omitempty"`

	// name of the object.
	// +required
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// uid of the object the binding was made for.
	// +optional
	UID types.UID `json:"uid,omitempty"`
}

// PlacementReference names the Placement or ClusterPlacement that made a binding.
type PlacementReference struct {
	// kind is Placement or ClusterPlacement.
	// +required
	// +kubebuilder:validation:Enum=Placement;ClusterPlacement
	Kind string `json:"kind"`

	// namespace of a Placement.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace,omitempty"`

	// name of the placement.
	// +required
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// TargetCluster is one cluster the resource runs on.
type TargetCluster struct {
	// name of the Cluster.
	// +required
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// replicas it runs; unset for resources without replicas.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Replicas *int32 `json:"replicas,omitempty"`
}

// ResourceBindingSpec is the scheduling result for one resource.
type ResourceBindingSpec struct {
	// resource this binding places.
	// +required
	Resource ResourceReference `json:"resource"`

	// placement that selected the resource.
	// +required
	Placement PlacementReference `json:"placement"`

	// clusters the resource runs on, with their replicas.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=1000
	Clusters []TargetCluster `json:"clusters,omitempty"`

	// unplacedReplicas counts the replicas no cluster has room for.
	// +optional
	UnplacedReplicas int32 `json:"unplacedReplicas,omitempty"`

	// reason explains the choice for humans.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Reason string `json:"reason,omitempty"`

	// rollout, while replicas move between clusters, is where they are going; clusters then
	// holds the step the move has reached.
	// +optional
	Rollout *BindingRollout `json:"rollout,omitempty"`
}

// BindingRollout is a move of replicas between clusters in progress.
type BindingRollout struct {
	// target is where the replicas go when the move is done.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=1000
	Target []TargetCluster `json:"target,omitempty"`

	// startedAt is when the move began; its grace period runs from then.
	// +required
	StartedAt metav1.Time `json:"startedAt"`

	// gracePeriodExpired is true once the move outlasted its grace period and the replicas
	// that have a place elsewhere moved without waiting for their replacements.
	// +optional
	GracePeriodExpired bool `json:"gracePeriodExpired,omitempty"`
}

// ClusterResourceState is how far the resource got in one cluster.
// +kubebuilder:validation:Enum=Applied;Failed;Conflict;Pending;Released
type ClusterResourceState string

const (
	// ResourceApplied: the member holds the resource as Navarkos wants it.
	ResourceApplied ClusterResourceState = "Applied"
	// ResourceFailed: applying failed; the message says why.
	ResourceFailed ClusterResourceState = "Failed"
	// ResourceConflict: the member has an object of the same name that Navarkos did not make.
	ResourceConflict ClusterResourceState = "Conflict"
	// ResourcePending: not applied yet.
	ResourcePending ClusterResourceState = "Pending"
	// ResourceReleased: the Binding was deleted while the member could not be reached for
	// longer than allowed; the object may remain there.
	ResourceReleased ClusterResourceState = "Released"
)

// ClusterResourceStatus is the resource's state in one cluster.
type ClusterResourceStatus struct {
	// name of the Cluster.
	// +required
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// state of the resource there.
	// +required
	State ClusterResourceState `json:"state"`

	// readyReplicas the member reports, for workloads.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas,omitempty"`

	// message explains a failure or a conflict.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Message string `json:"message,omitempty"`
}

// ResourceBindingStatus is what propagation did.
type ResourceBindingStatus struct {
	// conditions: Applied.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// clusters lists the resource's state in each target cluster.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=1000
	Clusters []ClusterResourceStatus `json:"clusters,omitempty"`

	// observedGeneration is the generation last propagated.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
}

// ResourceBinding holds where one resource runs and why; Navarkos writes it, propagation
// reads it. (Not "Binding": kubectl would find the core v1 bindings resource first.)
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Namespaced,shortName=rb,categories=navarkos
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Kind",type=string,JSONPath=`.spec.resource.kind`
// +kubebuilder:printcolumn:name="Resource",type=string,JSONPath=`.spec.resource.name`
// +kubebuilder:printcolumn:name="Clusters",type=string,JSONPath=`.spec.clusters[*].name`
// +kubebuilder:printcolumn:name="Applied",type=string,JSONPath=`.status.conditions[?(@.type=="Applied")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ResourceBinding struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the scheduling result.
	// +required
	Spec ResourceBindingSpec `json:"spec"`

	// status is what propagation did.
	// +optional
	Status ResourceBindingStatus `json:"status,omitempty"`
}

// ResourceBindingList is a list of ResourceBindings.
// +kubebuilder:object:root=true
type ResourceBindingList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ResourceBinding `json:"items"`
}

func init() {
	register(&ResourceBinding{}, &ResourceBindingList{})
}
