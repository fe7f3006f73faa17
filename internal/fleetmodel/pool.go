package fleetmodel

import (
	"errors"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/placement"
	"github.com/navarkos/navarkos/internal/planner"
)

// Defaults of the ClusterPool fields the planner reads; the CRD applies the same ones.
const (
	DefaultIdleTTL    = 20 * time.Minute
	DefaultCreateTime = 5 * time.Minute
	DefaultWakeTime   = time.Minute
	DefaultScaleTime  = 2 * time.Minute
)

// ClusterLabels are the labels a Cluster of the pool carries: the pool's own labels, then
// its name, region, zone and provider.
func ClusterLabels(p *n6sv1alpha1.ClusterPool) labels.Set {
	set := labels.Set{}
	for k, v := range p.Labels {
		set[k] = v
	}
	set[n6sv1alpha1.PoolLabel] = p.Name
	set[n6sv1alpha1.RegionLabel] = p.Spec.Region
	if p.Spec.Zone != "" {
		set[n6sv1alpha1.ZoneLabel] = p.Spec.Zone
	}
	set[n6sv1alpha1.ProviderLabel] = string(p.Spec.Provider)
	return set
}

// Pool is the planner's view of a ClusterPool. A malformed duration counts as its default;
// MalformedDurations names it.
func Pool(p *n6sv1alpha1.ClusterPool) planner.Pool {
	s := &p.Spec
	out := planner.Pool{
		Name:        p.Name,
		Labels:      ClusterLabels(p),
		Region:      s.Region,
		Tier:        p.Labels[n6sv1alpha1.TierLabel],
		Shape:       Shape(&s.NodeShape),
		NodePrice:   s.Price.PerNodeHour.AsApproximateFloat64(),
		Spot:        s.Price.Market == n6sv1alpha1.MarketSpot,
		MinClusters: int(s.Clusters.Min), MaxClusters: int(s.Clusters.Max),
		MinNodes: s.NodesPerCluster.Min, MaxNodes: s.NodesPerCluster.Max,
		DeleteWhenIdle: s.OfflineMode == n6sv1alpha1.OfflineDelete,
		CreateTime:     DefaultCreateTime, WakeTime: DefaultWakeTime, ScaleTime: DefaultScaleTime,
	}
	if s.Price.PerClusterHour != nil {
		out.ClusterPrice = s.Price.PerClusterHour.AsApproximateFloat64()
	}
	if s.Price.HibernatedPerClusterHour != nil {
		out.HibernatedPrice = s.Price.HibernatedPerClusterHour.AsApproximateFloat64()
	}
	out.IdleTTL, _ = s.IdleTTLOr(DefaultIdleTTL)
	if q := s.NamespaceQuota; q != nil {
		out.NamespaceQuota = &placement.Resources{MilliCPU: planner.Unbounded, MemoryBytes: planner.Unbounded, Pods: planner.Unbounded}
		if q.CPU != nil {
			out.NamespaceQuota.MilliCPU = q.CPU.MilliValue()
		}
		if q.Memory != nil {
			out.NamespaceQuota.MemoryBytes = q.Memory.Value()
		}
	}
	out.CreateTime, out.WakeTime, out.ScaleTime = timesToCapacity(s.TimeToCapacity, p.Status.MeasuredTimeToCapacity)
	return out
}

// timesToCapacity is how long a pool takes to create a cluster, wake one and add nodes: the
// pool's timeToCapacity when set, else what the Cluster Manager measured, else the defaults.
// The estimates are kept consistent: waking a cluster or adding nodes does less than making
// a cluster, so neither counts as slower than a create in the same pool. Otherwise a default
// wake of a minute, or a wake measured a little slower once, would lose to a measured create
// of seconds, and each return of demand would leave one more hibernated cluster behind.
func timesToCapacity(set *n6sv1alpha1.TimeToCapacity, measured *n6sv1alpha1.MeasuredTimes) (create, wake, scale time.Duration) {
	switch {
	case set != nil:
		create, wake, scale, _ = set.Or(DefaultCreateTime, DefaultWakeTime, DefaultScaleTime)
		create, wake, scale = orDefault(create, DefaultCreateTime), orDefault(wake, DefaultWakeTime), orDefault(scale, DefaultScaleTime)
	case measured != nil:
		create, wake, scale = measuredOr(measured.Create, DefaultCreateTime), measuredOr(measured.Wake, DefaultWakeTime), measuredOr(measured.Scale, DefaultScaleTime)
	default:
		create, wake, scale = DefaultCreateTime, DefaultWakeTime, DefaultScaleTime
	}
	return create, min(wake, create), min(scale, create)
}

// MalformedDurations names the pool's duration fields that do not parse or are out of range,
// as an object stored before the API checked them may hold; nil when there are none.
func MalformedDurations(s *n6sv1alpha1.ClusterPoolSpec) error {
	_, err := s.IdleTTLOr(DefaultIdleTTL)
	if s.TimeToCapacity != nil {
		_, _, _, ttcErr := s.TimeToCapacity.Or(DefaultCreateTime, DefaultWakeTime, DefaultScaleTime)
		err = errors.Join(err, ttcErr)
	}
	return err
}

func measuredOr(d *metav1.Duration, def time.Duration) time.Duration {
	if d == nil {
		return def
	}
	return orDefault(d.Duration, def)
}

// Amounts is a Cluster status's amounts in the engine's units.
func Amounts(a n6sv1alpha1.ResourceAmounts) placement.Resources {
	return placement.Resources{MilliCPU: a.CPU.MilliValue(), MemoryBytes: a.Memory.Value(), Pods: int64(a.Pods)}
}

// Shape is one node's capacity in the engine's units.
func Shape(s *n6sv1alpha1.NodeShape) placement.Resources {
	return placement.Resources{MilliCPU: s.CPU.MilliValue(), MemoryBytes: s.Memory.Value(), Pods: int64(s.Pods)}
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
