package simulate

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	cliopts "github.com/navarkos/navarkos/internal/cli/options"
	"github.com/navarkos/navarkos/internal/planner/fleet"
	"github.com/navarkos/navarkos/internal/simulate"
)

type options struct {
	pools, trace, policy, output string
	step                         time.Duration
	log                          bool
	// planner takes the flags that change the planner's decisions, as the controller does.
	planner cliopts.Planner
}

// NewCommand returns `navarkos simulate`.
func NewCommand() *cobra.Command {
	o := &options{}
	cmd := &cobra.Command{
		Use:   "simulate --pools POOLS.yaml --trace TRACE.csv",
		Short: "Replay a demand trace against fleet policies in virtual time and compare their cost and unserved demand",
		Long: `Replays a demand trace against the placement engine with providers simulated in virtual
time: creating, waking and scaling take the times the pools declare. Policies:
  static        a fleet sized for the peak, built before the trace starts
  navarkos2017  the 2017 Navarkos rules: priorities, +1 node above 80% use, -1 below 10%, 20 min idle TTL
  planner       the Navarkos planner
  forecast      the planner with its forecast: capacity ahead of what the demand did a day
                or a week ago, or one and two of its own periods ago
  lowerbound    exactly the capacity each instant needs, at the cheapest eligible price, without delays
  localitybound the lower bound with each region's demand served in or near its region, unless a
                far pool is cheaper by more than the locality threshold, as the planner serves it

The trace is CSV with the header t_seconds,workload,replicas,cpu_millis,memory_mib,regions,constraints.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.OutOrStdout()) },
	}
	f := cmd.Flags()
	f.StringVar(&o.pools, "pools", "", "YAML file of ClusterPool objects")
	f.StringVar(&o.trace, "trace", "", "CSV demand trace")
	f.StringVar(&o.policy, "policy", "all", "static, navarkos2017, planner, lowerbound or all")
	f.StringVarP(&o.output, "output", "o", "table", "table or json")
	f.DurationVar(&o.step, "step", 30*time.Second, "virtual time between two decisions")
	f.BoolVar(&o.log, "log", false, "print every lifecycle action with its virtual time and reason to standard error")
	o.planner.AddConfigFlags(f)
	_ = cmd.MarkFlagRequired("pools")
	_ = cmd.MarkFlagRequired("trace")
	cmd.AddCommand(newTraceCommand(), newPoolsCommand())
	return cmd
}

func (o *options) run(out io.Writer) error {
	policies := simulate.Policies
	if o.policy != "all" {
		if !slices.Contains(simulate.Policies, o.policy) {
			return fmt.Errorf("--policy %q: want one of %s or all", o.policy, strings.Join(simulate.Policies, ", "))
		}
		policies = []string{o.policy}
	}
	if o.output != "table" && o.output != "json" {
		return fmt.Errorf("-o %q: want table or json", o.output)
	}
	if _, err := o.planner.Options(); err != nil {
		return err
	}
	pools, err := readWith(o.pools, simulate.ParsePools)
	if err != nil {
		return err
	}
	trace, err := readWith(o.trace, simulate.ParseTrace)
	if err != nil {
		return err
	}
	for _, w := range trace.Warnings {
		fmt.Fprintf(os.Stderr, "warning: %s: %s\n", o.trace, w)
	}
	if unmet := simulate.Unplaceable(pools, trace); len(unmet) > 0 {
		fmt.Fprintf(os.Stderr, "warning: no pool of %s meets the constraints of %s: every policy leaves them unplaced\n", o.pools, strings.Join(unmet, ", "))
	}
	var reports []simulate.Report
	for _, p := range policies {
		// The bounds take the locality threshold; the planner policies every flag.
		opts := simulate.Options{Step: o.step, Planner: o.planner.Config}
		if o.log {
			opts.Log = os.Stderr
		}
		r, err := simulate.Run(pools, trace, p, opts)
		if err != nil {
			return err
		}
		reports = append(reports, r)
	}
	if o.output == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(reports)
	}
	return writeTable(out, reports)
}

// readWith opens a file and parses it, naming the file in any error.
func readWith[T any](path string, parse func(io.Reader) (T, error)) (T, error) {
	var zero T
	f, err := os.Open(path)
	if err != nil {
		return zero, err
	}
	defer f.Close()
	v, err := parse(f)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

func writeTable(out io.Writer, reports []simulate.Report) error {
	local := 0.0
	for _, r := range reports {
		if r.Policy == simulate.PolicyLocalityBound {
			local = r.Cost
		}
	}
	ratio := func(cost, bound float64) string {
		if bound <= 0 {
			return "-"
		}
		return fmt.Sprintf("%.3f", cost/bound)
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "POLICY\tCOST\tVS BOUND\tVS LOCAL BOUND\tCLUSTER-H\tNODE-H\tUNPLACED REPLICA-S\tACTIONS\tMOVES\tCHURN\tCHURN PER 1000 REPLICA-H\tREMOTE\tFAR\t")
	for _, r := range reports {
		remote, far, churnRate := "-", "-", "-" // the bounds place nothing
		if r.Policy != simulate.PolicyLowerBound && r.Policy != simulate.PolicyLocalityBound {
			remote, far, churnRate = fmt.Sprintf("%.1f%%", 100*r.RemoteShare), fmt.Sprintf("%.1f%%", 100*r.FarShare), fmt.Sprintf("%.2f", r.ChurnPer1000ReplicaHours)
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%s\t%s\t%.1f\t%.1f\t%.0f\t%d\t%d\t%d\t%s\t%s\t%s\t\n", r.Policy, r.Cost, ratio(r.Cost, r.BoundCost), ratio(r.Cost, local),
			r.ClusterHours, r.NodeHours, r.UnplacedReplicaSeconds, r.Actions, r.Moves, r.Churn, churnRate, remote, far)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(out, "remote: the share of placed replica-seconds outside the regions of their demand; far: of those not even near them")
	if len(reports) > 0 {
		fmt.Fprintf(out, "unplaced floor (what no policy without foresight can place, given the quickest time to capacity and the longest idle time-to-live of the pools): %.0f replica-s\n", reports[0].UnplacedFloorReplicaSeconds)
	}
	for _, r := range reports {
		if r.Policy != simulate.PolicyLocalityBound || len(r.Frontier) == 0 {
			continue
		}
		fmt.Fprint(out, "frontier without foresight (capacity given back once demand stayed lower for: cost vs local bound, unplaced vs floor):")
		for _, p := range r.Frontier {
			hold := "never"
			if p.HoldSeconds >= 0 {
				hold = fleet.Round(time.Duration(p.HoldSeconds * float64(time.Second))).String()
			}
			fmt.Fprintf(out, " %s %.3f/%.2f;", hold, p.Cost/r.Frontier[0].Cost, p.UnplacedReplicaSeconds/max(r.UnplacedFloorReplicaSeconds, 1))
		}
		fmt.Fprintln(out)
	}
	return nil
}

func newTraceCommand() *cobra.Command {
	var kind string
	var seed uint64
	cmd := &cobra.Command{
		Use:   "trace --kind KIND",
		Short: "Write a generated demand trace to standard output",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return simulate.Generate(cmd.OutOrStdout(), kind, seed)
		},
	}
	cmd.Flags().StringVar(&kind, "kind", "diurnal", strings.Join(simulate.TraceKinds, ", ")+
		", or "+simulate.RandomKind+" (drawn whole from the seed, beside `simulate pools` of the same seed)")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "random seed; the same seed gives the same trace")
	return cmd
}

func newPoolsCommand() *cobra.Command {
	var seed uint64
	cmd := &cobra.Command{
		Use:   "pools --seed N",
		Short: "Write the random pools of a seed, for the random trace of the same seed, to standard output",
		Long: "Write 2 to 8 ClusterPools drawn from the seed: on-demand, spot and fixed-price pools, in and\n" +
			"beside the regions of `simulate trace --kind random` of the same seed. Seeds from 1000 on\n" +
			"are held out for the ensemble benchmark: no test and no tuning uses them.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return simulate.RandomPools(cmd.OutOrStdout(), seed)
		},
	}
	cmd.Flags().Uint64Var(&seed, "seed", 1, "random seed; the same seed gives the same pools")
	return cmd
}
