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

// step is the virtual time between two decisions, the simulator's default.
const step = 30 * time.Second

func main() {
	first := flag.Uint64("first", simulate.HeldOutSeeds, "first seed; seeds below the held-out ones are for tests")
	seeds := flag.Int("seeds", 100, "how many seeds, from -first on")
	workers := flag.Int("workers", runtime.NumCPU(), "seeds replayed at once")
	flag.Parse()
	if *first < simulate.HeldOutSeeds || *seeds < 1 || *workers < 1 {
		fmt.Fprintf(os.Stderr, "want -first of %d or more, and -seeds and -workers of 1 or more\n", simulate.HeldOutSeeds)
		os.Exit(2)
	}
	start := time.Now()
	results, broken := replayAll(*first, *seeds, *workers, start)
	fmt.Fprintf(os.Stderr, "\n%d seeds from %d in %s on %d workers\n", *seeds, *first, time.Since(start).Round(time.Second), *workers)
	printTable(results)
	fmt.Printf("Yardsticks broken (simulate.Yardsticks): on %d of %d seeds.\n", len(broken), *seeds)
	for _, b := range broken {
		fmt.Println("-", b)
	}
}

// outcome is one policy on one seed, as the table sums it up.
type outcome struct {
	costVsBound, unplacedVsFloor, churnPer1000h, msPerStep float64
	dominated                                              bool
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
func replayAll(first uint64, seeds, workers int, start time.Time) (map[string][]outcome, []string) {
	pairs := make([]pair, seeds)
	for i := range pairs {
		pairs[i] = draw(first + uint64(i))
	}
	type run struct{ seed, policy int }
	runs := make(chan run)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done, total := 0, seeds*len(simulate.Policies)
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
				fmt.Fprintf(os.Stderr, "\r%d of %d replays (%d seeds × %d policies), %s", done, total, seeds, len(simulate.Policies), time.Since(start).Round(time.Second))
				mu.Unlock()
			}
		})
	}
	// The slowest policies first, so that no worker is left with one at the end.
	for _, policy := range []string{simulate.PolicyForecast, simulate.PolicyPlanner, simulate.PolicyLocalityBound, simulate.PolicyStatic, simulate.PolicyNavarkos2017, simulate.PolicyLowerBound} {
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
		out[r.Policy] = outcome{
			costVsBound:     r.Cost / local.Cost,
			unplacedVsFloor: ratio(r.UnplacedReplicaSeconds, floor),
			churnPer1000h:   r.ChurnPer1000ReplicaHours,
			msPerStep:       float64(p.took[i].Microseconds()) / 1000 / steps,
			dominated:       dominated(r, local.Frontier),
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

// ratio is a over b, 1 when both are 0.
func ratio(a, b float64) float64 {
	if a == 0 && b == 0 {
		return 1
	}
	return a / b
}

func printTable(results map[string][]outcome) {
	fmt.Println("| policy | cost vs locality bound | unplaced vs floor | frontier dominates | churn per 1,000 replica-h | ms per step, decision and replay |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, policy := range simulate.Policies {
		outcomes := results[policy]
		pick := func(f func(outcome) float64) string {
			xs := make([]float64, len(outcomes))
			for i, o := range outcomes {
				xs[i] = f(o)
			}
			return fmt.Sprintf("%.3f / %.3f / %.3f", stats.Median(xs), stats.Quantile(xs, 0.9), stats.Quantile(xs, 1))
		}
		dominated := 0
		for _, o := range outcomes {
			if o.dominated {
				dominated++
			}
		}
		unplaced, dominates, churn := pick(func(o outcome) float64 { return o.unplacedVsFloor }), fmt.Sprintf("%d of %d", dominated, len(outcomes)), pick(func(o outcome) float64 { return o.churnPer1000h })
		if policy == simulate.PolicyLowerBound || policy == simulate.PolicyLocalityBound {
			unplaced, dominates, churn = "-", "-", "-" // the bounds place nothing
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %s |\n", policy, pick(func(o outcome) float64 { return o.costVsBound }),
			unplaced, dominates, churn, pick(func(o outcome) float64 { return o.msPerStep }))
	}
	fmt.Println("\nEach cell: median / 90th percentile / worst over the seeds.")
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
