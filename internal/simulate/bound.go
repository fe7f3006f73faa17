package simulate

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/navarkos/navarkos/internal/placement"
	"github.com/navarkos/navarkos/internal/planner"
	"github.com/navarkos/navarkos/internal/planner/fleetlp"
)

// The cost bound. At each instant, no fleet that holds some demand costs less than the
// linear relaxation of the cheapest fleet for it: nodes and clusters of each pool taken as
// fractions, within the pools' limits, with a pool charged at least the share of one cluster
// that any class puts in it (a class served there needs a cluster there). A relaxation can
// only cost less than the whole fleet, so the bound holds for every policy, on the demand the
// policy placed. Over time the bound takes, in each span of boundSpan, each class's least
// demand of the span: less demand never costs more, so the sum stays below any policy's.

// boundSpan is the virtual time over which the bound takes each class's least demand; one
// linear program is solved per span and demand, so a longer span is faster and looser.
const boundSpan = 10 * time.Minute

// boundClass is demand that may use the same pools: its key, the indexes of those pools, and
// what it needs in all.
type boundClass struct {
	key   string
	pools []int
	need  placement.Resources
}

// relaxedFleet is the relaxed fleet, per hour, that serves each class, or as much of it as
// the pools hold, at the least cost.
type relaxedFleet struct{ cost, clusters, nodes float64 }

// cheapestRelaxedFleet solves the bound's program for the classes.
func cheapestRelaxedFleet(pools []planner.Pool, classes []boundClass) relaxedFleet {
	classes = slices.DeleteFunc(slices.Clone(classes), func(c boundClass) bool { return len(c.pools) == 0 || c.need == (placement.Resources{}) })
	if len(classes) == 0 {
		return relaxedFleet{}
	}
	p := newRelaxation(pools, classes)
	x, err := p.solve()
	if err != nil {
		if os.Getenv("LPDEBUG") != "" {
			fmt.Fprintln(os.Stderr, "LP failed:", err, len(classes), len(pools))
		}
		return relaxedFleet{} // a program that fails teaches nothing: no bound at all still holds
	}
	var f relaxedFleet
	for u, j := range p.used {
		n, c := x[p.nodeVar(u)], x[p.clusterVar(u)]
		f.cost += pools[j].NodePrice*n + pools[j].ClusterPrice*c
		f.nodes += n
		f.clusters += c
	}
	return f
}

// relaxation is the bound's linear program in standard form (A x = b, x ≥ 0). Variables:
// x[i], the share of pair i's class in its pool; per pool used, its nodes and clusters; per
// class, the share left unserved, at a price above any fleet's; then one slack per
// inequality. Rows: each class served or left; each pool's nodes hold what it serves in every
// resource, within its clusters' most and least nodes; its clusters within its limit and at
// least any class's share in it.
type relaxation struct {
	classes int
	// basis is the feasible basis to start from: every class unserved, every slack at its bound.
	basis []int
	pairs []boundPair
	used  []int
	costs []float64
	a     *mat.Dense
	b     []float64
}

type boundPair struct{ class, pool, used int }

func (p *relaxation) nodeVar(u int) int    { return len(p.pairs) + 2*u }
func (p *relaxation) clusterVar(u int) int { return len(p.pairs) + 2*u + 1 }

// solve solves the program from the basis where every class is unserved, its inequalities
// eased (see fleetlp.DegeneracyEase) so that the simplex cannot cycle. Easing an upper bound
// only lowers the optimum, by the prices of a millionth of a node: the bound still holds.
func (p *relaxation) solve() ([]float64, error) {
	eased := slices.Clone(p.b)
	for row := p.classes; row < len(eased); row++ {
		eased[row] += fleetlp.DegeneracyEase(row)
	}
	return tableauSimplex(p.costs, p.a, eased, p.basis)
}

