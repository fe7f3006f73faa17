package v1alpha1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// ResourceSelector picks fleet objects by API version and kind, and by name or labels.
// +kubebuilder:validation:XValidation:rule="!(has(self.name) && has(self.labelSelector))",message="name and labelSelector are mutually exclusive"
type ResourceSelector struct {
	// apiVersion of the objects, e.g. apps/v1.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	APIVersion string `json:"apiVersion"`

	// kind of the objects, e.g. Deployment.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Kind string `json:"kind"`

	// namespace of the objects; only for a ClusterPlacement, whose selectors otherwise match cluster-scoped objects.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace,omitempty"`

	// name picks one object.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name,omitempty"`

	// labelSelector picks the objects whose labels match. With neither name nor labelSelector, every object of the kind is picked.
	// +optional
	LabelSelector *metav1.LabelSelector `json:"labelSelector,omitempty"`
}

// ClusterAffinity lists the required constraints a cluster must meet.
type ClusterAffinity struct {
	// clusterSelector matches cluster labels, with expressions, e.g. compliance.n6s.io/gdpr=true.
	// +optional
	ClusterSelector *metav1.LabelSelector `json:"clusterSelector,omitempty"`

	// regions allowed; empty allows every region.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=63
	Regions []string `json:"regions,omitempty"`

	// clusterNames allowed; empty allows every cluster.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MaxLength=253
	ClusterNames []string `json:"clusterNames,omitempty"`
}

// SpreadConstraint bounds how many clusters run the resources, and over what they spread.
// +kubebuilder:validation:XValidation:rule="!has(self.maxClusters) || self.minClusters <= self.maxClusters",message="minClusters must not exceed maxClusters"
type SpreadConstraint struct {
	// minClusters is the fewest clusters to run on.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	MinClusters int32 `json:"minClusters,omitempty"`

	// maxClusters is the most clusters to run on; unset means every eligible cluster.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	MaxClusters *int32 `json:"maxClusters,omitempty"`

	// topologyKey is a cluster label whose values are spread over first, e.g. topology.kubernetes.io/region.
	// +optional
	// +kubebuilder:validation:MaxLength=317
	TopologyKey string `json:"topologyKey,omitempty"`
}

// ReplicaMode says how replicas are shared among clusters.
// +kubebuilder:validation:Enum=Duplicated;Divided
type ReplicaMode string

const (
	// ReplicaModeDuplicated gives every chosen cluster the full replica count.
	ReplicaModeDuplicated ReplicaMode = "Duplicated"
	// ReplicaModeDivided shares the replicas among the chosen clusters.
	ReplicaModeDivided ReplicaMode = "Divided"
)

// DivisionMode says how divided replicas are shared.
// +kubebuilder:validation:Enum=Capacity;Weighted
type DivisionMode string

const (
	// DivisionCapacity shares replicas in proportion to each cluster's free capacity.
	DivisionCapacity DivisionMode = "Capacity"
	// DivisionWeighted shares replicas in proportion to static weights.
	DivisionWeighted DivisionMode = "Weighted"
)

// ClusterWeight gives a weight to the clusters it names or selects.
// +kubebuilder:validation:XValidation:rule="has(self.clusterNames) || has(self.clusterSelector)",message="a weight needs clusterNames or a clusterSelector"
type ClusterWeight struct {
	// clusterNames this weight applies to.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MaxLength=253
	ClusterNames []string `json:"clusterNames,omitempty"`

	// clusterSelector picks the clusters this weight applies to.
	// +optional
	ClusterSelector *metav1.LabelSelector `json:"clusterSelector,omitempty"`

	// weight, relative to the others.
	// +required
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=10000
	Weight int32 `json:"weight"`
}

// ReplicaScheduling says how a workload's replicas are shared.
// +kubebuilder:validation:XValidation:rule="self.mode != 'Divided' || self.division != 'Weighted' || (has(self.weights) && self.weights.exists(w, w.weight > 0))",message="weights must not all be zero when replicas are divided by weight",fieldPath=".weights"
type ReplicaScheduling struct {
	// mode is Duplicated (every cluster runs all replicas) or Divided.
	// +optional
	// +kubebuilder:default=Duplicated
	Mode ReplicaMode `json:"mode,omitempty"`

	// division, for Divided: by free Capacity or by static weights.
	// +optional
	// +kubebuilder:default=Capacity
	Division DivisionMode `json:"division,omitempty"`

	// weights, for division Weighted; the first entry matching a cluster gives its weight.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	Weights []ClusterWeight `json:"weights,omitempty"`
}

