package planner

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/convex/lp"

	"github.com/navarkos/navarkos/internal/placement"
)

// The whole-fleet decision. Need by need, the planner prices each step at its marginal cost:
// one more node of a running cluster beats a new cluster of a pool priced by the cluster,
// every time, though that pool is the cheapest home for all the demand together. So, when the
// fleet is calm, the planner also prices all demand at once: a linear program chooses how
// many nodes and clusters of each pool serve which demand, with cluster prices amortised, and
// a rounding step makes the counts whole. When that fleet costs less than the running one by
// more than the new capacity costs while it comes and the moves it takes, the planner orders
// the capacity it lacks, as capacity behind; consolidation then drains the dear clusters into it.

// demandClass is demand that may use the same pools, summed.
type demandClass struct {
	// pools indexes in.Pools; weight is each one's price multiplier for the class, the
	// average over its replicas.
	pools  []int
	weight []float64
	amount placement.Resources
	// replicas counts the class's replicas, to average the weights.
	replicas int64
}

// fleetTarget is the whole-fleet decision: nodes and clusters of each pool, whole.
type fleetTarget struct {
	nodes, clusters []int64
	// shrinking names the pools where the target has fewer nodes than the online clusters'
	// replicas need now; now is what the managed clusters cost at those nodes.
	shrinking map[string]bool
	now       float64
	// cost is what the target costs per hour at its whole counts, by pool prices.
	cost float64
	// unserved is set when the pools cannot hold every class.
	unserved bool
}

// maxRoundingSolves bounds how many linear programs the rounding solves, so that a decision
// stays fast on large fleets.
const maxRoundingSolves = 12

// demandClasses sums the demand that managed pools may serve into classes. Replicas on
// clusters Navarkos does not manage stay there, and duplicated demand, which needs one copy
// per cluster, is left to the need-by-need decisions.
func (p *planning) demandClasses() []*demandClass {
	byKey := map[string]*demandClass{}
	var keys []string
	for i := range p.in.Demands {
		d := &p.in.Demands[i]
		if d.Policy.Mode == placement.Duplicated || d.Replicas <= 0 {
			continue
		}
		replicas := int64(d.Replicas)
		for _, m := range p.members {
			if !m.Managed || m.pool == nil {
				replicas -= int64(m.hosted[i])
			}
		}
		if replicas <= 0 {
			continue
		}
		parts := []placement.RegionTarget{{Replicas: replicas}}
		if len(d.Shares) > 0 {
			parts = placement.RegionTargets(d.Shares, int32(replicas))
		}
		for _, part := range parts {
			if part.Replicas <= 0 {
				continue
			}
			var allowed []int
			var weights []float64
			var key strings.Builder
			for j := range p.in.Pools {
				pool := &p.in.Pools[j]
				view := poolView(pool)
				if !d.Policy.Admits(&view) || !p.mayServe(i, pool.Region, pool, part.Region) {
					continue
				}
				if ok, _ := p.mayGrow(d, pool); !ok {
					continue
				}
				allowed, weights = append(allowed, j), append(weights, multiplier(pool, d, p.cfg)+p.reserve(pool, d))
				fmt.Fprintf(&key, "%d,", j)
			}
			if len(allowed) == 0 {
				continue
			}
			// Classes are keyed by their pools alone, so that there are few of them; their
			// weights are the replicas' average.
			c, ok := byKey[key.String()]
			if !ok {
				c = &demandClass{pools: allowed, weight: make([]float64, len(allowed))}
				byKey[key.String()] = c
				keys = append(keys, key.String())
			}
			for n, w := range weights {
				c.weight[n] = (c.weight[n]*float64(c.replicas) + w*float64(part.Replicas)) / float64(c.replicas+part.Replicas)
			}
			c.amount = c.amount.Add(d.Request.Times(part.Replicas))
			c.replicas += part.Replicas
		}
	}
	out := make([]*demandClass, 0, len(keys))
	for _, k := range keys {
		out = append(out, byKey[k])
	}
	return out
}