func newRelaxation(pools []planner.Pool, classes []boundClass) *relaxation {
	p := &relaxation{classes: len(classes)}
	index := map[int]int{}
	for k, c := range classes {
		for _, j := range c.pools {
			if _, ok := index[j]; !ok {
				index[j] = len(p.used)
				p.used = append(p.used, j)
			}
			p.pairs = append(p.pairs, boundPair{class: k, pool: j, used: index[j]})
		}
	}
	unserved := len(p.pairs) + 2*len(p.used)
	vars := unserved + len(classes)
	// Per pool: three resource rows, most nodes, least nodes, most clusters; per pair: the
	// class's share within the clusters.
	ineqs := 6*len(p.used) + len(p.pairs)
	rows := len(classes) + ineqs
	p.costs = make([]float64, vars+ineqs)
	p.a = mat.NewDense(rows, vars+ineqs, nil)
	p.b = make([]float64, rows)
	for u, j := range p.used {
		p.costs[p.nodeVar(u)], p.costs[p.clusterVar(u)] = pools[j].NodePrice, pools[j].ClusterPrice
	}
	for k, c := range classes {
		p.costs[unserved+k] = unservedPrice(pools, c)
		p.a.Set(k, unserved+k, 1)
		p.b[k] = 1
		p.basis = append(p.basis, unserved+k)
	}
	for i := range ineqs {
		p.basis = append(p.basis, vars+i)
	}
	row := len(classes)
	inequality := func(coefficients map[int]float64, bound float64) {
		for v, c := range coefficients {
			p.a.Set(row, v, c)
		}
		p.a.Set(row, vars+row-len(classes), 1)
		p.b[row] = bound
		row++
	}
	for u, j := range p.used {
		p.poolRows(u, &pools[j], classes, inequality)
	}
	for i, pr := range p.pairs {
		p.a.Set(pr.class, i, 1)
		inequality(map[int]float64{i: 1, p.clusterVar(pr.used): -1}, 0)
	}
	return p
}

// unservedPrice is what leaving all of a class unserved costs in the program: ten times
// what serving it costs in the dearest of its pools, its nodes and the clusters they fill,
// so that any share of it the pools can hold is cheaper served than left.
func unservedPrice(pools []planner.Pool, c boundClass) float64 {
	dearest := 0.0
	for _, j := range c.pools {
		pool := &pools[j]
		nodes := maxShare(c.need, []*planner.Pool{pool}) + float64(pool.MinNodes)
		dearest = max(dearest, pool.NodePrice*nodes+pool.ClusterPrice*(nodes/float64(max(pool.MaxNodes, 1))+1))
	}
	return 1 + 10*dearest
}

// poolRows adds pool u's inequalities: what its classes use of each resource within its
// nodes, its nodes within its clusters' most and least, and its clusters within its limit.
func (p *relaxation) poolRows(u int, pool *planner.Pool, classes []boundClass, inequality func(map[int]float64, float64)) {
	for r := range 3 {
		row := map[int]float64{p.nodeVar(u): -1}
		for i, pr := range p.pairs {
			if pr.used == u {
				row[i] = share(classes[pr.class].need, pool.Shape, r)
			}
		}
		inequality(row, 0)
	}
	inequality(map[int]float64{p.nodeVar(u): 1, p.clusterVar(u): -float64(pool.MaxNodes)}, 0)
	inequality(map[int]float64{p.nodeVar(u): -1, p.clusterVar(u): float64(pool.MinNodes)}, 0)
	inequality(map[int]float64{p.clusterVar(u): 1}, float64(pool.MaxClusters))
}

// share is how many nodes of shape need fills in resource r: CPU, memory, then pods.
func share(need, shape placement.Resources, r int) float64 {
	n, s := [3]int64{need.MilliCPU, need.MemoryBytes, need.Pods}[r], [3]int64{shape.MilliCPU, shape.MemoryBytes, shape.Pods}[r]
	if n <= 0 {
		return 0
	}
	return float64(n) / float64(max(s, 1))
}

// boundMeter sums the bound over time for a stream of demand, span by span: each class's
// least demand within the span, at the relaxed fleet's cost, for the span's length.
type boundMeter struct {
	pools []planner.Pool
	// least is each class's least demand so far in the span, by key; a class absent from
	// one instant of the span has none.
	least   map[string]boundClass
	order   []string
	elapsed time.Duration
	started bool
	// spans are the fleets of the spans priced so far, each times its hours: cost,
	// cluster-hours and node-hours.
	spans []relaxedFleet
	// solved remembers the fleets of the demands already priced, by their key.
	solved map[string]relaxedFleet
}

func newBoundMeter(pools []planner.Pool) *boundMeter {
	return &boundMeter{pools: pools, least: map[string]boundClass{}, solved: map[string]relaxedFleet{}}
}

