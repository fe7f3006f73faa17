package placement

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/placement"
)

// move is one pass's step of a workload's move between clusters: what to bind now, and what
// changed since the Binding as it was.
type move struct {
	// step is what the Binding's clusters hold after this pass.
	step placement.Step
	// rollout is the Binding's record of the move; nil when nothing moves.
	rollout *n6sv1alpha1.BindingRollout
	// started, stepped, finished and expired say what this pass did, for its Event.
	started, stepped, finished, expired bool
	// ready and wanted count the Ready replicas now, up to the replicas the decision wants,
	// and those replicas.
	ready, wanted int32
	// graceLeft is how long until the grace period of a move in progress ends; 0 when none.
	graceLeft time.Duration
}

// nextMove works out the step of a workload's move from the Binding it had (nil for a new
// one) toward the engine's decision, within the placement's rollout limits. Ready replicas
// count only on the clusters that answer their health checks.
func nextMove(old *n6sv1alpha1.ResourceBinding, d placement.Result, limits placement.Rollout, grace time.Duration, fl *fleetState, now time.Time) move {
	progress := placement.Progress{Bound: map[string]int32{}, Ready: map[string]int32{}}
	var m move
	if old != nil {
		for _, tc := range old.Spec.Clusters {
			if tc.Replicas != nil {
				progress.Bound[tc.Name] = *tc.Replicas
			}
		}
		for _, st := range old.Status.Clusters {
			if st.State == n6sv1alpha1.ResourceApplied && fl.healthy[st.Name] {
				progress.Ready[st.Name] = min(st.ReadyReplicas, progress.Bound[st.Name])
				m.ready += progress.Ready[st.Name]
			}
		}
	}
	var started time.Time
	if old != nil && old.Spec.Rollout != nil {
		started = old.Spec.Rollout.StartedAt.Time
		progress.Expired = old.Spec.Rollout.GracePeriodExpired || !now.Before(started.Add(grace))
	}
	m.step = placement.NextStep(d, progress, limits)
	m.wanted = d.Unplaced
	for _, a := range d.Assignments {
		m.wanted += a.Replicas
	}
	// A surge can make more Ready than wanted for a while; what counts is that as many are.
	m.ready = min(m.ready, m.wanted)
	wasMoving := old != nil && old.Spec.Rollout != nil
	m.stepped = !maps.Equal(m.step.Replicas, progress.Bound)
	// A move that outlasted its grace period stays on record until the replicas where it
	// moved them are Ready, so that the placement's condition keeps saying so.
	if m.step.Done && !(progress.Expired && readyInDecision(d, progress.Ready) < m.wanted) {
		m.finished = wasMoving
		return m
	}
	if !wasMoving {
		started, m.started = now, true
	}
	m.expired = progress.Expired && !old.Spec.Rollout.GracePeriodExpired
	m.rollout = &n6sv1alpha1.BindingRollout{Target: targets(d), StartedAt: metav1.NewTime(started), GracePeriodExpired: progress.Expired}
	if !progress.Expired {
		m.graceLeft = started.Add(grace).Sub(now)
	}
	return m
}

// readyInDecision counts the Ready replicas that the decision keeps where they run.
func readyInDecision(d placement.Result, ready map[string]int32) int32 {
	var n int32
	for _, a := range d.Assignments {
		n += min(ready[a.Cluster], a.Replicas)
	}
	return n
}

// targets writes a decision's assignments as a Binding's target clusters.
func targets(d placement.Result) []n6sv1alpha1.TargetCluster {
	out := make([]n6sv1alpha1.TargetCluster, 0, len(d.Assignments))
	for _, a := range d.Assignments {
		out = append(out, n6sv1alpha1.TargetCluster{Name: a.Cluster, Replicas: &a.Replicas})
	}
	return out
}

// stepResult is the decision as far as the move has reached: the step's replicas per
// cluster, with the decision's scores, reason and unplaced count. A cluster the decision
// gives no replicas but lists all the same (a Duplicated workload scaled to zero) runs no pod
// to move, so it is in the result at once: the workload stays there, at zero replicas.
func stepResult(d placement.Result, step placement.Step) placement.Result {
	out := d
	out.Assignments = nil
	for _, a := range d.Assignments {
		if n, moving := step.Replicas[a.Cluster]; moving || a.Replicas == 0 {
			a.Replicas = n
			out.Assignments = append(out.Assignments, a)
		}
	}
	listed := map[string]bool{}
	for _, a := range d.Assignments {
		listed[a.Cluster] = true
	}
	for _, c := range slices.Sorted(maps.Keys(step.Replicas)) {
		if !listed[c] {
			out.Assignments = append(out.Assignments, placement.Assignment{Cluster: c, Replicas: step.Replicas[c]})
		}
	}
	slices.SortFunc(out.Assignments, func(a, b placement.Assignment) int { return strings.Compare(a.Cluster, b.Cluster) })
	return out
}