// decideFleet finds the whole-fleet target for the classes: the linear program's relaxation,
// rounded up to whole nodes and clusters, then pools whose rounding costs most are given a
// cluster less while that lowers the whole cost. Nil when the program has no solution.
func decideFleet(pools []Pool, classes []*demandClass) *fleetTarget {
	if len(classes) == 0 {
		return nil
	}
	caps := make([]int64, len(pools))
	for j := range pools {
		caps[j] = int64(pools[j].MaxClusters)
	}
	best, objective := solveFleet(pools, classes, caps)
	if best == nil {
		return nil
	}
	tried := map[int]bool{}
	for range maxRoundingSolves {
		// The pool whose whole clusters waste the most of their price is tried with one
		// cluster less, while that waste is worth a solve.
		worst, worstWaste := -1, 0.01*best.cost
		for j := range pools {
			if best.clusters[j] == 0 || tried[j] {
				continue
			}
			full := float64(best.clusters[j] * int64(max(pools[j].MaxNodes, 1)))
			if waste := (full - float64(best.nodes[j])) / full * float64(best.clusters[j]) * pools[j].ClusterPrice; waste > worstWaste {
				worst, worstWaste = j, waste
			}
		}
		if worst < 0 {
			break
		}
		tried[worst] = true
		trial := slices.Clone(caps)
		trial[worst] = best.clusters[worst] - 1
		if t, obj := solveFleet(pools, classes, trial); t != nil && obj < objective-1e-9 {
			best, objective, caps = t, obj, trial
			delete(tried, worst) // it may do with fewer still
		}
	}
	return best
}

// solveFleet solves the relaxation with at most caps[j] clusters of pool j, and returns it
// made whole, with its weighted cost at whole counts (what the rounding compares).
//
// Variables: x[k][j], the share of class k in pool j; n[j], nodes of pool j, each at its
// amortised price (its own and its share of a full cluster's); u[k], the share of class k left
// unserved, at a price above any pool's. Each class is served or left: Σj x[k][j] + u[k] = 1.
// Each pool's nodes hold what it serves, in every resource, within its clusters. Each class
// is offered only its cheapest pools, enough to hold it twice over, which keeps the program
// small on large fleets.
// DegeneracyEase is how far a linear program's row with an upper bound of 0 is eased, a
// different tiny amount for each row: with many bounds at 0 a program is degenerate, and the
// simplex may cycle there for ever. Eased, it is not; what the rows lack for that is a
// millionth of a node, within the rounding of nodes up.
func DegeneracyEase(row int) float64 {
	const ease = 1e-7
	return ease * (1 + math.Mod(float64(row)*math.Phi, 1))
}

