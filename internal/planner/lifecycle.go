package planner

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/navarkos/navarkos/internal/placement"
	"github.com/navarkos/navarkos/internal/planner/fleet"
	"github.com/navarkos/navarkos/internal/planner/memory"
	"github.com/navarkos/navarkos/internal/planner/pricing"
)

// fullyPlaced reports whether every replica of the demands that run on a cluster runs somewhere.
func (p *planning) fullyPlaced(name string) bool {
	for i := range p.in.Demands {
		d := &p.in.Demands[i]
		if d.Assigned[name] == 0 || d.Policy.Mode == placement.Duplicated {
			continue
		}
		var total int32
		for _, n := range d.Assigned {
			total += n
		}
		if total < d.Replicas {
			return false
		}
	}
	return true
}

// offline takes a cluster offline as its pool says, hibernated or deleted, and returns the action.
func (p *planning) offline(m *member, reason string) Action {
	kind := Hibernate
	if m.pool.DeleteWhenIdle {
		kind = Delete
	}
	m.State = Hibernated
	return Action{Kind: kind, Cluster: m.Name, Pool: m.Pool, Nodes: m.origNodes, CostPerHour: -(m.costAt(m.origNodes) - m.offlineCost()), Reason: reason}
}

// drainProgress moves a draining cluster's replicas away, a budget at a time once the last
// step's replicas run elsewhere, and takes the cluster offline once it runs none.
func (p *planning) drainProgress() []Action {
	var out []Action
	for _, m := range p.members {
		if !m.draining || !m.Managed || m.pool == nil || !m.online() {
			continue
		}
		user := p.userPods[m.Name]
		if user == 0 {
			out = append(out, p.offline(m, fmt.Sprintf("drained for consolidation: its replicas run on cheaper clusters, saving %.3f/h", m.costAt(m.origNodes)-m.offlineCost())))
			continue
		}
		if m.Pods > m.DrainLimit || !p.fullyPlaced(m.Name) {
			continue // the last step is still moving
		}
		step := min(p.cfg.DisruptionBudget, user)
		out = append(out, Action{Kind: Drain, Cluster: m.Name, Pool: m.Pool, DrainLimit: max(m.Pods-step, 0), Replicas: step,
			Reason: fmt.Sprintf("draining: moving %d more of its %d replicas (disruption budget %d)", step, user, p.cfg.DisruptionBudget)})
	}
	return out
}

// calm reports whether the fleet is settled enough to consider consolidation: all demand
// served, nothing starting, growing or draining, and no cluster that came online or grew
// within the stabilisation window, which consolidation would drain or fill at once.
func (p *planning) calm() bool {
	if len(p.plan.Unserved) > 0 || len(p.plan.Actions) > 0 {
		return false
	}
	for _, m := range p.members {
		if m.planned || m.draining || m.State == Starting || m.nodes != m.origNodes || p.settling(m) {
			return false
		}
	}
	return true
}

// consolidate, when the fleet is calm, drains at most one cluster whose replicas fit on the
// other clusters, grown within their limits, when that pays (tryDrain). Failing that, it
// orders what the whole-fleet decision lacks, or a cheaper cluster to take over from one;
// the capacity ordered becomes actions in resize.
func (p *planning) consolidate() []Action {
	if !p.calm() {
		return nil
	}
	var cands []*member
	for _, m := range p.members {
		if m.Managed && m.pool != nil && m.State == Running && total(m.hosted) > 0 && !p.settling(m) && !p.movedEnough(m) {
			cands = append(cands, m)
		}
	}
	slices.SortStableFunc(cands, func(a, b *member) int {
		return cmp.Compare(b.cost()/float64(total(b.hosted)), a.cost()/float64(total(a.hosted)))
	})
	target := p.wholeFleetTarget()
	if target != nil {
		p.plan.WholeFleet = target.decision(p.in.Pools)
	}
	online, _ := p.managedByPool()
	for _, x := range cands {
		if target.keeps(p.in.Pools, x.Pool, int64(len(online[x.Pool]))) {
			// The whole-fleet decision wants this pool's clusters: draining one into the
			// others would undo it (a new cluster paid by the cluster-hour holds few
			// replicas, so it looks dearest per replica until the others are drained into it).
			continue
		}
		if drain, ok := p.tryDrain(x, target); ok {
			return []Action{drain}
		}
	}
	if p.orderWholeFleet(target) {
		return nil
	}
	for _, x := range cands {
		if target.keeps(p.in.Pools, x.Pool, int64(len(online[x.Pool]))) {
			continue // nor replaced: consolidation would not drain it into the replacement
		}
		if p.replaceWithCheaper(x, target) {
			return nil
		}
	}
	return nil
}