// describe writes the move for its Event and the placement's Progressing condition, e.g.
// "deployment/web: moving a 4→0, b 4→6; 6 of 6 Ready": each cluster whose replicas change,
// from what it holds now to what it will hold.
func (m move) describe(resource string, d placement.Result) string {
	if m.finished {
		return fmt.Sprintf("%s: move done; %d of %d Ready", resource, m.ready, m.wanted)
	}
	want := map[string]int32{}
	for _, a := range d.Assignments {
		want[a.Cluster] = a.Replicas
	}
	changes := placement.Changes(m.step.Replicas, want)
	if m.rollout != nil && m.rollout.GracePeriodExpired {
		msg := fmt.Sprintf("%s: the move outlasted its grace period, so the replicas that have a place moved without waiting for their replacements; %d of %d Ready", resource, m.ready, m.wanted)
		if changes != "" {
			msg += "; with nowhere to go, still " + changes
		}
		return msg
	}
	return fmt.Sprintf("%s: moving %s; %d of %d Ready", resource, changes, m.ready, m.wanted)
}

// Event reasons of a move between clusters, on the placement.
const (
	moveStartedReason  = "MovingReplicas"
	moveSteppedReason  = "MoveStep"
	moveFinishedReason = "MoveDone"
	graceExpiredReason = n6sv1alpha1.PlacementGracePeriodExpiredReason
)

// recordMove makes an Event of what this pass did to a move: its start, each step, its end,
// and the expiry of its grace period.
func (r *Reconciler[T, P]) recordMove(p P, obj *unstructured.Unstructured, b bound) {
	m := b.move
	// A step outside a move, such as a first placement or a plain scale, is no move.
	stepInMove := m.stepped && m.rollout != nil
	if r.Recorder == nil || !(m.started || stepInMove || m.finished || m.expired) {
		return
	}
	typ, reason := corev1.EventTypeNormal, moveSteppedReason
	switch {
	case m.expired:
		typ, reason = corev1.EventTypeWarning, graceExpiredReason
	case m.started:
		reason = moveStartedReason
	case m.finished:
		reason = moveFinishedReason
	}
	msg := m.describe(strings.ToLower(obj.GetKind())+"/"+obj.GetName(), b.decision)
	r.Recorder.Eventf(p, nil, typ, reason, "Move", "%s", n6sv1alpha1.Truncate(msg, maxEventNote))
}

// maxEventNote is the longest note the events API accepts.
const maxEventNote = 1024

// maxConditionMessage bounds the Progressing condition's message.
const maxConditionMessage = 1024

// moveSummary gathers the moves of one whole pass for the placement's Progressing condition.
type moveSummary struct {
	moving, expired []string
}

func (s *moveSummary) add(obj *unstructured.Unstructured, b bound) {
	if b.move.rollout == nil {
		return
	}
	msg := b.move.describe(strings.ToLower(obj.GetKind())+"/"+obj.GetName(), b.decision)
	if b.move.rollout.GracePeriodExpired {
		s.expired = append(s.expired, msg)
	} else {
		s.moving = append(s.moving, msg)
	}
}

// condition is the Progressing condition the pass's moves give.
func (s *moveSummary) condition(generation int64) metav1.Condition {
	c := metav1.Condition{Type: n6sv1alpha1.PlacementProgressingCondition, Status: metav1.ConditionTrue, Reason: n6sv1alpha1.PlacementSettledReason,
		Message: "no replicas are moving between clusters", ObservedGeneration: generation}
	switch {
	case len(s.expired) > 0:
		c.Status, c.Reason = metav1.ConditionFalse, graceExpiredReason
		c.Message = strings.Join(append(s.expired, s.moving...), "; ")
	case len(s.moving) > 0:
		c.Reason, c.Message = n6sv1alpha1.PlacementMovingReason, strings.Join(s.moving, "; ")
	}
	c.Message = n6sv1alpha1.Truncate(c.Message, maxConditionMessage)
	return c
}

// sooner is the earlier of two requeue delays, 0 meaning none.
func sooner(a, b time.Duration) time.Duration {
	if a == 0 || (b > 0 && b < a) {
		return b
	}
	return a
}
