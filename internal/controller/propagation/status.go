package propagation

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/navarkos/navarkos/internal/propagation"
)

// sumStatus writes the members' summed replica counters into the fleet object's status, which
// no controller of the fleet API writes, so that `kubectl get deploy` there shows the fleet-wide truth.
func (r *Reconciler) sumStatus(ctx context.Context, src *unstructured.Unstructured, members []*unstructured.Unstructured) error {
	before := src.DeepCopy()
	changed, err := propagation.SetSummedStatus(src, members)
	if err != nil || !changed {
		return err
	}
	if err := r.Client.Status().Patch(ctx, src, client.MergeFrom(before)); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("failed to write the summed status of %s %s/%s: %w", src.GetKind(), src.GetNamespace(), src.GetName(), err)
	}
	return nil
}
