package planner

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/planner"
)

// measureTimeout drops an operation that has not finished in this time from measurement.
const measureTimeout = 30 * time.Minute

// operation is a capacity change in flight, timed until its cluster is Ready with its nodes.
type operation struct {
	kind  planner.ActionKind
	pool  string
	nodes int32
	start time.Time
}

// startTiming remembers when a change that adds capacity began.
func (r *Reconciler) startTiming(cluster string, a planner.Action, now time.Time) {
	switch a.Kind {
	case planner.Create, planner.Wake, planner.Scale:
		if r.timing == nil {
			r.timing = map[string]operation{}
		}
		if prev, ok := r.timing[cluster]; !ok || prev.kind == planner.Scale {
			r.timing[cluster] = operation{kind: a.Kind, pool: a.Pool, nodes: a.Nodes, start: now}
		}
	}
}

// measure finishes the timings of the clusters that became Ready with their nodes, and writes
// the times into their pools' status, where the planner reads them back.
func (r *Reconciler) measure(ctx context.Context, now time.Time) error {
	if len(r.timing) == 0 {
		return nil
	}
	clusters := &n6sv1alpha1.ClusterList{}
	if err := r.Client.List(ctx, clusters); err != nil {
		return fmt.Errorf("failed to list Clusters: %w", err)
	}
	byName := map[string]*n6sv1alpha1.Cluster{}
	for i := range clusters.Items {
		byName[clusters.Items[i].Name] = &clusters.Items[i]
	}
	for name, op := range r.timing {
		c := byName[name]
		if c == nil || now.Sub(op.start) > measureTimeout {
			delete(r.timing, name)
			continue
		}
		ready := meta.FindStatusCondition(c.Status.Conditions, n6sv1alpha1.ClusterReadyCondition)
		if ready == nil || ready.Status != metav1.ConditionTrue || c.Status.Nodes < op.nodes {
			continue
		}
		took := now.Sub(op.start)
		if at := ready.LastTransitionTime.Time; at.After(op.start) && op.kind != planner.Scale {
			took = at.Sub(op.start)
		}
		delete(r.timing, name)
		if err := r.recordTime(ctx, op, took.Round(100*time.Millisecond)); err != nil {
			return err
		}
	}
	return nil
}

func (r *Reconciler) recordTime(ctx context.Context, op operation, took time.Duration) error {
	pool := &n6sv1alpha1.ClusterPool{}
	if err := r.Client.Get(ctx, client.ObjectKey{Name: op.pool}, pool); err != nil {
		return client.IgnoreNotFound(err)
	}
	patch := client.MergeFrom(pool.DeepCopy())
	m := pool.Status.MeasuredTimeToCapacity
	if m == nil {
		m = &n6sv1alpha1.MeasuredTimes{}
		pool.Status.MeasuredTimeToCapacity = m
	}
	d := &metav1.Duration{Duration: took}
	switch op.kind {
	case planner.Create:
		m.Create = d
	case planner.Wake:
		m.Wake = d
	case planner.Scale:
		m.Scale = d
	}
	if err := r.Client.Status().Patch(ctx, pool, patch); err != nil {
		return fmt.Errorf("failed to record a measured time in ClusterPool %s: %w", op.pool, err)
	}
	return nil
}
