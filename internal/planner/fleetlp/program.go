package fleetlp

import (
	"cmp"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/convex/lp"

	"github.com/navarkos/navarkos/internal/planner/fleet"
	"github.com/navarkos/navarkos/internal/planner/pricing"
)

const (
	// offerCoverage is how many times over the pools offered to a class must hold it: each
	// class is offered only its cheapest pools, which keeps the program small on large fleets.
	offerCoverage = 2
	// unservedPremium is how many times dearer than all the pools' nodes together leaving a
	// node's worth of a class unserved is, so that the program serves whatever it can.
	unservedPremium = 10
	// poolRows is each pool's rows: its three resources within its nodes, and its nodes
	// within its clusters.
	poolRows = 4
)

// pair is class k offered pool j.
type pair struct{ k, j int }

// program is the relaxation with at most caps[j] clusters of pool j.
//
// Variables: x[k][j], the share of class k in pool j; n[j], nodes of pool j, each at its
// amortised price (its own and its share of a full cluster's); u[k], the share of class k left
// unserved, at a price above any pool's. Each class is served or left: Σj x[k][j] + u[k] = 1.
// Each pool's nodes hold what it serves, in every resource, within its clusters.
type program struct {
	pools   []fleet.Pool
	classes []Class
	caps    []int64
	pairs   []pair
	// weight is each pair's price multiplier; used are the pools offered, numbered in the
	// program by index.
	weight []float64
	used   []int
	index  map[int]int
	costs  []float64
}

// solve solves the relaxation with at most caps[j] clusters of pool j, and returns it made
// whole, with its weighted cost at whole counts (what the rounding compares).
func solve(pools []fleet.Pool, classes []Class, caps []int64) (*Target, float64) {
	p := &program{pools: pools, classes: classes, caps: caps, index: map[int]int{}}
	p.offer()
	p.price()
	a, b := p.constraints()
	_, x, err := lp.Simplex(append(p.costs, make([]float64, poolRows*len(p.used))...), a, b, 1e-9, p.startingBasis())
	if err != nil {
		return nil, 0
	}
	return p.whole(x)
}

// nodesFor is how many nodes of pool j the whole of class k needs, by its scarcest resource.
func (p *program) nodesFor(k, j int) float64 {
	a, s := p.classes[k].Amount, p.pools[j].Shape
	need := 0.0
	for _, r := range [][2]int64{{a.MilliCPU, s.MilliCPU}, {a.MemoryBytes, s.MemoryBytes}, {a.Pods, s.Pods}} {
		if r[0] > 0 {
			need = max(need, float64(r[0])/float64(max(r[1], 1)))
		}
	}
	return need
}

// offer pairs each class with its cheapest pools, weighed, until they hold it offerCoverage
// times over, and numbers the pools offered.
func (p *program) offer() {
	type priced struct {
		j            int
		weight, cost float64
	}
	for k, c := range p.classes {
		var offers []priced
		for n, j := range c.Pools {
			if p.caps[j] > 0 {
				offers = append(offers, priced{j, c.Weight[n], c.Weight[n] * pricing.AmortisedNodePrice(&p.pools[j]) * p.nodesFor(k, j)})
			}
		}
		slices.SortStableFunc(offers, func(a, b priced) int { return cmp.Compare(a.cost, b.cost) })
		held := 0.0
		for _, o := range offers {
			if held >= offerCoverage {
				break
			}
			p.pairs, p.weight = append(p.pairs, pair{k, o.j}), append(p.weight, o.weight)
			held += float64(p.caps[o.j]*int64(p.pools[o.j].MaxNodes)) / max(p.nodesFor(k, o.j), 1e-9)
		}
	}
	for _, pr := range p.pairs {
		if _, ok := p.index[pr.j]; !ok {
			p.index[pr.j] = len(p.used)
			p.used = append(p.used, pr.j)
		}
	}
}

func (p *program) nodeVar(u int) int     { return len(p.pairs) + u }
func (p *program) unservedVar(k int) int { return len(p.pairs) + len(p.used) + k }
func (p *program) vars() int             { return len(p.pairs) + len(p.used) + len(p.classes) }

