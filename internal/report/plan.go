package report

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/navarkos/navarkos/internal/planner"
)

// Plan writes a plan as a table of actions, then the demand it cannot serve, then the
// whole-fleet decision when the plan made one.
func Plan(out io.Writer, p planner.Plan) error {
	if len(p.Actions) == 0 && len(p.Unserved) == 0 {
		if _, err := fmt.Fprintln(out, "Nothing to do: the fleet fits its demand."); err != nil {
			return err
		}
		return WholeFleet(out, p.WholeFleet)
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	if len(p.Actions) > 0 {
		fmt.Fprintln(tw, "ACTION\tCLUSTER\tPOOL\tNODES\tCOST/H\tREASON")
		for _, a := range p.Actions {
			cluster, nodes := a.Cluster, fmt.Sprint(a.Nodes)
			if a.Kind == planner.Create {
				cluster = "(new)"
			}
			if a.Kind == planner.Drain {
				nodes = fmt.Sprintf("pods<=%d", a.DrainLimit)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%+.3f\t%s\n", a.Kind, cluster, a.Pool, nodes, a.CostPerHour, a.Reason)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, u := range p.Unserved {
		fmt.Fprintf(out, "Unserved: %d replicas of %s: %s\n", u.Replicas, u.Demand, u.Reason)
	}
	return WholeFleet(out, p.WholeFleet)
}

// WholeFleet writes the whole-fleet decision of a calm plan, if it made one.
func WholeFleet(out io.Writer, w *planner.WholeFleetDecision) error {
	if w == nil {
		return nil
	}
	_, err := fmt.Fprintf(out, "Whole fleet at once: %s, %.3f/h (the managed clusters cost %.3f/h at the nodes their replicas need)\n",
		orDash(planner.JoinTargets(w.Pools)), w.CostPerHour, w.NowPerHour)
	return err
}
