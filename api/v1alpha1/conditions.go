package v1alpha1

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Condition types of a Cluster.
const (
	// ClusterProvisionedCondition is True once the provider has made (or joined) the cluster.
	ClusterProvisionedCondition = "Provisioned"
	// ClusterScalingCondition is True while the node count moves towards spec.nodes.
	ClusterScalingCondition = "Scaling"
	// ClusterHealthyCondition is True while the cluster's API answers health checks.
	ClusterHealthyCondition = "Healthy"
	// ClusterReadyCondition is True when the cluster is provisioned, healthy, online and at its node count.
	ClusterReadyCondition = "Ready"
	// ClusterMachinesReadyCondition, for Cluster API clusters, is False while a Machine is not
	// Ready, with the first failing Machine's reason and message.
	ClusterMachinesReadyCondition = "MachinesReady"
)

// Reasons of the Cluster conditions.
const (
	// ClusterPoolNotFoundReason: spec.pool names no ClusterPool.
	ClusterPoolNotFoundReason = "PoolNotFound"
	// ClusterProviderUnsupportedReason: the pool's provider is not available in this controller.
	ClusterProviderUnsupportedReason = "ProviderUnsupported"
	// ClusterProvisioningReason: the provider is making the cluster.
	ClusterProvisioningReason = "Provisioning"
	// ClusterResumingReason: the provider is waking the cluster.
	ClusterResumingReason = "Resuming"
	// ClusterProvisionedReason: the provider made the cluster.
	ClusterProvisionedReason = "Provisioned"
	// ClusterJoinedReason: the cluster was joined from a kubeconfig.
	ClusterJoinedReason = "Joined"
	// ClusterProviderFailedReason: the provider returned an error; the controller retries with backoff.
	ClusterProviderFailedReason = "ProviderFailed"
	// ClusterKubeconfigInvalidReason: the kubeconfig Secret is missing, lacks its key, or does not parse.
	ClusterKubeconfigInvalidReason = "KubeconfigInvalid"
	// ClusterUnreachableReason: the cluster's API did not answer.
	ClusterUnreachableReason = "Unreachable"
	// ClusterHeartbeatReason: the cluster's API answered the last health check.
	ClusterHeartbeatReason = "HeartbeatOK"
	// ClusterScalingUpReason: nodes are being added.
	ClusterScalingUpReason = "ScalingUp"
	// ClusterScalingDownReason: nodes are being removed.
	ClusterScalingDownReason = "ScalingDown"
	// ClusterAtDesiredNodesReason: the node count matches spec.nodes.
	ClusterAtDesiredNodesReason = "AtDesiredNodes"
	// ClusterNodesOutOfRangeReason: spec.nodes is outside the pool's nodesPerCluster range.
	ClusterNodesOutOfRangeReason = "NodesOutOfRange"
	// ClusterNotManagedReason: the provider does not manage node counts (joined clusters).
	ClusterNotManagedReason = "NotManaged"
	// ClusterHibernatedReason: the cluster is stopped with its data kept.
	ClusterHibernatedReason = "Hibernated"
	// ClusterOfflineReason: the cluster was removed from its provider on request.
	ClusterOfflineReason = "Offline"
	// ClusterDrainingReason: the cluster stays up until the replicas placed on it are Ready
	// elsewhere, before it goes offline, hibernates or is deleted.
	ClusterDrainingReason = "Draining"
	// ClusterDeletingReason: the Cluster is being deleted.
	ClusterDeletingReason = "Deleting"
	// ClusterReadyReason: the cluster is ready for workloads.
	ClusterReadyReason = "Ready"
	// ClusterForeignReason: the provider holds a cluster of the same name that Navarkos did
	// not make, such as a Cluster API Cluster without its label; it is never adopted.
	ClusterForeignReason = "ForeignCluster"
	// ClusterInternalErrorReason: the controller could not observe the state.
	ClusterInternalErrorReason = InternalErrorReason
)

// InternalErrorReason, on a condition of any kind, says that its controller could not observe
// or write the state it needs; the condition is Unknown and the controller retries with backoff.
const InternalErrorReason = "InternalError"