// price sets each variable's cost: nodes at their amortised price, a class's weights (risk,
// tier, reserve) on its share of a pool, and its unserved share at unservedPremium.
func (p *program) price() {
	p.costs = make([]float64, p.vars(), p.vars()+poolRows*len(p.used))
	penalty := 1.0
	for u, j := range p.used {
		p.costs[p.nodeVar(u)] = pricing.AmortisedNodePrice(&p.pools[j])
		penalty += p.costs[p.nodeVar(u)]
	}
	for i, pr := range p.pairs {
		p.costs[i] = (p.weight[i] - 1) * pricing.AmortisedNodePrice(&p.pools[pr.j]) * p.nodesFor(pr.k, pr.j)
	}
	for k := range p.classes {
		worst := 1.0
		for _, j := range p.classes[k].Pools {
			worst = max(worst, p.nodesFor(k, j))
		}
		p.costs[p.unservedVar(k)] = unservedPremium * penalty * worst
	}
}

// constraints is the program in standard form, every variable at least 0: per pool, three
// resource rows (what it serves within its nodes) and its nodes within its clusters, each
// made an equality with a slack variable; then the classes' rows.
func (p *program) constraints() (*mat.Dense, []float64) {
	nUsed := len(p.used)
	rows := poolRows*nUsed + len(p.classes)
	a := mat.NewDense(rows, p.vars()+poolRows*nUsed, nil)
	b := make([]float64, rows)
	for i, pr := range p.pairs {
		amount, shape, u := p.classes[pr.k].Amount, p.pools[pr.j].Shape, p.index[pr.j]
		for r, v := range []float64{
			float64(amount.MilliCPU) / float64(max(shape.MilliCPU, 1)),
			float64(amount.MemoryBytes) / float64(max(shape.MemoryBytes, 1)),
			float64(amount.Pods) / float64(max(shape.Pods, 1)),
		} {
			a.Set(poolRows*u+r, i, v)
		}
		a.Set(poolRows*nUsed+pr.k, i, 1)
	}
	for u, j := range p.used {
		for r := range 3 {
			a.Set(poolRows*u+r, p.nodeVar(u), -1)
			b[poolRows*u+r] = DegeneracyEase(poolRows*u + r)
		}
		a.Set(poolRows*u+3, p.nodeVar(u), 1)
		b[poolRows*u+3] = float64(p.caps[j] * int64(max(p.pools[j].MaxNodes, 1)))
		for r := range poolRows {
			a.Set(poolRows*u+r, p.vars()+poolRows*u+r, 1)
		}
	}
	for k := range p.classes {
		a.Set(poolRows*nUsed+k, p.unservedVar(k), 1)
		b[poolRows*nUsed+k] = 1
	}
	return a, b
}

// startingBasis is every class unserved, with every slack: a feasible basis.
func (p *program) startingBasis() []int {
	basis := make([]int, 0, poolRows*len(p.used)+len(p.classes))
	for r := range poolRows * len(p.used) {
		basis = append(basis, p.vars()+r)
	}
	for k := range p.classes {
		basis = append(basis, p.unservedVar(k))
	}
	return basis
}

// whole rounds the solution x up to whole nodes and clusters, and returns it with its
// weighted cost at those counts.
func (p *program) whole(x []float64) (*Target, float64) {
	t := &Target{Nodes: make([]int64, len(p.pools)), Clusters: make([]int64, len(p.pools))}
	for u, j := range p.used {
		nodes := int64(math.Ceil(x[p.nodeVar(u)] - 1e-6))
		if nodes <= 0 {
			continue
		}
		per := int64(max(p.pools[j].MaxNodes, 1))
		t.Clusters[j] = (nodes + per - 1) / per
		t.Nodes[j] = max(nodes, t.Clusters[j]*int64(max(p.pools[j].MinNodes, 1)))
		t.Cost += float64(t.Nodes[j])*p.pools[j].NodePrice + float64(t.Clusters[j])*p.pools[j].ClusterPrice
	}
	objective := t.Cost
	for i := range p.pairs {
		objective += p.costs[i] * x[i]
	}
	for k := range p.classes {
		objective += p.costs[p.unservedVar(k)] * x[p.unservedVar(k)]
		t.Unserved = t.Unserved || x[p.unservedVar(k)] > 1e-6
	}
	return t, objective
}
