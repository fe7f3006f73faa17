package dashboard

import (
	"cmp"
	"slices"
	"strconv"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// Fleet is what the fleet map shows: the pools by region, each with its clusters, and the
// fleet's cost. Clusters without a pool (joined ones) are under a pool named "".
type Fleet struct {
	Regions     []Region `json:"regions"`
	Clusters    int      `json:"clusters"`
	CostPerHour float64  `json:"costPerHour"`
}

// Region groups the pools of one region.
type Region struct {
	Name  string `json:"name"`
	Pools []Pool `json:"pools"`
}

// Pool is a ClusterPool and its clusters.
type Pool struct {
	Name           string  `json:"name"`
	Provider       string  `json:"provider,omitempty"`
	PerNodeHour    float64 `json:"perNodeHour"`
	PerClusterHour float64 `json:"perClusterHour"`
	Market         string  `json:"market,omitempty"`
	MaxClusters    int32   `json:"maxClusters,omitempty"`
	// Missing is true for a pool that clusters name but that does not exist (deleted, or a typo).
	Missing  bool      `json:"missing,omitempty"`
	Clusters []Cluster `json:"clusters"`
}

// Cluster is one member cluster as the map draws it.
type Cluster struct {
	Name         string      `json:"name"`
	Phase        string      `json:"phase"`
	DesiredState string      `json:"desiredState,omitempty"`
	Nodes        int32       `json:"nodes"`
	CPU          Usage       `json:"cpu"`
	Memory       Usage       `json:"memory"`
	CostPerHour  float64     `json:"costPerHour"`
	Conditions   []Condition `json:"conditions"`
}

// Usage is what runs against what can run, in cores or bytes.
type Usage struct {
	Used        float64 `json:"used"`
	Allocatable float64 `json:"allocatable"`
}

// Condition is a cluster condition, for the hover text.
type Condition struct {
	Type    string `json:"type"`
	Status  string `json:"status"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

// fleetOf groups pools and clusters by region and pool, sorted by name, so that the same
// fleet always gives the same JSON.
func fleetOf(pools []n6sv1alpha1.ClusterPool, clusters []n6sv1alpha1.Cluster) Fleet {
	byRegion := map[string]map[string]*Pool{}
	regionOf := map[string]string{}
	pool := func(region, name string) *Pool {
		if byRegion[region] == nil {
			byRegion[region] = map[string]*Pool{}
		}
		if byRegion[region][name] == nil {
			byRegion[region][name] = &Pool{Name: name, Clusters: []Cluster{}}
		}
		return byRegion[region][name]
	}
	for _, p := range pools {
		regionOf[p.Name] = p.Spec.Region
		out := pool(p.Spec.Region, p.Name)
		out.Provider, out.Market = string(p.Spec.Provider), string(p.Spec.Price.Market)
		out.PerNodeHour = number(p.Spec.Price.PerNodeHour)
		if q := p.Spec.Price.PerClusterHour; q != nil {
			out.PerClusterHour = number(*q)
		}
		out.MaxClusters = p.Spec.Clusters.Max
	}
	var fleet Fleet
	for _, c := range clusters {
		region, ok := regionOf[c.Spec.Pool]
		if !ok {
			region = c.Labels[n6sv1alpha1.RegionLabel]
		}
		out := Cluster{Name: c.Name, Phase: string(c.Status.Phase), DesiredState: string(c.Spec.DesiredState), Nodes: c.Status.Nodes,
			CPU:        Usage{Used: number(c.Status.Capacity.Used.CPU), Allocatable: number(c.Status.Capacity.Allocatable.CPU)},
			Memory:     Usage{Used: number(c.Status.Capacity.Used.Memory), Allocatable: number(c.Status.Capacity.Allocatable.Memory)},
			Conditions: []Condition{}}
		if out.Phase == "" {
			out.Phase = string(n6sv1alpha1.ClusterPhasePending)
		}
		if q := c.Status.CostPerHour; q != nil {
			out.CostPerHour = number(*q)
		}
		for _, t := range []string{n6sv1alpha1.ClusterReadyCondition, n6sv1alpha1.ClusterProvisionedCondition,
			n6sv1alpha1.ClusterHealthyCondition, n6sv1alpha1.ClusterScalingCondition, n6sv1alpha1.ClusterMachinesReadyCondition} {
			if cond := meta.FindStatusCondition(c.Status.Conditions, t); cond != nil {
				out.Conditions = append(out.Conditions, Condition{Type: cond.Type, Status: string(cond.Status), Reason: cond.Reason, Message: cond.Message})
			}
		}
		p := pool(region, c.Spec.Pool)
		p.Missing = c.Spec.Pool != "" && !ok
		p.Clusters = append(p.Clusters, out)
		fleet.Clusters++
		fleet.CostPerHour += out.CostPerHour
	}
	for region, ps := range byRegion {
		r := Region{Name: region}
		for _, p := range ps {
			slices.SortFunc(p.Clusters, func(a, b Cluster) int { return cmp.Compare(a.Name, b.Name) })
			r.Pools = append(r.Pools, *p)
		}
		slices.SortFunc(r.Pools, func(a, b Pool) int { return cmp.Compare(a.Name, b.Name) })
		fleet.Regions = append(fleet.Regions, r)
	}
	slices.SortFunc(fleet.Regions, func(a, b Region) int { return cmp.Compare(a.Name, b.Name) })
	if fleet.Regions == nil {
		fleet.Regions = []Region{}
	}
	return fleet
}

// number is a quantity as the nearest float64 to its decimal value: 0.7 stays 0.7.
func number(q resource.Quantity) float64 {
	v, err := strconv.ParseFloat(q.AsDec().String(), 64)
	if err != nil {
		return q.AsApproximateFloat64()
	}
	return v
}