// tryDrain moves x's replicas away on a copy of the plan's members, and keeps the copy, with
// x draining, when that saves more than the threshold of x's cost and pays for the moves
// within an hour; within the planner's horizon when the whole-fleet decision has fewer nodes
// in x's pool, or within the horizon of capacity ordered to take over from x.
func (p *planning) tryDrain(x *member, target *fleetTarget) (Action, bool) {
	trial := cloneMembers(p.members)
	tx := trial[slices.Index(p.members, x)]
	// What the cluster would cost at the nodes its replicas need: stabilisation sheds the
	// rest anyway, so draining cannot count it as a saving.
	cost := x.costAt(x.neededNodes())
	added, ok := p.moveAway(trial, tx, target)
	if !ok {
		return Action{}, false
	}
	saving := cost - x.offlineCost() - added
	moved := float64(total(x.hosted))
	payback, why := p.drainPayback(x, target)
	b := pricing.Payback{SavingPerHour: saving, Lasts: payback, Moves: moved, MovePrice: p.cfg.DisruptionCost}
	// The drain pays back only if the demand stays as low as now for as long: demand that has
	// been this low for less than that is as likely to come back first.
	pays := b.Pays() && p.mem.Lull(p.in.Now, onlineCPU(trial)) >= b.BreakEven()
	if saving <= 0 || saving < p.cfg.ConsolidationThreshold*cost || !pays {
		return Action{}, false
	}
	p.members = trial
	tx.draining = true
	for i := range x.hosted {
		p.mem.Moved(p.in.Demands[i].Name, p.in.Now)
	}
	for _, m := range p.members {
		if m != tx && m.nodes > m.origNodes {
			m.why = append(m.why, fmt.Sprintf("receives the replicas drained from %s", x.Name))
		}
	}
	step := min(p.cfg.DisruptionBudget, p.userPods[x.Name])
	return Action{Kind: Drain, Cluster: x.Name, Pool: x.Pool, DrainLimit: max(x.Pods-step, 0), Replicas: total(x.hosted), CostPerHour: -saving,
		Reason: fmt.Sprintf("consolidation: its replicas fit on the other clusters, saving %.3f/h of the %.3f/h it costs at the nodes they need%s; moving %d at a time", saving, cost, why, p.cfg.DisruptionBudget)}, true
}

// drainPayback is how long draining x has to pay for its moves, and why when not an hour: the
// whole-fleet decision was ordered for the demand's whole horizon on the promise of this drain
// when it has no cluster in x's pool, and for the capacity horizon when it has fewer nodes
// there; capacity ordered to take over from x was ordered on a saving over its own horizon.
func (p *planning) drainPayback(x *member, target *fleetTarget) (time.Duration, string) {
	payback, why := time.Hour, ""
	switch {
	case target.leaves(p.in.Pools, x.Pool):
		payback, why = p.demandHorizon(), "; the whole-fleet decision has no cluster in pool "+x.Pool
	case target.shrinks(x.Pool):
		payback, why = p.cfg.CapacityHorizon, "; the whole-fleet decision has fewer nodes in pool "+x.Pool
	}
	if h := p.mem.Promised(x.Name); h > payback {
		payback, why = h, "; capacity was ordered to take over from it"
	}
	return payback, why
}

