package planner

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/navarkos/navarkos/internal/placement"
	"github.com/navarkos/navarkos/internal/planner/fleet"
	"github.com/navarkos/navarkos/internal/planner/pricing"
)

// choice is one search for the best way to add room for need replicas of demand i, for the
// users of region when one is given: the options found, and why pools were passed over.
type choice struct {
	p      *planning
	i      int
	d      *Demand
	need   int64
	mode   optionMode
	region string
	opts   []*option
	passed []string
	// far are the options passed over for locality, scored: one may serve a burst (burstOption).
	far []*option
	// rooms is each pool's quota room for the need, worked out once.
	rooms map[string]quotaRoom
}

// quotaRoom is how many of the need a pool's namespace quota lets capacity be added for, and
// why none.
type quotaRoom struct {
	n   int64
	why string
}

// bestOptions is bestOption, with the capacity to order behind the best one: cheaper but
// slower, to take over from it once it comes (see behindOption); nil when none pays.
func (p *planning) bestOptions(i int, need int64, mode optionMode, region string) (*option, *option, string) {
	c := &choice{p: p, i: i, d: &p.in.Demands[i], need: need, mode: mode, region: region, rooms: map[string]quotaRoom{}}
	c.memberOptions()
	c.poolOptions()
	if len(c.opts) == 0 && len(c.far) > 0 {
		c.passed = append(c.passed, fmt.Sprintf("the pools that could grow are far from %s and not cheap enough", c.region))
	}
	if len(c.opts) == 0 {
		if len(c.passed) == 0 {
			c.passed = append(c.passed, "no pool")
		}
		return nil, nil, "no capacity can be added: " + strings.Join(c.passed, "; ")
	}
	slices.SortStableFunc(c.opts, compareOptions)
	best := c.opts[0]
	if burst := c.burstOption(best); burst != nil {
		best.takesBack = true
		return burst, best, c.burstReason(burst, best)
	}
	var together float64 // what best's cheaper rivals for part of the need score together
	if mode == anyCapacity && best.covered < need {
		if whole, score := p.servesWhole(c.opts, need, c.scoreFor); whole != nil {
			best, together = whole, score
		}
	}
	var forGrowth *option
	if mode == anyCapacity && best.priced > best.covered {
		// Best for the demand still to come, but not for these replicas: they get the best
		// faster way now, and the cluster is ordered beside it for the growth.
		if faster := c.fasterThan(best); faster != nil {
			best, forGrowth = faster, best
		}
	}
	var behind *option
	switch {
	case forGrowth != nil:
		behind = forGrowth
	case mode == anyCapacity:
		behind = p.behindOption(best, c.opts)
	}
	return best, behind, c.reason(best, together, forGrowth)
}

// compareOptions orders options by score, then the sooner, then the least disruptive kind,
// then by name.
func compareOptions(a, b *option) int {
	if c := cmp.Compare(a.score, b.score); c != 0 {
		return c
	}
	if a.delay != b.delay {
		return int(a.delay - b.delay)
	}
	if kindRank[a.kind] != kindRank[b.kind] {
		return kindRank[a.kind] - kindRank[b.kind]
	}
	return strings.Compare(a.name(), b.name())
}

// consider scores an option and keeps it, when it covers what the mode asks and may serve
// the region.
func (c *choice) consider(o *option) {
	if o.covered <= 0 || (c.mode == wholeNewHost && o.covered < c.need) {
		return
	}
	weight := c.p.weights.Multiplier(o.pool, c.d) + c.p.reserve(o.pool, c.d)
	// Priced over growth that comes after the cluster does, only the replicas that need
	// room now would wait for it: only their share is weighed by the delay.
	waiting := float64(o.covered) / float64(max(o.covered, o.priced))
	o.weighs = c.p.weights.Delayed(weight, o.delay, waiting)
	o.price = o.cost / float64(max(o.covered, o.priced)) * weight
	o.score = o.cost / float64(max(o.covered, o.priced)) * o.weighs
	o.plainScore = o.cost / float64(o.covered) * weight * c.p.weights.Delayed(1, o.delay, 1)
	if !c.p.mayServe(c.i, o.pool.Region, o.pool, c.region) {
		c.far = append(c.far, o)
		return
	}
	c.opts = append(c.opts, o)
}

