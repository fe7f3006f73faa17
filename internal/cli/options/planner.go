package options

import (
	"fmt"
	"math"
	"time"

	"github.com/spf13/pflag"

	plannerctl "github.com/navarkos/navarkos/internal/controller/planner"
	"github.com/navarkos/navarkos/internal/planner"
	"github.com/navarkos/navarkos/internal/setup"
)

// Planner are the flags that tune the planner, shared by `up` and `controller`.
type Planner struct {
	Disabled bool
	Interval time.Duration
	Config   planner.Config
}

// AddFlags registers the planner flags.
func (p *Planner) AddFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&p.Disabled, "disable-planner", false, "do not create, wake, scale or take clusters offline by demand")
	fs.DurationVar(&p.Interval, "plan-interval", plannerctl.DefaultInterval, "how often the planner looks at the fleet when nothing changes")
	p.AddConfigFlags(fs)
}

// AddConfigFlags registers the flags that change the planner's decisions, which `plan` and
// `explain` take too, to show what a controller run with them decides.
func (p *Planner) AddConfigFlags(fs *pflag.FlagSet) {
	def := planner.DefaultConfig()
	p.Config = def
	fs.DurationVar(&p.Config.StabilizationWindow, "scale-down-stabilization", def.StabilizationWindow, "how long a cluster keeps nodes after its demand falls")
	fs.Int32Var(&p.Config.DisruptionBudget, "disruption-budget", def.DisruptionBudget, "the most replicas of one workload a consolidation step moves at once")
	fs.Float64Var(&p.Config.ConsolidationThreshold, "consolidation-threshold", def.ConsolidationThreshold, "the share of a cluster's cost that draining it must save")
	fs.IntVar(&p.Config.MaxMovesPerHour, "max-moves-per-hour", def.MaxMovesPerHour, "how many consolidations may move one workload's replicas in an hour")
	fs.BoolVar(&p.Config.Forecast, "forecast", false, "add capacity ahead of a recurring ramp: for what each workload ran a day or a week ago, or one and two of its own periods ago (three rises at one spacing), within the time the slowest pool takes to make a cluster, each way of adding capacity ordered its own time to capacity before the ramp; a trough it knows gives its nodes back at once")
	fs.Float64Var(&p.Config.LocalityThreshold, "locality-threshold", def.LocalityThreshold, LocalityThresholdUsage)
	fs.Float64Var(&p.Config.DisruptionCost, "disruption-cost", def.DisruptionCost, "what moving one replica costs, in the pools' currency: a drain must save more than its moves cost within an hour, and demand must have stayed within what the drain leaves for as long as the saving takes to pay them")
}

// LocalityThresholdUsage describes --locality-threshold, for `up`, `controller` and `simulate`.
const LocalityThresholdUsage = "how much cheaper, as a share of the price near a demand's regions, a far pool must be before the planner serves the demand from it: 0 ignores distance, 1 never goes far while near capacity can be had"

// CheckLocalityThreshold refuses a --locality-threshold outside 0 to 1.
func CheckLocalityThreshold(v float64) error {
	if !(v >= 0 && v <= 1) {
		return fmt.Errorf("--locality-threshold must be between 0 and 1, not %g", v)
	}
	return nil
}

// Options turns the flags into the controllers' planner options.
func (p *Planner) Options() (setup.PlannerOptions, error) {
	if p.Config.DisruptionBudget < 1 {
		return setup.PlannerOptions{}, fmt.Errorf("--disruption-budget must be at least 1, not %d", p.Config.DisruptionBudget)
	}
	if p.Config.ConsolidationThreshold < 0 || p.Config.ConsolidationThreshold > 1 {
		return setup.PlannerOptions{}, fmt.Errorf("--consolidation-threshold must be between 0 and 1, not %g", p.Config.ConsolidationThreshold)
	}
	if err := CheckLocalityThreshold(p.Config.LocalityThreshold); err != nil {
		return setup.PlannerOptions{}, err
	}
	if p.Config.MaxMovesPerHour < 0 {
		return setup.PlannerOptions{}, fmt.Errorf("--max-moves-per-hour must be 0 or more, not %d", p.Config.MaxMovesPerHour)
	}
	if p.Config.DisruptionCost < 0 || math.IsNaN(p.Config.DisruptionCost) || math.IsInf(p.Config.DisruptionCost, 0) {
		return setup.PlannerOptions{}, fmt.Errorf("--disruption-cost must be a price of 0 or more, not %g", p.Config.DisruptionCost)
	}
	return setup.PlannerOptions{Disabled: p.Disabled, Interval: p.Interval, Config: p.Config}, nil
}