// Reasons of the planner's Events, on the Cluster it changed or on the placement it could not serve.
const (
	// PlannerCreatedReason: the planner created the Cluster.
	PlannerCreatedReason = "PlannerCreated"
	// PlannerDeletingReason: the planner deletes the Cluster.
	PlannerDeletingReason = "PlannerDeleting"
	// PlannerWakeReason: the planner wakes the hibernated Cluster.
	PlannerWakeReason = "PlannerWake"
	// PlannerScaleReason: the planner changes the Cluster's node count.
	PlannerScaleReason = "PlannerScale"
	// PlannerDrainReason: the planner lowers the pods the scheduler may place on the Cluster.
	PlannerDrainReason = "PlannerDrain"
	// PlannerHibernateReason: the planner hibernates the idle Cluster.
	PlannerHibernateReason = "PlannerHibernate"
	// PlannerCapacityUnavailableReason: replicas of the placement's resources cannot be placed,
	// and the planner cannot add the capacity they need.
	PlannerCapacityUnavailableReason = "CapacityUnavailable"
	// PlannerQuotaReachedReason: a pool's namespace quota kept the planner from adding capacity
	// there for the placement's replicas.
	PlannerQuotaReachedReason = "QuotaReached"
)

// Labels and annotations set by Navarkos.
const (
	// PoolLabel on a Cluster names its ClusterPool.
	PoolLabel = "n6s.io/pool"
	// RegionLabel on a Cluster names its region.
	RegionLabel = "topology.kubernetes.io/region"
	// ZoneLabel on a Cluster names its zone.
	ZoneLabel = "topology.kubernetes.io/zone"
	// ProviderLabel on a Cluster names its provider.
	ProviderLabel = "n6s.io/provider"
	// ClusterNameLabel on a cluster that a provider made elsewhere, such as a Cluster API
	// Cluster, names the Navarkos Cluster it serves. Owner references do not cross clusters.
	ClusterNameLabel = "n6s.io/cluster"
	// ManagedNodeLabel marks the nodes that Navarkos made in a member cluster.
	ManagedNodeLabel = "n6s.io/managed-node"
	// PlannerLabel with value PlannerManaged lets the planner scale a Cluster, take it offline
	// and wake it. The planner puts it on the clusters it creates; a user may put it on others.
	PlannerLabel = "n6s.io/planner"
	// PlannerManaged is PlannerLabel's value.
	PlannerManaged = "managed"
	// PlannerComponent is the planner controller's name on the Events it records
	// (reportingComponent), by which the dashboard finds them.
	PlannerComponent = "navarkos-planner"
	// PlannerReasonAnnotation on a Cluster the planner created says why.
	PlannerReasonAnnotation = "n6s.io/planner-reason"
	// DrainPodLimitAnnotation on a Cluster caps the pods the scheduler may place there. The
	// planner lowers it step by step to drain a cluster within its disruption budget.
	DrainPodLimitAnnotation = "n6s.io/drain-pod-limit"
)

// ClusterFinalizer guards the removal of what a provider made for a Cluster.
const ClusterFinalizer = "n6s.io/cluster-cleanup"

// SystemNamespace holds Navarkos' own objects in the fleet API, such as kubeconfig Secrets.
const SystemNamespace = "navarkos-system"

// Condition types and reasons of Placements and Bindings.
const (
	// PlacementScheduledCondition is True when every selected resource has a Binding for the current spec.
	PlacementScheduledCondition = "Scheduled"
	// PlacementScheduledReason: every selected resource is bound.
	PlacementScheduledReason = "Scheduled"
	// PlacementNothingSelectedReason: the selectors pick no resource.
	PlacementNothingSelectedReason = "NothingSelected"
	// PlacementSpreadUnsatisfiedReason: fewer clusters than spread.minClusters are eligible.
	PlacementSpreadUnsatisfiedReason = "SpreadUnsatisfied"
	// PlacementUnknownTargetReason: the placement names a Cluster or a ClusterPool that does
	// not exist; replicas meant only for them are unplaced.
	PlacementUnknownTargetReason = "UnknownTarget"
	// PlacementUnschedulableReason: one replica of a workload is larger than every node of
	// the clusters and pools it may run on; no capacity is bought for it.
	PlacementUnschedulableReason = "Unschedulable"
	// PlacementSelectorInvalidReason: a selector names an unknown kind.
	PlacementSelectorInvalidReason = "SelectorInvalid"

	// PlacementProgressingCondition, as a Deployment's, is True while replicas move between
	// clusters and once they settled, and False when a move outlasted its grace period.
	PlacementProgressingCondition = "Progressing"
	// PlacementMovingReason: replicas are moving; the message says from where, to where, and
	// how many are Ready.
	PlacementMovingReason = "MovingReplicas"
	// PlacementSettledReason: no replicas are moving.
	PlacementSettledReason = "Settled"
	// PlacementGracePeriodExpiredReason: a move outlasted spec.rollout.gracePeriod, so the
	// replicas that have a place elsewhere moved without waiting for their replacements.
	PlacementGracePeriodExpiredReason = "GracePeriodExpired"

	// BindingAppliedCondition is True when the resource is applied in every target cluster.
	BindingAppliedCondition = "Applied"
	// BindingAppliedReason: applied everywhere.
	BindingAppliedReason = "Applied"
	// BindingPartiallyAppliedReason: some clusters failed or conflict; the cluster list says which.
	BindingPartiallyAppliedReason = "PartiallyApplied"
	// BindingResourceGoneReason: the fleet object no longer exists.
	BindingResourceGoneReason = "ResourceGone"
	// BindingOutOfScopeReason: the Binding names an object its placement may not reach (another
	// namespace, or a cluster-scoped object from a namespaced Placement); nothing is applied or
	// deleted in any member.
	BindingOutOfScopeReason = "OutOfScope"
)