func solveFleet(pools []Pool, classes []*demandClass, caps []int64) (*fleetTarget, float64) {
	type pair struct{ k, j int }
	var pairs []pair
	// nodesFor is how many nodes of pool j the whole of class k needs, by its scarcest resource.
	nodesFor := func(k, j int) float64 {
		a, s := classes[k].amount, pools[j].Shape
		need := 0.0
		for _, r := range [][2]int64{{a.MilliCPU, s.MilliCPU}, {a.MemoryBytes, s.MemoryBytes}, {a.Pods, s.Pods}} {
			if r[0] > 0 {
				need = max(need, float64(r[0])/float64(max(r[1], 1)))
			}
		}
		return need
	}
	weightOf := map[pair]float64{}
	for k, c := range classes {
		type priced struct {
			j     int
			price float64
		}
		var offer []priced
		for n, j := range c.pools {
			if caps[j] > 0 {
				weightOf[pair{k, j}] = c.weight[n]
				offer = append(offer, priced{j, c.weight[n] * AmortisedNodePrice(&pools[j]) * nodesFor(k, j)})
			}
		}
		slices.SortStableFunc(offer, func(a, b priced) int { return cmp.Compare(a.price, b.price) })
		held := 0.0
		for _, o := range offer {
			if held >= 2 {
				break
			}
			pairs = append(pairs, pair{k, o.j})
			held += float64(caps[o.j]*int64(pools[o.j].MaxNodes)) / max(nodesFor(k, o.j), 1e-9)
		}
	}
	// The pools offered, numbered in the program.
	var used []int
	index := map[int]int{}
	for _, pr := range pairs {
		if _, ok := index[pr.j]; !ok {
			index[pr.j] = len(used)
			used = append(used, pr.j)
		}
	}
	nUsed, nClasses := len(used), len(classes)
	nodeVar := func(u int) int { return len(pairs) + u }
	unservedVar := func(k int) int { return len(pairs) + nUsed + k }
	vars := len(pairs) + nUsed + nClasses
	const poolRows = 4

	costs := make([]float64, vars, vars+poolRows*nUsed)
	penalty := 1.0
	for u, j := range used {
		costs[nodeVar(u)] = AmortisedNodePrice(&pools[j])
		penalty += costs[nodeVar(u)]
	}
	for i, pr := range pairs {
		// The class's weights (risk, tier, reserve) raise its price in the pool.
		costs[i] = (weightOf[pr] - 1) * AmortisedNodePrice(&pools[pr.j]) * nodesFor(pr.k, pr.j)
	}
	for k := range classes {
		worst := 1.0
		for _, j := range classes[k].pools {
			worst = max(worst, nodesFor(k, j))
		}
		costs[unservedVar(k)] = 10 * penalty * worst
	}

	// Standard form, every variable at least 0: per pool, three resource rows (what it serves
	// within its nodes) and its nodes within its clusters, each made an equality with a slack
	// variable; then the classes' rows.
	rows := poolRows*nUsed + nClasses
	a := mat.NewDense(rows, vars+poolRows*nUsed, nil)
	b := make([]float64, rows)
	for i, pr := range pairs {
		amount, shape, u := classes[pr.k].amount, pools[pr.j].Shape, index[pr.j]
		for r, v := range []float64{
			float64(amount.MilliCPU) / float64(max(shape.MilliCPU, 1)),
			float64(amount.MemoryBytes) / float64(max(shape.MemoryBytes, 1)),
			float64(amount.Pods) / float64(max(shape.Pods, 1)),
		} {
			a.Set(poolRows*u+r, i, v)
		}
		a.Set(poolRows*nUsed+pr.k, i, 1)
	}
	for u, j := range used {
		for r := range 3 {
			a.Set(poolRows*u+r, nodeVar(u), -1)
		}
		a.Set(poolRows*u+3, nodeVar(u), 1)
		b[poolRows*u+3] = float64(caps[j] * int64(max(pools[j].MaxNodes, 1)))
		for r := range poolRows {
			a.Set(poolRows*u+r, vars+poolRows*u+r, 1)
		}
		for r := range 3 {
			b[poolRows*u+r] = DegeneracyEase(poolRows*u + r)
		}
	}
	for k := range classes {
		a.Set(poolRows*nUsed+k, unservedVar(k), 1)
		b[poolRows*nUsed+k] = 1
	}
	// Every class unserved, with every slack, is a feasible basis to start from.
	basis := make([]int, 0, rows)
	for r := range poolRows * nUsed {
		basis = append(basis, vars+r)
	}
	for k := range classes {
		basis = append(basis, unservedVar(k))
	}
	_, x, err := lp.Simplex(append(costs, make([]float64, poolRows*nUsed)...), a, b, 1e-9, basis)
	if err != nil {
		return nil, 0
	}
	t := &fleetTarget{nodes: make([]int64, len(pools)), clusters: make([]int64, len(pools))}
	for u, j := range used {
		nodes := int64(math.Ceil(x[nodeVar(u)] - 1e-6))
		if nodes <= 0 {
			continue
		}
		per := int64(max(pools[j].MaxNodes, 1))
		t.clusters[j] = (nodes + per - 1) / per
		t.nodes[j] = max(nodes, t.clusters[j]*int64(max(pools[j].MinNodes, 1)))
		t.cost += float64(t.nodes[j])*pools[j].NodePrice + float64(t.clusters[j])*pools[j].ClusterPrice
	}
	objective := t.cost
	for i := range pairs {
		objective += costs[i] * x[i]
	}
	for k := range classes {
		objective += costs[unservedVar(k)] * x[unservedVar(k)]
		t.unserved = t.unserved || x[unservedVar(k)] > 1e-6
	}
	return t, objective
}

