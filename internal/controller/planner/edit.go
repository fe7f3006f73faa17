package planner

import (
	"fmt"
	"maps"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/planner"
)

// maxReasonAnnotation bounds the reason a created Cluster carries.
const maxReasonAnnotation = 1024

// newCluster is the Cluster a Create action makes. It carries its pool's labels from the
// start, so that placements see it as the capacity it will be before the Cluster Manager
// first stamps it.
func newCluster(pools []planner.Pool, a planner.Action) *n6sv1alpha1.Cluster {
	labels := map[string]string{}
	for _, p := range pools {
		if p.Name == a.Pool {
			maps.Copy(labels, p.Labels)
		}
	}
	labels[n6sv1alpha1.PlannerLabel] = n6sv1alpha1.PlannerManaged
	return &n6sv1alpha1.Cluster{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: a.Pool + "-",
			Labels:       labels,
			Annotations:  map[string]string{n6sv1alpha1.PlannerReasonAnnotation: n6sv1alpha1.Truncate(a.Reason, maxReasonAnnotation)},
		},
		Spec: n6sv1alpha1.ClusterSpec{Pool: a.Pool, Nodes: &a.Nodes, DesiredState: n6sv1alpha1.DesiredOnline},
	}
}

// change is what an action did to an existing Cluster, for its Event and the planner's
// bookkeeping.
type change struct {
	// reason and note start the Event.
	reason, note string
	// shows reports whether a cached Cluster shows the change.
	shows func(*n6sv1alpha1.Cluster) bool
	// timed is true when the action adds capacity whose arrival the planner times.
	timed bool
}

// edit changes an existing Cluster as a Wake, Scale, Drain or Hibernate action says.
func edit(c *n6sv1alpha1.Cluster, a planner.Action) (change, error) {
	switch a.Kind {
	case planner.Wake:
		c.Spec.DesiredState, c.Spec.Nodes = n6sv1alpha1.DesiredOnline, &a.Nodes
		delete(c.Annotations, n6sv1alpha1.DrainPodLimitAnnotation)
		return change{
			reason: n6sv1alpha1.PlannerWakeReason, note: fmt.Sprintf("Waking with %d nodes (+%.3f/h)", a.Nodes, a.CostPerHour), timed: true,
			shows: func(c *n6sv1alpha1.Cluster) bool { return c != nil && c.Spec.DesiredState == n6sv1alpha1.DesiredOnline },
		}, nil
	case planner.Scale:
		grows := c.Spec.Nodes == nil || a.Nodes > *c.Spec.Nodes
		c.Spec.Nodes = &a.Nodes
		return change{
			reason: n6sv1alpha1.PlannerScaleReason, note: fmt.Sprintf("Scaling to %d nodes (%+.3f/h)", a.Nodes, a.CostPerHour), timed: grows,
			shows: func(c *n6sv1alpha1.Cluster) bool { return c != nil && c.Spec.Nodes != nil && *c.Spec.Nodes == a.Nodes },
		}, nil
	case planner.Drain:
		if c.Annotations == nil {
			c.Annotations = map[string]string{}
		}
		limit := fmt.Sprint(a.DrainLimit)
		c.Annotations[n6sv1alpha1.DrainPodLimitAnnotation] = limit
		return change{
			reason: n6sv1alpha1.PlannerDrainReason, note: fmt.Sprintf("Draining to at most %d pods (%+.3f/h)", a.DrainLimit, a.CostPerHour),
			shows: func(c *n6sv1alpha1.Cluster) bool {
				return c != nil && c.Annotations[n6sv1alpha1.DrainPodLimitAnnotation] == limit
			},
		}, nil
	case planner.Hibernate:
		c.Spec.DesiredState = n6sv1alpha1.DesiredHibernated
		delete(c.Annotations, n6sv1alpha1.DrainPodLimitAnnotation)
		return change{
			reason: n6sv1alpha1.PlannerHibernateReason, note: fmt.Sprintf("Hibernating (%+.3f/h)", a.CostPerHour),
			shows: func(c *n6sv1alpha1.Cluster) bool {
				return c != nil && c.Spec.DesiredState == n6sv1alpha1.DesiredHibernated
			},
		}, nil
	}
	return change{}, fmt.Errorf("unknown planner action %q", a.Kind)
}
