package cluster

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/provider"
)

// cond is one condition's status, reason and message.
type cond struct {
	status  metav1.ConditionStatus
	reason  string
	message string
}

// setStatus turns the facts of a reconcile into the Cluster's status. It reads no
// API and calls no provider, so every outcome is testable from a scope alone.
func setStatus(s *scope, now time.Time) {
	c := s.cluster
	st := &c.Status
	provisioned, healthy, scaling := provisionedCond(s), healthyCond(s), scalingCond(s)
	ready := readyCond(s, provisioned, healthy, scaling)
	for typ, v := range map[string]cond{
		n6sv1alpha1.ClusterProvisionedCondition: provisioned,
		n6sv1alpha1.ClusterHealthyCondition:     healthy,
		n6sv1alpha1.ClusterScalingCondition:     scaling,
		n6sv1alpha1.ClusterReadyCondition:       ready,
	} {
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{
			Type: typ, Status: v.status, Reason: v.reason, Message: v.message, ObservedGeneration: c.Generation,
		})
	}
	for _, pc := range s.observation.Conditions {
		pc.ObservedGeneration = c.Generation
		meta.SetStatusCondition(&st.Conditions, pc)
	}
	st.Phase = phase(s, ready)
	if s.kubeconfigSecret != nil {
		st.KubeconfigSecretRef = s.kubeconfigSecret
	}
	if s.endpoint != "" {
		st.Endpoint = s.endpoint
	}
	switch {
	case s.member != nil:
		m := s.member
		st.KubernetesVersion = m.version
		st.Nodes = m.readyNodes
		st.Capacity = m.capacity
		heartbeat := metav1.NewTime(now)
		st.LastHeartbeatTime = &heartbeat
		if m.userPods > 0 {
			st.IdleSince = nil
		} else if st.IdleSince == nil {
			st.IdleSince = &heartbeat
		}
		st.CostPerHour = costPerHour(s.pool, m.readyNodes)
	case s.state == provider.StateAbsent || s.state == provider.StateStopped:
		st.Nodes = 0
		st.Capacity = n6sv1alpha1.ClusterCapacity{}
		st.CostPerHour = nil
		if s.state == provider.StateStopped && s.pool != nil && s.pool.Spec.Price.HibernatedPerClusterHour != nil {
			hibernated := s.pool.Spec.Price.HibernatedPerClusterHour.DeepCopy()
			st.CostPerHour = &hibernated
		}
		if s.state == provider.StateAbsent {
			st.Endpoint = ""
			st.KubeconfigSecretRef = nil
		}
	}
}

// fallback explains an Unknown condition: why nothing could be observed.
func fallback(s *scope) cond {
	switch {
	case s.blocker != nil:
		return cond{metav1.ConditionUnknown, s.blocker.reason, s.blocker.message}
	case s.providerErr != nil:
		return cond{metav1.ConditionUnknown, n6sv1alpha1.ClusterProviderFailedReason, providerMessage(s)}
	case s.progress != "":
		return cond{metav1.ConditionUnknown, s.progress, "waiting for the provider"}
	case s.cluster.Spec.DesiredState == n6sv1alpha1.DesiredHibernated:
		return cond{metav1.ConditionUnknown, n6sv1alpha1.ClusterHibernatedReason, "the cluster is hibernated"}
	case s.cluster.Spec.DesiredState == n6sv1alpha1.DesiredOffline:
		return cond{metav1.ConditionUnknown, n6sv1alpha1.ClusterOfflineReason, "the cluster is offline"}
	default:
		return cond{metav1.ConditionUnknown, n6sv1alpha1.ClusterInternalErrorReason, "the cluster was not observed"}
	}
}

func providerMessage(s *scope) string {
	return fmt.Sprintf("provider %s failed to %s the cluster: %v", s.providerName, s.providerErr.op, s.providerErr.err)
}

func provisionedCond(s *scope) cond {
	switch {
	case s.blocker != nil:
		return cond{metav1.ConditionFalse, s.blocker.reason, s.blocker.message}
	case s.provisioned() && s.providerName == n6sv1alpha1.ProviderStatic:
		return cond{metav1.ConditionTrue, n6sv1alpha1.ClusterJoinedReason, "joined from kubeconfig Secret"}
	case s.provisioned():
		return cond{metav1.ConditionTrue, n6sv1alpha1.ClusterProvisionedReason, fmt.Sprintf("made by provider %s", s.providerName)}
	case s.providerErr != nil:
		return cond{metav1.ConditionFalse, n6sv1alpha1.ClusterProviderFailedReason, providerMessage(s)}
	case s.state == provider.StateDeleting:
		return cond{metav1.ConditionFalse, n6sv1alpha1.ClusterDeletingReason, waiting(s, "is removing the cluster")}
	case s.cluster.Spec.DesiredState == n6sv1alpha1.DesiredOffline:
		return cond{metav1.ConditionFalse, n6sv1alpha1.ClusterOfflineReason, "removed from the provider on request"}
	default:
		return cond{metav1.ConditionFalse, n6sv1alpha1.ClusterProvisioningReason, waiting(s, "is making the cluster")}
	}
}

// waiting says what the provider does and, when it told, what it waits for.
func waiting(s *scope, doing string) string {
	msg := fmt.Sprintf("provider %s %s", s.providerName, doing)
	if s.observation.Waiting != "" {
		msg += "; waiting for " + s.observation.Waiting
	}
	return msg
}

func healthyCond(s *scope) cond {
	switch {
	case s.member != nil:
		return cond{metav1.ConditionTrue, n6sv1alpha1.ClusterHeartbeatReason,
			fmt.Sprintf("the API answered; %d nodes Ready", s.member.readyNodes)}
	case s.memberErr != nil:
		return cond{metav1.ConditionFalse, n6sv1alpha1.ClusterUnreachableReason, s.memberErr.Error()}
	default:
		return fallback(s)
	}
}

