package v1alpha1

import (
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DesiredState is the state a Cluster should be in.
// +kubebuilder:validation:Enum=Online;Hibernated;Offline
type DesiredState string

const (
	// DesiredOnline asks for a running cluster with the desired node count.
	DesiredOnline DesiredState = "Online"
	// DesiredHibernated asks for a stopped cluster whose data is kept.
	DesiredHibernated DesiredState = "Hibernated"
	// DesiredOffline asks for a cluster removed from its provider while the Cluster object stays.
	DesiredOffline DesiredState = "Offline"
)

// ClusterPhase is a one-word summary of a Cluster's lifecycle, for humans.
// Conditions, not the phase, are the contract for automation.
type ClusterPhase string

const (
	// ClusterPhasePending waits on something outside the cluster, such as its pool.
	ClusterPhasePending ClusterPhase = "Pending"
	// ClusterPhaseProvisioning is creating the cluster.
	ClusterPhaseProvisioning ClusterPhase = "Provisioning"
	// ClusterPhaseResuming is waking a hibernated cluster.
	ClusterPhaseResuming ClusterPhase = "Resuming"
	// ClusterPhaseScaling is changing the node count.
	ClusterPhaseScaling ClusterPhase = "Scaling"
	// ClusterPhaseReady serves workloads.
	ClusterPhaseReady ClusterPhase = "Ready"
	// ClusterPhaseUnhealthy was provisioned but does not answer.
	ClusterPhaseUnhealthy ClusterPhase = "Unhealthy"
	// ClusterPhaseHibernated is stopped with its data kept.
	ClusterPhaseHibernated ClusterPhase = "Hibernated"
	// ClusterPhaseOffline has nothing left at its provider.
	ClusterPhaseOffline ClusterPhase = "Offline"
	// ClusterPhaseDraining waits for the replicas placed on it to be Ready elsewhere before
	// it goes offline, hibernates or is deleted.
	ClusterPhaseDraining ClusterPhase = "Draining"
	// ClusterPhaseDeleting is being removed.
	ClusterPhaseDeleting ClusterPhase = "Deleting"
	// ClusterPhaseFailed met an error that retrying has not fixed yet.
	ClusterPhaseFailed ClusterPhase = "Failed"
)

// SecretReference names a Secret holding a kubeconfig.
type SecretReference struct {
	// name of the Secret.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// namespace of the Secret.
	// +optional
	// +kubebuilder:default=navarkos-system
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace,omitempty"`

	// key in the Secret's data that holds the kubeconfig.
	// +optional
	// +kubebuilder:default=kubeconfig
	// +kubebuilder:validation:MaxLength=253
	Key string `json:"key,omitempty"`
}

// ClusterSpec is the desired state of a member cluster.
// +kubebuilder:validation:XValidation:rule="!has(self.kubeconfigSecretRef) || !has(self.kubeconfigSecretRef.__namespace__) || self.kubeconfigSecretRef.__namespace__ == 'navarkos-system'",message="the kubeconfig Secret of a joined cluster must be in navarkos-system",fieldPath=".kubeconfigSecretRef.namespace"
// +kubebuilder:validation:XValidation:rule="has(self.pool) || has(self.kubeconfigSecretRef)",message="a Cluster needs a pool to be made from, or a kubeconfigSecretRef to be joined by"
// +kubebuilder:validation:XValidation:rule="has(self.pool) == has(oldSelf.pool) && (!has(self.pool) || self.pool == oldSelf.pool)",message="pool is immutable",fieldPath=".pool"
type ClusterSpec struct {
	// pool is the ClusterPool the cluster is made from. Joined clusters may have none.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Pool string `json:"pool,omitempty"`

	// nodes is the desired node count. It defaults to the pool's minimum nodes per cluster, or 1.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=10000
	Nodes *int32 `json:"nodes,omitempty"`

	// desiredState says whether the cluster runs, sleeps with its data kept, or is removed from its provider.
	// +optional
	// +kubebuilder:default=Online
	DesiredState DesiredState `json:"desiredState,omitempty"`

	// kubeconfigSecretRef names the Secret with the kubeconfig of a cluster that already exists (static provider).
	// +optional
	KubeconfigSecretRef *SecretReference `json:"kubeconfigSecretRef,omitempty"`
}

// ResourceAmounts is an amount of the resources the fleet places by.
type ResourceAmounts struct {
	// cpu in cores.
	// +optional
	CPU resource.Quantity `json:"cpu,omitempty"`

	// memory in bytes.
	// +optional
	Memory resource.Quantity `json:"memory,omitempty"`

	// pods is a pod count.
	// +optional
	Pods int32 `json:"pods,omitempty"`
}

// ClusterCapacity is what a cluster can run and what it runs now.
type ClusterCapacity struct {
	// allocatable is the sum of the Ready nodes' allocatable resources.
	// +optional
	Allocatable ResourceAmounts `json:"allocatable,omitempty"`

	// used is the sum of the requests of the pods that are not finished.
	// +optional
	Used ResourceAmounts `json:"used,omitempty"`
}

// ClusterStatus is the observed state of a member cluster.
type ClusterStatus struct {
	// phase summarises the lifecycle for humans.
	// +optional
	Phase ClusterPhase `json:"phase,omitempty"`

	// conditions are Provisioned, Ready, Scaling and Healthy.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation the status was last computed for.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// endpoint is the URL of the cluster's kube-apiserver.
	// +optional
	Endpoint string `json:"endpoint,omitempty"`

	// kubeconfigSecretRef names the Secret that holds an admin kubeconfig for the cluster.
	// +optional
	KubeconfigSecretRef *SecretReference `json:"kubeconfigSecretRef,omitempty"`

	// kubernetesVersion is the version the cluster's kube-apiserver reports.
	// +optional
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`

	// nodes is the number of Ready nodes.
	// +optional
	Nodes int32 `json:"nodes,omitempty"`

	// capacity is what the cluster can run and what it runs now.
	// +optional
	Capacity ClusterCapacity `json:"capacity,omitempty"`

	// costPerHour is what the cluster costs per hour at its pool's prices and its current node count.
	// +optional
	CostPerHour *resource.Quantity `json:"costPerHour,omitempty"`

	// idleSince is when the cluster last stopped running user workloads; empty while it runs some.
	// +optional
	IdleSince *metav1.Time `json:"idleSince,omitempty"`

	// lastHeartbeatTime is when the cluster last answered a health check.
	// +optional
	LastHeartbeatTime *metav1.Time `json:"lastHeartbeatTime,omitempty"`
}

// Cluster is one member cluster of the fleet.
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=mc,categories=navarkos
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Pool",type=string,JSONPath=`.spec.pool`
// +kubebuilder:printcolumn:name="Desired",type=string,JSONPath=`.spec.desiredState`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Nodes",type=integer,JSONPath=`.status.nodes`
// +kubebuilder:printcolumn:name="Want",type=integer,JSONPath=`.spec.nodes`
// +kubebuilder:printcolumn:name="Healthy",type=string,JSONPath=`.status.conditions[?(@.type=="Healthy")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
// +kubebuilder:printcolumn:name="Endpoint",type=string,JSONPath=`.status.endpoint`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Cluster struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired state of the cluster.
	// +required
	Spec ClusterSpec `json:"spec"`

	// status is the observed state of the cluster.
	// +optional
	Status ClusterStatus `json:"status,omitempty"`
}

// ClusterList is a list of Clusters.
// +kubebuilder:object:root=true
type ClusterList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Cluster `json:"items"`
}

func init() {
	register(&Cluster{}, &ClusterList{})
}
