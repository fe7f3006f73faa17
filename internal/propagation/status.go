package propagation

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// summedFields are the replica counters of workload status that add up across clusters.
var summedFields = []string{"replicas", "readyReplicas", "availableReplicas", "updatedReplicas", "currentReplicas"}

// summableKinds have replica counters in their status.
var summableKinds = map[string]bool{"Deployment": true, "StatefulSet": true, "ReplicaSet": true}

// SumStatus adds up the replica counters of the member objects.
func SumStatus(members []*unstructured.Unstructured) map[string]int64 {
	sums := map[string]int64{}
	for _, m := range members {
		for _, f := range summedFields {
			v, _, _ := unstructured.NestedInt64(m.Object, "status", f)
			sums[f] += v
		}
	}
	return sums
}

// SetSummedStatus writes the members' summed replica counters, and the observed generation,
// into the status of a fleet workload. It reports whether the status changed; kinds without
// replica counters are left alone.
func SetSummedStatus(src *unstructured.Unstructured, members []*unstructured.Unstructured) (bool, error) {
	if !summableKinds[src.GetKind()] {
		return false, nil
	}
	before, _, _ := unstructured.NestedMap(src.Object, "status")
	status, _, _ := unstructured.NestedMap(src.Object, "status")
	if status == nil {
		status = map[string]any{}
	}
	// The API server drops zero counters (omitempty); so does the sum, or it would never compare equal.
	for f, v := range SumStatus(members) {
		if v == 0 {
			delete(status, f)
		} else {
			status[f] = v
		}
	}
	status["observedGeneration"] = src.GetGeneration()
	if err := unstructured.SetNestedMap(src.Object, status, "status"); err != nil {
		return false, fmt.Errorf("failed to set the status of %s %s/%s: %w", src.GetKind(), src.GetNamespace(), src.GetName(), err)
	}
	return fmt.Sprint(before) != fmt.Sprint(status), nil
}
