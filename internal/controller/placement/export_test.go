package placement

import (
	"context"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ReconcileWholePass runs a whole pass of one placement, as its events ask for.
func (r *Reconciler[T, P]) ReconcileWholePass(ctx context.Context, key client.ObjectKey) (ctrl.Result, error) {
	return r.Reconcile(ctx, request{Placement: key})
}

// PassLocks counts the placements that have a pass lock.
func (r *Reconciler[T, P]) PassLocks() int {
	n := 0
	r.passes.byPlacement.Range(func(any, any) bool { n++; return true })
	return n
}
