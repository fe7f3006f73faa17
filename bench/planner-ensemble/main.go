// Command planner-ensemble replays every simulator policy on the held-out random traces,
// seeds 1000 to 1099 unless told otherwise, each with the random pools of its seed, and
// prints each policy's distribution over the seeds (median, 90th percentile and worst) of:
// its cost over the locality bound's; the demand it left unplaced over the floor; how often
// an oracle of the frontier dominates it (costs 10% less and leaves 1.2× less unplaced); its
// churn per 1,000 replica-hours; and its wall time per simulated step, the decision with the
// replay around it. No test and no tuning uses these seeds: they judge the planner on demand
// nobody shaped it for.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/bench/internal/stats"
	"github.com/navarkos/navarkos/internal/simulate"
)

// Dominance is how much better an oracle of the frontier must do on both counts to
// dominate a policy: cheaper by domCheaper and leaving domLess times less unplaced.
const (
	domCheaper = 0.10
	domLess    = 1.2
)

// The planner's goals on the held-out seeds: on the seeds where an oracle of the frontier
// costs at most goalCost times the locality bound and leaves at most goalUnplaced times the
// floor unplaced (goal seeds), the 90th percentiles of the same two ratios stay within
// them; churn per 1,000 replica-hours stays within goalChurn at the 90th percentile over
// every seed, and the median decision within goalMsPerStep.
const (
	goalCost      = 1.10
	goalUnplaced  = 1.2
	goalChurn     = 5
	goalMsPerStep = 100
)

// step is the virtual time between two decisions, the simulator's default.
const step = 30 * time.Second

func main() {
	first := flag.Uint64("first", simulate.HeldOutSeeds, "first seed; seeds from 500 to 999 are for tuning, below 500 for tests")
	seeds := flag.Int("seeds", 100, "how many seeds, from -first on")
	workers := flag.Int("workers", runtime.NumCPU(), "seeds replayed at once")
	only := flag.String("policies", "", "comma-separated policies to replay, the locality bound always among them; all when empty")
	flag.Parse()
	policies, err := chosen(*only)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if *first < simulate.TuningSeeds || *seeds < 1 || *workers < 1 {
		fmt.Fprintf(os.Stderr, "want -first of %d or more, and -seeds and -workers of 1 or more\n", simulate.TuningSeeds)
		os.Exit(2)
	}
	if *first < simulate.HeldOutSeeds {
		fmt.Fprintf(os.Stderr, "seeds from %d are for tuning: judge what they tune on the held-out seeds, %d on\n", *first, simulate.HeldOutSeeds)
	}
	start := time.Now()
	results, broken := replayAll(*first, *seeds, *workers, policies, start)
	fmt.Fprintf(os.Stderr, "\n%d seeds from %d in %s on %d workers\n", *seeds, *first, time.Since(start).Round(time.Second), *workers)
	printTable(results)
	printGoals(results, *first)
	fmt.Printf("Yardsticks broken (simulate.Yardsticks): on %d of %d seeds.\n", len(broken), *seeds)
	for _, b := range broken {
		fmt.Println("-", b)
	}
}

// outcome is one policy on one seed, as the table sums it up.
type outcome struct {
	costVsBound, unplacedVsFloor, churnPer1000h, msPerStep float64
	// farShare is the share of placed replica-seconds far from their demand's regions.
	farShare  float64
	dominated bool
	// goalSeed is set when an oracle of the frontier meets both the cost and the unplaced goal.
	goalSeed bool
}

// pair is one seed's trace and pools, and each policy's report on them with its wall time.
type pair struct {
	trace   *simulate.Trace
	pools   []n6sv1alpha1.ClusterPool
	reports []simulate.Report
	took    []time.Duration
}

