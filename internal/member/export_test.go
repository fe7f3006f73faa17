package member

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/navarkos/navarkos/internal/propagation"
)

// IsOwnApplyForTest reports whether an event of obj would count as the echo of applied, the
// last apply recorded (nil: none).
func IsOwnApplyForTest(obj, applied *unstructured.Unstructured) bool {
	oc := &objectCache{applied: map[objectID]propagation.Applied{}}
	if applied != nil {
		oc.record(applied, [32]byte{})
	}
	return oc.isOwnApply(obj)
}
