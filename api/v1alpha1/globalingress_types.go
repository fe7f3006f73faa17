package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// DNSStrategyType names how a GlobalIngress answers among its healthy targets.
// +kubebuilder:validation:Enum=RoundRobin;Weighted;Failover;Geo
type DNSStrategyType string

const (
	// StrategyRoundRobin answers with every healthy target.
	StrategyRoundRobin DNSStrategyType = "RoundRobin"
	// StrategyWeighted answers with the healthy targets in an order drawn by weight.
	StrategyWeighted DNSStrategyType = "Weighted"
	// StrategyFailover answers with the healthy targets of the first region in its list that has one.
	StrategyFailover DNSStrategyType = "Failover"
	// StrategyGeo answers with the healthy targets nearest the client's region.
	StrategyGeo DNSStrategyType = "Geo"
)

// WeightSource says where the weights of a Weighted strategy come from.
// +kubebuilder:validation:Enum=ReadyReplicas;Explicit
type WeightSource string

const (
	// WeightByReadyReplicas weighs each cluster by the backend's ready replicas there.
	WeightByReadyReplicas WeightSource = "ReadyReplicas"
	// WeightExplicit weighs each cluster as the weights list says.
	WeightExplicit WeightSource = "Explicit"
)

// TargetWeight gives the clusters it names a weight.
type TargetWeight struct {
	// clusterNames the weight applies to.
	// +required
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=253
	ClusterNames []string `json:"clusterNames"`

	// weight of those clusters; 0 keeps them out of the answers.
	// +required
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	Weight int32 `json:"weight"`
}

// DNSStrategy says how answers are chosen among the healthy targets.
// +kubebuilder:validation:XValidation:rule="self.type != 'Failover' || (has(self.failoverRegions) && size(self.failoverRegions) > 0)",message="a Failover strategy needs failoverRegions",fieldPath=".failoverRegions"
// +kubebuilder:validation:XValidation:rule="!has(self.weightSource) || self.weightSource != 'Explicit' || (has(self.weights) && size(self.weights) > 0)",message="explicit weights need a weights list",fieldPath=".weights"
type DNSStrategy struct {
	// type of the strategy.
	// +optional
	// +kubebuilder:default=RoundRobin
	Type DNSStrategyType `json:"type,omitempty"`

	// weightSource, for Weighted, says where the weights come from.
	// +optional
	// +kubebuilder:default=ReadyReplicas
	WeightSource WeightSource `json:"weightSource,omitempty"`

	// weights, for Weighted with explicit weights, per cluster; clusters not named weigh 0.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	Weights []TargetWeight `json:"weights,omitempty"`

	// failoverRegions, for Failover, in order: the first region with a healthy target wins.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=63
	FailoverRegions []string `json:"failoverRegions,omitempty"`
}

// ProbeType names a health probe's protocol.
// +kubebuilder:validation:Enum=HTTP;HTTPS;TCP
type ProbeType string

// HealthProbe checks a target beyond its cluster's health and its ready endpoints.
// +kubebuilder:validation:XValidation:rule="self.type == 'TCP' || !has(self.path) || self.path.startsWith('/')",message="path must start with /",fieldPath=".path"
// +kubebuilder:validation:XValidation:rule="self.type == 'HTTPS' || (!has(self.caBundle) && !has(self.serverName))",message="caBundle and serverName are for HTTPS probes",fieldPath=".caBundle"
type HealthProbe struct {
	// type of the probe.
	// +required
	Type ProbeType `json:"type"`

	// port to probe on the target's address: one of the backend Service's ports (80 or 443 for an
	// Ingress), its first when unset. Any other port is not probed and fails the target.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port,omitempty"`

	// path of an HTTP(S) probe.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Path string `json:"path,omitempty"`

	// caBundle is the PEM certificate authorities an HTTPS probe verifies the target's
	// certificate with; unset, an HTTPS probe checks that the target serves and does not verify
	// who it is.
	// +optional
	// +kubebuilder:validation:MaxLength=65536
	CABundle string `json:"caBundle,omitempty"`

	// serverName is the name an HTTPS probe sends (SNI) and verifies with caBundle; the
	// GlobalIngress's first host when unset.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	ServerName string `json:"serverName,omitempty"`

	// failureThreshold is how many failed probes in a row make the target unhealthy.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10
	FailureThreshold int32 `json:"failureThreshold,omitempty"`
}

// HealthCheck says how often, and how, targets are checked.
type HealthCheck struct {
	// interval between two checks of every target; 0s (what typed clients send for an unset
	// value) means the default.
	// +optional
	// +kubebuilder:default="10s"
	// +kubebuilder:validation:XValidation:rule="self == '0s' || size(self) <= 32 && self.matches('^([0-9]+([.][0-9]+)?(ns|us|ms|s|m|h))+$') && duration(self) >= duration('1s') && duration(self) <= duration('1h')",message="interval must be a duration such as 90s, 5m or 1h30m, between 1s and 1h (0s means the default)"
	Interval Duration `json:"interval,omitempty"`

	// probe, optional, checks each target's address.
	// +optional
	Probe *HealthProbe `json:"probe,omitempty"`
}