// replayAll replays every policy on every seed, a policy on a seed at a time on each worker,
// with a progress line on standard error, and returns each policy's outcomes in seed order,
// and the yardsticks broken on any seed.
func replayAll(first uint64, seeds, workers int, policies []string, start time.Time) (map[string][]outcome, []string) {
	pairs := make([]pair, seeds)
	for i := range pairs {
		pairs[i] = draw(first + uint64(i))
	}
	type run struct{ seed, policy int }
	runs := make(chan run)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done, total := 0, seeds*len(policies)
	for range workers {
		wg.Go(func() {
			for r := range runs {
				p := &pairs[r.seed]
				began := time.Now()
				report, err := simulate.Run(p.pools, p.trace, simulate.Policies[r.policy], simulate.Options{Step: step})
				must(err)
				p.reports[r.policy], p.took[r.policy] = report, time.Since(began)
				mu.Lock()
				done++
				fmt.Fprintf(os.Stderr, "\r%d of %d replays (%d seeds × %d policies), %s", done, total, seeds, len(policies), time.Since(start).Round(time.Second))
				mu.Unlock()
			}
		})
	}
	// The slowest policies first, so that no worker is left with one at the end.
	for _, policy := range []string{simulate.PolicyForecast, simulate.PolicyPlanner, simulate.PolicyLocalityBound, simulate.PolicyStatic, simulate.PolicyNavarkos2017, simulate.PolicyLowerBound} {
		if !slices.Contains(policies, policy) {
			continue
		}
		for seed := range seeds {
			runs <- run{seed, slices.Index(simulate.Policies, policy)}
		}
	}
	close(runs)
	wg.Wait()
	results := map[string][]outcome{}
	var broken []string
	for i, p := range pairs {
		for policy, o := range p.outcomes() {
			results[policy] = append(results[policy], o)
		}
		if len(policies) < len(simulate.Policies) {
			continue // the yardsticks compare every policy
		}
		if b := simulate.Yardsticks(p.reports); len(b) > 0 {
			broken = append(broken, fmt.Sprintf("seed %d: %s", first+uint64(i), strings.Join(b, "; ")))
		}
	}
	return results, broken
}

// draw makes a seed's random trace and pools.
func draw(seed uint64) pair {
	var traceCSV, poolsYAML bytes.Buffer
	must(simulate.Generate(&traceCSV, simulate.RandomKind, seed))
	must(simulate.RandomPools(&poolsYAML, seed))
	trace, err := simulate.ParseTrace(&traceCSV)
	must(err)
	pools, err := simulate.ParsePools(&poolsYAML)
	must(err)
	n := len(simulate.Policies)
	return pair{trace: trace, pools: pools, reports: make([]simulate.Report, n), took: make([]time.Duration, n)}
}

// outcomes sums up each policy's report on the pair against the yardsticks.
func (p *pair) outcomes() map[string]outcome {
	local := p.reports[slices.Index(simulate.Policies, simulate.PolicyLocalityBound)]
	floor := local.UnplacedFloorReplicaSeconds
	steps := math.Ceil(float64(p.trace.End) / float64(step))
	out := map[string]outcome{}
	for i, r := range p.reports {
		if r.Policy == "" {
			continue // not replayed
		}
		out[r.Policy] = outcome{
			costVsBound:     r.Cost / local.Cost,
			unplacedVsFloor: ratio(r.UnplacedReplicaSeconds, floor),
			churnPer1000h:   r.ChurnPer1000ReplicaHours,
			msPerStep:       float64(p.took[i].Microseconds()) / 1000 / steps,
			farShare:        r.FarShare,
			dominated:       dominated(r, local.Frontier),
			goalSeed:        goalSeed(local),
		}
	}
	return out
}

// dominated reports whether an oracle of the frontier costs domCheaper less than r and
// leaves domLess times less unplaced.
func dominated(r simulate.Report, f simulate.Frontier) bool {
	for _, o := range f {
		if o.Cost <= (1-domCheaper)*r.Cost && o.UnplacedReplicaSeconds*domLess <= r.UnplacedReplicaSeconds {
			return true
		}
	}
	return false
}

// goalSeed reports whether an oracle of the locality bound's frontier meets both the cost
// and the unplaced goal.
func goalSeed(local simulate.Report) bool {
	for _, o := range local.Frontier {
		if o.Cost <= goalCost*local.Cost && ratio(o.UnplacedReplicaSeconds, local.UnplacedFloorReplicaSeconds) <= goalUnplaced {
			return true
		}
	}
	return false
}

// ratio is a over b, 1 when both are 0.
func ratio(a, b float64) float64 {
	if a == 0 && b == 0 {
		return 1
	}
	return a / b
}

func printTable(results map[string][]outcome) {
	fmt.Println("| policy | cost vs locality bound | unplaced vs floor | frontier dominates | churn per 1,000 replica-h | far share | ms per step, decision and replay |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, policy := range simulate.Policies {
		outcomes := results[policy]
		if len(outcomes) == 0 {
			continue
		}
		pick := func(f func(outcome) float64) string {
			xs := pickAll(outcomes, f)
			return fmt.Sprintf("%.3f / %.3f / %.3f", stats.Median(xs), stats.Quantile(xs, 0.9), stats.Quantile(xs, 1))
		}
		dominated := 0
		for _, o := range outcomes {
			if o.dominated {
				dominated++
			}
		}
		unplaced, dominates, churn := pick(func(o outcome) float64 { return o.unplacedVsFloor }), fmt.Sprintf("%d of %d", dominated, len(outcomes)), pick(func(o outcome) float64 { return o.churnPer1000h })
		far := pick(func(o outcome) float64 { return o.farShare })
		if policy == simulate.PolicyLowerBound || policy == simulate.PolicyLocalityBound {
			unplaced, dominates, churn, far = "-", "-", "-", "-" // the bounds place nothing
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %s | %s |\n", policy, pick(func(o outcome) float64 { return o.costVsBound }),
			unplaced, dominates, churn, far, pick(func(o outcome) float64 { return o.msPerStep }))
	}
	fmt.Println("\nEach cell: median / 90th percentile / worst over the seeds.")
}

