package report

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/fleetplan"
	"github.com/navarkos/navarkos/internal/planner"
)

// Explain writes the placement decision for a workload, the clusters it runs on with their
// pool, region and price, and the planner's decisions that concern it.
// A problem of its placement (a replica that fits no node, a target that does not exist)
// comes first, in red when color is set.
func Explain(ctx context.Context, out io.Writer, c client.Reader, kind, ns, name string, now time.Time, cfg planner.Config, color bool) error {
	b, err := GetBinding(ctx, c, kind, ns, name)
	if err != nil {
		return err
	}
	var s strings.Builder
	if problem := placementProblem(ctx, c, b); problem != "" {
		s.WriteString(red("Problem:    "+problem, color) + "\n")
	}
	s.WriteString(Binding(b))
	if len(b.Spec.Clusters) > 0 {
		s.WriteString("Those clusters:\n")
	}
	for _, tc := range b.Spec.Clusters {
		cl := &n6sv1alpha1.Cluster{}
		if err := c.Get(ctx, client.ObjectKey{Name: tc.Name}, cl); err != nil {
			fmt.Fprintf(&s, "  %s: %v\n", tc.Name, err)
			continue
		}
		cost := "no cost reported"
		if cl.Status.CostPerHour != nil {
			cost = fmt.Sprintf("%.3f/h", cl.Status.CostPerHour.AsApproximateFloat64())
		}
		fmt.Fprintf(&s, "  %s: pool %s, region %s, tier %s, phase %s, %d nodes, %s\n", cl.Name, orDash(cl.Spec.Pool),
			orDash(cl.Labels[n6sv1alpha1.RegionLabel]), orDash(cl.Labels[n6sv1alpha1.TierLabel]), cl.Status.Phase, cl.Status.Nodes, cost)
	}
	p, err := fleetplan.Compute(ctx, c, now, cfg)
	if err != nil {
		return err
	}
	demand := ns + "/" + name
	var lines []string
	for _, a := range p.Actions {
		if a.Demand == demand {
			lines = append(lines, fmt.Sprintf("  %s %s%s: %s", a.Kind, a.Pool, clusterSuffix(a.Cluster), a.Reason))
		}
	}
	for _, u := range p.Unserved {
		if u.Demand == demand {
			lines = append(lines, fmt.Sprintf("  %d replicas cannot be served: %s", u.Replicas, u.Reason))
		}
	}
	if len(lines) == 0 {
		s.WriteString("Planner: nothing to change for this workload.\n")
	} else {
		s.WriteString("Planner, for this workload:\n" + strings.Join(lines, "\n") + "\n")
	}
	_, err = io.WriteString(out, s.String())
	return err
}

func clusterSuffix(name string) string {
	if name == "" {
		return ""
	}
	return "/" + name
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// placementProblem says why the Binding's placement cannot place what it selects, from its
// Scheduled condition: "" when it can, or when the placement cannot be read.
func placementProblem(ctx context.Context, c client.Reader, b *n6sv1alpha1.ResourceBinding) string {
	ref := b.Spec.Placement
	p := ref.EmptyObject()
	if err := c.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, p); err != nil {
		return ""
	}
	cond := meta.FindStatusCondition(p.PlacementStatus().Conditions, n6sv1alpha1.PlacementScheduledCondition)
	if cond == nil || cond.Status != metav1.ConditionFalse {
		return ""
	}
	switch cond.Reason {
	case n6sv1alpha1.PlacementUnschedulableReason, n6sv1alpha1.PlacementUnknownTargetReason, n6sv1alpha1.PlacementSpreadUnsatisfiedReason:
		return cond.Reason + ": " + cond.Message
	}
	return ""
}

// red colors s for a terminal when color is set.
func red(s string, color bool) string {
	if !color {
		return s
	}
	return "\x1b[31m" + s + "\x1b[0m"
}
