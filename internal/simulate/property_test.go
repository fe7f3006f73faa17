package simulate_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/navarkos/navarkos/internal/simulate"
)

// propertyPairs is how many random trace and pool pairs the yardsticks are checked on;
// shortPropertyPairs in short mode (make test-unit), where the full run would take minutes.
const (
	propertyPairs      = 200
	shortPropertyPairs = 10
)

// propertyStep is the virtual time between decisions in the property test: the yardsticks
// hold whatever the step, and a longer one replays the 200 pairs in minutes, not an hour.
const propertyStep = 5 * time.Minute

// TestYardsticksHoldOnRandomPairs replays random traces with their pools, seeds 1 to
// propertyPairs, and checks that the yardsticks hold whatever the demand: no policy costs
// less than the cost bound of what it placed, the locality bound costs no less than the
// bound, neither policy without foresight leaves less unplaced than the floor, and every
// oracle of the frontier leaves at least the floor unplaced.
func TestYardsticksHoldOnRandomPairs(t *testing.T) {
	pairs := uint64(propertyPairs)
	if testing.Short() {
		pairs = shortPropertyPairs
	}
	for seed := uint64(1); seed <= pairs; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			_, trace, pools := randomPair(t, seed)
			for _, problem := range yardstickProblems(t, trace, pools) {
				t.Errorf("seed %d: %s", seed, problem)
			}
		})
	}
}

// yardstickProblems replays every policy on the pair and lists the yardsticks passed.
func yardstickProblems(t *testing.T, traceCSV, poolsYAML []byte) []string {
	trace, err := simulate.ParseTrace(bytes.NewReader(traceCSV))
	if err != nil {
		t.Fatal(err)
	}
	pools, err := simulate.ParsePools(bytes.NewReader(poolsYAML))
	if err != nil {
		t.Fatal(err)
	}
	var reports []simulate.Report
	for _, policy := range simulate.Policies {
		r, err := simulate.Run(pools, trace, policy, simulate.Options{Step: propertyStep})
		if err != nil {
			t.Fatal(err)
		}
		reports = append(reports, r)
	}
	return simulate.Yardsticks(reports)
}