// observe adds an instant of dt in which the classes had their demand.
func (m *boundMeter) observe(dt time.Duration, classes []boundClass) {
	if !m.started {
		for _, c := range classes {
			m.least[c.key] = c
			m.order = append(m.order, c.key)
		}
		m.started = true
	} else {
		seen := map[string]placement.Resources{}
		for _, c := range classes {
			seen[c.key] = c.need
		}
		for key, c := range m.least {
			n := seen[key]
			c.need = placement.Resources{MilliCPU: min(c.need.MilliCPU, n.MilliCPU), MemoryBytes: min(c.need.MemoryBytes, n.MemoryBytes), Pods: min(c.need.Pods, n.Pods)}
			m.least[key] = c
		}
	}
	m.elapsed += dt
	if m.elapsed >= boundSpan {
		m.flush()
	}
}

// flush prices the span observed so far and starts the next.
func (m *boundMeter) flush() {
	if !m.started {
		return
	}
	classes := make([]boundClass, 0, len(m.order))
	var key strings.Builder
	for _, k := range m.order {
		c := m.least[k]
		classes = append(classes, c)
		key.WriteString(k + "=" + strconv.FormatInt(c.need.MilliCPU, 10) + "," + strconv.FormatInt(c.need.MemoryBytes, 10) + "," + strconv.FormatInt(c.need.Pods, 10) + ";")
	}
	f, ok := m.solved[key.String()]
	if !ok {
		f = cheapestRelaxedFleet(m.pools, classes)
		m.solved[key.String()] = f
	}
	h := m.elapsed.Hours()
	m.spans = append(m.spans, relaxedFleet{cost: f.cost * h, clusters: f.clusters * h, nodes: f.nodes * h})
	clear(m.least)
	m.order, m.elapsed, m.started = m.order[:0], 0, false
}

// sum is the bound of everything observed: its cost, cluster-hours and node-hours.
func (m *boundMeter) sum() relaxedFleet {
	m.flush()
	var total relaxedFleet
	for _, f := range m.spans {
		total = relaxedFleet{cost: total.cost + f.cost, clusters: total.clusters + f.clusters, nodes: total.nodes + f.nodes}
	}
	return total
}

// dearer is, span by span, the dearer of the two meters' fleets, which observed the same
// instants: a bound that holds for both.
func dearer(a, b *boundMeter) *boundMeter {
	a.flush()
	b.flush()
	out := &boundMeter{spans: slices.Clone(a.spans)}
	for i, f := range b.spans {
		if f.cost > out.spans[i].cost {
			out.spans[i] = f
		}
	}
	return out
}

// boundClassesOf are the classes as the bound prices them, with the pools each may use.
func (s *sim) boundClassesOf(classes []*class, local bool) []boundClass {
	out := make([]boundClass, 0, len(classes))
	for _, c := range classes {
		bc := boundClass{key: c.key(), need: c.need}
		for _, p := range s.boundPools(c, local) {
			bc.pools = append(bc.pools, slices.IndexFunc(s.pools, func(q planner.Pool) bool { return q.Name == p.Name }))
		}
		out = append(out, bc)
	}
	return out
}

// boundPools are the pools the bound may use for a class: those its constraints allow, and
// with locality, of those far from its region only the ones the planner's locality rule
// allows, unless the near ones cannot hold the class at all.
func (s *sim) boundPools(c *class, local bool) []*planner.Pool {
	pools := s.eligiblePools(c)
	if !local || c.region == "" {
		return pools
	}
	near := slices.DeleteFunc(slices.Clone(pools), func(p *planner.Pool) bool { return !placement.Near(p.Region, c.region) })
	held := int64(0)
	for _, p := range near {
		held += int64(p.MaxClusters) * int64(p.MaxNodes)
	}
	if len(near) == 0 || float64(held) < maxShare(c.need, near) {
		return pools
	}
	return s.cheapestFor(c, c.need, nil)
}

// maxShare is the most nodes need fills of any of the pools, by its scarcest resource.
func maxShare(need placement.Resources, pools []*planner.Pool) float64 {
	most := 0.0
	for _, p := range pools {
		for r := range 3 {
			most = max(most, share(need, p.Shape, r))
		}
	}
	return math.Ceil(most)
}