// GlobalIngressBackend names the fleet object whose addresses in each member cluster are the targets.
// +kubebuilder:validation:XValidation:rule="has(self.serviceName) != has(self.ingressName)",message="name exactly one of serviceName and ingressName"
type GlobalIngressBackend struct {
	// serviceName is a Service of type LoadBalancer in the GlobalIngress's namespace.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	ServiceName string `json:"serviceName,omitempty"`

	// ingressName is an Ingress in the GlobalIngress's namespace; a cluster serves it while every
	// Service the Ingress routes to has a ready endpoint there.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	IngressName string `json:"ingressName,omitempty"`
}

// GlobalIngressSpec gives hosts one global DNS name over the clusters that serve a backend.
// +kubebuilder:validation:XValidation:rule="self.hosts.all(h, [h.endsWith('.') ? h.substring(0, size(h) - 1) : h].all(n, [self.zone.endsWith('.') ? self.zone.substring(0, size(self.zone) - 1) : self.zone].all(z, n == z || n.endsWith('.' + z))))",message="every host must be inside the zone",fieldPath=".hosts"
type GlobalIngressSpec struct {
	// hosts are the DNS names to answer, inside the zone, e.g. shop.navarkos.local.
	// +required
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MaxLength=253
	// +kubebuilder:validation:items:Pattern=`^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.?$`
	Hosts []string `json:"hosts"`

	// zone the hosts belong to, e.g. navarkos.local.
	// +optional
	// +kubebuilder:default="navarkos.local."
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)*[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.?$`
	Zone string `json:"zone,omitempty"`

	// backend whose addresses in the member clusters are the targets.
	// +required
	Backend GlobalIngressBackend `json:"backend"`

	// strategy chooses among the healthy targets.
	// +optional
	Strategy DNSStrategy `json:"strategy,omitempty"`

	// ttl of the records, in seconds.
	// +optional
	// +kubebuilder:default=30
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=86400
	TTL int32 `json:"ttl,omitempty"`

	// healthCheck says how targets are checked.
	// +optional
	HealthCheck HealthCheck `json:"healthCheck,omitempty"`
}

// TargetStatus is one cluster's address for a host, and whether it is answered.
type TargetStatus struct {
	// cluster that serves the address.
	Cluster string `json:"cluster"`
	// addresses of the backend in that cluster.
	// +optional
	// +listType=atomic
	Addresses []string `json:"addresses,omitempty"`
	// region of the cluster.
	// +optional
	Region string `json:"region,omitempty"`
	// healthy targets are answered.
	Healthy bool `json:"healthy"`
	// reason says why the target is healthy or not.
	// +optional
	Reason string `json:"reason,omitempty"`
	// weight of the target, for Weighted strategies.
	// +optional
	Weight int32 `json:"weight,omitempty"`
}

// HostStatus is what the fleet answers for one host.
type HostStatus struct {
	// host name.
	Host string `json:"host"`
	// targets, one per cluster that serves the backend.
	// +optional
	// +listType=atomic
	Targets []TargetStatus `json:"targets,omitempty"`
}

// GlobalIngressStatus is what the Federated Ingress Controller publishes.
type GlobalIngressStatus struct {
	// conditions: Ready, Published.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation the status was computed for.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// hosts and their current targets.
	// +optional
	// +listType=atomic
	Hosts []HostStatus `json:"hosts,omitempty"`
}

// GlobalIngress gives an application served by several clusters one DNS name, with
// health-aware records.
// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=gi,categories=navarkos
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Hosts",type=string,JSONPath=`.spec.hosts[0]`
// +kubebuilder:printcolumn:name="Strategy",type=string,JSONPath=`.spec.strategy.type`
// +kubebuilder:printcolumn:name="TTL",type=integer,JSONPath=`.spec.ttl`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type GlobalIngress struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec says what to answer.
	// +required
	Spec GlobalIngressSpec `json:"spec"`

	// status is what is answered.
	// +optional
	Status GlobalIngressStatus `json:"status,omitempty"`
}

// GlobalIngressList is a list of GlobalIngresses.
// +kubebuilder:object:root=true
type GlobalIngressList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []GlobalIngress `json:"items"`
}

// DNSEndpointGVK is ExternalDNS's DNSEndpoint kind, of which the Federated Ingress Controller
// writes one per host when it publishes to ExternalDNS.
var DNSEndpointGVK = schema.GroupVersionKind{Group: "externaldns.k8s.io", Version: "v1alpha1", Kind: "DNSEndpoint"}

func init() {
	register(&GlobalIngress{}, &GlobalIngressList{})
}