// decided is the whole-fleet program's answer for the demand of now, solved once per
// decision; nil when it fails.
func (p *planning) decided() *fleetTarget {
	if !p.fleetDecided {
		p.fleet, p.fleetDecided = decideFleet(p.in.Pools, p.demandClasses()), true
	}
	return p.fleet
}

// wholeFleetTarget is the whole-fleet decision for the demand of now; nil when the planner
// looks no further ahead than the next need (no capacity horizon) or the program fails.
func (p *planning) wholeFleetTarget() *fleetTarget {
	if p.cfg.CapacityHorizon <= 0 {
		return nil
	}
	t := p.decided()
	if t == nil {
		return nil
	}
	needed := map[string]int64{}
	for _, m := range p.members {
		if m.Managed && m.pool != nil && m.online() && !m.draining {
			needed[m.Pool] += int64(m.neededNodes())
			t.now += m.costAt(m.neededNodes())
		}
	}
	t.shrinking = map[string]bool{}
	for j, pool := range p.in.Pools {
		t.shrinking[pool.Name] = t.nodes[j] < needed[pool.Name]
	}
	return t
}

// demandHorizon is how long the planner expects the demand of now to last: as long as it has
// run, by the replica-weighted age of the managed clusters that run it, between the capacity
// horizon and a day, as replaceWithCheaper expects of one cluster.
func (p *planning) demandHorizon() time.Duration {
	var sum, replicas float64
	for _, m := range p.members {
		if n := total(m.hosted); n > 0 && m.Managed && m.online() {
			age := min(since(p.in.Now, p.mem.online[m.Name]), 24*time.Hour)
			sum += age.Hours() * float64(n)
			replicas += float64(n)
		}
	}
	if replicas == 0 {
		return p.cfg.CapacityHorizon
	}
	return min(max(p.cfg.CapacityHorizon, time.Duration(sum/replicas*float64(time.Hour))), 24*time.Hour)
}

// sampleEvery spaces the samples of the replicas on each pool, so that the memory holds at
// most the capacity horizon over it, however often the planner decides.
const sampleEvery = time.Minute

// observePools records the replicas on each pool's online managed clusters, and forgets the
// samples older than the capacity horizon and the pools no longer given.
func (p *planning) observePools() {
	on := map[string]int64{}
	for _, m := range p.members {
		if m.Managed && m.pool != nil && m.online() {
			on[m.Pool] += int64(total(m.hosted))
		}
	}
	kept := make(map[string][]poolSample, len(p.in.Pools))
	for _, pool := range p.in.Pools {
		samples := slices.DeleteFunc(p.mem.pools[pool.Name], func(s poolSample) bool { return p.in.Now.Sub(s.at) > p.cfg.CapacityHorizon })
		if n := len(samples); n == 0 || p.in.Now.Sub(samples[n-1].at) >= sampleEvery {
			samples = append(samples, poolSample{at: p.in.Now, replicas: on[pool.Name]})
		}
		kept[pool.Name] = samples
	}
	p.mem.pools = kept
}

