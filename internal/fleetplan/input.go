package fleetplan

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/fleetmodel"
	"github.com/navarkos/navarkos/internal/placement"
	"github.com/navarkos/navarkos/internal/planner"
)

// lostAfter is how long a provisioned cluster may fail its health checks before the planner
// stops counting its capacity and plans a replacement for its replicas.
const lostAfter = 60 * time.Second

// ReadInput reads the fleet's pools, clusters and demand into the planner's input at now.
func ReadInput(ctx context.Context, c client.Reader, now time.Time, cfg planner.Config) (planner.Input, error) {
	in := planner.Input{Now: now, Config: cfg}
	pools := &n6sv1alpha1.ClusterPoolList{}
	if err := c.List(ctx, pools); err != nil {
		return in, fmt.Errorf("failed to list ClusterPools: %w", err)
	}
	for i := range pools.Items {
		in.Pools = append(in.Pools, fleetmodel.Pool(&pools.Items[i]))
	}
	clusters := &n6sv1alpha1.ClusterList{}
	if err := c.List(ctx, clusters); err != nil {
		return in, fmt.Errorf("failed to list Clusters: %w", err)
	}
	for i := range clusters.Items {
		if pc, ok := clusterOf(&clusters.Items[i], now); ok {
			in.Clusters = append(in.Clusters, pc)
		}
	}
	demands, err := readDemands(ctx, c)
	if err != nil {
		return in, err
	}
	in.Demands = demands
	return in, nil
}

// clusterOf is the planner's view of a Cluster; false for one being deleted.
func clusterOf(c *n6sv1alpha1.Cluster, now time.Time) (planner.Cluster, bool) {
	if !c.DeletionTimestamp.IsZero() {
		return planner.Cluster{}, false
	}
	pc := planner.Cluster{
		Name: c.Name, Pool: c.Spec.Pool, Labels: labels.Set(c.Labels),
		Managed:     c.Labels[n6sv1alpha1.PlannerLabel] == n6sv1alpha1.PlannerManaged,
		Pods:        c.Status.Capacity.Used.Pods,
		DrainLimit:  -1,
		Allocatable: fleetmodel.Amounts(c.Status.Capacity.Allocatable),
	}
	if c.Spec.Nodes != nil {
		pc.Nodes = *c.Spec.Nodes
	} else {
		pc.Nodes = c.Status.Nodes
	}
	if limit, err := strconv.ParseInt(c.Annotations[n6sv1alpha1.DrainPodLimitAnnotation], 10, 32); err == nil {
		pc.DrainLimit = int32(max(limit, 0))
	}
	if c.Status.IdleSince != nil {
		pc.IdleSince = c.Status.IdleSince.Time
	}
	pc.State, pc.FailureReason = stateOf(c, now)
	return pc, true
}

// stateOf maps a Cluster's desired state and conditions onto the planner's states.
func stateOf(c *n6sv1alpha1.Cluster, now time.Time) (planner.State, string) {
	if c.Spec.DesiredState == n6sv1alpha1.DesiredHibernated || c.Spec.DesiredState == n6sv1alpha1.DesiredOffline {
		return planner.Hibernated, ""
	}
	ready := meta.FindStatusCondition(c.Status.Conditions, n6sv1alpha1.ClusterReadyCondition)
	if ready != nil {
		switch ready.Reason {
		case n6sv1alpha1.ClusterProviderFailedReason, n6sv1alpha1.ClusterProviderUnsupportedReason, n6sv1alpha1.ClusterPoolNotFoundReason:
			return planner.Failed, ready.Reason + ": " + ready.Message
		}
	}
	healthy := meta.FindStatusCondition(c.Status.Conditions, n6sv1alpha1.ClusterHealthyCondition)
	if meta.IsStatusConditionTrue(c.Status.Conditions, n6sv1alpha1.ClusterProvisionedCondition) &&
		healthy != nil && healthy.Status != "True" && now.Sub(healthy.LastTransitionTime.Time) > lostAfter {
		return planner.Lost, healthy.Reason + ": " + healthy.Message
	}
	if ready != nil && ready.Status == "True" {
		return planner.Running, ""
	}
	return planner.Starting, ""
}