// Preference scores the eligible clusters on one criterion.
// +kubebuilder:validation:XValidation:rule="[has(self.cost), has(self.locality), has(self.qos)].filter(x, x).size() == 1",message="a preference sets exactly one of cost, locality and qos"
type Preference struct {
	// weight of this preference against the others.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	Weight int32 `json:"weight"`

	// cost prefers the clusters where a replica costs least, from their pools' prices.
	// +optional
	Cost *CostPreference `json:"cost,omitempty"`

	// locality prefers clusters in the target regions, the earlier the better.
	// +optional
	Locality *LocalityPreference `json:"locality,omitempty"`

	// qos prefers clusters of a quality-of-service tier (the n6s.io/tier label).
	// +optional
	QoS *QoSPreference `json:"qos,omitempty"`
}

// CostPreference has no settings: cheaper is better.
type CostPreference struct{}

// LocalityPreference lists where the demand comes from.
// +kubebuilder:validation:XValidation:rule="!has(self.shares) || self.shares.all(r, r in self.targetRegions)",message="shares may only name target regions"
type LocalityPreference struct {
	// targetRegions in order of preference.
	// +required
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=63
	TargetRegions []string `json:"targetRegions"`

	// shares weighs how much of the demand comes from each target region. A Divided
	// placement then gives each region its part of the replicas on clusters in or near it
	// (regions are near when they share their first dash-separated part, such as eu-west and
	// eu-central), and sends elsewhere only what they cannot hold. The planner adds capacity
	// for each part near its region, unless capacity far away is cheaper by more than its
	// locality threshold. Without shares, the target regions only score clusters.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	// +kubebuilder:validation:XValidation:rule="self.all(r, self[r] >= 1 && self[r] <= 1000)",message="each share is a weight from 1 to 1000"
	Shares map[string]int32 `json:"shares,omitempty"`
}

// QoSPreference names the wanted tier.
type QoSPreference struct {
	// tier wanted, e.g. premium.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Tier string `json:"tier"`
}

// ImageOverride replaces a container's image.
type ImageOverride struct {
	// container name; empty replaces the image of every container.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Container string `json:"container,omitempty"`

	// image to run.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	Image string `json:"image"`
}

// EnvOverride sets an environment variable in a container.
type EnvOverride struct {
	// container name; empty sets it in every container.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Container string `json:"container,omitempty"`

	// name of the variable.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// value of the variable.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Value string `json:"value,omitempty"`
}

// JSONPatchOperation is one RFC 6902 operation.
type JSONPatchOperation struct {
	// op is add, remove or replace.
	// +required
	// +kubebuilder:validation:Enum=add;remove;replace
	Op string `json:"op"`

	// path is a JSON pointer, e.g. /spec/template/spec/priorityClassName. It may not touch
	// the object's identity or metadata (apiVersion, kind, metadata): the labels and
	// annotations overrides change those.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:Pattern=`^/`
	// +kubebuilder:validation:XValidation:rule="!(self == '/apiVersion' || self == '/kind' || self == '/metadata' || self.startsWith('/apiVersion/') || self.startsWith('/kind/') || self.startsWith('/metadata/'))",message="jsonPatch may not change apiVersion, kind or metadata; use the labels and annotations overrides"
	Path string `json:"path"`

	// value for add and replace.
	// +optional
	Value *apiextensionsv1.JSON `json:"value,omitempty"`
}

// ClusterOverride changes the resources on the way to the clusters it names or selects.
// +kubebuilder:validation:XValidation:rule="has(self.clusterNames) || has(self.clusterSelector)",message="an override needs clusterNames or a clusterSelector"
type ClusterOverride struct {
	// clusterNames this override applies to.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MaxLength=253
	ClusterNames []string `json:"clusterNames,omitempty"`

	// clusterSelector picks the clusters this override applies to.
	// +optional
	ClusterSelector *metav1.LabelSelector `json:"clusterSelector,omitempty"`

	// images replace container images.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	Images []ImageOverride `json:"images,omitempty"`

	// replicas replaces the replica count the scheduler gave.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Replicas *int32 `json:"replicas,omitempty"`

	// env sets environment variables.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	Env []EnvOverride `json:"env,omitempty"`

	// labels are added to the object.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`

	// annotations are added to the object.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`

	// jsonPatch applies RFC 6902 operations last, for anything else.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	JSONPatch []JSONPatchOperation `json:"jsonPatch,omitempty"`
}

