package plan

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/navarkos/navarkos/internal/cli/options"
	"github.com/navarkos/navarkos/internal/fleetplan"
	"github.com/navarkos/navarkos/internal/report"
)

// NewCommand returns `navarkos plan`.
func NewCommand(g *options.Global) *cobra.Command {
	var output string
	var flags options.Planner
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Print the decisions the planner would take now, each with its reason and cost; change nothing",
		Long: `Reads the fleet's pools, clusters and demand and runs the planner on them, as the
controller does, without acting. Give it the controller's planner flags (such as
--locality-threshold) to see that controller's decisions. The controller remembers the last
stabilisation window's needs, capacity ordered behind faster capacity and, with --forecast,
the demand's history; plan does not, so a scale-down it shows may still be waiting for that
window.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "table" && output != "json" {
				return fmt.Errorf("-o %q: want table or json", output)
			}
			opts, err := flags.Options()
			if err != nil {
				return err
			}
			c, err := g.Client()
			if err != nil {
				return err
			}
			p, err := fleetplan.Compute(cmd.Context(), c, time.Now(), opts.Config)
			if err != nil {
				return err
			}
			if output == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(p)
			}
			return report.Plan(cmd.OutOrStdout(), p)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table or json")
	flags.AddConfigFlags(cmd.Flags())
	return cmd
}