// sized is the nodes of pool that m needs, from at least from, to hold want more replicas of
// the demand within the pool's limits, and how many of them it then holds.
func (c *choice) sized(pool *Pool, m *member, from int32, want int64) (int32, int64) {
	nodes := fleet.NodesFor(m.used.Add(c.d.Request.Times(want)), pool.Shape)
	n := clamp(max(nodes, from, 1), pool.MinNodes, pool.MaxNodes)
	return n, min(want, m.roomAt(n, c.d.Request))
}

// quotaRoom is the pool's quota room for the need, worked out once per choice.
func (c *choice) quotaRoom(pool *Pool) (int64, string) {
	r, ok := c.rooms[pool.Name]
	if !ok {
		r.n, r.why = c.p.quotaRoom(c.i, pool, c.need)
		c.rooms[pool.Name] = r
	}
	return r.n, r.why
}

// memberOptions considers growing each managed cluster that may take the demand, and waking
// each hibernated one.
func (c *choice) memberOptions() {
	for _, m := range c.p.members {
		if !m.Managed || m.pool == nil || !c.d.Policy.Admits(&m.view) || fleet.ReplicasPerNode(m.pool.Shape, c.d.Request) == 0 {
			continue
		}
		if ok, _ := c.p.mayGrow(c.d, m.pool); !ok {
			continue
		}
		room, _ := c.quotaRoom(m.pool)
		if room <= 0 {
			continue
		}
		switch {
		case m.online() && !m.draining && c.mode != newCluster && m.nodes < m.pool.MaxNodes && (c.mode == anyCapacity || m.hosted[c.i] == 0):
			n, covered := c.sized(m.pool, m, m.nodes+1, room)
			c.consider(&option{kind: Scale, m: m, pool: m.pool, nodes: n, covered: covered, cost: float64(n-m.nodes) * m.pool.NodePrice, delay: m.pool.ScaleTime})
		case m.State == Hibernated:
			n, covered := c.sized(m.pool, m, 0, room)
			c.consider(&option{kind: Wake, m: m, pool: m.pool, nodes: n, covered: covered, priced: c.p.growthRoom(m, c.d, covered), cost: m.wakeCost(n), delay: m.pool.WakeTime})
		}
	}
}

// poolOptions considers a new cluster in each pool, and notes why a pool is passed over.
func (c *choice) poolOptions() {
	for _, name := range slices.Sorted(maps.Keys(c.p.pools)) {
		pool := c.p.pools[name]
		if why := c.cannotCreate(pool); why != "" {
			c.passed = append(c.passed, why)
			continue
		}
		room, reached := c.quotaRoom(pool)
		if room <= 0 {
			c.passed = append(c.passed, fmt.Sprintf("pool %s: %s", name, reached))
			continue
		}
		empty := &member{pool: pool, hosted: map[int]int32{}}
		n, covered := c.sized(pool, empty, 0, room)
		empty.nodes = n
		c.consider(&option{kind: Create, pool: pool, nodes: n, covered: covered, priced: c.p.growthRoom(empty, c.d, covered), cost: empty.costAt(n), delay: pool.CreateTime})
	}
}

// cannotCreate says why no cluster of pool may be made for the demand; "" when one may.
func (c *choice) cannotCreate(pool *Pool) string {
	view := poolView(pool)
	if !c.d.Policy.Admits(&view) {
		return fmt.Sprintf("pool %s does not meet the placement's constraints", pool.Name)
	}
	if fleet.ReplicasPerNode(pool.Shape, c.d.Request) == 0 {
		return fmt.Sprintf("pool %s: one replica needs %s, more than its node's %s", pool.Name, c.d.Request, pool.Shape)
	}
	if ok, reason := c.p.mayGrow(c.d, pool); !ok {
		return fmt.Sprintf("pool %s: %s", pool.Name, reason)
	}
	if c.p.poolClusters[pool.Name] >= pool.MaxClusters {
		return fmt.Sprintf("pool %s has its %d clusters", pool.Name, pool.MaxClusters)
	}
	return ""
}