// replaceWithCheaper orders, behind a running cluster that no other cluster can absorb, a
// new or woken cluster in a cheaper pool that holds its replicas, when what that saves over
// the planner's horizon beats what both cost while the new one comes and settles and the
// moves between them. Once it runs, consolidation drains x into it. It is how demand served
// from a fast, dear pool while it could not wait ends up in the cheap, slow one.
func (p *planning) replaceWithCheaper(x *member, target *fleetTarget) bool {
	if p.cfg.CapacityHorizon <= 0 {
		return false
	}
	cost := x.costAt(x.neededNodes()) - x.offlineCost()
	// A cluster that has run for long is expected to run as long again, up to a day.
	lasts := min(max(p.cfg.CapacityHorizon, since(p.in.Now, p.mem.OnlineAt(x.Name))), maxDemandHorizon)
	replicas := float64(total(x.hosted))
	var best *option
	swung := p.swungUsage(x)
	for _, name := range slices.Sorted(maps.Keys(p.pools)) {
		pool := p.pools[name]
		if pool == x.pool || !p.mayHost(x, pool) || target.clustersIn(p.in.Pools, name) == 0 {
			continue // nor into a pool the whole-fleet decision has no cluster in: consolidation would drain it
		}
		if _, pending := p.mem.Ordered(name); pending {
			continue
		}
		n := max(fleet.NodesFor(x.used, pool.Shape), pool.MinNodes)
		if n > pool.MaxNodes {
			continue // x's replicas do not fit in one cluster of the pool
		}
		o := &option{kind: Create, pool: pool, nodes: n, delay: pool.CreateTime}
		probe := &member{pool: pool}
		o.cost = probe.costAt(n)
		for _, m := range p.members {
			if m.Pool == name && m.State == Hibernated && m.Managed {
				o = &option{kind: Wake, m: m, pool: pool, nodes: n, delay: pool.WakeTime, cost: m.wakeCost(n)}
				break
			}
		}
		if o.kind == Create && p.poolClusters[name] >= pool.MaxClusters {
			continue
		}
		if !cheaperThroughSwings(x, pool, swung) {
			continue
		}
		saving := cost - o.cost
		pays := pricing.Payback{SavingPerHour: saving, Lasts: lasts, Overlap: o.delay + p.cfg.StabilizationWindow, OverlapPerHour: o.cost, Moves: replicas, MovePrice: p.cfg.DisruptionCost}.Pays()
		if saving < p.cfg.ConsolidationThreshold*cost || !pays {
			continue
		}
		if best == nil || o.cost < best.cost {
			best = o
		}
	}
	if best == nil {
		return false
	}
	m := p.addCapacity(best)
	m.why = append(m.why, fmt.Sprintf("to take over the %d replicas of %s: it comes in %s and saves %.3f/h of the %.3f/h %s costs at the nodes they need; %s is drained into it once it runs",
		total(x.hosted), x.Name, fleet.Round(best.delay), cost-best.cost, cost, x.Name, x.Name))
	p.mem.Order(best.pool.Name, memory.Order{Until: p.orderLapse(best.delay), TakesOver: x.Name, Horizon: lasts})
	return true
}

// swungUsage is what x's replicas would use at the trough and the peak through which x's
// pool swung in the last third of the capacity horizon (swings), each in proportion to what
// the pool's clusters run in the plan; none for a pool that did not swing.
func (p *planning) swungUsage(x *member) []placement.Resources {
	trough, peak := p.mem.Swings([]string{x.Pool}, p.in.Now, p.cfg.CapacityHorizon)
	var now int64
	for _, m := range p.members {
		if m.Managed && m.Pool == x.Pool && m.online() {
			now += int64(total(m.hosted))
		}
	}
	var out []placement.Resources
	for _, level := range []int64{trough, peak} {
		if now > 0 && level >= 0 && level != now {
			out = append(out, x.used.Scaled(float64(level)/float64(now)))
		}
	}
	return out
}