// growth is how many replicas per hour demand has been adding to the pools' online managed
// clusters together: the least replicas they held in each third of the capacity horizon (or
// of the memory, when the planner has held it for less, but for a third of the horizon at
// least), when each third holds more than the one before (a trend, not one step up and not
// noise), over the time between the thirds; else 0.
func (p *planning) growth(pools []string) float64 {
	if p.cfg.CapacityHorizon <= 0 || len(pools) == 0 {
		return 0
	}
	sums := p.poolSums(pools, p.cfg.CapacityHorizon)
	first := p.in.Now // the memory's oldest sample
	for at := range sums {
		if at.Before(first) {
			first = at
		}
	}
	span := p.in.Now.Sub(first) // within the horizon, as poolSums keeps it
	third := span / 3
	if span < p.cfg.CapacityHorizon/3 || third <= 0 {
		return 0
	}
	start := p.in.Now.Add(-span)
	var least [3]int64
	var seen [3]bool
	for at, n := range sums {
		i := min(max(int(at.Sub(start)/third), 0), 2)
		if !seen[i] || n < least[i] {
			least[i], seen[i] = n, true
		}
	}
	for i := 1; i < 3; i++ {
		if !seen[i-1] || !seen[i] || least[i] <= least[i-1] {
			return 0
		}
	}
	return float64(least[2]-least[0]) / (2 * third).Hours()
}

// shrinks reports whether the target has fewer nodes in the pool than its online clusters'
// replicas need now.
func (t *fleetTarget) shrinks(pool string) bool {
	return t != nil && t.shrinking[pool]
}

// clustersIn is how many clusters the target has in the pool; -1 for no target or pool.
func (t *fleetTarget) clustersIn(pools []Pool, pool string) int64 {
	j := slices.IndexFunc(pools, func(p Pool) bool { return p.Name == pool })
	if t == nil || j < 0 {
		return -1
	}
	return t.clusters[j]
}

// keeps reports whether the target has at least online clusters in the pool.
func (t *fleetTarget) keeps(pools []Pool, pool string, online int64) bool {
	return t.clustersIn(pools, pool) >= online
}

// leaves reports whether the target has fewer nodes in the pool than its clusters need now,
// and no cluster there at all.
func (t *fleetTarget) leaves(pools []Pool, pool string) bool {
	return t.shrinks(pool) && t.clustersIn(pools, pool) == 0
}

// movesInto reports whether the target has fewer nodes in pool from and clusters in pool to, another pool.
func (t *fleetTarget) movesInto(pools []Pool, from, to string) bool {
	if !t.shrinks(from) || from == to {
		return false
	}
	j := slices.IndexFunc(pools, func(p Pool) bool { return p.Name == to })
	return j >= 0 && t.clusters[j] > 0
}

// managedByPool are, by pool, the managed clusters online and not draining, and those hibernated.
func (p *planning) managedByPool() (online, asleep map[string][]*member) {
	online, asleep = map[string][]*member{}, map[string][]*member{}
	for _, m := range p.members {
		switch {
		case !m.Managed || m.pool == nil:
		case m.online() && !m.draining:
			online[m.Pool] = append(online[m.Pool], m)
		case m.State == Hibernated:
			asleep[m.Pool] = append(asleep[m.Pool], m)
		}
	}
	return online, asleep
}

