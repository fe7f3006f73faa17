package placement_test

import (
	"maps"
	"math/rand/v2"
	"testing"

	"github.com/navarkos/navarkos/internal/placement"
)

func decision(unplaced int32, replicas map[string]int32) placement.Result {
	d := placement.Result{Unplaced: unplaced}
	for c, n := range replicas {
		d.Assignments = append(d.Assignments, placement.Assignment{Cluster: c, Replicas: n})
	}
	return d
}

func TestNextStepMakesBeforeItBreaks(t *testing.T) {
	move := decision(0, map[string]int32{"b": 6})
	limits := placement.Rollout{MaxUnavailable: 0, MaxSurge: 2}
	for _, tc := range []struct {
		name     string
		d        placement.Result
		progress placement.Progress
		want     map[string]int32
		done     bool
	}{{
		name:     "a move starts with the surge alone",
		d:        move,
		progress: placement.Progress{Bound: map[string]int32{"a": 6}, Ready: map[string]int32{"a": 6}},
		want:     map[string]int32{"a": 6, "b": 2},
	}, {
		name:     "the old cluster gives up as many as are Ready elsewhere",
		d:        move,
		progress: placement.Progress{Bound: map[string]int32{"a": 6, "b": 2}, Ready: map[string]int32{"a": 6, "b": 2}},
		want:     map[string]int32{"a": 4, "b": 4},
	}, {
		name:     "nothing is given up while the new replicas start",
		d:        move,
		progress: placement.Progress{Bound: map[string]int32{"a": 6, "b": 2}, Ready: map[string]int32{"a": 6}},
		want:     map[string]int32{"a": 6, "b": 2},
	}, {
		name:     "replicas that are not Ready go at once",
		d:        move,
		progress: placement.Progress{Bound: map[string]int32{"a": 6}, Ready: map[string]int32{"a": 1}},
		want:     map[string]int32{"a": 1, "b": 6},
	}, {
		name:     "an unreachable cluster holds nothing back",
		d:        move,
		progress: placement.Progress{Bound: map[string]int32{"a": 6}},
		want:     map[string]int32{"b": 6},
		done:     true,
	}, {
		name:     "the move ends when the new replicas are Ready",
		d:        move,
		progress: placement.Progress{Bound: map[string]int32{"a": 2, "b": 6}, Ready: map[string]int32{"a": 2, "b": 6}},
		want:     map[string]int32{"b": 6},
		done:     true,
	}, {
		name:     "replicas with nowhere to go stay",
		d:        decision(6, nil),
		progress: placement.Progress{Bound: map[string]int32{"a": 6}, Ready: map[string]int32{"a": 6}, Expired: true},
		want:     map[string]int32{"a": 6},
	}, {
		name:     "an expired grace period moves what has a place",
		d:        decision(2, map[string]int32{"b": 4}),
		progress: placement.Progress{Bound: map[string]int32{"a": 6}, Ready: map[string]int32{"a": 6}, Expired: true},
		want:     map[string]int32{"a": 2, "b": 4},
	}, {
		name:     "a scale-down needs no replacement",
		d:        decision(0, map[string]int32{"a": 3}),
		progress: placement.Progress{Bound: map[string]int32{"a": 6}, Ready: map[string]int32{"a": 6}},
		want:     map[string]int32{"a": 3},
		done:     true,
	}, {
		name:     "a first placement gets everything at once",
		d:        decision(0, map[string]int32{"a": 3, "b": 3}),
		progress: placement.Progress{},
		want:     map[string]int32{"a": 3, "b": 3},
		done:     true,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got := placement.NextStep(tc.d, tc.progress, limits)
			if !maps.Equal(got.Replicas, tc.want) || got.Done != tc.done {
				t.Errorf("NextStep = %v done=%v, want %v done=%v", got.Replicas, got.Done, tc.want, tc.done)
			}
		})
	}
}