// cheaperThroughSwings reports whether a cluster of pool would hold x's replicas for less
// than x also at each usage they swung through (swungUsage): a replacement that pays only at
// a peak, or only at a trough, is undone at the next swing.
func cheaperThroughSwings(x *member, pool *Pool, swung []placement.Resources) bool {
	for _, used := range swung {
		mine := x.costAt(clamp(fleet.NodesFor(used, x.pool.Shape), max(x.pool.MinNodes, 1), x.pool.MaxNodes)) - x.offlineCost()
		theirs := (&member{pool: pool}).costAt(clamp(fleet.NodesFor(used, pool.Shape), max(pool.MinNodes, 1), pool.MaxNodes))
		if theirs >= mine {
			return false
		}
	}
	return true
}

// freeNodes reports whether m's pool charges nothing for its nodes: each is room for what comes
// next, at no price.
func (m *member) freeNodes() bool { return m.pool.NodePrice == 0 }

// mayHost reports whether a cluster of pool may run every replica x runs: each of x's
// workloads admits the pool, may grow into it, and may serve its users from there. A pool
// with a namespace quota is left to the ordinary ways of adding capacity.
func (p *planning) mayHost(x *member, pool *Pool) bool {
	if pool.NamespaceQuota != nil {
		return false // the quota is counted as capacity is added for a need, not here
	}
	view := poolView(pool)
	for i, n := range x.hosted {
		if n <= 0 {
			continue
		}
		d := &p.in.Demands[i]
		if d.Policy.Mode == placement.Duplicated || !d.Policy.Admits(&view) {
			return false
		}
		if ok, _ := p.mayGrow(d, pool); !ok {
			return false
		}
		if home := placement.HomeRegion(x.view.Region, d.Shares); !p.mayServe(i, pool.Region, pool, home) {
			return false
		}
	}
	return true
}

// movedEnough reports whether a workload on the cluster was already moved by consolidation
// as often in the last hour as the configuration allows.
func (p *planning) movedEnough(m *member) bool {
	for i := range m.hosted {
		if p.mem.MovesWithin(p.in.Demands[i].Name, p.in.Now, time.Hour) >= p.cfg.MaxMovesPerHour {
			return true
		}
	}
	return false
}

// moveAway re-places every replica on x onto the other eligible members, growing managed ones
// within their limits. It is a trial: members are a copy of the plan's, kept only if the
// move pays. It returns the cost per hour that growth adds, and the whole cost of a
// receiver that ran nothing: idle, it would go offline, so the drain would only swap which
// cluster stays. Capacity ordered to take over (see holding), and a cluster of another pool
// that the whole-fleet target moves x's pool into, are not idle in that sense.
func (p *planning) moveAway(members []*member, x *member, target *fleetTarget) (float64, bool) {
	var added float64
	var kept []*member // idle receivers, whose cost is counted at the nodes they then need
	for _, i := range sortedInts(x.hosted) {
		d := &p.in.Demands[i]
		if d.Policy.Mode == placement.Duplicated {
			return 0, false
		}
		n := int64(x.hosted[i])
		// The receivers must also hold what the workload may add at once: room it left by
		// dipping below its recent peak, or that its noise would take, is not free.
		reserve := int64(p.mem.Swing(d.Name, d.Replicas))
		x.unplace(i, d.Request, int32(n))
		eligible := p.byPrice(members, d, x)
		if len(eligible) < d.Policy.MinClusters {
			return 0, false
		}
		for _, m := range eligible {
			if n+reserve <= 0 {
				break
			}
			if home := placement.HomeRegion(x.view.Region, d.Shares); !p.mayServe(i, m.view.Region, m.pool, home) {
				continue // consolidation never moves replicas away from their users
			}
			room := m.roomAt(m.nodes, d.Request)
			if room < n+reserve && m.Managed && m.pool != nil {
				if ok, _ := p.mayGrow(d, m.pool); ok {
					grown := clamp(fleet.NodesFor(m.used.Add(d.Request.Times(n+reserve)), m.pool.Shape), m.nodes, m.pool.MaxNodes)
					added += float64(grown-m.nodes) * m.pool.NodePrice
					m.nodes = grown
					room = m.roomAt(m.nodes, d.Request)
				}
			}
			k := min(n, room)
			if k > 0 && m.Managed && m.pool != nil && total(m.hosted) == 0 && p.userPods[m.Name] == 0 && !p.holding(m) && !target.movesInto(p.in.Pools, x.Pool, m.Pool) {
				kept = append(kept, m) // it hosts nothing until now, so it is added once
			}
			m.place(i, d.Request, int32(k))
			n -= k
			reserve -= min(reserve, room-k)
		}
		if n > 0 || reserve > 0 {
			return 0, false
		}
	}
	for _, m := range kept {
		added += m.costAt(m.neededNodes()) - m.offlineCost()
	}
	return added, true
}

