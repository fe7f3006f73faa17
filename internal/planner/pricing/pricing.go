// Package pricing decides what capacity is worth to a demand: the price of a replica on a
// pool's nodes, amortised over a full cluster or at the margin, raised by distance, tier,
// pre-emption risk, reserve and delay; whether far capacity is cheap enough to take; and
// whether a change to the fleet pays back what it costs while it overlaps and the moves it makes.
package pricing

import (
	"math"
	"time"

	"github.com/navarkos/navarkos/internal/placement"
	"github.com/navarkos/navarkos/internal/planner/fleet"
)

// Weights raise a pool's price for a demand, each by a fraction.
type Weights struct {
	// Locality is for capacity outside the demand's own regions, Tier for the wrong tier,
	// Spot for pre-emptible nodes, Reserve for a pool that a demand with required labels
	// can use, and Delay for each hour the capacity takes to come.
	Locality, Tier, Spot, Reserve, Delay float64
}

// Multiplier raises a pool's price for a demand by distance, tier and pre-emption risk.
func (w Weights) Multiplier(p *fleet.Pool, d *fleet.Demand) float64 {
	m := 1.0
	if len(d.Shares) > 0 {
		m += w.Locality * (1 - min(d.Shares[p.Region], 1))
	}
	for _, pref := range d.Policy.Preferences {
		if pref.Kind == placement.PreferTier && pref.Tier != p.Tier {
			m += w.Tier
			break
		}
	}
	if p.Spot {
		m += w.Spot
	}
	return m
}

// Delayed is what the Delay weight makes of a weight for capacity that takes delay to come,
// when share of the replicas it is priced over wait for it.
func (w Weights) Delayed(weight float64, delay time.Duration, share float64) float64 {
	return weight * (1 + w.Delay*delay.Hours()*share)
}

// PerReplica is what one replica of request costs per hour on a pool's nodes: at the margin,
// one more node of a running cluster. Nothing for no pool; infinite when a replica does not
// fit on a node.
func PerReplica(p *fleet.Pool, request placement.Resources) float64 {
	if p == nil {
		return 0
	}
	perNode := fleet.ReplicasPerNode(p.Shape, request)
	if perNode <= 0 {
		return math.Inf(1)
	}
	return p.NodePrice / float64(perNode)
}

// AmortisedNodePrice is what a node of the pool costs per hour in a full cluster: its price and
// its share of the cluster price. Unlike the price of one more node, it does not depend on
// what the fleet runs now, so the locality rule gives the same answer from one decision to
// the next.
func AmortisedNodePrice(p *fleet.Pool) float64 {
	return p.NodePrice + p.ClusterPrice/float64(max(p.MaxNodes, 1))
}

// AmortisedPerReplica is AmortisedNodePrice per replica of request.
func AmortisedPerReplica(p *fleet.Pool, request placement.Resources) float64 {
	perNode := fleet.ReplicasPerNode(p.Shape, request)
	if perNode <= 0 {
		return math.Inf(1)
	}
	return AmortisedNodePrice(p) / float64(perNode)
}

// FarAllowed reports whether capacity far from a region may serve it: when it costs at most
// (1 - threshold) of the cheapest capacity near the region. A threshold of 0 ignores
// distance; 1 or more keeps demand near whenever near capacity can be had.
func FarAllowed(farPrice, nearPrice, threshold float64) bool {
	if threshold >= 1 {
		return false
	}
	return farPrice <= (1-max(threshold, 0))*nearPrice
}

// Payback is what a change to the fleet saves, and what it costs to make: new capacity paid
// while it overlaps the old, and the replicas it moves.
type Payback struct {
	// SavingPerHour is what the fleet costs less per hour once the change is made.
	SavingPerHour float64
	// Lasts is how long the demand that justifies the change is expected to run.
	Lasts time.Duration
	// Overlap is how long both the new and the old capacity are paid, at OverlapPerHour.
	Overlap        time.Duration
	OverlapPerHour float64
	// Moves is the replicas the change moves, at MovePrice each.
	Moves, MovePrice float64
}

// BreakEven is how long after the change the saving has paid for the overlap and the moves.
func (b Payback) BreakEven() time.Duration {
	if b.SavingPerHour <= 0 {
		return math.MaxInt64
	}
	repaid := (b.OverlapPerHour*b.Overlap.Hours() + b.Moves*b.MovePrice) / b.SavingPerHour
	return b.Overlap + time.Duration(repaid*float64(time.Hour))
}

// Pays reports whether the saving over the time the demand runs after the overlap beats what
// the overlap and the moves cost.
func (b Payback) Pays() bool {
	return b.SavingPerHour*(b.Lasts-b.Overlap).Hours() > b.OverlapPerHour*b.Overlap.Hours()+b.Moves*b.MovePrice
}
