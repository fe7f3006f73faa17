package simulate

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/navarkos/navarkos/internal/placement"
	"github.com/navarkos/navarkos/internal/planner"
	"github.com/navarkos/navarkos/internal/planner/fleet"
	"github.com/navarkos/navarkos/internal/planner/pricing"
)

// class is the demand of the workloads that share constraints, and with locality, the
// part of it that comes from one region.
type class struct {
	constraints string
	// region is where the class's demand comes from; empty when it is not split by region.
	region    string
	workloads []*workload
	need      placement.Resources
	replicas  int64
}

// key identifies a class by its constraints and region.
func (c *class) key() string { return c.constraints + "\x00" + c.region }

// regionalClasses splits each class by the regions its workloads' demand comes from, each
// workload's replicas divided by its shares as the scheduler divides them.
func (s *sim) regionalClasses() []*class {
	byKey := map[string]*class{}
	var out []*class
	add := func(w *workload, region string, replicas int64) {
		c := &class{constraints: w.Constraints, region: region}
		if known := byKey[c.key()]; known != nil {
			c = known
		} else {
			byKey[c.key()] = c
			out = append(out, c)
		}
		c.workloads = append(c.workloads, w)
		c.need = c.need.Add(w.request().Times(replicas))
		c.replicas += replicas
	}
	for _, w := range s.orderedWorkloads() {
		if len(w.Shares) == 0 {
			add(w, "", int64(w.Replicas))
			continue
		}
		for _, t := range placement.RegionTargets(w.Shares, w.Replicas) {
			add(w, t.Region, t.Replicas)
		}
	}
	return out
}

// classes groups the current workloads by constraints, the constrained ones first.
func (s *sim) classes() []*class {
	return s.classesOf(func(w *workload) int64 { return int64(w.Replicas) })
}

// placedClasses are the classes of the replicas placed now.
func (s *sim) placedClasses() []*class {
	return s.classesOf(func(w *workload) int64 {
		var placed int64
		for _, n := range w.assigned {
			placed += int64(n)
		}
		return placed
	})
}

// classesOf groups, by constraints, the constrained ones first, the replicas that count of
// each current workload.
func (s *sim) classesOf(replicas func(*workload) int64) []*class {
	byKey := map[string]*class{}
	var out []*class
	for _, w := range s.orderedWorkloads() {
		c := byKey[w.Constraints]
		if c == nil {
			c = &class{constraints: w.Constraints}
			byKey[w.Constraints] = c
			out = append(out, c)
		}
		n := replicas(w)
		c.workloads = append(c.workloads, w)
		c.need = c.need.Add(w.request().Times(n))
		c.replicas += n
	}
	return out
}