func scalingCond(s *scope) cond {
	m := s.member
	switch {
	case s.providerErr != nil && s.providerErr.op == "scale":
		return cond{metav1.ConditionFalse, n6sv1alpha1.ClusterProviderFailedReason, providerMessage(s)}
	case m == nil:
		return fallback(s)
	case !s.scalingManaged:
		return cond{metav1.ConditionFalse, n6sv1alpha1.ClusterNotManagedReason, "the provider does not manage this cluster's nodes"}
	case s.nodesOutOfRange:
		limits := s.pool.Spec.NodesPerCluster
		return cond{metav1.ConditionFalse, n6sv1alpha1.ClusterNodesOutOfRangeReason,
			fmt.Sprintf("spec.nodes %d is outside pool %s nodesPerCluster [%d, %d]", s.desiredNodes, s.pool.Name, limits.Min, limits.Max)}
	case m.managedNodes > s.desiredNodes:
		return cond{metav1.ConditionTrue, n6sv1alpha1.ClusterScalingDownReason, fmt.Sprintf("removing nodes: %d to %d", m.managedNodes, s.desiredNodes)}
	case m.managedReadyNodes != s.desiredNodes:
		return cond{metav1.ConditionTrue, n6sv1alpha1.ClusterScalingUpReason, fmt.Sprintf("%d of %d nodes Ready", m.managedReadyNodes, s.desiredNodes)}
	default:
		return cond{metav1.ConditionFalse, n6sv1alpha1.ClusterAtDesiredNodesReason, fmt.Sprintf("%d nodes Ready", m.managedReadyNodes)}
	}
}

// readyCond is True only when every other condition agrees; otherwise it carries the first reason why not.
func readyCond(s *scope, provisioned, healthy, scaling cond) cond {
	switch {
	case s.blocker != nil:
		return cond{metav1.ConditionFalse, s.blocker.reason, s.blocker.message}
	case s.providerErr != nil:
		return cond{metav1.ConditionFalse, n6sv1alpha1.ClusterProviderFailedReason, providerMessage(s)}
	case s.draining != "":
		return cond{metav1.ConditionFalse, drainingReason, s.draining}
	case s.progress != "" && s.member == nil:
		return cond{metav1.ConditionFalse, s.progress, provisioned.message}
	case s.cluster.Spec.DesiredState != n6sv1alpha1.DesiredOnline && s.cluster.Spec.DesiredState != "":
		f := fallback(s)
		return cond{metav1.ConditionFalse, f.reason, f.message}
	case provisioned.status != metav1.ConditionTrue:
		return cond{metav1.ConditionFalse, provisioned.reason, provisioned.message}
	case healthy.status != metav1.ConditionTrue:
		return cond{metav1.ConditionFalse, healthy.reason, healthy.message}
	case scaling.reason == n6sv1alpha1.ClusterNodesOutOfRangeReason || scaling.status == metav1.ConditionTrue:
		return cond{metav1.ConditionFalse, scaling.reason, scaling.message}
	default:
		return cond{metav1.ConditionTrue, n6sv1alpha1.ClusterReadyReason, healthy.message}
	}
}

func phase(s *scope, ready cond) n6sv1alpha1.ClusterPhase {
	switch {
	case s.draining != "":
		return n6sv1alpha1.ClusterPhaseDraining
	case !s.cluster.DeletionTimestamp.IsZero():
		return n6sv1alpha1.ClusterPhaseDeleting
	case s.blocker != nil && s.blocker.reason == n6sv1alpha1.ClusterPoolNotFoundReason:
		return n6sv1alpha1.ClusterPhasePending
	case s.blocker != nil || s.providerErr != nil:
		return n6sv1alpha1.ClusterPhaseFailed
	case s.progress == n6sv1alpha1.ClusterProvisioningReason && s.member == nil:
		return n6sv1alpha1.ClusterPhaseProvisioning
	case s.progress == n6sv1alpha1.ClusterResumingReason && s.member == nil:
		return n6sv1alpha1.ClusterPhaseResuming
	case s.cluster.Spec.DesiredState == n6sv1alpha1.DesiredHibernated:
		return n6sv1alpha1.ClusterPhaseHibernated
	case s.cluster.Spec.DesiredState == n6sv1alpha1.DesiredOffline:
		return n6sv1alpha1.ClusterPhaseOffline
	case s.memberErr != nil:
		return n6sv1alpha1.ClusterPhaseUnhealthy
	case ready.status == metav1.ConditionTrue:
		return n6sv1alpha1.ClusterPhaseReady
	case ready.reason == n6sv1alpha1.ClusterScalingUpReason || ready.reason == n6sv1alpha1.ClusterScalingDownReason:
		return n6sv1alpha1.ClusterPhaseScaling
	default:
		return n6sv1alpha1.ClusterPhasePending
	}
}

// costPerHour prices a running cluster at its pool's rates.
func costPerHour(pool *n6sv1alpha1.ClusterPool, nodes int32) *resource.Quantity {
	if pool == nil {
		return nil
	}
	price := pool.Spec.Price
	total := resource.NewMilliQuantity(price.PerNodeHour.MilliValue()*int64(nodes), resource.DecimalSI)
	if price.PerClusterHour != nil {
		total.Add(*price.PerClusterHour)
	}
	return total
}

func conditionReason(c *n6sv1alpha1.Cluster, typ string) string {
	if cd := meta.FindStatusCondition(c.Status.Conditions, typ); cd != nil {
		return cd.Reason
	}
	return ""
}
