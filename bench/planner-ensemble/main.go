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
	"strings"
	"sync"
	"time"

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

// replayAll replays the seeds on workers at once, with a progress line on standard error,
// and returns each policy's outcomes in seed order, and the yardsticks broken on any seed.
func replayAll(first uint64, seeds, workers int, start time.Time) (map[string][]outcome, []string) {
	perSeed := make([]map[string]outcome, seeds)
	brokenOn := make([][]string, seeds)
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for range workers {
		wg.Go(func() {
			for i := range next {
				perSeed[i], brokenOn[i] = replay(first + uint64(i))
				mu.Lock()
				done++
				fmt.Fprintf(os.Stderr, "\rseed %d of %d replayed, %s", done, seeds, time.Since(start).Round(time.Second))
				mu.Unlock()
			}
		})
	}
	for i := range seeds {
		next <- i
	}
	close(next)
	wg.Wait()
	results := map[string][]outcome{}
	var broken []string
	for i, m := range perSeed {
		for policy, o := range m {
			results[policy] = append(results[policy], o)
		}
		if len(brokenOn[i]) > 0 {
			broken = append(broken, fmt.Sprintf("seed %d: %s", first+uint64(i), strings.Join(brokenOn[i], "; ")))
		}
	}
	return results, broken
}

// replay runs every policy on one seed's trace and pools, and checks the yardsticks.
func replay(seed uint64) (map[string]outcome, []string) {
	var traceCSV, poolsYAML bytes.Buffer
	must(simulate.Generate(&traceCSV, simulate.RandomKind, seed))
	must(simulate.RandomPools(&poolsYAML, seed))
	trace, err := simulate.ParseTrace(&traceCSV)
	must(err)
	pools, err := simulate.ParsePools(&poolsYAML)
	must(err)
	reports, took := map[string]simulate.Report{}, map[string]time.Duration{}
	var all []simulate.Report
	for _, policy := range simulate.Policies {
		began := time.Now()
		r, err := simulate.Run(pools, trace, policy, simulate.Options{Step: step})
		took[policy] = time.Since(began)
		must(err)
		reports[policy] = r
		all = append(all, r)
	}
	local := reports[simulate.PolicyLocalityBound]
	floor := local.UnplacedFloorReplicaSeconds
	steps := math.Ceil(float64(trace.End) / float64(step))
	out := map[string]outcome{}
	for policy, r := range reports {
		out[policy] = outcome{
			costVsBound:     r.Cost / local.Cost,
			unplacedVsFloor: ratio(r.UnplacedReplicaSeconds, floor),
			churnPer1000h:   r.ChurnPer1000ReplicaHours,
			msPerStep:       float64(took[policy].Microseconds()) / 1000 / steps,
			dominated:       dominated(r, local.Frontier),
		}
	}
	return out, simulate.Yardsticks(all)
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