// TestNextStepKeepsItsBoundsOnRandomMoves plays random moves to the end, replicas turning
// Ready a random number of steps after they are bound, and checks the rollout's promises at
// every step: never fewer Ready than replicas-maxUnavailable (once that many were Ready),
// never more bound than replicas+maxSurge (beyond what was bound at the start), and done
// within a bounded number of steps.
func TestNextStepKeepsItsBoundsOnRandomMoves(t *testing.T) {
	rng := rand.New(rand.NewPCG(32, 2026))
	clusters := []string{"a", "b", "c", "d"}
	for round := range 2000 {
		replicas := int32(1 + rng.IntN(20))
		limits := placement.Rollout{MaxUnavailable: int32(rng.IntN(3)), MaxSurge: int32(rng.IntN(4))}
		if limits.MaxUnavailable == 0 && limits.MaxSurge == 0 {
			limits.MaxSurge = 1
		}
		from, to := randomSplit(rng, clusters, replicas), randomSplit(rng, clusters, replicas)
		w := newWorld(rng, from)
		d := decision(0, to)
		for step := 0; ; step++ {
			if step > 4*int(replicas)+20 {
				t.Fatalf("round %d: %v → %v with %+v did not finish in %d steps; stuck at %v", round, from, to, limits, step, w.bound)
			}
			got := placement.NextStep(d, placement.Progress{Bound: w.bound, Ready: w.ready()}, limits)
			w.apply(got.Replicas)
			if ready := sum(w.ready()); ready < int64(replicas-limits.MaxUnavailable) {
				t.Fatalf("round %d: %v → %v with %+v: step %d leaves %d Ready, below %d", round, from, to, limits, step, ready, replicas-limits.MaxUnavailable)
			}
			if total := sum(w.bound); total > int64(replicas+limits.MaxSurge) {
				t.Fatalf("round %d: %v → %v with %+v: step %d binds %d, above %d", round, from, to, limits, step, total, replicas+limits.MaxSurge)
			}
			if got.Done {
				if !maps.Equal(w.bound, to) {
					t.Fatalf("round %d: done at %v, want %v", round, w.bound, to)
				}
				break
			}
			w.tick()
		}
	}
}

func randomSplit(rng *rand.Rand, clusters []string, replicas int32) map[string]int32 {
	out := map[string]int32{}
	for range replicas {
		out[clusters[rng.IntN(1+rng.IntN(len(clusters)))]]++
	}
	return out
}

// world is a toy fleet for the property test: each bound replica turns Ready a random
// number of ticks after it was bound, and replicas given up go at once.
type world struct {
	rng   *rand.Rand
	bound map[string]int32
	// starting counts, per cluster, the replicas not yet Ready by ticks left.
	starting map[string][]int
}

func newWorld(rng *rand.Rand, ready map[string]int32) *world {
	return &world{rng: rng, bound: maps.Clone(ready), starting: map[string][]int{}}
}

func (w *world) ready() map[string]int32 {
	out := map[string]int32{}
	for c, n := range w.bound {
		out[c] = n - int32(len(w.starting[c]))
	}
	return out
}

func (w *world) apply(next map[string]int32) {
	for c := range w.bound {
		if next[c] == 0 {
			delete(w.bound, c)
			delete(w.starting, c)
		}
	}
	for c, n := range next {
		for ; w.bound[c] < n; w.bound[c]++ {
			w.starting[c] = append(w.starting[c], 1+w.rng.IntN(3))
		}
		for ; w.bound[c] > n; w.bound[c]-- {
			// A Deployment scaled down removes the replicas that are not Ready first.
			if k := len(w.starting[c]); k > 0 {
				w.starting[c] = w.starting[c][:k-1]
			}
		}
	}
}

func (w *world) tick() {
	for c, s := range w.starting {
		var left []int
		for _, t := range s {
			if t > 1 {
				left = append(left, t-1)
			}
		}
		w.starting[c] = left
	}
}

func sum(m map[string]int32) int64 {
	var s int64
	for _, n := range m {
		s += int64(n)
	}
	return s
}