// scoreFor is what serving n replicas by o scores in all, with o sized for them and its cost
// spread as its score spreads it (over the growth it is priced for, see growthRoom).
func (c *choice) scoreFor(o *option, n int64) float64 {
	m := o.m
	if o.kind == Create {
		m = &member{pool: o.pool, hosted: map[int]int32{}}
	}
	nodes, _ := c.sized(o.pool, m, 0, n)
	cost := m.wakeCost(nodes)
	if o.kind == Create {
		cost = m.costAt(nodes)
	}
	return cost * o.weighs * float64(n) / float64(max(n, o.priced))
}

// burstOption is the far option that serves a jump in the region's demand while the near
// best comes, when that is slow: its delay alone makes the near best dearer, for the replicas
// that need room now, than the far option by the locality threshold (see pricing.FarAllowed),
// and the far option scores better once the delays are weighed. Locality yields to unplaced
// demand only while the near capacity comes: it is still ordered, and takes the demand back.
func (c *choice) burstOption(best *option) *option {
	if c.mode != anyCapacity || c.region == "" {
		return nil
	}
	w := c.p.weights
	var burst *option
	for _, o := range c.far {
		slow := pricing.FarAllowed(w.Delayed(1, o.delay, 1), w.Delayed(1, best.delay, 1), c.p.cfg.LocalityThreshold)
		if slow && o.plainScore < best.plainScore && (burst == nil || o.plainScore < burst.plainScore) {
			burst = o
		}
	}
	return burst
}

// burstReason says why far capacity serves a burst, and what takes the demand back.
func (c *choice) burstReason(burst, near *option) string {
	reason := fmt.Sprintf("%d replicas of %s need room; a burst: the best way near %s, %s, is slow, so %s serves them meanwhile, far", burst.covered, c.d.Name, c.region, near, burst)
	if len(c.passed) > 0 {
		reason += "; passed over: " + strings.Join(c.passed, "; ")
	}
	return reason
}

// fasterThan is the option, other than the best, that comes sooner than best and scores
// better for the covered replicas alone; nil for none.
func (c *choice) fasterThan(best *option) *option {
	var faster *option
	for _, o := range c.opts[1:] {
		if o.delay < best.delay && o.plainScore < best.plainScore && (faster == nil || o.plainScore < faster.plainScore) {
			faster = o
		}
	}
	return faster
}

// reason says why best was chosen: the next best, the pricing over growth, the whole need
// priced at once, locality, and the pools passed over.
func (c *choice) reason(best *option, together float64, forGrowth *option) string {
	reason := fmt.Sprintf("%d replicas of %s need room; cheapest way: %s", best.covered, c.d.Name, best)
	if best.priced > best.covered {
		reason += fmt.Sprintf(", priced over the %d replicas it is expected to hold while demand grows by %.0f an hour", best.priced, c.p.growingBy())
	}
	if together > 0 && forGrowth == nil {
		reason += fmt.Sprintf(", for all %d (the cheaper ways for part of them score %.4f a replica together, weighed by their time to capacity, this one %.4f)", c.need, together, best.score)
	}
	if next := slices.IndexFunc(c.opts, func(o *option) bool { return o != best }); next >= 0 {
		reason += "; next best: " + c.opts[next].String()
	}
	if c.region != "" && (len(c.far) > 0 || !placement.Near(best.pool.Region, c.region)) {
		reason += "; " + c.p.localityReason(c.i, best, c.region)
	}
	if len(c.passed) > 0 {
		reason += "; passed over: " + strings.Join(c.passed, "; ")
	}
	return reason
}