// readDemands turns the Bindings of workloads with replicas into demands, with the
// constraints of their placements.
func readDemands(ctx context.Context, c client.Reader) ([]planner.Demand, error) {
	bindings := &n6sv1alpha1.ResourceBindingList{}
	if err := c.List(ctx, bindings); err != nil {
		return nil, fmt.Errorf("failed to list ResourceBindings: %w", err)
	}
	slices.SortFunc(bindings.Items, func(a, b n6sv1alpha1.ResourceBinding) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	specs := map[n6sv1alpha1.PlacementReference]*n6sv1alpha1.PlacementSpec{}
	var demands []planner.Demand
	for i := range bindings.Items {
		b := &bindings.Items[i]
		if !b.DeletionTimestamp.IsZero() {
			continue
		}
		spec, err := placementSpec(ctx, c, b.Spec.Placement, specs)
		if err != nil || spec == nil {
			continue // the placement is gone; its Bindings follow
		}
		obj := &unstructured.Unstructured{}
		obj.SetGroupVersionKind(schema.FromAPIVersionAndKind(b.Spec.Resource.APIVersion, b.Spec.Resource.Kind))
		if err := c.Get(ctx, client.ObjectKey{Namespace: b.Spec.Resource.Namespace, Name: b.Spec.Resource.Name}, obj); err != nil {
			continue // the object is gone; so will its Binding be
		}
		w, hasReplicas := fleetmodel.Workload(obj, fleetmodel.PodSpec(obj))
		if !hasReplicas {
			continue
		}
		policy, err := fleetmodel.Policy(spec)
		if err != nil {
			continue
		}
		d := planner.Demand{
			Name:      b.Spec.Resource.Namespace + "/" + b.Spec.Resource.Name,
			Namespace: b.Spec.Resource.Namespace,
			Placement: placementName(b.Spec.Placement),
			Replicas:  w.Replicas, Request: w.Request, Policy: policy,
			Grow:     spec.Provisioning == nil || spec.Provisioning.Policy != n6sv1alpha1.ProvisioningNever,
			Assigned: map[string]int32{},
		}
		if spec.Provisioning != nil {
			d.Pools = spec.Provisioning.Pools
		}
		d.Shares = policy.RegionShares
		for _, pref := range policy.Preferences {
			if d.Shares == nil && pref.Kind == placement.PreferLocality && len(pref.TargetRegions) > 0 {
				d.Shares = map[string]float64{}
				for _, r := range pref.TargetRegions {
					d.Shares[r] = 1 / float64(len(pref.TargetRegions))
				}
			}
		}
		for _, tc := range b.Spec.Clusters {
			if tc.Replicas != nil {
				d.Assigned[tc.Name] = *tc.Replicas
			}
		}
		demands = append(demands, d)
	}
	return demands, nil
}

// placementSpec reads the spec of a placement once per plan; nil when the placement is gone.
func placementSpec(ctx context.Context, c client.Reader, ref n6sv1alpha1.PlacementReference, seen map[n6sv1alpha1.PlacementReference]*n6sv1alpha1.PlacementSpec) (*n6sv1alpha1.PlacementSpec, error) {
	if spec, ok := seen[ref]; ok {
		return spec, nil
	}
	p := ref.EmptyObject()
	if err := c.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, p); err != nil {
		return nil, client.IgnoreNotFound(err)
	}
	seen[ref] = p.PlacementSpec()
	return seen[ref], nil
}

// placementName writes a placement reference as Kind/namespace/name, or Kind/name.
func placementName(ref n6sv1alpha1.PlacementReference) string {
	if ref.Namespace == "" {
		return ref.Kind + "/" + ref.Name
	}
	return ref.Kind + "/" + ref.Namespace + "/" + ref.Name
}

// Compute runs the planner on the fleet as it is now, with the default configuration and
// no memory of earlier plans: what the planner would decide, changing nothing.
func Compute(ctx context.Context, c client.Reader, now time.Time, cfg planner.Config) (planner.Plan, error) {
	in, err := ReadInput(ctx, c, now, cfg)
	if err != nil {
		return planner.Plan{}, err
	}
	return planner.Decide(in, planner.NewMemory()), nil
}

// PlacementOf is the placement of a demand that ReadInput made, read back from its name.
func PlacementOf(d planner.Demand) n6sv1alpha1.PlacementReference {
	kind, rest, _ := strings.Cut(d.Placement, "/")
	if kind == "ClusterPlacement" {
		return n6sv1alpha1.PlacementReference{Kind: kind, Name: rest}
	}
	ns, name, _ := strings.Cut(rest, "/")
	return n6sv1alpha1.PlacementReference{Kind: kind, Namespace: ns, Name: name}
}
