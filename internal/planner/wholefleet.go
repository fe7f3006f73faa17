package planner

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/navarkos/navarkos/internal/placement"
	"github.com/navarkos/navarkos/internal/planner/fleet"
	"github.com/navarkos/navarkos/internal/planner/fleetlp"
	"github.com/navarkos/navarkos/internal/planner/memory"
	"github.com/navarkos/navarkos/internal/planner/pricing"
)

// The whole-fleet decision. Need by need, the planner prices each step at its marginal cost:
// one more node of a running cluster beats a new cluster of a pool priced by the cluster,
// every time, though that pool is the cheapest home for all the demand together. So, when the
// fleet is calm, the planner also prices all demand at once: a linear program chooses how
// many nodes and clusters of each pool serve which demand, with cluster prices amortised, and
// a rounding step makes the counts whole. When that fleet costs less than the running one by
// more than the new capacity costs while it comes and the moves it takes, the planner orders
// the capacity it lacks, as capacity behind; consolidation then drains the dear clusters into it.

// fleetTarget is the whole-fleet decision, against the fleet of now.
type fleetTarget struct {
	*fleetlp.Target
	// shrinking names the pools where the target has fewer nodes than the online clusters'
	// replicas need now; now is what the managed clusters cost at those nodes.
	shrinking map[string]bool
	now       float64
}

// demandClasses sums the demand that managed pools may serve into classes. Replicas on
// clusters Navarkos does not manage stay there, and duplicated demand, which needs one copy
// per cluster, is left to the need-by-need decisions.
func (p *planning) demandClasses() []fleetlp.Class {
	byKey := map[string]*fleetlp.Class{}
	var keys []string
	for i := range p.in.Demands {
		d := &p.in.Demands[i]
		for _, part := range p.managedParts(i) {
			allowed, weights, key := p.classPools(i, part.Region)
			if len(allowed) == 0 {
				continue
			}
			// Classes are keyed by their pools alone, so that there are few of them; their
			// weights are the replicas' average.
			c, ok := byKey[key]
			if !ok {
				c = &fleetlp.Class{Pools: allowed, Weight: make([]float64, len(allowed))}
				byKey[key] = c
				keys = append(keys, key)
			}
			for n, w := range weights {
				c.Weight[n] = (c.Weight[n]*float64(c.Replicas) + w*float64(part.Replicas)) / float64(c.Replicas+part.Replicas)
			}
			c.Amount = c.Amount.Add(d.Request.Times(part.Replicas))
			c.Replicas += part.Replicas
		}
	}
	out := make([]fleetlp.Class, 0, len(keys))
	for _, k := range keys {
		out = append(out, *byKey[k])
	}
	return out
}

// managedParts are demand i's replicas that managed pools may serve, by region when it has
// shares: those on unmanaged clusters stay there, and duplicated demand is left out.
func (p *planning) managedParts(i int) []placement.RegionTarget {
	d := &p.in.Demands[i]
	if d.Policy.Mode == placement.Duplicated || d.Replicas <= 0 {
		return nil
	}
	replicas := int64(d.Replicas)
	for _, m := range p.members {
		if !m.Managed || m.pool == nil {
			replicas -= int64(m.hosted[i])
		}
	}
	if replicas <= 0 {
		return nil
	}
	if len(d.Shares) == 0 {
		return []placement.RegionTarget{{Replicas: replicas}}
	}
	return slices.DeleteFunc(placement.RegionTargets(d.Shares, int32(replicas)), func(t placement.RegionTarget) bool { return t.Replicas <= 0 })
}

// classPools are the pools that may serve demand i's users in region, with the demand's
// weight in each, and a key that names them.
func (p *planning) classPools(i int, region string) ([]int, []float64, string) {
	d := &p.in.Demands[i]
	var allowed []int
	var weights []float64
	var key strings.Builder
	for j := range p.in.Pools {
		pool := &p.in.Pools[j]
		view := poolView(pool)
		if !d.Policy.Admits(&view) || !p.mayServe(i, pool.Region, pool, region) {
			continue
		}
		if ok, _ := p.mayGrow(d, pool); !ok {
			continue
		}
		allowed, weights = append(allowed, j), append(weights, p.weights.Multiplier(pool, d)+p.reserve(pool, d))
		fmt.Fprintf(&key, "%d,", j)
	}
	return allowed, weights, key.String()
}

// decided is the whole-fleet program's answer for the demand of now, solved once per
// decision; nil when it fails.
func (p *planning) decided() *fleetTarget {
	if !p.fleetDecided {
		if t := fleetlp.Decide(p.in.Pools, p.demandClasses()); t != nil {
			p.fleet = &fleetTarget{Target: t}
		}
		p.fleetDecided = true
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
		t.shrinking[pool.Name] = t.Nodes[j] < needed[pool.Name]
	}
	return t
}

