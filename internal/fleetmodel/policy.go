package fleetmodel

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/placement"
)

// Policy translates a Placement spec into the engine's policy.
func Policy(spec *n6sv1alpha1.PlacementSpec) (placement.Policy, error) {
	var p placement.Policy
	if a := spec.ClusterAffinity; a != nil {
		sel, err := selectorOrNil(a.ClusterSelector)
		if err != nil {
			return p, fmt.Errorf("clusterAffinity.clusterSelector: %w", err)
		}
		p.ClusterSelector, p.Regions, p.ClusterNames = sel, a.Regions, a.ClusterNames
	}
	if s := spec.Spread; s != nil {
		p.MinClusters = int(s.MinClusters)
		if s.MaxClusters != nil {
			p.MaxClusters = int(*s.MaxClusters)
		}
		p.TopologyKey = s.TopologyKey
	}
	if r := spec.Replicas; r != nil && r.Mode == n6sv1alpha1.ReplicaModeDivided {
		p.Mode = placement.Divided
		if r.Division == n6sv1alpha1.DivisionWeighted {
			p.Division = placement.ByWeight
		}
		for i, w := range r.Weights {
			sel, err := selectorOrNil(w.ClusterSelector)
			if err != nil {
				return p, fmt.Errorf("replicas.weights[%d].clusterSelector: %w", i, err)
			}
			p.Weights = append(p.Weights, placement.StaticWeight{Names: w.ClusterNames, Selector: sel, Weight: int64(w.Weight)})
		}
	}
	for _, pref := range spec.Preferences {
		e := placement.Preference{Weight: int64(pref.Weight)}
		switch {
		case pref.Cost != nil:
			e.Kind = placement.PreferCost
		case pref.Locality != nil:
			e.Kind, e.TargetRegions = placement.PreferLocality, pref.Locality.TargetRegions
			if len(pref.Locality.Shares) > 0 && p.RegionShares == nil {
				p.RegionShares = shares(pref.Locality.Shares)
			}
		case pref.QoS != nil:
			e.Kind, e.Tier = placement.PreferTier, pref.QoS.Tier
		}
		p.Preferences = append(p.Preferences, e)
	}
	return p, nil
}

// shares turns region weights into shares of 1; weights that are not positive count for nothing.
func shares(weights map[string]int32) map[string]float64 {
	var sum float64
	for _, w := range weights {
		sum += float64(max(w, 0))
	}
	if sum == 0 {
		return nil
	}
	out := make(map[string]float64, len(weights))
	for r, w := range weights {
		if w > 0 {
			out[r] = float64(w) / sum
		}
	}
	return out
}

func selectorOrNil(s *metav1.LabelSelector) (labels.Selector, error) {
	if s == nil {
		return nil, nil
	}
	return metav1.LabelSelectorAsSelector(s)
}

// Workload reads the replica count and per-replica requests of a fleet object, given its
// pod template (PodSpec). hasReplicas is false for objects without spec.replicas or a pod
// template, which every chosen cluster gets whole.
func Workload(obj *unstructured.Unstructured, spec *corev1.PodSpec) (w placement.Workload, hasReplicas bool) {
	replicas, found, err := unstructured.NestedInt64(obj.Object, "spec", "replicas")
	if err != nil || !found {
		if spec == nil {
			return placement.Workload{Replicas: 1}, false
		}
		replicas = 1 // the API default for Deployments, StatefulSets and ReplicaSets
	}
	w.Replicas = int32(replicas)
	if spec == nil {
		return w, true
	}
	for _, c := range spec.Containers {
		w.Request.MilliCPU += c.Resources.Requests.Cpu().MilliValue()
		w.Request.MemoryBytes += c.Resources.Requests.Memory().Value()
	}
	return w, true
}

// PodSpec reads the pod template of a workload; nil for objects without one.
func PodSpec(obj *unstructured.Unstructured) *corev1.PodSpec {
	raw, found, _ := unstructured.NestedMap(obj.Object, "spec", "template", "spec")
	if !found {
		return nil
	}
	spec := &corev1.PodSpec{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, spec); err != nil {
		return nil
	}
	return spec
}
