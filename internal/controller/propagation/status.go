package propagation

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
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

// sumStatus writes the members' summed replica counters into the fleet object's status, which
// no controller of the fleet API writes, so that `kubectl get deploy` there shows the fleet-wide truth.
func (r *Reconciler) sumStatus(ctx context.Context, src *unstructured.Unstructured, members []*unstructured.Unstructured) error {
	if !summableKinds[src.GetKind()] {
		return nil
	}
	sums := SumStatus(members)
	before := src.DeepCopy()
	status, _, _ := unstructured.NestedMap(src.Object, "status")
	if status == nil {
		status = map[string]any{}
	}
	// The API server drops zero counters (omitempty); so does the sum, or it would never compare equal.
	for f, v := range sums {
		if v == 0 {
			delete(status, f)
		} else {
			status[f] = v
		}
	}
	status["observedGeneration"] = src.GetGeneration()
	if err := unstructured.SetNestedMap(src.Object, status, "status"); err != nil {
		return err
	}
	if equalStatus(before, src) {
		return nil
	}
	if err := r.Client.Status().Patch(ctx, src, client.MergeFrom(before)); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("failed to write the summed status of %s %s/%s: %w", src.GetKind(), src.GetNamespace(), src.GetName(), err)
	}
	return nil
}

func equalStatus(a, b *unstructured.Unstructured) bool {
	sa, _, _ := unstructured.NestedMap(a.Object, "status")
	sb, _, _ := unstructured.NestedMap(b.Object, "status")
	return fmt.Sprint(sa) == fmt.Sprint(sb)
}