// maxDemandHorizon is the longest the planner expects demand to last, however long it has run.
const maxDemandHorizon = 24 * time.Hour

// orderSettleWindows is how many stabilisation windows capacity ordered behind is held after
// it comes, for consolidation to move replicas onto it, before the order lapses.
const orderSettleWindows = 3

// orderLapse is when an order of capacity that comes in delay lapses.
func (p *planning) orderLapse(delay time.Duration) time.Time {
	return p.in.Now.Add(delay + orderSettleWindows*p.cfg.StabilizationWindow)
}

// demandHorizon is how long the planner expects the demand of now to last: as long as it has
// run, by the replica-weighted age of the managed clusters that run it, between the capacity
// horizon and a day, as replaceWithCheaper expects of one cluster.
func (p *planning) demandHorizon() time.Duration {
	var sum, replicas float64
	for _, m := range p.members {
		if n := total(m.hosted); n > 0 && m.Managed && m.online() {
			age := min(since(p.in.Now, p.mem.OnlineAt(m.Name)), maxDemandHorizon)
			sum += age.Hours() * float64(n)
			replicas += float64(n)
		}
	}
	if replicas == 0 {
		return p.cfg.CapacityHorizon
	}
	return min(max(p.cfg.CapacityHorizon, time.Duration(sum/replicas*float64(time.Hour))), maxDemandHorizon)
}

// observePools records the replicas on each pool's online managed clusters, and forgets the
// samples older than the capacity horizon and the pools no longer given.
func (p *planning) observePools() {
	on := map[string]int64{}
	for _, m := range p.members {
		if m.Managed && m.pool != nil && m.online() {
			on[m.Pool] += int64(total(m.hosted))
		}
	}
	names := make([]string, len(p.in.Pools))
	for j := range p.in.Pools {
		names[j] = p.in.Pools[j].Name
	}
	p.mem.SamplePools(names, on, p.in.Now, p.cfg.CapacityHorizon)
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
	return t.Clusters[j]
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
	return j >= 0 && t.Clusters[j] > 0
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
	saving := t.now - t.Cost
	if saving <= 0 || saving < p.cfg.ConsolidationThreshold*t.now {
		return false
	}
	orders, ordering, ok := p.wholeFleetOrders(t)
	if !ok || len(orders) == 0 || !p.heldFor(t, ordering) {
		return false
	}
	var ordered float64
	var slowest time.Duration
	for _, o := range orders {
		ordered += o.cost
		slowest = max(slowest, o.delay)
	}
	leaving, moved := p.leaving(t)
	// While demand keeps landing in the pools the target leaves, waiting only adds moves: the
	// moves that their growth over the horizon would add are weighed against those of now.
	growth := p.mem.Growth(leaving, p.in.Now, p.cfg.CapacityHorizon)
	pays := pricing.Payback{SavingPerHour: saving + growth*p.cfg.DisruptionCost, Lasts: p.demandHorizon(),
		Overlap: slowest + p.cfg.StabilizationWindow, OverlapPerHour: ordered, Moves: moved, MovePrice: p.cfg.DisruptionCost}
	if !pays.Pays() {
		return false
	}
	reason := fmt.Sprintf("whole-fleet decision: the managed clusters cost %.3f/h at the nodes their replicas need, and the fleet that serves all demand at once %.3f/h (%s); this capacity comes in %s, and the dearer clusters are drained into it",
		t.now, t.Cost, JoinTargets(poolTargets(t.Target, p.in.Pools)), fleet.Round(slowest))
	if growth > 0 {
		reason += fmt.Sprintf("; demand has been landing in the pools it leaves at %.0f replicas an hour, so waiting would only add moves", growth)
	}
	for _, o := range orders {
		m := p.addCapacity(o)
		m.why = append(m.why, reason)
		p.mem.Order(o.pool.Name, memory.Order{Until: p.orderLapse(o.delay)})
	}
	return true
}

// leaving are the pools where the target has fewer nodes than the online clusters' replicas
// need now, and the replicas those clusters run.
func (p *planning) leaving(t *fleetTarget) ([]string, float64) {
	online, _ := p.managedByPool()
	var leaving []string
	var moved float64
	for _, pool := range p.in.Pools {
		if t.shrinking[pool.Name] {
			for _, m := range online[pool.Name] {
				moved += float64(total(m.hosted))
			}
			leaving = append(leaving, pool.Name)
		}
	}
	return leaving, moved
}