// ConflictPolicy says what to do with a member object of the same name that Navarkos did not make.
// +kubebuilder:validation:Enum=Refuse;Adopt
type ConflictPolicy string

const (
	// ConflictRefuse leaves the existing object alone and reports the conflict.
	ConflictRefuse ConflictPolicy = "Refuse"
	// ConflictAdopt takes the existing object over.
	ConflictAdopt ConflictPolicy = "Adopt"
)

// DependencyPolicy says whether objects a workload refers to follow it.
// +kubebuilder:validation:Enum=Follow;Ignore
type DependencyPolicy string

const (
	// DependenciesFollow propagates the ConfigMaps, Secrets and ServiceAccounts a workload refers to, to the same clusters.
	DependenciesFollow DependencyPolicy = "Follow"
	// DependenciesIgnore propagates only what the selectors pick.
	DependenciesIgnore DependencyPolicy = "Ignore"
)

// ProvisioningPolicy says whether the planner may add capacity for a placement.
// +kubebuilder:validation:Enum=Allowed;Never
type ProvisioningPolicy string

const (
	// ProvisioningAllowed lets the planner create, wake and grow clusters for the placement's replicas.
	ProvisioningAllowed ProvisioningPolicy = "Allowed"
	// ProvisioningNever places replicas only on the clusters that exist.
	ProvisioningNever ProvisioningPolicy = "Never"
)

// Provisioning says whether, and from which pools, new capacity may be made for a placement.
type Provisioning struct {
	// policy says whether the planner may add capacity.
	// +optional
	// +kubebuilder:default=Allowed
	Policy ProvisioningPolicy `json:"policy,omitempty"`

	// pools limits new capacity to these ClusterPools; empty allows every pool that meets the constraints.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=253
	Pools []string `json:"pools,omitempty"`
}

// PlacementSpec says which resources run where.
type PlacementSpec struct {
	// resourceSelectors pick the fleet objects to propagate.
	// +required
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	ResourceSelectors []ResourceSelector `json:"resourceSelectors"`

	// clusterAffinity holds the required constraints.
	// +optional
	ClusterAffinity *ClusterAffinity `json:"clusterAffinity,omitempty"`

	// spread bounds the number of clusters.
	// +optional
	Spread *SpreadConstraint `json:"spread,omitempty"`

	// replicas says how replicas are shared.
	// +optional
	Replicas *ReplicaScheduling `json:"replicas,omitempty"`

	// preferences weigh the eligible clusters.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=8
	Preferences []Preference `json:"preferences,omitempty"`

	// overrides change the resources per cluster.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	Overrides []ClusterOverride `json:"overrides,omitempty"`

	// failoverToleration is how long a cluster may be unhealthy before its replicas move elsewhere.
	// +optional
	// +kubebuilder:default="60s"
	// +kubebuilder:validation:XValidation:rule="size(self) <= 32 && self.matches('^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$') && duration(self) >= duration('1s') && duration(self) <= duration('24h')",message="failoverToleration must be a duration such as 90s, 5m or 1h30m, between 1s and 24h"
	FailoverToleration Duration `json:"failoverToleration,omitempty"`

	// conflictPolicy says whether existing member objects that Navarkos did not make are adopted or left alone.
	// +optional
	// +kubebuilder:default=Refuse
	ConflictPolicy ConflictPolicy `json:"conflictPolicy,omitempty"`

	// dependencies says whether the ConfigMaps, Secrets and ServiceAccounts a workload refers to follow it.
	// +optional
	// +kubebuilder:default=Follow
	Dependencies DependencyPolicy `json:"dependencies,omitempty"`

	// provisioning says whether the planner may create, wake and grow clusters for these replicas.
	// +optional
	Provisioning *Provisioning `json:"provisioning,omitempty"`

	// rollout bounds how replicas move between clusters: make before break.
	// +optional
	Rollout *RolloutPolicy `json:"rollout,omitempty"`
}

