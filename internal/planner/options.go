package planner

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/navarkos/navarkos/internal/placement"
	"github.com/navarkos/navarkos/internal/planner/fleet"
	"github.com/navarkos/navarkos/internal/planner/memory"
	"github.com/navarkos/navarkos/internal/planner/pricing"
)

// option is one way to add capacity for a demand.
type option struct {
	kind  ActionKind
	m     *member // the cluster to scale or wake; nil to create one
	pool  *Pool
	nodes int32
	// covered is how many of the needed replicas it holds.
	covered int64
	// priced is how many replicas its cost is spread over, when more than covered: the
	// growth of demand that a cluster of free nodes will also hold (see growthRoom).
	priced int64
	cost   float64
	delay  time.Duration
	// price is the cost per replica weighed by locality, tier, risk and reserve; score
	// weighs it by delay too; plainScore is score for the covered replicas alone.
	price, score, plainScore float64
	// weighs is what score multiplies the cost per replica by: the pool's weights and the
	// delay, for the share of the replicas that would wait for it.
	weighs float64
	// takesBack is set on near capacity ordered behind far capacity that serves a burst.
	takesBack bool
}

func (o *option) name() string {
	if o.m != nil {
		return o.m.Name
	}
	return o.pool.Name
}

func (o *option) String() string {
	what := map[ActionKind]string{Scale: "grow cluster %s", Wake: "wake cluster %s", Create: "create a cluster in pool %s"}[o.kind]
	return fmt.Sprintf(what+" to %d nodes (+%.3f/h, capacity in %s)", o.name(), o.nodes, o.cost, fleet.Round(o.delay))
}

// kindRank orders options of equal score and delay: the least disruptive first.
var kindRank = map[ActionKind]int{Scale: 0, Wake: 1, Create: 2}

// optionMode says which options a need admits.
type optionMode int

const (
	// anyCapacity takes capacity from any option, even for part of the need.
	anyCapacity optionMode = iota
	// wholeNewHost needs the whole need on a cluster that does not run the demand yet.
	wholeNewHost
	// newCluster needs a cluster that is not eligible yet: woken or created.
	newCluster
)

// bestOption finds the cheapest way, weighed by locality, tier, risk and delay, to add room
// for need replicas of demand i, for the users of region when one is given. When there is
// none, it says why.
func (p *planning) bestOption(i int, need int64, mode optionMode, region string) (*option, string) {
	best, _, why := p.bestOptions(i, need, mode, region)
	return best, why
}

// servesWhole is the best-scoring new or woken cluster that covers all need replicas (one
// that costs by the cluster, not only by the node), when the options
// that cover only part of them, taken cheapest first (a pool's new cluster as many times as
// the pool has clusters left) and the whole option sized for what they leave, score more a
// replica together; nil otherwise. A node or a small cluster looks cheaper per replica than
// one large cluster until the rest of the need is priced too: 119 replicas in two spot
// clusters of 40 and an on-demand one cost more than in one on-premises cluster, though its
// first 40 do not. opts are sorted by score.
func (p *planning) servesWhole(opts []*option, need int64, scoreFor func(o *option, n int64) float64) (*option, float64) {
	// The first option that covers the need; a grown cluster that does is better still.
	w := slices.IndexFunc(opts, func(o *option) bool { return o.covered >= need })
	if w <= 0 || opts[w].kind == Scale {
		return nil, 0
	}
	whole, rest := opts[w], need
	var sum float64
	for _, o := range opts {
		if o.covered >= need {
			continue
		}
		times := 1
		if o.kind == Create && o.pool.NamespaceQuota == nil { // a quota bounds the pool, not each cluster
			times = max(o.pool.MaxClusters-p.poolClusters[o.pool.Name], 1)
		}
		for ; times > 0 && rest > 0; times-- {
			n := min(o.covered, rest)
			sum += o.score * float64(n)
			rest -= n
		}
	}
	if rest > 0 {
		sum += scoreFor(whole, rest) // the whole option, sized for what the others leave
	}
	together := sum / float64(need)
	if whole.score >= together*(1-1e-9) {
		return nil, 0
	}
	return whole, together
}

// growthRoom is how many replicas like d's a cluster m of free nodes, made or woken for
// covered of them, is expected to hold in its first capacity horizon: those, and the
// replicas that demand has been adding to the fleet's managed clusters, over a horizon from
// the cluster's coming, up to its room at its most nodes. Such a cluster is
// paid by the hour whatever it holds, so pricing it by the first replicas alone would pass it
// over for as long as demand arrives in small steps. Every cluster is priced over as long a
// service, however slow it is to come: its delay is weighed apart. It is covered for a
// cluster whose nodes have a price.
func (p *planning) growthRoom(m *member, d *Demand, covered int64) int64 {
	if !m.freeNodes() || p.cfg.CapacityHorizon <= 0 || p.growingBy() <= 0 {
		return covered
	}
	// Only where the whole-fleet decision for the demand in sight wants another cluster of the
	// pool: the growth decides how soon to make it, not whether the pool is the cheap home.
	wanted := p.decided().clustersIn(p.in.Pools, m.pool.Name)
	if wanted <= 0 {
		return covered
	}
	if online, _ := p.managedByPool(); wanted <= int64(len(online[m.pool.Name])) {
		return covered
	}
	// The growth over a horizon from its coming; what arrives before then lands elsewhere.
	expected := int64(p.growingBy() * p.cfg.CapacityHorizon.Hours())
	return min(covered+expected, max(m.roomAt(m.pool.MaxNodes, d.Request), covered))
}