// printGoals prints how the planner's policies meet the goals, and the goal seeds on which
// each misses its cost or unplaced goal.
func printGoals(results map[string][]outcome, first uint64) {
	fmt.Println("\n| goal | planner | forecast | goal |")
	fmt.Println("|---|---|---|---|")
	policies := []string{simulate.PolicyPlanner, simulate.PolicyForecast}
	row := func(name, goal string, f func([]outcome) string) {
		cells := make([]string, len(policies))
		for i, policy := range policies {
			cells[i] = "-"
			if os := results[policy]; len(os) > 0 {
				cells[i] = f(os)
			}
		}
		fmt.Printf("| %s | %s | %s | %s |\n", name, cells[0], cells[1], goal)
	}
	onGoalSeeds := func(os []outcome, f func(outcome) float64) []float64 {
		var xs []float64
		for _, o := range os {
			if o.goalSeed {
				xs = append(xs, f(o))
			}
		}
		return xs
	}
	p90 := func(xs []float64) string {
		if len(xs) == 0 {
			return "-"
		}
		return fmt.Sprintf("%.3f", stats.Quantile(xs, 0.9))
	}
	seeds := len(onGoalSeeds(results[simulate.PolicyLocalityBound], func(outcome) float64 { return 0 }))
	row(fmt.Sprintf("cost vs locality bound, p90 on the %d goal seeds", seeds), fmt.Sprintf("≤ %.2f", goalCost), func(os []outcome) string {
		return p90(onGoalSeeds(os, func(o outcome) float64 { return o.costVsBound }))
	})
	row(fmt.Sprintf("unplaced vs floor, p90 on the %d goal seeds", seeds), fmt.Sprintf("≤ %.1f", goalUnplaced), func(os []outcome) string {
		return p90(onGoalSeeds(os, func(o outcome) float64 { return o.unplacedVsFloor }))
	})
	row("dominated by a frontier oracle", "on no seed", func(os []outcome) string {
		n := 0
		for _, o := range os {
			if o.dominated {
				n++
			}
		}
		return fmt.Sprintf("%d of %d", n, len(os))
	})
	row("churn per 1,000 replica-hours, p90", fmt.Sprintf("≤ %d", goalChurn), func(os []outcome) string {
		return p90(pickAll(os, func(o outcome) float64 { return o.churnPer1000h }))
	})
	row("ms per step, median", fmt.Sprintf("≤ %d", goalMsPerStep), func(os []outcome) string {
		return fmt.Sprintf("%.2f", stats.Median(pickAll(os, func(o outcome) float64 { return o.msPerStep })))
	})
	for i, o := range results[policies[0]] {
		if o.goalSeed && (o.costVsBound > goalCost || o.unplacedVsFloor > goalUnplaced) {
			fmt.Printf("- planner misses a goal on seed %d: cost %.3f× the locality bound, unplaced %.3f× the floor\n", first+uint64(i), o.costVsBound, o.unplacedVsFloor)
		}
		if o.churnPer1000h > goalChurn {
			fmt.Printf("- planner churns %.2f per 1,000 replica-hours on seed %d\n", o.churnPer1000h, first+uint64(i))
		}
	}
}

// chosen is the policies named in a comma-separated list, the locality bound added; every
// policy for an empty list.
func chosen(list string) ([]string, error) {
	if list == "" {
		return simulate.Policies, nil
	}
	out := []string{simulate.PolicyLocalityBound}
	for _, name := range strings.Split(list, ",") {
		if !slices.Contains(simulate.Policies, name) {
			return nil, fmt.Errorf("unknown policy %q: want some of %s", name, strings.Join(simulate.Policies, ","))
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out, nil
}

// pickAll is f of every outcome.
func pickAll(os []outcome, f func(outcome) float64) []float64 {
	xs := make([]float64, len(os))
	for i, o := range os {
		xs[i] = f(o)
	}
	return xs
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