// The SpecValid condition of GlobalIngresses, Placements, ClusterPlacements and ClusterPools.
const (
	// SpecValidCondition is False while the spec holds a value that the API refuses today but
	// an older version stored, such as a malformed duration: the controller uses that field's
	// default until it is fixed. It is absent otherwise.
	SpecValidCondition = "SpecValid"
	// MalformedDurationReason: a duration field does not parse, or is outside its range.
	MalformedDurationReason = "MalformedDuration"
)

// SetSpecValidity records a malformed spec field as a False SpecValid condition, or removes
// the condition when err is nil. It reports whether the conditions changed.
func SetSpecValidity(conditions *[]metav1.Condition, generation int64, err error) bool {
	if err == nil {
		return meta.RemoveStatusCondition(conditions, SpecValidCondition)
	}
	return meta.SetStatusCondition(conditions, metav1.Condition{
		Type: SpecValidCondition, Status: metav1.ConditionFalse, Reason: MalformedDurationReason,
		Message: Truncate(err.Error(), 1024), ObservedGeneration: generation,
	})
}

// PlacementFinalizer removes a placement's Bindings before the placement goes.
const PlacementFinalizer = "n6s.io/placement-cleanup"

// GlobalIngressFinalizer removes a GlobalIngress's records from the external DNS server
// before the GlobalIngress goes, even when it is deleted while the controllers are down.
const GlobalIngressFinalizer = "n6s.io/dns-cleanup"

// BindingFinalizer removes a resource from the member clusters before its Binding goes.
const BindingFinalizer = "n6s.io/propagation-cleanup"

// Labels Navarkos puts on the objects it propagates.
const (
	// ManagedByLabel marks member objects that Navarkos applied.
	ManagedByLabel = "app.kubernetes.io/managed-by"
	// ManagedByValue is ManagedByLabel's value.
	ManagedByValue = "navarkos"
	// BindingAnnotation on a member object names its Binding as namespace/name.
	BindingAnnotation = "n6s.io/binding"
	// TierLabel on a Cluster or pool names its quality-of-service tier.
	TierLabel = "n6s.io/tier"
)

// Condition types and reasons of GlobalIngresses.
const (
	// DNSZonesAnnotation, on a Namespace, lists the zones (comma-separated) its GlobalIngresses
	// may publish in, among those the control plane serves; without it, any served zone. A
	// Namespace is the operator's to annotate: tenants' roles cannot change it.
	DNSZonesAnnotation = "n6s.io/dns-zones"
	// GlobalIngressReadyCondition is True when the hosts are published with at least one healthy target.
	GlobalIngressReadyCondition = "Ready"
	// GlobalIngressPublishedReason: published, with healthy targets.
	GlobalIngressPublishedReason = "Published"
	// GlobalIngressNoHealthyTargetsReason: no target is healthy; every target is answered.
	GlobalIngressNoHealthyTargetsReason = "NoHealthyTargets"
	// GlobalIngressBackendNotPlacedReason: no Placement places the backend, so no cluster serves it.
	GlobalIngressBackendNotPlacedReason = "BackendNotPlaced"
	// GlobalIngressConflictReason: another GlobalIngress claimed one of the hosts first; those
	// hosts are not published for this one.
	GlobalIngressConflictReason = "Conflict"
	// GlobalIngressZoneNotServedReason: the zone is not one this control plane serves; nothing
	// is published.
	GlobalIngressZoneNotServedReason = "ZoneNotServed"
	// GlobalIngressZoneNotAllowedReason: the zone is served, but the namespace's
	// DNSZonesAnnotation does not list it; nothing is published.
	GlobalIngressZoneNotAllowedReason = "ZoneNotAllowed"
	// GlobalIngressReservedNameReason: a host is a served zone's apex, name server or SOA
	// primary, which are the operator's; those hosts are not published, the others are.
	GlobalIngressReservedNameReason = "ReservedName"
	// GlobalIngressPublishedCondition is True when every enabled publisher took the records.
	GlobalIngressPublishedCondition = "Published"
	// GlobalIngressPublisherFailedReason: a publisher refused or failed; it is retried with backoff.
	GlobalIngressPublisherFailedReason = "PublisherFailed"
)