// eligiblePools lists the pools a class may use, the cheapest nodes first.
func (s *sim) eligiblePools(c *class) []*planner.Pool {
	var out []*planner.Pool
	for i := range s.pools {
		if c.workloads[0].Selector.Matches(s.pools[i].Labels) {
			out = append(out, &s.pools[i])
		}
	}
	slices.SortStableFunc(out, func(a, b *planner.Pool) int {
		if a.NodePrice != b.NodePrice {
			return cmp.Compare(a.NodePrice, b.NodePrice)
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// allocation is capacity bought in one pool: clusters and their nodes in total.
type allocation struct {
	pool            *planner.Pool
	clusters, nodes int32
}

// cheapestCapacity buys exactly the nodes each class needs, from its cheapest eligible
// pools, within what the pools may still hold (clustersLeft, by pool name). A later class
// fills the room left in the clusters an earlier one bought before paying for new ones.
func (s *sim) cheapestCapacity(classes []*class, clustersLeft map[string]int) []allocation {
	bought := map[string]*allocation{}
	var order []string
	for _, c := range classes {
		need := c.need
		for _, p := range s.cheapestFor(c, need, bought) {
			if need == (placement.Resources{}) {
				break
			}
			a := bought[p.Name]
			if a == nil {
				a = &allocation{pool: p}
			}
			nodes := fleet.NodesFor(need, p.Shape)
			spare := a.clusters*p.MaxNodes - a.nodes
			clusters := int32(math.Ceil(float64(max(nodes-spare, 0)) / float64(p.MaxNodes)))
			if left := int32(clustersLeft[p.Name]); clusters > left {
				clusters = left
				nodes = min(nodes, spare+left*p.MaxNodes)
			}
			if nodes <= 0 {
				continue
			}
			if bought[p.Name] == nil {
				bought[p.Name] = a
				order = append(order, p.Name)
			}
			clustersLeft[p.Name] -= int(clusters)
			a.clusters += clusters
			a.nodes += nodes
			need = need.Sub(p.Shape.Scale(int64(nodes)))
		}
	}
	out := make([]allocation, 0, len(order))
	for _, name := range order {
		out = append(out, *bought[name])
	}
	return out
}

// cheapestFor orders a class's eligible pools by what its whole need would cost there. For a
// class of one region, it leaves out the far pools the planner's locality rule leaves out:
// those that do not cost less than the near ones by more than the locality threshold.
func (s *sim) cheapestFor(c *class, need placement.Resources, bought map[string]*allocation) []*planner.Pool {
	pools := s.eligiblePools(c)
	cost := func(p *planner.Pool) float64 {
		nodes := fleet.NodesFor(need, p.Shape)
		var spare int32
		if a := bought[p.Name]; a != nil {
			spare = a.clusters*p.MaxNodes - a.nodes
		}
		clusters := math.Ceil(float64(max(nodes-spare, 0)) / float64(p.MaxNodes))
		return float64(nodes)*p.NodePrice + clusters*p.ClusterPrice
	}
	if c.region != "" {
		// The rule compares amortised prices: nodes and their share of a full cluster.
		amortised := func(p *planner.Pool) float64 {
			return float64(fleet.NodesFor(need, p.Shape)) * pricing.AmortisedNodePrice(p)
		}
		nearPrice := math.Inf(1)
		for _, p := range pools {
			if placement.Near(p.Region, c.region) {
				nearPrice = min(nearPrice, amortised(p))
			}
		}
		if !math.IsInf(nearPrice, 1) {
			pools = slices.DeleteFunc(pools, func(p *planner.Pool) bool {
				return !placement.Near(p.Region, c.region) && !pricing.FarAllowed(amortised(p), nearPrice, s.localityThreshold)
			})
		}
	}
	slices.SortStableFunc(pools, func(a, b *planner.Pool) int { return cmp.Compare(cost(a), cost(b)) })
	return pools
}

func (s *sim) poolLimits() map[string]int {
	left := map[string]int{}
	for _, p := range s.pools {
		left[p.Name] = p.MaxClusters
	}
	return left
}

// lowerBound is the cost bound of all the demand (see bound.go): what no policy that places
// it all pays less than. With local, each region's part of the demand is served in or near
// its region unless a far pool is cheaper by more than the locality threshold, as the planner
// serves it, or the near pools cannot hold it.
func (s *sim) lowerBound(local bool) Report {
	r := Report{Policy: PolicyLowerBound}
	classes := s.classes
	if local {
		r.Policy, classes = PolicyLocalityBound, s.regionalClasses
	}
	meter, anywhere := newBoundMeter(s.pools), newBoundMeter(s.pools)
	for s.now = 0; s.now < s.trace.End; s.now += s.step {
		s.applyRows()
		dt := min(s.step, s.trace.End-s.now)
		meter.observe(dt, s.boundClassesOf(classes(), local))
		if local {
			anywhere.observe(dt, s.boundClassesOf(s.classes(), false))
		}
	}
	if local {
		// Where near pools cannot hold a region's demand the locality bound's program leaves
		// it unserved, at no cost; serving it anywhere costs no less than that.
		meter = dearer(meter, anywhere)
	}
	f := meter.sum()
	r.Cost, r.ClusterHours, r.NodeHours, r.BoundCost = f.cost, f.clusters, f.nodes, f.cost
	return r
}

// buildStatic makes, before time 0, the cheapest fleet that holds every class's peak demand.
func (s *sim) buildStatic() {
	peaks := map[string]*class{}
	var order []string
	classes := s.classes
	if s.localityThreshold > 0 {
		classes = s.regionalClasses // the scheduler gives each region its share near it
	}
	for s.now = 0; s.now < s.trace.End; s.now += s.step {
		s.applyRows()
		for _, c := range classes() {
			key := c.key()
			p := peaks[key]
			if p == nil {
				p = &class{constraints: c.constraints, region: c.region, workloads: c.workloads[:1]}
				peaks[key] = p
				order = append(order, key)
			}
			p.need = placement.Resources{MilliCPU: max(p.need.MilliCPU, c.need.MilliCPU), MemoryBytes: max(p.need.MemoryBytes, c.need.MemoryBytes), Pods: max(p.need.Pods, c.need.Pods)}
		}
	}
	slices.SortStableFunc(order, func(a, b string) int { return cmpBool(peaks[a].constraints == "", peaks[b].constraints == "") })
	var fleet []*class
	for _, k := range order {
		fleet = append(fleet, peaks[k])
	}
	for _, a := range s.cheapestCapacity(fleet, s.poolLimits()) {
		nodes := a.nodes
		for i := int32(0); i < a.clusters; i++ {
			n := clampNodes(int32(math.Ceil(float64(nodes)/float64(a.clusters-i))), a.pool)
			nodes -= n
			s.created[a.pool.Name]++
			s.clusters = append(s.clusters, &simCluster{name: a.pool.Name + "-static-" + itoa(s.created[a.pool.Name]), pool: a.pool,
				state: planner.Running, nodes: n, ready: n, drainLimit: -1, idleSince: -1})
		}
	}
	s.now, s.next, s.workloads = 0, 0, map[string]*workload{}
}

// frontierHolds are the hold times of the frontier's oracles: from giving capacity back the
// moment demand falls to holding it while the class has demand at all.
var frontierHolds = []time.Duration{0, 5 * time.Minute, 10 * time.Minute, 20 * time.Minute, 30 * time.Minute, time.Hour,
	2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, holdForever}

// holdForever is the hold time of the oracle that gives nothing back while its class has demand.
const holdForever time.Duration = -1

// frontier replays the trace for the oracles without foresight of frontierHolds (see
// noForesight): the trade between cost and unplaced demand that holding capacity makes.
func (s *sim) frontier() Frontier {
	f := make(Frontier, 0, len(frontierHolds))
	timeline := s.classTimeline()
	for _, hold := range frontierHolds {
		unplaced, cost, bound := s.noForesight(hold, timeline)
		seconds := hold.Seconds()
		if hold == holdForever {
			seconds = -1
		}
		f = append(f, FrontierPoint{HoldSeconds: seconds, Cost: cost, UnplacedReplicaSeconds: unplaced, BoundCost: bound})
	}
	return f
}

// noForesight replays the trace for an oracle without foresight and returns the
// replica-seconds it leaves unplaced, what it costs, and the cost bound of what it placed. For each class it sees demand at
// once and orders exactly the missing nodes in the class's cheapest pool, and what that
// pool's limit of clusters leaves out in the next cheapest, and so on (see spillOrder): nodes
// that fit in its clusters take the pool's scale time, woken clusters its wake time, new ones
// its create time, all paid from the order as the simulator pays them. It gives capacity
// back once its class has needed less for the hold time, nodes first, then whole clusters,
// down to the pool's least nodes per cluster; holdForever gives nothing back while the class
// has demand. Once the class has had no demand for the pool's idle time-to-live, its
// clusters go offline as the pool says they must ("no application, no cluster").
func (s *sim) noForesight(hold time.Duration, timeline [][]*class) (unplaced, cost, bound float64) {
	saved := *s
	defer func() { *s = saved }()
	placed := newBoundMeter(s.pools)
	fleets := map[string][]*oracle{}
	var all []*oracle
	for i, classes := range timeline {
		s.now = time.Duration(i) * s.step
		dt := min(s.step, s.trace.End-s.now)
		var served []*class
		for _, c := range classes {
			fleet, known := fleets[c.key()]
			if !known {
				for _, p := range s.spillOrder(c) {
					fleet = append(fleet, &oracle{pool: p})
				}
				fleets[c.key()] = fleet
				all = append(all, fleet...)
			}
			share := followDemand(fleet, all, c, s.now, hold)
			unplaced += float64(c.replicas) * (1 - share) * dt.Seconds()
			served = append(served, &class{constraints: c.constraints, region: c.region, workloads: c.workloads, need: scaled(c.need, share, math.Floor)})
		}
		placed.observe(dt, s.boundClassesOf(served, false))
		for _, o := range all {
			o.goIdle(s.now)
			nodes := max(o.ordered, o.clusters*max(o.pool.MinNodes, 1))
			cost += (float64(o.clusters)*o.pool.ClusterPrice + float64(nodes)*o.pool.NodePrice + float64(o.hibernated)*o.pool.HibernatedPrice) * dt.Hours()
		}
	}
	return unplaced, cost, placed.sum().cost
}

// classTimeline is the classes of demand at each step of the trace, as the oracles of the
// frontier see them: split by region when the planner weighs locality.
func (s *sim) classTimeline() [][]*class {
	saved := *s
	defer func() { *s = saved }()
	s.next, s.workloads = 0, map[string]*workload{}
	classes := s.classes
	if s.localityThreshold > 0 {
		classes = s.regionalClasses
	}
	var timeline [][]*class
	for s.now = 0; s.now < s.trace.End; s.now += s.step {
		s.applyRows()
		now := classes()
		for _, c := range now {
			for i, w := range c.workloads {
				snapshot := *w // the rows to come change the workload, not what it was now
				c.workloads[i] = &snapshot
			}
		}
		timeline = append(timeline, now)
	}
	return timeline
}

// spillOrder is the order in which an oracle fills a class's pools: the cheapest first, as
// cheapestFor orders them, then the far pools the locality rule leaves out, for when the near
// ones are full.
func (s *sim) spillOrder(c *class) []*planner.Pool {
	order := s.cheapestFor(c, c.need, nil)
	for _, p := range s.eligiblePools(c) {
		if !slices.Contains(order, p) {
			order = append(order, p)
		}
	}
	return order
}

// followDemand has a class's oracles, one per pool in spill order, follow its demand now,
// each taking what the pools before it could not hold, and returns the share of the class
// their ready nodes serve.
func followDemand(spill, all []*oracle, c *class, now, hold time.Duration) float64 {
	left, served := 1.0, 0.0
	for _, o := range spill {
		if c.replicas > 0 {
			o.idleSince = now
		}
		need := int32(0)
		if left > 0 {
			need = fleet.NodesFor(scaled(c.need, left, math.Ceil), o.pool.Shape)
		}
		target := min(need, o.most(all))
		o.follow(now, target, hold)
		if need > 0 {
			share := left * float64(target) / float64(need)
			served += share * min(float64(o.ready)/float64(max(target, 1)), 1)
			left -= share
		}
	}
	return min(served, 1)
}

// scaled is share of need, rounded as round says.
func scaled(need placement.Resources, share float64, round func(float64) float64) placement.Resources {
	by := func(v int64) int64 { return int64(round(float64(v) * share)) }
	return placement.Resources{MilliCPU: by(need.MilliCPU), MemoryBytes: by(need.MemoryBytes), Pods: by(need.Pods)}
}

// most is how many nodes the oracle may hold: its pool's limit of nodes (of clusters times
// nodes per cluster) less what the other classes' oracles ordered there. The classes share
// the pool's nodes as a policy's classes share its clusters.
func (o *oracle) most(all []*oracle) int32 {
	limit := int32(o.pool.MaxClusters) * o.pool.MaxNodes
	for _, other := range all {
		if other.pool == o.pool && other != o {
			limit -= other.ordered
		}
	}
	return max(limit, 0)
}

// follow gives back what the hold time no longer keeps, orders what need lacks, and receives
// the orders due by now.
func (o *oracle) follow(now time.Duration, need int32, hold time.Duration) {
	if held := o.held(now, need, hold); held < o.ordered {
		o.shed(held)
	}
	if extra := need - o.ordered; extra > 0 {
		if grow := min(extra, o.clusters*o.pool.MaxNodes-o.ordered); grow > 0 {
			o.orders = append(o.orders, nodesAt{at: now + o.pool.ScaleTime, nodes: grow})
			extra -= grow
		}
		if wake := min((extra+o.pool.MaxNodes-1)/o.pool.MaxNodes, o.hibernated); wake > 0 {
			woken := min(extra, wake*o.pool.MaxNodes)
			o.orders = append(o.orders, nodesAt{at: now + o.pool.WakeTime, nodes: woken})
			o.clusters, o.hibernated, extra = o.clusters+wake, o.hibernated-wake, extra-woken
		}
		if extra > 0 {
			o.orders = append(o.orders, nodesAt{at: now + o.pool.CreateTime, nodes: extra})
			o.clusters += (extra + o.pool.MaxNodes - 1) / o.pool.MaxNodes
		}
		o.ordered = need
	}
	o.orders = slices.DeleteFunc(o.orders, func(ord nodesAt) bool {
		if ord.at <= now {
			o.ready += ord.nodes
			return true
		}
		return false
	})
}

// goIdle takes the oracle's clusters offline once its class has had no demand for the
// pool's idle time-to-live.
func (o *oracle) goIdle(now time.Duration) {
	if o.clusters > 0 && o.pool.IdleTTL > 0 && now-o.idleSince >= o.pool.IdleTTL {
		if !o.pool.DeleteWhenIdle {
			o.hibernated += o.clusters
		}
		o.clusters, o.ordered, o.ready, o.orders = 0, 0, 0, nil
	}
}

// oracle is one class's fleet in noForesight: clusters of its pool, the nodes ordered for
// them and those ready, and what is still coming.
type oracle struct {
	pool                     *planner.Pool
	clusters, ordered, ready int32
	orders                   []nodesAt
	// idleSince is when the class last had demand; hibernated counts clusters offline.
	idleSince  time.Duration
	hibernated int32
	// recent are the needs within the hold time, each larger than every later one.
	recent []nodesAt
}

// held is the most nodes the class needed within the hold time up to now, need included.
func (o *oracle) held(now time.Duration, need int32, hold time.Duration) int32 {
	if hold == holdForever {
		return math.MaxInt32
	}
	for len(o.recent) > 0 && o.recent[len(o.recent)-1].nodes <= need {
		o.recent = o.recent[:len(o.recent)-1]
	}
	o.recent = append(o.recent, nodesAt{at: now, nodes: need})
	for now-o.recent[0].at >= hold && len(o.recent) > 1 {
		o.recent = o.recent[1:]
	}
	return o.recent[0].nodes
}

// nodesAt is a count of nodes at a virtual time: capacity an oracle ordered, ready then, or
// what its class needed then.
type nodesAt struct {
	at    time.Duration
	nodes int32
}

// shed gives back the nodes above need: whole clusters that need does not fill go offline
// as the pool takes clusters offline (unless nothing is needed, when the idle time-to-live
// decides), and the rest give back nodes down to the pool's least per cluster, orders still
// coming first, the latest first.
func (o *oracle) shed(need int32) {
	if keep := (need + o.pool.MaxNodes - 1) / o.pool.MaxNodes; need > 0 && keep < o.clusters {
		if !o.pool.DeleteWhenIdle {
			o.hibernated += o.clusters - keep
		}
		o.clusters = keep
	}
	target := max(need, o.clusters*max(o.pool.MinNodes, 1))
	release := o.ordered - target
	if release <= 0 {
		return
	}
	o.ordered = target
	for release > 0 && len(o.orders) > 0 {
		last := &o.orders[len(o.orders)-1]
		n := min(release, last.nodes)
		last.nodes, release = last.nodes-n, release-n
		if last.nodes == 0 {
			o.orders = o.orders[:len(o.orders)-1]
		}
	}
	o.ready = max(o.ready-release, 0)
}

func clampNodes(n int32, p *planner.Pool) int32 {
	return min(max(n, p.MinNodes, 1), p.MaxNodes)
}

// cmpBool orders false before true.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
