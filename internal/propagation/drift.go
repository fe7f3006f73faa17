package propagation

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Applied is what a member returned for an apply: enough to tell later whether the object
// is still as Navarkos left it.
type Applied struct {
	// Hash identifies the applied configuration.
	Hash [32]byte
	// Generation and ResourceVersion are the member's, right after the apply.
	Generation      int64
	ResourceVersion string
	// Labels and Annotations are the ones Navarkos set; others' may come and go.
	Labels, Annotations map[string]string
}

// Hash identifies a rendered object, so that an unchanged template needs no new apply.
func Hash(desired *unstructured.Unstructured) ([32]byte, error) {
	data, err := json.Marshal(desired.Object)
	if err != nil {
		return [32]byte{}, fmt.Errorf("failed to encode %s %s: %w", desired.GetKind(), desired.GetName(), err)
	}
	return sha256.Sum256(data), nil
}

// Unchanged reports whether a member object is still as Navarkos last applied it, from its
// cached metadata: the same configuration was applied, and nobody changed the object since.
// Kinds with a generation bump it on every spec change, so their status may move freely;
// labels and annotations, which leave the generation alone, are compared directly. Objects
// without a generation must keep the resource version the apply returned.
func Unchanged(desired, live *unstructured.Unstructured, hash [32]byte, last Applied) bool {
	if last.Hash != hash {
		return false
	}
	if last.Generation == 0 {
		return live.GetResourceVersion() == last.ResourceVersion
	}
	return live.GetGeneration() == last.Generation &&
		contains(live.GetLabels(), desired.GetLabels()) &&
		contains(live.GetAnnotations(), desired.GetAnnotations())
}

// contains reports whether every entry of want is in have.
func contains(have, want map[string]string) bool {
	for k, v := range want {
		if got, ok := have[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// MemberChangeMatters reports whether an update of a member object can change what
// propagation does or reports: a possible drift from what Navarkos applied (generation,
// deletion, its labels and annotations; any write for kinds without a generation), or a
// replica counter that is summed into the fleet object. Writes that change neither, such as
// a member controller's conditions or its own annotations, need no reconcile. last is
// Navarkos' last apply of the object, nil when unknown: then any label or annotation counts.
func MemberChangeMatters(old, updated *unstructured.Unstructured, last *Applied) bool {
	if old.GetResourceVersion() == updated.GetResourceVersion() {
		return false // a resync
	}
	if updated.GetGeneration() == 0 {
		return true
	}
	var marksChanged bool
	if last != nil {
		marksChanged = !contains(updated.GetLabels(), last.Labels) || !contains(updated.GetAnnotations(), last.Annotations)
	} else {
		marksChanged = !maps.Equal(old.GetLabels(), updated.GetLabels()) || !maps.Equal(old.GetAnnotations(), updated.GetAnnotations())
	}
	if marksChanged || old.GetGeneration() != updated.GetGeneration() ||
		(old.GetDeletionTimestamp() == nil) != (updated.GetDeletionTimestamp() == nil) {
		return true
	}
	return !maps.Equal(SumStatus([]*unstructured.Unstructured{old}), SumStatus([]*unstructured.Unstructured{updated}))
}