// takeIdleOffline takes offline the managed clusters that have run no replicas for their pool's idle time-to-live.
func (p *planning) takeIdleOffline() []Action {
	online := map[string]int{}
	for _, m := range p.members {
		if m.online() {
			online[m.Pool]++
		}
	}
	var out []Action
	for _, m := range p.members {
		if !m.Managed || m.pool == nil || m.State != Running || m.draining || total(m.hosted) > 0 || p.userPods[m.Name] > 0 || p.holding(m) {
			continue
		}
		idle := since(p.in.Now, m.IdleSince)
		if m.IdleSince.IsZero() || idle < m.pool.IdleTTL || online[m.Pool] <= m.pool.MinClusters {
			continue
		}
		online[m.Pool]--
		out = append(out, p.offline(m, fmt.Sprintf("no replicas for %s, the pool's idle time-to-live is %s", fleet.Round(idle), fleet.Round(m.pool.IdleTTL))))
	}
	return out
}

// resize turns the plan's node counts into actions: new and woken clusters, growth at once,
// and shrinking to the most nodes needed within the stabilisation window.
func (p *planning) resize() []Action {
	var out []Action
	for _, m := range p.members {
		if m.pool == nil {
			continue
		}
		if m.freeNodes() && (m.planned || m.woken() || m.nodes > m.origNodes) {
			// Nodes that cost nothing are room for what comes next, at no price: a cluster
			// made, woken or grown takes its most at once, and keeps them.
			m.nodes = m.pool.MaxNodes
		}
		var a *Action
		switch {
		case m.planned || m.woken():
			a = p.added(m)
		case m.Managed && m.online() && !m.draining:
			a = p.resized(m)
		}
		if a != nil {
			out = append(out, *a)
		}
	}
	return out
}

// woken reports whether the plan wakes the hibernated cluster.
func (m *member) woken() bool { return m.origState == Hibernated && m.State == Starting }

// added is the action that makes or wakes a cluster the plan adds, unless all its capacity
// is for a ramp still far enough away to be ordered at a later decision.
func (p *planning) added(m *member) *Action {
	if p.notYetDue(m) {
		return nil
	}
	a := &Action{Kind: Create, Pool: m.Pool, Nodes: m.nodes, Replicas: total(m.hosted), CostPerHour: m.wakeCost(m.nodes), Demand: m.demand, Reason: joinReasons(m.why)}
	if !m.planned {
		a.Kind, a.Cluster = Wake, m.Name
	}
	return a
}

