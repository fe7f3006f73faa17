package clusterprofile

import (
	"fmt"
	"strconv"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	inventoryv1alpha1 "sigs.k8s.io/cluster-inventory-api/apis/v1alpha1"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// ManagerName names Navarkos as the cluster manager of the profiles it publishes.
const ManagerName = "navarkos"

// Property names of a published profile beyond the labels it copies.
const (
	PhaseProperty       = "n6s.io/phase"
	NodesProperty       = "n6s.io/nodes"
	CostPerHourProperty = "n6s.io/cost-per-hour"
	CPUProperty         = "n6s.io/allocatable-cpu"
	MemoryProperty      = "n6s.io/allocatable-memory"
	PodsProperty        = "n6s.io/allocatable-pods"
)

// copiedLabels go from a Cluster to its profile, and also stand as properties. The pool is
// spec.pool, under n6s.io/pool, even before the Cluster Manager labels the Cluster.
var copiedLabels = []string{n6sv1alpha1.RegionLabel, n6sv1alpha1.ZoneLabel, n6sv1alpha1.ProviderLabel, n6sv1alpha1.TierLabel}

const (
	// ReadyCondition mirrors the Cluster's Ready condition on its profile.
	ReadyCondition = "n6s.io/Ready"
	// NotObservedReason: the Cluster Manager has not observed the cluster yet.
	NotObservedReason = "NotObservedYet"
)

// Profile is the ClusterProfile of a Cluster, in namespace. previous, the profile as it is
// (nil when there is none), keeps the observation time of properties whose value did not
// change and the transition time of unchanged conditions, so that a heartbeat writes nothing.
func Profile(c *n6sv1alpha1.Cluster, namespace string, previous *inventoryv1alpha1.ClusterProfile, now metav1.Time) *inventoryv1alpha1.ClusterProfile {
	p := &inventoryv1alpha1.ClusterProfile{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: c.Name, Labels: map[string]string{inventoryv1alpha1.LabelClusterManagerKey: ManagerName}},
		Spec:       inventoryv1alpha1.ClusterProfileSpec{DisplayName: c.Name, ClusterManager: inventoryv1alpha1.ClusterManager{Name: ManagerName}},
	}
	var before []inventoryv1alpha1.Property
	if previous != nil {
		p.Status.Conditions = append(p.Status.Conditions, previous.Status.Conditions...)
		before = previous.Status.Properties
	}
	p.Status.Version.Kubernetes = c.Status.KubernetesVersion
	var props []inventoryv1alpha1.Property
	add := func(name, value string) {
		if value == "" {
			return
		}
		observed := now
		for _, b := range before {
			if b.Name == name && b.Value == value {
				observed = b.LastObservedTime
			}
		}
		props = append(props, inventoryv1alpha1.Property{Name: name, Value: value, LastObservedTime: observed})
	}
	for _, l := range copiedLabels {
		if v := c.Labels[l]; v != "" {
			p.Labels[l] = v
			add(l, v)
		}
	}
	if c.Spec.Pool != "" {
		p.Labels[n6sv1alpha1.PoolLabel] = c.Spec.Pool
		add(n6sv1alpha1.PoolLabel, c.Spec.Pool)
	}
	add(PhaseProperty, string(c.Status.Phase))
	add(NodesProperty, strconv.Itoa(int(c.Status.Nodes)))
	if c.Status.CostPerHour != nil {
		add(CostPerHourProperty, c.Status.CostPerHour.String())
	}
	if alloc := c.Status.Capacity.Allocatable; alloc.Pods > 0 {
		add(CPUProperty, alloc.CPU.String())
		add(MemoryProperty, alloc.Memory.String())
		add(PodsProperty, strconv.Itoa(int(alloc.Pods)))
	}
	p.Status.Properties = props
	meta.SetStatusCondition(&p.Status.Conditions, mirror(c, n6sv1alpha1.ClusterHealthyCondition, inventoryv1alpha1.ClusterConditionControlPlaneHealthy, now))
	meta.SetStatusCondition(&p.Status.Conditions, mirror(c, n6sv1alpha1.ClusterReadyCondition, ReadyCondition, now))
	return p
}

// mirror is the Cluster's condition of type from under the type to, or Unknown while the
// Cluster has none; a change of status is dated now.
func mirror(c *n6sv1alpha1.Cluster, from, to string, now metav1.Time) metav1.Condition {
	cond := meta.FindStatusCondition(c.Status.Conditions, from)
	if cond == nil {
		return metav1.Condition{Type: to, Status: metav1.ConditionUnknown, Reason: NotObservedReason, LastTransitionTime: now,
			Message: fmt.Sprintf("the Cluster has no %s condition yet", from)}
	}
	return metav1.Condition{Type: to, Status: cond.Status, Reason: cond.Reason, Message: cond.Message, LastTransitionTime: now}
}