// orderWholeFleet orders the clusters that the whole-fleet target has and the fleet lacks,
// created or woken, when the target costs less than the managed clusters do now at the nodes
// their replicas need, by more than the consolidation threshold, and what it saves over the
// planner's horizon beats what the new capacity costs while it comes and settles and the moves
// into it. They are held as capacity behind, and consolidation drains the dearer clusters into
// them. It reports whether it ordered anything.
func (p *planning) orderWholeFleet(t *fleetTarget) bool {
	if t == nil {
		return false
	}
	online, asleep := p.managedByPool()
	saving := t.now - t.cost
	if saving <= 0 || saving < p.cfg.ConsolidationThreshold*t.now {
		return false
	}
	var orders []*option
	var moved, ordered float64
	var leaving []string
	ordering := make([]bool, len(p.in.Pools)) // the pools it orders clusters in
	var slowest time.Duration
	for j := range p.in.Pools {
		pool := &p.in.Pools[j]
		var running int64
		for _, m := range online[pool.Name] {
			running += int64(m.nodes)
		}
		if t.shrinking[pool.Name] {
			for _, m := range online[pool.Name] {
				moved += float64(total(m.hosted))
			}
			leaving = append(leaving, pool.Name)
		}
		extra := t.clusters[j] - int64(len(online[pool.Name]))
		if extra <= 0 {
			continue
		}
		ordering[j] = true
		if _, pending := p.mem.behind[pool.Name]; pending || pool.NamespaceQuota != nil {
			return false // capacity ordered before is still coming, or the quota decides
		}
		nodes := clamp(int32((max(t.nodes[j]-running, 1)+extra-1)/extra), max(pool.MinNodes, 1), pool.MaxNodes)
		for n := range extra {
			o := &option{kind: Create, pool: pool, nodes: nodes, delay: pool.CreateTime}
			if int(n) < len(asleep[pool.Name]) {
				m := asleep[pool.Name][n]
				o = &option{kind: Wake, m: m, pool: pool, nodes: nodes, delay: pool.WakeTime, cost: m.wakeCost(nodes)}
			} else {
				if p.poolClusters[pool.Name]+int(n)-len(asleep[pool.Name]) >= pool.MaxClusters {
					return false
				}
				o.cost = (&member{pool: pool}).costAt(nodes)
			}
			orders = append(orders, o)
			ordered += o.cost
			slowest = max(slowest, o.delay)
		}
	}
	if len(orders) == 0 {
		return false
	}
	if !p.heldFor(t, ordering) {
		return false
	}
	// While demand keeps landing in the pools the target leaves, waiting only adds moves: the
	// moves that their growth over the horizon would add are weighed against those of now.
	growth := p.growth(leaving)
	overlap := (slowest + p.cfg.StabilizationWindow).Hours()
	ahead := p.demandHorizon().Hours() - overlap
	if (saving+growth*p.cfg.DisruptionCost)*ahead <= ordered*overlap+moved*p.cfg.DisruptionCost {
		return false
	}
	reason := fmt.Sprintf("whole-fleet decision: the managed clusters cost %.3f/h at the nodes their replicas need, and the fleet that serves all demand at once %.3f/h (%s); this capacity comes in %s, and the dearer clusters are drained into it",
		t.now, t.cost, JoinTargets(t.targets(p.in.Pools)), Round(slowest))
	if growth > 0 {
		reason += fmt.Sprintf("; demand has been landing in the pools it leaves at %.0f replicas an hour, so waiting would only add moves", growth)
	}
	for _, o := range orders {
		m := p.addCapacity(o)
		m.why = append(m.why, reason)
		p.mem.behind[o.pool.Name] = behindOrder{until: p.in.Now.Add(o.delay + 3*p.cfg.StabilizationWindow)}
	}
	return true
}

// poolSums is, by sample time within the last span, the replicas the pools' online managed
// clusters held together.
func (p *planning) poolSums(pools []string, span time.Duration) map[time.Time]int64 {
	sums := map[time.Time]int64{}
	for _, pool := range pools {
		for _, s := range p.mem.pools[pool] {
			if p.in.Now.Sub(s.at) <= span {
				sums[s.at] += s.replicas
			}
		}
	}
	return sums
}

// swings is, of the replicas the pools' online managed clusters held together through the
// last third of the capacity horizon, the least that came after more (a trough) and the most
// that came after less (a peak); -1 for either that did not come. Demand that only rose has
// no trough, and demand that only fell no peak.
func (p *planning) swings(pools []string) (trough, peak int64) {
	sums := p.poolSums(pools, p.cfg.CapacityHorizon/3)
	trough, peak = -1, -1
	times := slices.SortedFunc(maps.Keys(sums), func(a, b time.Time) int { return a.Compare(b) })
	if len(times) == 0 {
		return trough, peak
	}
	highest, lowest := sums[times[0]], sums[times[0]]
	for _, t := range times[1:] {
		n := sums[t]
		if n < highest && (trough < 0 || n < trough) {
			trough = n
		}
		if n > lowest && n > peak {
			peak = n
		}
		highest, lowest = max(highest, n), min(lowest, n)
	}
	return trough, peak
}