// RolloutPolicy bounds how a workload's replicas move between clusters, as a Deployment's
// rolling-update strategy bounds how its pods are replaced. A cluster that loses replicas
// keeps them until their replacements are Ready elsewhere.
// +kubebuilder:validation:XValidation:rule="!(has(self.maxSurge) && string(self.maxSurge) in ['0', '0%'] && (!has(self.maxUnavailable) || string(self.maxUnavailable) in ['0', '0%']))",message="maxSurge and maxUnavailable cannot both be 0: replicas could never move"
type RolloutPolicy struct {
	// maxUnavailable is how many fewer Ready replicas than wanted a move may leave, as a
	// count or a percentage of the replicas, rounded down. Default 0.
	// +optional
	// +kubebuilder:default=0
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 : self.matches('^(100|[1-9]?[0-9])%$')",message="maxUnavailable must be a count of at least 0 or a percentage from 0% to 100%"
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`

	// maxSurge is how many more replicas than wanted may run during a move, as a count or a
	// percentage of the replicas, rounded up. Default 25%.
	// +optional
	// +kubebuilder:default="25%"
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 : self.matches('^(100|[1-9]?[0-9])%$')",message="maxSurge must be a count of at least 0 or a percentage from 0% to 100%"
	MaxSurge *intstr.IntOrString `json:"maxSurge,omitempty"`

	// gracePeriod is how long a cluster keeps replicas that are moving away while their
	// replacements are not Ready; then they move regardless, and an Event and the
	// placement's Progressing condition say so. Default 10m.
	// +optional
	// +kubebuilder:default="10m"
	// +kubebuilder:validation:XValidation:rule="size(self) <= 32 && self.matches('^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$') && duration(self) >= duration('1s') && duration(self) <= duration('24h')",message="gracePeriod must be a duration such as 90s, 5m or 1h30m, between 1s and 24h"
	GracePeriod Duration `json:"gracePeriod,omitempty"`
}

// PlacementStatus is what the scheduler last did for a placement.
type PlacementStatus struct {
	// conditions: Scheduled.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation last scheduled.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// selectedResources counts the resources the selectors pick.
	// +optional
	SelectedResources int32 `json:"selectedResources,omitempty"`
}

// Placement propagates resources of its namespace to member clusters.
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Namespaced,shortName=pl,categories=navarkos
// +kubebuilder:subresource:status
// +kubebuilder:validation:XValidation:rule="!self.spec.resourceSelectors.exists(s, has(s.__namespace__))",message="resourceSelectors[].namespace is only for ClusterPlacement; a Placement selects in its own namespace"
// +kubebuilder:printcolumn:name="Selected",type=integer,JSONPath=`.status.selectedResources`
// +kubebuilder:printcolumn:name="Scheduled",type=string,JSONPath=`.status.conditions[?(@.type=="Scheduled")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Placement struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec says which resources run where.
	// +required
	Spec PlacementSpec `json:"spec"`

	// status is what the scheduler last did.
	// +optional
	Status PlacementStatus `json:"status,omitempty"`
}

// PlacementList is a list of Placements.
// +kubebuilder:object:root=true
type PlacementList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Placement `json:"items"`
}

// ClusterPlacement propagates resources of any namespace, or cluster-scoped ones, to member clusters.
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=cpl,categories=navarkos
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Selected",type=integer,JSONPath=`.status.selectedResources`
// +kubebuilder:printcolumn:name="Scheduled",type=string,JSONPath=`.status.conditions[?(@.type=="Scheduled")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ClusterPlacement struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec says which resources run where.
	// +required
	Spec PlacementSpec `json:"spec"`

	// status is what the scheduler last did.
	// +optional
	Status PlacementStatus `json:"status,omitempty"`
}

// ClusterPlacementList is a list of ClusterPlacements.
// +kubebuilder:object:root=true
type ClusterPlacementList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterPlacement `json:"items"`
}

func init() {
	register(&Placement{}, &PlacementList{}, &ClusterPlacement{}, &ClusterPlacementList{})
}