// growingBy is how many replicas an hour demand has been adding to the fleet's managed
// clusters (growth over every pool), worked out once per decision.
func (p *planning) growingBy() float64 {
	if p.fleetGrowth < 0 {
		p.fleetGrowth = p.mem.Growth(slices.Sorted(maps.Keys(p.pools)), p.in.Now, p.cfg.CapacityHorizon)
	}
	return p.fleetGrowth
}

// behindOption is the capacity worth ordering behind best, for the same replicas: the option
// with the lowest price that is slower than best, when best makes or wakes a whole cluster
// (one that consolidation can hand back once the slower capacity has come) and what it saves
// over the planner's horizon beats what both cost while they overlap and the moves between
// them. Only one such order per pool is pending at a time.
func (p *planning) behindOption(best *option, opts []*option) *option {
	if best.kind == Scale || p.cfg.CapacityHorizon <= 0 {
		return nil
	}
	var cheap *option
	for _, o := range opts {
		if o.pool.Name != best.pool.Name && o.delay > best.delay && o.covered >= best.covered && o.price < best.price && (cheap == nil || o.price < cheap.price) {
			cheap = o
		}
	}
	if cheap == nil {
		return nil
	}
	if _, pending := p.mem.Ordered(cheap.pool.Name); pending {
		return nil
	}
	pays := pricing.Payback{SavingPerHour: (best.price - cheap.price) * float64(best.covered), Lasts: p.cfg.CapacityHorizon,
		Overlap: cheap.delay + p.cfg.StabilizationWindow, OverlapPerHour: cheap.cost, Moves: float64(best.covered), MovePrice: p.cfg.DisruptionCost}
	if !pays.Pays() {
		return nil
	}
	return cheap
}

// reserve is the ReserveWeight when pool serves a demand with required labels and d has none.
func (p *planning) reserve(pool *Pool, d *Demand) float64 {
	if requiresLabels(d) || !p.reservedPool(pool) {
		return 0
	}
	return p.cfg.ReserveWeight
}

// reservedPool reports, once per pool and decision, whether a demand with required labels may use it.
func (p *planning) reservedPool(pool *Pool) bool {
	if reserved, known := p.reserved[pool.Name]; known {
		return reserved
	}
	view := poolView(pool)
	reserved := false
	for i := range p.in.Demands {
		if e := &p.in.Demands[i]; requiresLabels(e) && e.Policy.Admits(&view) {
			reserved = true
			break
		}
	}
	p.reserved[pool.Name] = reserved
	return reserved
}

func requiresLabels(d *Demand) bool {
	return d.Policy.ClusterSelector != nil && !d.Policy.ClusterSelector.Empty()
}

// applyOption carries out an option in the plan and returns the replicas it placed.
func (p *planning) applyOption(i int, o *option, reason string, why purpose) int64 {
	d := &p.in.Demands[i]
	m := p.addCapacity(o)
	orderedForRamp(m, o.delay, why.rampAt)
	m.place(i, d.Request, int32(o.covered))
	m.why = append(m.why, why.prefix+reason)
	if m.demand == "" {
		m.demand = d.Name
	}
	return o.covered
}

// orderBehind adds the capacity of behind, placing nothing on it: the replicas run on
// ahead's capacity until behind's has come, and consolidation then moves them over and hands
// ahead's cluster back. Until then the pool's new capacity is neither shrunk nor taken offline.
func (p *planning) orderBehind(i int, behind, ahead *option, replicas int64, why purpose) {
	m := p.addCapacity(behind)
	orderedForRamp(m, behind.delay, why.rampAt)
	switch {
	case behind.takesBack:
		m.why = append(m.why, fmt.Sprintf("near capacity for %d replicas of %s: it comes in %s; pool %s, far, serves them meanwhile, from %s",
			replicas, p.in.Demands[i].Name, fleet.Round(behind.delay), ahead.pool.Name, fleet.Round(ahead.delay)))
	case behind.priced > behind.covered:
		m.why = append(m.why, fmt.Sprintf("capacity for the growth: demand has been adding %.0f replicas an hour, and this cluster of free nodes, at %.3f/h, is priced over the %d it is expected to hold; it comes in %s, so the %d replicas of %s that need room now run in pool %s, which comes in %s",
			p.growingBy(), behind.cost, behind.priced, fleet.Round(behind.delay), replicas, p.in.Demands[i].Name, ahead.pool.Name, fleet.Round(ahead.delay)))
	default:
		m.why = append(m.why, fmt.Sprintf("capacity behind for %d replicas of %s: it comes in %s, and then takes over from pool %s, which comes in %s, saving %.3f/h",
			replicas, p.in.Demands[i].Name, fleet.Round(behind.delay), ahead.pool.Name, fleet.Round(ahead.delay), (ahead.price-behind.price)*float64(replicas)))
	}
	if m.demand == "" {
		m.demand = p.in.Demands[i].Name
	}
	p.mem.Order(behind.pool.Name, memory.Order{Until: p.orderLapse(behind.delay), ForGrowth: behind.priced > behind.covered, Ready: p.in.Now.Add(behind.delay)})
}

