package simulate

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/optimize/convex/lp"

	"github.com/navarkos/navarkos/internal/placement"
)

// TestTableauSimplexAgreesWithGonum solves the bound's programs for random classes over the
// random pools of seeds 1 to 40 with the tableau and with gonum's simplex, which starts
// from its own first phase, and wants the same least cost.
func TestTableauSimplexAgreesWithGonum(t *testing.T) {
	compared := 0
	for seed := uint64(1); seed <= 40; seed++ {
		var pools bytes.Buffer
		if err := RandomPools(&pools, seed); err != nil {
			t.Fatal(err)
		}
		apiPools, err := ParsePools(&pools)
		if err != nil {
			t.Fatal(err)
		}
		s := newSim(apiPools, &Trace{}, time.Second)
		rng := rand.New(rand.NewPCG(seed, 7))
		classes := make([]boundClass, 1+rng.IntN(4))
		for k := range classes {
			classes[k].need = placement.Resources{MilliCPU: rng.Int64N(400_000), MemoryBytes: rng.Int64N(800) << 30, Pods: rng.Int64N(500)}
			for j := range s.pools {
				if rng.IntN(3) > 0 {
					classes[k].pools = append(classes[k].pools, j)
				}
			}
			if len(classes[k].pools) == 0 {
				classes[k].pools = []int{0}
			}
		}
		p := newRelaxation(s.pools, classes)
		ours, err := p.solve()
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		_, theirs, err := lp.Simplex(p.costs, p.a, p.b, 1e-10, nil)
		if err != nil {
			continue // gonum's first phase fails on some degenerate programs: nothing to compare
		}
		compared++
		if a, b := floats.Dot(p.costs, ours), floats.Dot(p.costs, theirs); math.Abs(a-b) > 1e-6*max(1, math.Abs(b)) {
			t.Errorf("seed %d: the tableau's least cost %.9f, gonum's %.9f", seed, a, b)
		}
	}
	if compared < 30 {
		t.Errorf("only %d of 40 programs compared", compared)
	}
}