// wholeFleetOrders are the clusters the target has in each pool beyond its online ones,
// hibernated ones woken first, and which pools they are in; false when a pool has capacity on
// order still, is bounded by a namespace quota, or has no room for the clusters.
func (p *planning) wholeFleetOrders(t *fleetTarget) ([]*option, []bool, bool) {
	online, asleep := p.managedByPool()
	var orders []*option
	ordering := make([]bool, len(p.in.Pools))
	for j := range p.in.Pools {
		pool := &p.in.Pools[j]
		extra := t.Clusters[j] - int64(len(online[pool.Name]))
		if extra <= 0 {
			continue
		}
		ordering[j] = true
		if _, pending := p.mem.Ordered(pool.Name); pending || pool.NamespaceQuota != nil {
			return nil, nil, false // capacity ordered before is still coming, or the quota decides
		}
		var running int64
		for _, m := range online[pool.Name] {
			running += int64(m.nodes)
		}
		nodes := clamp(int32((max(t.Nodes[j]-running, 1)+extra-1)/extra), max(pool.MinNodes, 1), pool.MaxNodes)
		for n := range extra {
			if int(n) < len(asleep[pool.Name]) {
				m := asleep[pool.Name][n]
				orders = append(orders, &option{kind: Wake, m: m, pool: pool, nodes: nodes, delay: pool.WakeTime, cost: m.wakeCost(nodes)})
				continue
			}
			if p.poolClusters[pool.Name]+int(n)-len(asleep[pool.Name]) >= pool.MaxClusters {
				return nil, nil, false
			}
			orders = append(orders, &option{kind: Create, pool: pool, nodes: nodes, delay: pool.CreateTime, cost: (&member{pool: pool}).costAt(nodes)})
		}
	}
	return orders, ordering, true
}

// heldFor reports whether the demand of the troughs and the peaks through which the managed
// clusters' replicas swung in the last third of the capacity horizon (swings) also wants the
// clusters that target has in each pool where it orders some: an order for a peak would be
// undone at the next trough, and one for a trough at the next peak.
func (p *planning) heldFor(t *fleetTarget, ordering []bool) bool {
	trough, peak := p.mem.Swings(p.mem.SampledPools(), p.in.Now, p.cfg.CapacityHorizon)
	classes := p.demandClasses()
	var now int64 // the replicas target serves: the demand of now, run or not
	for _, c := range classes {
		now += c.Replicas
	}
	if now <= 0 {
		return true
	}
	for _, level := range []int64{trough, peak} {
		if level < 0 || level == now {
			continue
		}
		held := fleetlp.Decide(p.in.Pools, fleetlp.Scaled(classes, float64(level)/float64(now)))
		if held == nil {
			return false
		}
		for j := range p.in.Pools {
			if ordering[j] && held.Clusters[j] < t.Clusters[j] {
				return false
			}
		}
	}
	return true
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
	return &WholeFleetDecision{Pools: poolTargets(t.Target, pools), CostPerHour: t.Cost, NowPerHour: t.now}
}

// WholeFleet is the whole-fleet decision for the demand of in, as a calm decision makes it:
// the clusters and nodes of each pool that would serve all of it at once, and what they cost
// per hour. False when no pool can serve any of it.
func WholeFleet(in Input) ([]PoolTarget, float64, bool) {
	p := newPlanning(&in, NewMemory())
	p.dropFailed()
	p.keepAssigned()
	t := fleetlp.Decide(p.in.Pools, p.demandClasses())
	if t == nil {
		return nil, 0, false
	}
	return poolTargets(t, p.in.Pools), t.Cost, true
}

// poolTargets lists the pools the target uses.
func poolTargets(t *fleetlp.Target, pools []Pool) []PoolTarget {
	var out []PoolTarget
	for j, pool := range pools {
		if t.Clusters[j] > 0 {
			out = append(out, PoolTarget{Pool: pool.Name, Clusters: t.Clusters[j], Nodes: t.Nodes[j]})
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
	cs := make([]fleetlp.Class, 0, len(classes))
	for _, c := range classes {
		if len(c.Pools) == 0 || c.Amount == (placement.Resources{}) {
			continue
		}
		weight := make([]float64, len(c.Pools))
		for n := range weight {
			weight[n] = 1
		}
		cs = append(cs, fleetlp.Class{Pools: c.Pools, Weight: weight, Amount: c.Amount})
	}
	t := fleetlp.Decide(pools, cs)
	if t == nil || t.Unserved {
		return nil, 0, false
	}
	return poolTargets(t, pools), t.Cost, true
}
