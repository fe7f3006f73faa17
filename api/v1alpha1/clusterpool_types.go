package v1alpha1

import (
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ProviderName names the provider that runs the lifecycle of a pool's clusters.
// +kubebuilder:validation:Enum=local;static;capi
type ProviderName string

const (
	// ProviderLocal makes real clusters on this machine from the Kubernetes components and kwok.
	ProviderLocal ProviderName = "local"
	// ProviderStatic joins clusters that already exist, from a kubeconfig Secret.
	ProviderStatic ProviderName = "static"
	// ProviderCAPI makes clusters through Cluster API, in any infrastructure its ClusterClass names.
	ProviderCAPI ProviderName = "capi"
)

// Market says how a pool's nodes are bought.
// +kubebuilder:validation:Enum=OnDemand;Spot
type Market string

const (
	// MarketOnDemand nodes are not pre-empted.
	MarketOnDemand Market = "OnDemand"
	// MarketSpot nodes are cheaper but the provider may pre-empt them.
	MarketSpot Market = "Spot"
)

// OfflineMode says what taking an idle cluster offline means.
// +kubebuilder:validation:Enum=Hibernate;Delete
type OfflineMode string

const (
	// OfflineHibernate stops the cluster and keeps its data, so that waking it is fast.
	OfflineHibernate OfflineMode = "Hibernate"
	// OfflineDelete removes the cluster and everything the provider made for it.
	OfflineDelete OfflineMode = "Delete"
)

// NodeShape is the size of every node of a pool.
type NodeShape struct {
	// cpu is the allocatable CPU of one node.
	// +required
	CPU resource.Quantity `json:"cpu"`

	// memory is the allocatable memory of one node.
	// +required
	Memory resource.Quantity `json:"memory"`

	// pods is the most pods one node runs.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	Pods int32 `json:"pods"`
}

// Price is what a pool's capacity costs, in the fleet's currency.
type Price struct {
	// perNodeHour is the price of one node for one hour. Zero is allowed: on-premises capacity may be free.
	// +required
	// +kubebuilder:validation:XValidation:rule="!quantity(string(self)).isLessThan(quantity('0'))",message="perNodeHour must not be negative"
	PerNodeHour resource.Quantity `json:"perNodeHour"`

	// perClusterHour is the fixed price of one cluster's control plane for one hour.
	// +optional
	// +kubebuilder:validation:XValidation:rule="!quantity(string(self)).isLessThan(quantity('0'))",message="perClusterHour must not be negative"
	PerClusterHour *resource.Quantity `json:"perClusterHour,omitempty"`

	// hibernatedPerClusterHour is what one hibernated cluster still costs for one hour: for
	// example a Cluster API control plane kept while its workers are at zero, or the disks of
	// its data. Unset means nothing. The planner counts it when it weighs waking a cluster
	// against creating one, and a hibernated Cluster reports it as its cost.
	// +optional
	// +kubebuilder:validation:XValidation:rule="!quantity(string(self)).isLessThan(quantity('0'))",message="hibernatedPerClusterHour must not be negative"
	HibernatedPerClusterHour *resource.Quantity `json:"hibernatedPerClusterHour,omitempty"`

	// market says whether the nodes are on-demand or spot.
	// +optional
	// +kubebuilder:default=OnDemand
	Market Market `json:"market,omitempty"`
}

// CountRange bounds a count from below and above.
// +kubebuilder:validation:XValidation:rule="self.min <= self.max",message="min must not exceed max"
type CountRange struct {
	// min is the lowest allowed count.
	// +optional
	// +kubebuilder:default=0
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=10000
	Min int32 `json:"min"`

	// max is the highest allowed count.
	// +required
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=10000
	Max int32 `json:"max"`
}

// LocalTemplate tunes the clusters that the local provider makes.
type LocalTemplate struct {
	// extraArgs pass flags to the components of each cluster, as component=flag=value,
	// e.g. kube-apiserver=max-requests-inflight=800. Only tuning flags are allowed (see
	// LocalExtraArgPattern): a pool's author must not open the cluster to the network, turn
	// off its authorization or make it write files.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=256
	// +kubebuilder:validation:XValidation:rule="self.all(a, a.matches('^(etcd=(quota-backend-bytes|snapshot-count|unsafe-no-fsync|auto-compaction-mode|auto-compaction-retention|heartbeat-interval|election-timeout|log-level)|kube-apiserver=(max-requests-inflight|max-mutating-requests-inflight|default-watch-cache-size|event-ttl|request-timeout|min-request-timeout|goaway-chance|v)|kube-controller-manager=(kube-api-qps|kube-api-burst|concurrent-deployment-syncs|concurrent-replicaset-syncs|concurrent-gc-syncs|node-monitor-grace-period|v)|kube-scheduler=(kube-api-qps|kube-api-burst|v)|kwok-controller=(v))=[-A-Za-z0-9.:_]{0,64}$'))",message="each extraArg is component=flag=value with one of the allowed tuning flags: etcd quota-backend-bytes, snapshot-count, unsafe-no-fsync, auto-compaction-mode, auto-compaction-retention, heartbeat-interval, election-timeout, log-level; kube-apiserver max-requests-inflight, max-mutating-requests-inflight, default-watch-cache-size, event-ttl, request-timeout, min-request-timeout, goaway-chance, v; kube-controller-manager kube-api-qps, kube-api-burst, concurrent-deployment-syncs, concurrent-replicaset-syncs, concurrent-gc-syncs, node-monitor-grace-period, v; kube-scheduler kube-api-qps, kube-api-burst, v; kwok-controller v; and a plain value"
	ExtraArgs []string `json:"extraArgs,omitempty"`

	// podReadyDelay is how long a scheduled pod takes to become Running and Ready, as a real
	// node's image pull, start and readiness probe take time, so that a local fleet shows what
	// moving replicas does to an application. Unset: 2s; 0s: at once, as kwok does by default.
	// It applies to clusters created after it is set.
	// +optional
	// +kubebuilder:validation:XValidation:rule="size(self) <= 32 && self.matches('^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$') && duration(self) >= duration('0s') && duration(self) <= duration('10m')",message="podReadyDelay must be a duration such as 3s or 1m, between 0s and 10m"
	PodReadyDelay Duration `json:"podReadyDelay,omitempty"`
}

// DefaultPodReadyDelay is how long a local cluster's pods take to become Ready when the pool
// does not say.
const DefaultPodReadyDelay = 2 * time.Second

// PodReadyDelayOr is the pool's pod start-up delay, or def when it is unset or malformed; the
// error names a malformed one.
func (t *LocalTemplate) PodReadyDelayOr(def time.Duration) (time.Duration, error) {
	if t == nil {
		return def, nil
	}
	return field("spec.template.local.podReadyDelay", t.PodReadyDelay, def, 0, MaxPodReadyDelay)
}

// LocalExtraArgPattern is what each local.extraArgs entry must match: a component, one of
// its tuning flags, and a plain value. The CRD's rule holds the same expression.
const LocalExtraArgPattern = `^(etcd=(quota-backend-bytes|snapshot-count|unsafe-no-fsync|auto-compaction-mode|auto-compaction-retention|heartbeat-interval|election-timeout|log-level)|kube-apiserver=(max-requests-inflight|max-mutating-requests-inflight|default-watch-cache-size|event-ttl|request-timeout|min-request-timeout|goaway-chance|v)|kube-controller-manager=(kube-api-qps|kube-api-burst|concurrent-deployment-syncs|concurrent-replicaset-syncs|concurrent-gc-syncs|node-monitor-grace-period|v)|kube-scheduler=(kube-api-qps|kube-api-burst|v)|kwok-controller=(v))=[-A-Za-z0-9.:_]{0,64}$`

// TimeToCapacity is how long a pool takes to add capacity in each way. The planner weighs
// it: a faster way serves unplaced replicas sooner. A wake or a growth never counts as
// slower than a create in the same pool.
type TimeToCapacity struct {
	// create is how long a new cluster takes to become Ready.
	// +optional
	// +kubebuilder:default="5m"
	// +kubebuilder:validation:XValidation:rule="size(self) <= 32 && self.matches('^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$') && duration(self) >= duration('0s') && duration(self) <= duration('24h')",message="timeToCapacity.create must be a duration such as 90s, 5m or 1h30m, between 0s and 24h"
	Create Duration `json:"create,omitempty"`

	// wake is how long a hibernated cluster takes to become Ready again.
	// +optional
	// +kubebuilder:default="1m"
	// +kubebuilder:validation:XValidation:rule="size(self) <= 32 && self.matches('^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$') && duration(self) >= duration('0s') && duration(self) <= duration('24h')",message="timeToCapacity.wake must be a duration such as 90s, 5m or 1h30m, between 0s and 24h"
	Wake Duration `json:"wake,omitempty"`

	// scale is how long added nodes take to become Ready.
	// +optional
	// +kubebuilder:default="2m"
	// +kubebuilder:validation:XValidation:rule="size(self) <= 32 && self.matches('^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$') && duration(self) >= duration('0s') && duration(self) <= duration('24h')",message="timeToCapacity.scale must be a duration such as 90s, 5m or 1h30m, between 0s and 24h"
	Scale Duration `json:"scale,omitempty"`
}

// CAPITemplate says how the capi provider makes a pool's clusters: as Cluster API Clusters
// with a managed topology. The ClusterClass carries everything cloud-specific.
type CAPITemplate struct {
	// management names the Cluster API management cluster. Unset means the cluster that
	// serves the fleet API, with Cluster API installed there.
	// +optional
	Management *ManagementCluster `json:"management,omitempty"`

	// namespace in the management cluster that holds the pool's Cluster API Clusters.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:XValidation:rule="self != 'navarkos-system'",message="navarkos-system holds the fleet's own kubeconfig Secrets; use another namespace"
	Namespace string `json:"namespace"`

	// clusterClass names the ClusterClass the clusters are made from.
	// +required
	ClusterClass ClusterClassReference `json:"clusterClass"`

	// version is the Kubernetes version of the clusters, e.g. v1.33.0.
	// +required
	// +kubebuilder:validation:Pattern=`^v[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$`
	// +kubebuilder:validation:MaxLength=64
	Version string `json:"version"`

	// workerClass is the ClusterClass's MachineDeployment class whose replicas are the
	// pool's nodes.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	WorkerClass string `json:"workerClass"`

	// controlPlaneReplicas is the number of control-plane machines of each cluster; unset
	// leaves it to the ClusterClass's control-plane provider.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=7
	ControlPlaneReplicas *int32 `json:"controlPlaneReplicas,omitempty"`

	// variables are the topology variables of each cluster, passed to Cluster API as they are.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=64
	Variables []CAPIVariable `json:"variables,omitempty"`
}

// ManagementCluster points at the kubeconfig of a Cluster API management cluster.
type ManagementCluster struct {
	// kubeconfigSecretName names a Secret in navarkos-system that holds the kubeconfig.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	KubeconfigSecretName string `json:"kubeconfigSecretName"`

	// key in the Secret's data that holds the kubeconfig.
	// +optional
	// +kubebuilder:default=kubeconfig
	// +kubebuilder:validation:MaxLength=253
	Key string `json:"key,omitempty"`
}

// ClusterClassReference names a ClusterClass in the management cluster.
type ClusterClassReference struct {
	// name of the ClusterClass.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// namespace of the ClusterClass; unset means the namespace of the pool's Cluster API Clusters.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace,omitempty"`
}

// CAPIVariable is one topology variable of a Cluster API Cluster.
type CAPIVariable struct {
	// name of the variable, as the ClusterClass declares it.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Name string `json:"name"`

	// value of the variable, any JSON.
	// +required
	Value apiextensionsv1.JSON `json:"value"`
}

// ProviderTemplate holds provider-specific settings for the clusters of a pool.
type ProviderTemplate struct {
	// local tunes the local provider.
	// +optional
	Local *LocalTemplate `json:"local,omitempty"`

	// capi says how the capi provider makes the clusters.
	// +optional
	CAPI *CAPITemplate `json:"capi,omitempty"`
}

// ClusterPoolSpec describes where clusters can be made, how big they are and what they cost.
// +kubebuilder:validation:XValidation:rule="self.provider == 'local' || !has(self.template) || !has(self.template.local)",message="template.local is only valid with the local provider",fieldPath=".template.local"
// +kubebuilder:validation:XValidation:rule="self.provider == 'capi' || !has(self.template) || !has(self.template.capi)",message="template.capi is only valid with the capi provider",fieldPath=".template.capi"
// +kubebuilder:validation:XValidation:rule="self.provider != 'capi' || (has(self.template) && has(self.template.capi))",message="the capi provider needs template.capi: the management cluster, namespace, ClusterClass, version and worker class",fieldPath=".template"
type ClusterPoolSpec struct {
	// provider runs the lifecycle of the pool's clusters.
	// +required
	Provider ProviderName `json:"provider"`

	// region is where the pool's clusters run, e.g. us-east.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Region string `json:"region"`

	// zone is the zone within the region, if the pool is pinned to one.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Zone string `json:"zone,omitempty"`

	// nodeShape is the size of every node.
	// +required
	NodeShape NodeShape `json:"nodeShape"`

	// price is what the pool's capacity costs.
	// +required
	Price Price `json:"price"`

	// clusters bounds how many clusters the pool may hold.
	// +required
	Clusters CountRange `json:"clusters"`

	// nodesPerCluster bounds the node count of each cluster.
	// +required
	// +kubebuilder:validation:XValidation:rule="self.max >= 1",message="max must be at least 1"
	NodesPerCluster CountRange `json:"nodesPerCluster"`

	// idleTTL is how long a cluster may run without user workloads before it goes offline.
	// +optional
	// +kubebuilder:default="20m"
	// +kubebuilder:validation:XValidation:rule="size(self) <= 32 && self.matches('^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$') && duration(self) >= duration('10s') && duration(self) <= duration('720h')",message="idleTTL must be a duration such as 90s, 5m or 1h30m, between 10s and 720h"
	IdleTTL Duration `json:"idleTTL,omitempty"`

	// offlineMode says whether an idle cluster is hibernated or deleted.
	// +optional
	// +kubebuilder:default=Hibernate
	OfflineMode OfflineMode `json:"offlineMode,omitempty"`

	// timeToCapacity is how long the pool takes to create, wake and scale clusters. When it is
	// not set, the planner uses the times it measured (status.measuredTimeToCapacity), then defaults.
	// +optional
	TimeToCapacity *TimeToCapacity `json:"timeToCapacity,omitempty"`

	// template holds provider-specific settings.
	// +optional
	Template *ProviderTemplate `json:"template,omitempty"`

	// namespaceQuota bounds the capacity the planner adds in this pool for any one namespace:
	// it creates, wakes or grows no cluster of the pool for a namespace whose replicas there
	// would then request more, and records a QuotaReached Event on the placement. Unset: no
	// bound (the pool's own maximum still holds).
	// +optional
	NamespaceQuota *NamespaceQuota `json:"namespaceQuota,omitempty"`
}

// NamespaceQuota bounds what one namespace's replicas may request in a pool's clusters
// before the planner adds no more capacity there for them.
// +kubebuilder:validation:XValidation:rule="has(self.cpu) || has(self.memory)",message="namespaceQuota needs cpu, memory or both"
type NamespaceQuota struct {
	// cpu is the most CPU one namespace's replicas may request in the pool.
	// +optional
	// +kubebuilder:validation:XValidation:rule="!quantity(string(self)).isLessThan(quantity('0'))",message="cpu must not be negative"
	CPU *resource.Quantity `json:"cpu,omitempty"`

	// memory is the most memory one namespace's replicas may request in the pool.
	// +optional
	// +kubebuilder:validation:XValidation:rule="!quantity(string(self)).isLessThan(quantity('0'))",message="memory must not be negative"
	Memory *resource.Quantity `json:"memory,omitempty"`
}

// MeasuredTimes are how long the pool's clusters last took to gain capacity in each way.
type MeasuredTimes struct {
	// create is how long the last cluster the planner created took to become Ready.
	// +optional
	Create *metav1.Duration `json:"create,omitempty"`

	// wake is how long the last cluster the planner woke took to become Ready.
	// +optional
	Wake *metav1.Duration `json:"wake,omitempty"`

	// scale is how long the last nodes the planner added took to become Ready.
	// +optional
	Scale *metav1.Duration `json:"scale,omitempty"`
}

// ClusterPoolStatus is the observed state of a pool.
type ClusterPoolStatus struct {
	// clusters is how many Cluster objects name this pool.
	// +optional
	Clusters int32 `json:"clusters,omitempty"`

	// readyClusters is how many of them are Ready.
	// +optional
	ReadyClusters int32 `json:"readyClusters,omitempty"`

	// measuredTimeToCapacity is what the planner measured; it uses these times for a pool
	// that declares no spec.timeToCapacity.
	// +optional
	MeasuredTimeToCapacity *MeasuredTimes `json:"measuredTimeToCapacity,omitempty"`

	// conditions: SpecValid is False while the spec holds a malformed duration, which an
	// older version may have stored; the planner then uses that field's default.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// ClusterPool is a place where member clusters can be made, with their shape, limits and price.
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=cp;pool;pools,categories=navarkos
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Provider",type=string,JSONPath=`.spec.provider`
// +kubebuilder:printcolumn:name="Region",type=string,JSONPath=`.spec.region`
// +kubebuilder:printcolumn:name="CPU",type=string,JSONPath=`.spec.nodeShape.cpu`
// +kubebuilder:printcolumn:name="Memory",type=string,JSONPath=`.spec.nodeShape.memory`
// +kubebuilder:printcolumn:name="Node-Hour",type=string,JSONPath=`.spec.price.perNodeHour`
// +kubebuilder:printcolumn:name="Clusters",type=integer,JSONPath=`.status.clusters`
// +kubebuilder:printcolumn:name="Max",type=integer,JSONPath=`.spec.clusters.max`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ClusterPool struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec describes the pool.
	// +required
	Spec ClusterPoolSpec `json:"spec"`

	// status is the observed state of the pool.
	// +optional
	Status ClusterPoolStatus `json:"status,omitempty"`
}

// ClusterPoolList is a list of ClusterPools.
// +kubebuilder:object:root=true
type ClusterPoolList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterPool `json:"items"`
}

func init() {
	register(&ClusterPool{}, &ClusterPoolList{})
}
