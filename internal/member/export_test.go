package member

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/navarkos/navarkos/internal/propagation"
)

// EchoFilter exposes how an object cache tells the echo of Navarkos' own applies from other events.
type EchoFilter struct{ oc *objectCache }

// NewEchoFilterForTest returns a filter that passes events on to onChange.
func NewEchoFilterForTest(onChange func(client.Object)) *EchoFilter {
	return &EchoFilter{oc: &objectCache{
		applied: map[objectID]propagation.Applied{}, applying: map[objectID][]string{},
		onChange: func(_ string, o client.Object) { onChange(o) },
	}}
}

// Added delivers an informer's add event of obj.
func (f *EchoFilter) Added(obj *unstructured.Unstructured) {
	if !f.oc.isOwnApply(obj) {
		f.oc.changed(obj)
	}
}

// ApplyStarted and ApplyDone bracket an apply; returned is nil when it failed.
func (f *EchoFilter) ApplyStarted(obj *unstructured.Unstructured) {
	f.oc.applyStarted(obj.GroupVersionKind(), client.ObjectKeyFromObject(obj))
}

func (f *EchoFilter) ApplyDone(obj, returned *unstructured.Unstructured) {
	f.oc.applyDone(obj.GroupVersionKind(), client.ObjectKeyFromObject(obj), returned, [32]byte{}, nil, nil)
}
