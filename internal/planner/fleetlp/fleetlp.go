// Package fleetlp decides the cheapest whole fleet for all demand at once: how many clusters
// and nodes of each pool serve which class of demand. A linear program prices nodes with
// their share of a full cluster's price, and a rounding step makes the counts whole. Priced
// need by need, one more node of a running cluster beats a new cluster every time, though a
// pool priced by the cluster may be the cheapest home for all the demand together.
package fleetlp

import (
	"math"
	"slices"

	"github.com/navarkos/navarkos/internal/placement"
	"github.com/navarkos/navarkos/internal/planner/fleet"
)

// Class is demand that may use the same pools, summed.
type Class struct {
	// Pools indexes the pools given to Decide; Weight is each one's price multiplier for the
	// class, the average over its replicas.
	Pools  []int
	Weight []float64
	Amount placement.Resources
	// Replicas counts the class's replicas.
	Replicas int64
}

// Scaled is classes with their demand scaled by share.
func Scaled(classes []Class, share float64) []Class {
	scaled := make([]Class, len(classes))
	for k, c := range classes {
		scaled[k] = Class{Pools: c.Pools, Weight: c.Weight, Amount: c.Amount.Scaled(share), Replicas: int64(float64(c.Replicas) * share)}
	}
	return scaled
}

// Target is a whole fleet: nodes and clusters of each pool, whole.
type Target struct {
	Nodes, Clusters []int64
	// Cost is what the target costs per hour at its whole counts, by pool prices.
	Cost float64
	// Unserved is set when the pools cannot hold every class.
	Unserved bool
}

const (
	// maxRoundingSolves bounds how many linear programs the rounding solves, so that a
	// decision stays fast on large fleets.
	maxRoundingSolves = 12
	// roundingWorthASolve is the share of the target's cost a pool's rounding must waste
	// before it is tried with a cluster less.
	roundingWorthASolve = 0.01
)

// Decide finds the whole-fleet target for the classes: the linear program's relaxation,
// rounded up to whole nodes and clusters, then pools whose rounding costs most are given a
// cluster less while that lowers the whole cost. Nil when there are no classes or the
// program has no solution.
func Decide(pools []fleet.Pool, classes []Class) *Target {
	if len(classes) == 0 {
		return nil
	}
	caps := make([]int64, len(pools))
	for j := range pools {
		caps[j] = int64(pools[j].MaxClusters)
	}
	best, objective := solve(pools, classes, caps)
	if best == nil {
		return nil
	}
	tried := map[int]bool{}
	for range maxRoundingSolves {
		worst := mostWasteful(pools, best, tried)
		if worst < 0 {
			break
		}
		tried[worst] = true
		trial := slices.Clone(caps)
		trial[worst] = best.Clusters[worst] - 1
		if t, obj := solve(pools, classes, trial); t != nil && obj < objective-1e-9 {
			best, objective, caps = t, obj, trial
			delete(tried, worst) // it may do with fewer still
		}
	}
	return best
}

// mostWasteful is the pool, not yet tried, whose whole clusters waste the most of their
// price, when that waste is worth a solve; -1 for none.
func mostWasteful(pools []fleet.Pool, t *Target, tried map[int]bool) int {
	worst, worstWaste := -1, roundingWorthASolve*t.Cost
	for j := range pools {
		if t.Clusters[j] == 0 || tried[j] {
			continue
		}
		full := float64(t.Clusters[j] * int64(max(pools[j].MaxNodes, 1)))
		if waste := (full - float64(t.Nodes[j])) / full * float64(t.Clusters[j]) * pools[j].ClusterPrice; waste > worstWaste {
			worst, worstWaste = j, waste
		}
	}
	return worst
}

// DegeneracyEase is how far a linear program's row with an upper bound of 0 is eased, a
// different tiny amount for each row: with many bounds at 0 a program is degenerate, and the
// simplex may cycle there for ever. Eased, it is not; what the rows lack for that is a
// millionth of a node, within the rounding of nodes up.
func DegeneracyEase(row int) float64 {
	const ease = 1e-7
	return ease * (1 + math.Mod(float64(row)*math.Phi, 1))
}