// resized is the action that grows a running cluster to the nodes the plan gives it or its
// replicas need, or shrinks it to the most its replicas needed within its stabilisation
// window (at once, in a trough the forecast knows); nil to keep it as it is. It records the
// cluster's need.
func (p *planning) resized(m *member) *Action {
	needed := m.neededNodes()
	recorded := needed
	if m.nodes > m.origNodes {
		recorded = max(needed, m.nodes)
	}
	window := p.mem.Window(m.Name, p.in.Now, p.cfg.StabilizationWindow)
	if max(m.nodes, needed) > m.origNodes {
		window = p.mem.Regrown(m.Name, p.in.Now, p.cfg.StabilizationWindow)
	}
	p.mem.Record(m.Name, p.in.Now, recorded, window)
	scale := func(nodes int32, reason string) *Action {
		return &Action{Kind: Scale, Cluster: m.Name, Pool: m.Pool, Nodes: nodes, CostPerHour: float64(nodes-m.origNodes) * m.pool.NodePrice, Reason: reason}
	}
	switch {
	case m.nodes > m.origNodes && p.notYetDue(m):
		return nil // capacity for the forecast's ramp, ordered at a later decision
	case m.nodes > m.origNodes:
		a := scale(m.nodes, joinReasons(m.why))
		a.Replicas, a.Demand = total(m.hosted), m.demand
		return a
	case needed > m.origNodes && m.freeNodes():
		a := scale(m.pool.MaxNodes, fmt.Sprintf("its replicas need %d nodes, it has %d; its pool's nodes cost nothing, so it takes its most", needed, m.origNodes))
		a.CostPerHour = 0
		return a
	case needed > m.origNodes:
		return scale(needed, fmt.Sprintf("its replicas need %d nodes, it has %d", needed, m.origNodes))
	case m.freeNodes() || m.State != Running || p.holding(m):
		return nil // shrinking saves nothing, or the cluster is kept for capacity on order
	case 4*needed <= 3*m.origNodes && p.quietAhead(m):
		// A trough the forecast knows (a quarter of the nodes or more, not noise): the
		// forecast grows it again before the next ramp, so the shrink waits for no window
		// and is not noted as a flap.
		return scale(needed, fmt.Sprintf("forecast: its replicas need %d of its %d nodes, and its workloads no more before it could grow again (%s)", needed, m.origNodes, fleet.Round(m.pool.ScaleTime+memory.OrderMargin)))
	case p.mem.WatchedFor(m.Name, p.in.Now) >= window:
		p.mem.StillFlapping(m.Name, p.in.Now, p.cfg.StabilizationWindow, m.origNodes)
		if stable := p.mem.Peak(m.Name); stable < m.origNodes {
			p.mem.Shrunk(m.Name, p.in.Now)
			return scale(stable, fmt.Sprintf("its replicas needed at most %d of its %d nodes for the stabilisation window of %s", stable, m.origNodes, fleet.Round(window)))
		}
	}
	return nil
}

// holding reports whether the cluster's pool has capacity on order behind a faster pool:
// it is kept at its size, running or not, until it takes over or the order lapses.
func (p *planning) holding(m *member) bool {
	_, ok := p.mem.Ordered(m.Pool)
	return ok
}

// orderedForGrowth reports whether the pool has a cluster on order for the growth still
// arriving: the replicas that need room now do not wait for it (see waitForGrowth).
func (p *planning) orderedForGrowth(pool string) bool {
	o, ok := p.mem.Ordered(pool)
	return ok && o.ForGrowth
}

// settling reports whether a cluster came online or grew within the stabilisation window:
// the capacity was just wanted, so draining it now would be churn.
func (p *planning) settling(m *member) bool {
	within := func(at time.Time) bool { return !at.IsZero() && p.in.Now.Sub(at) < p.cfg.StabilizationWindow }
	return within(p.mem.OnlineAt(m.Name)) || within(p.mem.GrownAt(m.Name))
}

func total(hosted map[int]int32) int32 {
	var n int32
	for _, v := range hosted {
		n += v
	}
	return n
}

func sortedInts(m map[int]int32) []int {
	keys := make([]int, 0, len(m))
	for k, v := range m {
		if v > 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

func joinReasons(why []string) string {
	if len(why) == 0 {
		return ""
	}
	if len(why) == 1 {
		return why[0]
	}
	return fmt.Sprintf("%s (and %d more needs)", why[0], len(why)-1)
}
