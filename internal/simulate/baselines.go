package simulate

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/navarkos/navarkos/internal/placement"
	"github.com/navarkos/navarkos/internal/planner"
)

// class is the demand of the workloads that share constraints.
type class struct {
	constraints string
	workloads   []*workload
	need        placement.Resources
	replicas    int64
}

// classes groups the current workloads by constraints, the constrained ones first.
func (s *sim) classes() []*class {
	byKey := map[string]*class{}
	var out []*class
	for _, w := range s.orderedWorkloads() {
		c := byKey[w.Constraints]
		if c == nil {
			c = &class{constraints: w.Constraints}
			byKey[w.Constraints] = c
			out = append(out, c)
		}
		c.workloads = append(c.workloads, w)
		c.need = c.need.Add(w.request().Times(int64(w.Replicas)))
		c.replicas += int64(w.Replicas)
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

func (a allocation) costPerHour() float64 {
	return float64(a.clusters)*a.pool.ClusterPrice + float64(a.nodes)*a.pool.NodePrice
}

// cheapestCapacity buys exactly the nodes each class needs, from its cheapest eligible
// pools, within what the pools may still hold (clustersLeft, by pool name).
func (s *sim) cheapestCapacity(classes []*class, clustersLeft map[string]int) []allocation {
	var out []allocation
	for _, c := range classes {
		need := c.need
		for _, p := range s.cheapestFor(c, need) {
			if need == (placement.Resources{}) {
				break
			}
			nodes := planner.NodesFor(need, p.Shape)
			clusters := int32(math.Ceil(float64(nodes) / float64(p.MaxNodes)))
			if left := int32(clustersLeft[p.Name]); clusters > left {
				clusters = left
				nodes = min(nodes, left*p.MaxNodes)
			}
			if nodes <= 0 {
				continue
			}
			clustersLeft[p.Name] -= int(clusters)
			out = append(out, allocation{pool: p, clusters: clusters, nodes: nodes})
			need = need.Sub(p.Shape.Scale(int64(nodes)))
		}
	}
	return out
}

// cheapestFor orders a class's eligible pools by what its whole need would cost there.
func (s *sim) cheapestFor(c *class, need placement.Resources) []*planner.Pool {
	pools := s.eligiblePools(c)
	cost := func(p *planner.Pool) float64 {
		nodes := planner.NodesFor(need, p.Shape)
		clusters := math.Ceil(float64(nodes) / float64(p.MaxNodes))
		return float64(nodes)*p.NodePrice + clusters*p.ClusterPrice
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

// lowerBound is the cost of exactly the capacity each instant's demand needs, at the
// cheapest eligible prices, with no provisioning delay.
func (s *sim) lowerBound() Report {
	r := Report{Policy: PolicyLowerBound}
	for s.now = 0; s.now < s.trace.End; s.now += s.step {
		s.applyRows()
		hours := min(s.step, s.trace.End-s.now).Hours()
		for _, a := range s.cheapestCapacity(s.classes(), s.poolLimits()) {
			r.Cost += a.costPerHour() * hours
			r.ClusterHours += float64(a.clusters) * hours
			r.NodeHours += float64(a.nodes) * hours
		}
	}
	return r
}

// buildStatic makes, before time 0, the cheapest fleet that holds every class's peak demand.
func (s *sim) buildStatic() {
	peaks := map[string]*class{}
	var order []string
	for s.now = 0; s.now < s.trace.End; s.now += s.step {
		s.applyRows()
		for _, c := range s.classes() {
			p := peaks[c.constraints]
			if p == nil {
				p = &class{constraints: c.constraints, workloads: c.workloads[:1]}
				peaks[c.constraints] = p
				order = append(order, c.constraints)
			}
			p.need = placement.Resources{MilliCPU: max(p.need.MilliCPU, c.need.MilliCPU), MemoryBytes: max(p.need.MemoryBytes, c.need.MemoryBytes), Pods: max(p.need.Pods, c.need.Pods)}
		}
	}
	slices.SortStableFunc(order, func(a, b string) int { return cmpBool(a == "", b == "") })
	var classes []*class
	for _, k := range order {
		classes = append(classes, peaks[k])
	}
	for _, a := range s.cheapestCapacity(classes, s.poolLimits()) {
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

// unplacedFloor is the replica-seconds of demand that the pools' times to capacity make
// unavoidable for a fleet of the lower bound's pools. For each class it follows an oracle
// that sees demand at once, orders exactly the missing nodes in the class's cheapest pool,
// and never gives capacity back: nodes that fit in its clusters take the pool's scale time,
// nodes that need a new cluster its create time.
func (s *sim) unplacedFloor() float64 {
	saved := *s
	defer func() { *s = saved }()
	s.now, s.next, s.workloads = 0, 0, map[string]*workload{}
	type order struct {
		at    time.Duration
		nodes int32
	}
	type oracle struct {
		pool                     *planner.Pool
		clusters, ordered, ready int32
		orders                   []order
	}
	oracles := map[string]*oracle{}
	var floor float64
	for ; s.now < s.trace.End; s.now += s.step {
		s.applyRows()
		for _, c := range s.classes() {
			o := oracles[c.constraints]
			if o == nil {
				o = &oracle{pool: s.cheapestFor(c, c.need)[0]}
				oracles[c.constraints] = o
			}
			need := planner.NodesFor(c.need, o.pool.Shape)
			if extra := need - o.ordered; extra > 0 {
				if grow := min(extra, o.clusters*o.pool.MaxNodes-o.ordered); grow > 0 {
					o.orders = append(o.orders, order{at: s.now + o.pool.ScaleTime, nodes: grow})
					extra -= grow
				}
				if extra > 0 {
					o.orders = append(o.orders, order{at: s.now + o.pool.CreateTime, nodes: extra})
					o.clusters += (extra + o.pool.MaxNodes - 1) / o.pool.MaxNodes
				}
				o.ordered = need
			}
			o.orders = slices.DeleteFunc(o.orders, func(ord order) bool {
				if ord.at <= s.now {
					o.ready += ord.nodes
					return true
				}
				return false
			})
			if need > o.ready {
				unserved := c.replicas - c.replicas*int64(o.ready)/int64(need)
				floor += float64(unserved) * min(s.step, s.trace.End-s.now).Seconds()
			}
		}
	}
	return floor
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
