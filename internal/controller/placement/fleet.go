package placement

import (
	"fmt"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/fleetmodel"
	"github.com/navarkos/navarkos/internal/placement"
)

// fleetView turns Clusters and their pools into the engine's view. A cluster that is
// unhealthy for less than toleration stays schedulable, so that a short outage moves
// nothing; next reports when the earliest such grace ends, for a requeue.
func fleetView(clusters []n6sv1alpha1.Cluster, pools map[string]*n6sv1alpha1.ClusterPool, now time.Time, toleration time.Duration) (view []placement.Cluster, next time.Duration) {
	view = make([]placement.Cluster, 0, len(clusters))
	for i := range clusters {
		c := &clusters[i]
		pc := placement.Cluster{
			Name:        c.Name,
			Labels:      labels.Set(c.Labels),
			Region:      c.Labels[n6sv1alpha1.RegionLabel],
			Tier:        c.Labels[n6sv1alpha1.TierLabel],
			Allocatable: fleetmodel.Amounts(c.Status.Capacity.Allocatable),
			Used:        fleetmodel.Amounts(c.Status.Capacity.Used),
		}
		if pool := pools[c.Spec.Pool]; pool != nil {
			pc.NodeShape = fleetmodel.Shape(&pool.Spec.NodeShape)
			pc.PricePerNodeHour = pool.Spec.Price.PerNodeHour.AsApproximateFloat64()
		}
		if limit, err := strconv.ParseInt(c.Annotations[n6sv1alpha1.DrainPodLimitAnnotation], 10, 64); err == nil {
			pc.Allocatable.Pods = min(pc.Allocatable.Pods, max(limit, 0))
		}
		pc.Schedulable, pc.NotSchedulableReason, next = schedulable(c, now, toleration, next)
		view = append(view, pc)
	}
	return view, next
}

// schedulable decides whether a cluster may run workloads now, and shortens next to the end of its grace.
// A provisioned cluster that answers (Healthy) keeps its workloads while it is not Ready for
// another reason, such as scaling its nodes: only unreachability past the toleration, or a
// state Navarkos was asked for, moves them.
func schedulable(c *n6sv1alpha1.Cluster, now time.Time, toleration, next time.Duration) (bool, string, time.Duration) {
	if c.Spec.DesiredState != "" && c.Spec.DesiredState != n6sv1alpha1.DesiredOnline {
		return false, "not desired Online", next
	}
	if !c.DeletionTimestamp.IsZero() {
		return false, "being deleted", next
	}
	if meta.IsStatusConditionTrue(c.Status.Conditions, n6sv1alpha1.ClusterReadyCondition) {
		return true, "", next
	}
	healthy := meta.FindStatusCondition(c.Status.Conditions, n6sv1alpha1.ClusterHealthyCondition)
	provisioned := meta.IsStatusConditionTrue(c.Status.Conditions, n6sv1alpha1.ClusterProvisionedCondition)
	if provisioned && healthy != nil && healthy.Status == metav1.ConditionTrue {
		return true, "", next
	}
	if provisioned && healthy != nil {
		if left := healthy.LastTransitionTime.Add(toleration).Sub(now); left > 0 {
			if next == 0 || left < next {
				next = left
			}
			return true, "", next
		}
		return false, "unhealthy for longer than the failover toleration", next
	}
	return false, "not Ready", next
}

// tooLarge says what one replica of w needs, and the largest node it could have, when it is
// larger than every node of the clusters and pools the policy admits: no capacity there, made
// or to be made, can run it. It is "" when a replica fits somewhere, when an admitted cluster's
// nodes are not known (a joined cluster), or when nothing is admitted at all.
func (fl *fleetState) tooLarge(policy placement.Policy, w placement.Workload) string {
	if w.Replicas <= 0 || w.Request == (placement.Resources{}) {
		return ""
	}
	var largest placement.Resources
	fits := func(shape placement.Resources) bool {
		if shape.Fits(w.Request) > 0 {
			return true
		}
		if shape.MilliCPU > largest.MilliCPU || (shape.MilliCPU == largest.MilliCPU && shape.MemoryBytes > largest.MemoryBytes) {
			largest = shape
		}
		return false
	}
	for i := range fl.view {
		c := &fl.view[i]
		if policy.Admits(c) && (c.NodeShape == (placement.Resources{}) || fits(c.NodeShape)) {
			return ""
		}
	}
	for _, pool := range fl.pools {
		view := placement.Cluster{Labels: fleetmodel.ClusterLabels(pool), Region: pool.Spec.Region, Tier: pool.Labels[n6sv1alpha1.TierLabel]}
		if policy.Admits(&view) && fits(fleetmodel.Shape(&pool.Spec.NodeShape)) {
			return ""
		}
	}
	if largest == (placement.Resources{}) {
		return ""
	}
	return fmt.Sprintf("needs %s per replica; the largest node of any eligible cluster or pool has %s", w.Request, largest)
}