// heldFor reports whether the demand of the troughs and the peaks through which the managed
// clusters' replicas swung in the last third of the capacity horizon (swings) also wants the
// clusters that target has in each pool where it orders some: an order for a peak would be
// undone at the next trough, and one for a trough at the next peak.
func (p *planning) heldFor(t *fleetTarget, ordering []bool) bool {
	trough, peak := p.swings(slices.Sorted(maps.Keys(p.mem.pools)))
	classes := p.demandClasses()
	var now int64 // the replicas target serves: the demand of now, run or not
	for _, c := range classes {
		now += c.replicas
	}
	if now <= 0 {
		return true
	}
	for _, level := range []int64{trough, peak} {
		if level < 0 || level == now {
			continue
		}
		held := decideFleet(p.in.Pools, scaledClasses(classes, float64(level)/float64(now)))
		if held == nil {
			return false
		}
		for j := range p.in.Pools {
			if ordering[j] && held.clusters[j] < t.clusters[j] {
				return false
			}
		}
	}
	return true
}

// scaledClasses are the classes with their demand scaled by share.
func scaledClasses(classes []*demandClass, share float64) []*demandClass {
	scaled := make([]*demandClass, len(classes))
	for k, c := range classes {
		scaled[k] = &demandClass{pools: c.pools, weight: c.weight, amount: c.amount.Scaled(share), replicas: int64(float64(c.replicas) * share)}
	}
	return scaled
}

// PoolTarget is one pool's part of the whole-fleet decision.
type PoolTarget struct {
	Pool     string
	Clusters int64
	Nodes    int64
}

func (t PoolTarget) String() string {
	return fmt.Sprintf("%s: %d clusters, %d nodes", t.Pool, t.Clusters, t.Nodes)
}

// JoinTargets writes pools' targets as "pool: C clusters, N nodes; ...".
func JoinTargets(targets []PoolTarget) string {
	parts := make([]string, len(targets))
	for i, t := range targets {
		parts[i] = t.String()
	}
	return strings.Join(parts, "; ")
}

// decision is the target as the plan reports it.
func (t *fleetTarget) decision(pools []Pool) *WholeFleetDecision {
	return &WholeFleetDecision{Pools: t.targets(pools), CostPerHour: t.cost, NowPerHour: t.now}
}

// WholeFleet is the whole-fleet decision for the demand of in, as a calm decision makes it:
// the clusters and nodes of each pool that would serve all of it at once, and what they cost
// per hour. False when no pool can serve any of it.
func WholeFleet(in Input) ([]PoolTarget, float64, bool) {
	p := newPlanning(&in, NewMemory())
	p.dropFailed()
	p.keepAssigned()
	t := decideFleet(p.in.Pools, p.demandClasses())
	if t == nil {
		return nil, 0, false
	}
	return t.targets(p.in.Pools), t.cost, true
}

// targets lists the pools the target uses.
func (t *fleetTarget) targets(pools []Pool) []PoolTarget {
	var out []PoolTarget
	for j, pool := range pools {
		if t.clusters[j] > 0 {
			out = append(out, PoolTarget{Pool: pool.Name, Clusters: t.clusters[j], Nodes: t.nodes[j]})
		}
	}
	return out
}

// FleetClass is demand for CheapestFleet: what it requests in all, and the pools it may use,
// as indices of the pools given.
type FleetClass struct {
	Pools  []int
	Amount placement.Resources
}

// CheapestFleet is the whole-fleet decision at the pools' own prices for classes of demand:
// the clusters and nodes of each pool, whole, and their cost per hour. False when the pools
// cannot hold all of it.
func CheapestFleet(pools []Pool, classes []FleetClass) ([]PoolTarget, float64, bool) {
	cs := make([]*demandClass, 0, len(classes))
	for _, c := range classes {
		if len(c.Pools) == 0 || c.Amount == (placement.Resources{}) {
			continue
		}
		weight := make([]float64, len(c.Pools))
		for n := range weight {
			weight[n] = 1
		}
		cs = append(cs, &demandClass{pools: c.Pools, weight: weight, amount: c.Amount})
	}
	t := decideFleet(pools, cs)
	if t == nil || t.unserved {
		return nil, 0, false
	}
	return t.targets(pools), t.cost, true
}
