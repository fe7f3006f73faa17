package plan

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/navarkos/navarkos/internal/cli/options"
	plannerctl "github.com/navarkos/navarkos/internal/controller/planner"
	"github.com/navarkos/navarkos/internal/planner"
)

// NewCommand returns `navarkos plan`.
func NewCommand(g *options.Global) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Print the decisions the planner would take now, each with its reason and cost; change nothing",
		Long: `Reads the fleet's pools, clusters and demand and runs the planner on them, as the
controller does, without acting. The controller remembers the last stabilisation window's
needs; plan does not, so a scale-down it shows may still be waiting for that window.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "table" && output != "json" {
				return fmt.Errorf("-o %q: want table or json", output)
			}
			c, err := g.Client()
			if err != nil {
				return err
			}
			p, err := Compute(cmd.Context(), c, time.Now())
			if err != nil {
				return err
			}
			if output == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(p)
			}
			return Write(cmd.OutOrStdout(), p)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table or json")
	return cmd
}

// Compute runs the planner on the fleet as it is now, with the default configuration.
func Compute(ctx context.Context, c client.Reader, now time.Time) (planner.Plan, error) {
	in, err := plannerctl.ReadInput(ctx, c, now, planner.DefaultConfig())
	if err != nil {
		return planner.Plan{}, err
	}
	return planner.Decide(in, planner.NewMemory()), nil
}

// Write prints a plan as a table of actions, then the demand it cannot serve.
func Write(out io.Writer, p planner.Plan) error {
	if len(p.Actions) == 0 && len(p.Unserved) == 0 {
		_, err := fmt.Fprintln(out, "Nothing to do: the fleet fits its demand.")
		return err
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
	return nil
}