// addCapacity makes an option's cluster, wakes it or grows it in the plan.
func (p *planning) addCapacity(o *option) *member {
	m := o.m
	switch o.kind {
	case Create:
		p.created++
		m = &member{
			Cluster: Cluster{Name: fmt.Sprintf("(new %s #%d)", o.pool.Name, p.created), Pool: o.pool.Name, Labels: o.pool.Labels, State: Starting, Managed: true, DrainLimit: -1},
			pool:    o.pool, hosted: map[int]int32{}, planned: true,
		}
		m.view = poolView(o.pool)
		m.view.Name = m.Name
		p.members = append(p.members, m)
		p.poolClusters[o.pool.Name]++
	case Wake:
		m.State = Starting
	}
	m.nodes = o.nodes
	return m
}

// quotaRoom is how many of need replicas of demand i the pool's namespace quota lets the
// planner add capacity for. At none, it records the quota reached and says why.
func (p *planning) quotaRoom(i int, pool *Pool, need int64) (int64, string) {
	if pool.NamespaceQuota == nil {
		return need, ""
	}
	d := &p.in.Demands[i]
	var used placement.Resources
	for _, m := range p.members {
		if m.Pool != pool.Name {
			continue
		}
		for j, n := range m.hosted {
			if p.in.Demands[j].Namespace == d.Namespace {
				used = used.Add(p.in.Demands[j].Request.Times(int64(n)))
			}
		}
	}
	room := min(need, pool.NamespaceQuota.Sub(used).Fits(d.Request))
	if room > 0 {
		return room, ""
	}
	hit := QuotaReached{Demand: d.Name, Namespace: d.Namespace, Pool: pool.Name, Requested: used, Quota: *pool.NamespaceQuota}
	if !slices.ContainsFunc(p.plan.QuotaReached, func(q QuotaReached) bool { return q.Demand == hit.Demand && q.Pool == hit.Pool }) {
		p.plan.QuotaReached = append(p.plan.QuotaReached, hit)
	}
	return 0, hit.String()
}

// localityReason says how distance from region decided: the best option is far because its
// pool is cheaper than the near ones by more than the locality threshold, or because no near
// pool can grow; or it is near although a far pool is cheaper.
func (p *planning) localityReason(i int, best *option, region string) string {
	d := &p.in.Demands[i]
	l := p.localityOf(i, region)
	threshold := 100 * p.cfg.LocalityThreshold
	if !placement.Near(best.pool.Region, region) {
		if l.nearPool == nil {
			return fmt.Sprintf("far from %s: no pool near it can grow", region)
		}
		return fmt.Sprintf("far from %s: pool %s costs %.0f%% less per replica than pool %s near it, above the locality threshold of %.0f%%",
			region, best.pool.Name, 100*(1-pricing.AmortisedPerReplica(best.pool, d.Request)/l.nearPrice), l.nearPool.Name, threshold)
	}
	if l.farPool == nil || l.nearPool == nil || l.farPrice >= l.nearPrice {
		return fmt.Sprintf("kept near %s", region)
	}
	return fmt.Sprintf("kept near %s: pool %s in %s costs %.0f%% less per replica than pool %s, under the locality threshold of %.0f%%",
		region, l.farPool.Name, l.farPool.Region, 100*(1-l.farPrice/l.nearPrice), l.nearPool.Name, threshold)
}

// waitForGrowth is a starting cluster ordered for the growth that replicas of demand i wait
// for rather than take opt, the best other way, and how many: one that comes before opt's
// capacity would, or later by less than the delay that doubles a price (1/DelayWeight). The
// cluster costs nothing more, so waiting costs only the delay, priced as opt's would be:
// DelayWeight × wait × price, against opt's price × (1 + DelayWeight × delay).
func (p *planning) waitForGrowth(i int, need int64, region string, opt *option) (*member, int64) {
	d := &p.in.Demands[i]
	var best *member
	var covered int64
	var soonest time.Duration
	for _, m := range p.members {
		if m.State != Starting {
			continue
		}
		order, ok := p.mem.Ordered(m.Pool)
		if !ok || !order.ForGrowth || m.pool == nil || !d.Policy.Admits(&m.view) || !p.mayServe(i, m.view.Region, m.pool, region) {
			continue
		}
		n := min(need, m.roomAt(m.nodes, d.Request))
		wait := max(order.Ready.Sub(p.in.Now), 0)
		if n <= 0 || (opt != nil && p.cfg.DelayWeight*wait.Hours() >= 1+p.cfg.DelayWeight*opt.delay.Hours()) {
			continue
		}
		if best == nil || wait < soonest {
			best, covered, soonest = m, n, wait
		}
	}
	return best, covered
}
