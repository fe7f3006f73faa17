package simulate

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/fleetmodel"
	"github.com/navarkos/navarkos/internal/placement"
	"github.com/navarkos/navarkos/internal/planner"
)

// Policy names, in the order a report lists them.
const (
	PolicyStatic       = "static"
	PolicyNavarkos2017 = "navarkos2017"
	PolicyPlanner      = "planner"
	// PolicyForecast is the planner with its forecast on.
	PolicyForecast   = "forecast"
	PolicyLowerBound = "lowerbound"
	// PolicyLocalityBound is the lower bound when each region's demand is served in or near
	// its region, unless a far pool is cheaper by more than the planner's locality threshold.
	PolicyLocalityBound = "localitybound"
)

// Policies are every policy, in report order.
var Policies = []string{PolicyStatic, PolicyNavarkos2017, PolicyPlanner, PolicyForecast, PolicyLowerBound, PolicyLocalityBound}

// Report is what one policy did with a trace. The JSON names are a contract.
type Report struct {
	Policy                 string  `json:"policy"`
	Cost                   float64 `json:"cost"`
	ClusterHours           float64 `json:"cluster_hours"`
	NodeHours              float64 `json:"node_hours"`
	UnplacedReplicaSeconds float64 `json:"unplaced_replica_seconds"`
	// BoundCost is the cost bound of the demand the policy placed (see bound.go): no fleet
	// that holds it costs less. For the bounds, their own cost.
	BoundCost float64 `json:"bound_cost"`
	Actions   int     `json:"actions"`
	// Moves are the replicas moved from one cluster to another; Churn those of them that did
	// not pay back their move price in hindsight (see churnLedger).
	Moves int64 `json:"moves"`
	Churn int64 `json:"churn"`
	// UnplacedFloorReplicaSeconds is the demand that arrives faster than the quickest way to
	// add capacity: what a policy that keeps no spare capacity cannot avoid leaving unplaced.
	UnplacedFloorReplicaSeconds float64 `json:"unplaced_floor_replica_seconds"`
	// Frontier, in the locality bound's report, is the trace's trade between cost and
	// unplaced demand for policies without foresight.
	Frontier Frontier `json:"frontier,omitempty"`
	// RemoteReplicaSeconds are the placed replica-seconds beyond what each region's own share
	// of the demand asks there: replicas serving users in another region. RemoteShare is
	// their share of all placed replica-seconds.
	RemoteReplicaSeconds float64 `json:"remote_replica_seconds"`
	RemoteShare          float64 `json:"remote_share"`
	// FarShare is the share of placed replica-seconds that serve demand from regions not even
	// near theirs (see Far): the remote ones the locality rule avoids.
	FarShare float64 `json:"far_share"`
	// MovesPer1000ReplicaHours and ChurnPer1000ReplicaHours are Moves and Churn over the
	// placed replica-hours, per 1,000.
	MovesPer1000ReplicaHours float64 `json:"moves_per_1000_replica_hours"`
	ChurnPer1000ReplicaHours float64 `json:"churn_per_1000_replica_hours"`
	// Series is the fleet over time, one point per Options.SeriesEvery, when that is set.
	Series []Point `json:"series,omitempty"`
}

// Frontier is the trade between cost and unplaced demand on a trace for oracles without
// foresight, given the pools' times to capacity and idle time-to-live: each sees demand at
// once, in each class's cheapest pool, waits for capacity as the pools say, and gives it back
// once demand has stayed lower for its hold time. Giving it back at once costs the least of
// them; holding it while the class has demand leaves the least unplaced of them (Floor), no
// less than the report's unplaced floor, which grants a policy more. Where
// demand falls and comes back, no hold time may meet both a cost goal and an unplaced one
// (Conflicts), and a policy is judged against the frontier instead (CostAt). The points go
// from the oracle that holds nothing to the one that holds all.
type Frontier []FrontierPoint

// FrontierPoint is one oracle of the frontier; a hold of -1 s holds while the class has demand.
type FrontierPoint struct {
	HoldSeconds            float64 `json:"hold_seconds"`
	Cost                   float64 `json:"cost"`
	UnplacedReplicaSeconds float64 `json:"unplaced_replica_seconds"`
	// BoundCost is the cost bound of the demand the oracle placed.
	BoundCost float64 `json:"bound_cost"`
}

// CostAt is the least a policy without foresight pays on this trace to leave at most
// unplaced replica-seconds unplaced: the cheapest oracle that leaves no more, or the line
// between two oracles that leave more and less. The oracles buy capacity class by class,
// which a whole-fleet decision can beat, so their costs are taken in proportion to the one
// that holds nothing, which stands at bound, the cost of exactly the capacity each instant
// needs. Below the floor, it is the cost of holding everything; +Inf without points.
func (f Frontier) CostAt(unplaced, bound float64) float64 {
	if len(f) == 0 || f[0].Cost <= 0 {
		return math.Inf(1)
	}
	scale := bound / f[0].Cost
	best := math.Inf(1)
	for i, p := range f {
		if p.UnplacedReplicaSeconds <= unplaced {
			best = min(best, p.Cost*scale)
		}
		for _, q := range f[i+1:] {
			lo, hi := p, q
			if lo.UnplacedReplicaSeconds > hi.UnplacedReplicaSeconds {
				lo, hi = hi, lo
			}
			if lo.UnplacedReplicaSeconds < unplaced && unplaced < hi.UnplacedReplicaSeconds {
				share := (hi.UnplacedReplicaSeconds - unplaced) / (hi.UnplacedReplicaSeconds - lo.UnplacedReplicaSeconds)
				best = min(best, (hi.Cost+share*(lo.Cost-hi.Cost))*scale)
			}
		}
	}
	if math.IsInf(best, 1) {
		return f[len(f)-1].Cost * scale
	}
	return best
}

// Floor is the unplaced demand of the oracle that holds all; 0 without points.
func (f Frontier) Floor() float64 {
	if len(f) == 0 {
		return 0
	}
	return f[len(f)-1].UnplacedReplicaSeconds
}

// Conflicts reports whether no policy on the frontier costs at most costTolerance × bound
// while leaving at most unplacedTolerance × the floor unplaced.
func (f Frontier) Conflicts(bound, costTolerance, unplacedTolerance float64) bool {
	return f.CostAt(unplacedTolerance*f.Floor(), bound) > costTolerance*bound
}

// Point is the fleet at one moment of a simulation: what it costs, the CPU it can run and
// the CPU its demand asks for and has placed, in cores.
type Point struct {
	Seconds     float64 `json:"t"`
	CostPerHour float64 `json:"cost_per_hour"`
	CapacityCPU float64 `json:"capacity_cpu"`
	DemandCPU   float64 `json:"demand_cpu"`
	PlacedCPU   float64 `json:"placed_cpu"`
}

// Options tune a simulation.
type Options struct {
	// Step is the virtual time between two decisions; 30 s unless set.
	Step time.Duration
	// Planner configures the planner policy.
	Planner planner.Config
	// Log, when set, receives every lifecycle action with its virtual time and reason.
	Log io.Writer
	// SeriesEvery, when set, samples the fleet into Report.Series at this virtual interval.
	SeriesEvery time.Duration
}

// Run replays trace against pools under one policy.
func Run(pools []n6sv1alpha1.ClusterPool, trace *Trace, policy string, opts Options) (Report, error) {
	if opts.Step <= 0 {
		opts.Step = 30 * time.Second
	}
	if opts.Planner == (planner.Config{}) {
		opts.Planner = planner.DefaultConfig()
	}
	s := newSim(pools, trace, opts.Step)
	s.localityThreshold = opts.Planner.LocalityThreshold
	s.ledger = newChurnLedger(opts.Planner.DisruptionCost)
	var decide func() []planner.Action
	switch policy {
	case PolicyLowerBound, PolicyLocalityBound:
		r := s.lowerBound(policy == PolicyLocalityBound)
		if policy == PolicyLocalityBound {
			r.Frontier = s.frontier()
		}
		r.UnplacedFloorReplicaSeconds = s.unplacedFloor()
		return r, nil
	case PolicyStatic:
		s.buildStatic()
		decide = func() []planner.Action { return nil }
	case PolicyNavarkos2017:
		decide = (&rules2017{s: s}).decide
	case PolicyPlanner, PolicyForecast:
		mem := planner.NewMemory()
		cfg := opts.Planner
		cfg.Forecast = cfg.Forecast || policy == PolicyForecast
		decide = func() []planner.Action { return planner.Decide(s.plannerInput(cfg), mem).Actions }
	default:
		return Report{}, fmt.Errorf("unknown policy %q: want one of %s", policy, strings.Join(Policies, ", "))
	}
	s.report.Policy = policy
	for s.now = 0; s.now < trace.End; s.now += s.step {
		changed := s.applyRows()
		changed = s.progress() || changed
		for _, a := range decide() {
			if opts.Log != nil {
				fmt.Fprintf(opts.Log, "%s %s %s %s %s nodes=%d limit=%d: %s\n", policy, s.now, a.Kind, a.Cluster, a.Pool, a.Nodes, a.DrainLimit, a.Reason)
			}
			s.apply(a)
			changed = true
		}
		if changed || s.now == 0 {
			s.place() // the scheduler places the same fleet and demand as it did before
		}
		s.account()
		if opts.SeriesEvery > 0 && s.now%opts.SeriesEvery < s.step {
			s.report.Series = append(s.report.Series, s.point())
		}
	}
	s.report.UnplacedFloorReplicaSeconds = s.unplacedFloor()
	s.report.BoundCost = s.placedBound.sum().cost
	s.report.Moves, s.report.Churn = s.ledger.moves, s.ledger.churn(trace.End)
	if s.placedReplicaSeconds > 0 {
		s.report.RemoteShare = s.report.RemoteReplicaSeconds / s.placedReplicaSeconds
		s.report.FarShare = s.farReplicaSeconds / s.placedReplicaSeconds
		thousandReplicaHours := s.placedReplicaSeconds / 3600 / 1000
		s.report.MovesPer1000ReplicaHours = float64(s.report.Moves) / thousandReplicaHours
		s.report.ChurnPer1000ReplicaHours = float64(s.report.Churn) / thousandReplicaHours
	}
	return s.report, nil
}

// simCluster is a cluster in virtual time.
type simCluster struct {
	name  string
	pool  *planner.Pool
	state planner.State
	// nodes is the node count paid for; ready the nodes that run pods.
	nodes, ready int32
	// readyAt is when a starting cluster, or added nodes, become ready.
	readyAt    time.Duration
	drainLimit int32
	// idleSince is when the cluster last ran no replica, or -1 while it runs some.
	idleSince time.Duration
}

// price is what the cluster costs per hour as it is.
func (c *simCluster) price() float64 {
	switch c.state {
	case planner.Running, planner.Starting:
		return c.pool.ClusterPrice + float64(c.nodes)*c.pool.NodePrice
	case planner.Hibernated:
		return c.pool.HibernatedPrice
	}
	return 0
}

// workload is one trace workload: its current demand and where its replicas run.
type workload struct {
	Row
	assigned map[string]int32
}

func (w *workload) request() placement.Resources {
	return placement.Resources{MilliCPU: w.CPUMillis, MemoryBytes: w.MemoryMiB << 20}
}

type sim struct {
	pools     []planner.Pool
	trace     *Trace
	step      time.Duration
	now       time.Duration
	next      int // the next trace row to apply
	clusters  []*simCluster
	workloads map[string]*workload
	created   map[string]int
	report    Report
	// placedReplicaSeconds is the denominator of the report's RemoteShare and FarShare;
	// farReplicaSeconds FarShare's numerator.
	placedReplicaSeconds float64
	farReplicaSeconds    float64
	// localityThreshold is the planner's, which the locality bound follows.
	localityThreshold float64
	// placedBound sums the cost bound of the replicas the policy placed.
	placedBound *boundMeter
	// ledger judges the policy's moves in hindsight.
	ledger *churnLedger
}

// Unplaceable lists the trace's workloads whose constraints no pool meets, each with its
// constraints, in the order they first appear: every policy leaves them unplaced.
func Unplaceable(apiPools []n6sv1alpha1.ClusterPool, trace *Trace) []string {
	pools := newSim(apiPools, trace, time.Second).pools
	var out []string
	seen := map[string]bool{}
	for _, r := range trace.Rows {
		if seen[r.Workload] {
			continue
		}
		seen[r.Workload] = true
		if !slices.ContainsFunc(pools, func(p planner.Pool) bool { return r.Selector.Matches(p.Labels) }) {
			out = append(out, fmt.Sprintf("%s (%s)", r.Workload, r.Selector))
		}
	}
	return out
}

func newSim(apiPools []n6sv1alpha1.ClusterPool, trace *Trace, step time.Duration) *sim {
	s := &sim{trace: trace, step: step, workloads: map[string]*workload{}, created: map[string]int{}}
	for i := range apiPools {
		s.pools = append(s.pools, fleetmodel.Pool(&apiPools[i]))
	}
	slices.SortFunc(s.pools, func(a, b planner.Pool) int { return strings.Compare(a.Name, b.Name) })
	s.placedBound = newBoundMeter(s.pools)
	return s
}

func (s *sim) pool(name string) *planner.Pool {
	for i := range s.pools {
		if s.pools[i].Name == name {
			return &s.pools[i]
		}
	}
	return nil
}

func (s *sim) cluster(name string) *simCluster {
	for _, c := range s.clusters {
		if c.name == name {
			return c
		}
	}
	return nil
}

// applyRows applies the rows due by now and reports whether they changed any demand.
func (s *sim) applyRows() bool {
	changed := false
	for ; s.next < len(s.trace.Rows) && s.trace.Rows[s.next].At <= s.now; s.next++ {
		row := s.trace.Rows[s.next]
		w := s.workloads[row.Workload]
		if row.Replicas == 0 {
			changed = changed || w != nil
			delete(s.workloads, row.Workload)
			continue
		}
		if w == nil {
			w = &workload{assigned: map[string]int32{}}
			s.workloads[row.Workload] = w
		}
		changed = changed || !sameDemand(w.Row, row)
		w.Row = row
	}
	return changed
}

// sameDemand reports whether two rows of a workload ask for the same replicas in the same
// regions under the same constraints.
func sameDemand(a, b Row) bool {
	return a.Workload == b.Workload && a.Replicas == b.Replicas && a.CPUMillis == b.CPUMillis && a.MemoryMiB == b.MemoryMiB &&
		a.Constraints == b.Constraints && maps.Equal(a.Shares, b.Shares)
}

// progress finishes the provider operations due by now and reports whether any did.
func (s *sim) progress() bool {
	done := false
	for _, c := range s.clusters {
		if c.state != planner.Hibernated && (c.state == planner.Starting || c.ready < c.nodes) && c.readyAt <= s.now {
			c.state, c.ready = planner.Running, c.nodes
			done = true
		}
	}
	return done
}

// apply starts one action at now, and tells the ledger how it changed the cluster's price.
func (s *sim) apply(a planner.Action) {
	name, pool, before := a.Cluster, a.Pool, 0.0
	if c := s.cluster(name); c != nil {
		pool, before = c.pool.Name, c.price()
	}
	s.start(a)
	if a.Kind == planner.Create {
		name = s.clusters[len(s.clusters)-1].name
	}
	after := 0.0
	if c := s.cluster(name); c != nil {
		after = c.price()
	}
	s.ledger.repriced(name, pool, before, after, s.now)
}

// start starts one action at now; its capacity comes after the pool's time to capacity.
func (s *sim) start(a planner.Action) {
	switch a.Kind {
	case planner.Create:
		p := s.pool(a.Pool)
		s.created[p.Name]++
		s.clusters = append(s.clusters, &simCluster{
			name: fmt.Sprintf("%s-%d", p.Name, s.created[p.Name]), pool: p, state: planner.Starting,
			nodes: a.Nodes, readyAt: s.now + p.CreateTime, drainLimit: -1, idleSince: -1,
		})
	case planner.Wake:
		c := s.cluster(a.Cluster)
		c.state, c.nodes, c.ready, c.readyAt, c.drainLimit, c.idleSince = planner.Starting, a.Nodes, 0, s.now+c.pool.WakeTime, -1, -1
	case planner.Scale:
		c := s.cluster(a.Cluster)
		if a.Nodes > c.nodes && c.state == planner.Running {
			c.readyAt = s.now + c.pool.ScaleTime
		}
		c.nodes = a.Nodes
		c.ready = min(c.ready, a.Nodes)
	case planner.Drain:
		s.cluster(a.Cluster).drainLimit = a.DrainLimit
		return // a drain is a placement change, counted as disruptions, not a lifecycle action
	case planner.Hibernate:
		c := s.cluster(a.Cluster)
		c.state, c.ready, c.drainLimit = planner.Hibernated, 0, -1
	case planner.Delete:
		s.clusters = slices.DeleteFunc(s.clusters, func(c *simCluster) bool { return c.name == a.Cluster })
	}
	s.report.Actions++
}

// orderedWorkloads lists the workloads, the constrained ones first so that they get their scarcer pools.
func (s *sim) orderedWorkloads() []*workload {
	out := make([]*workload, 0, len(s.workloads))
	for _, w := range s.workloads {
		out = append(out, w)
	}
	slices.SortFunc(out, func(a, b *workload) int {
		if (a.Constraints == "") != (b.Constraints == "") {
			if a.Constraints != "" {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Workload, b.Workload)
	})
	return out
}

// view is the engine's view of the running clusters, with the replicas of every workload as used.
func (s *sim) view() []placement.Cluster {
	view := make([]placement.Cluster, 0, len(s.clusters))
	for _, c := range s.clusters {
		alloc := c.pool.Shape.Scale(int64(c.ready))
		if c.drainLimit >= 0 {
			alloc.Pods = min(alloc.Pods, int64(c.drainLimit))
		}
		view = append(view, placement.Cluster{
			Name: c.name, Labels: c.pool.Labels, Region: c.pool.Region, Tier: c.pool.Tier,
			Schedulable: c.state == planner.Running, Allocatable: alloc,
			NodeShape: c.pool.Shape, PricePerNodeHour: c.pool.NodePrice,
		})
	}
	return view
}

// place runs the placement engine for every workload, as the scheduler does, and counts
// the replicas that moved.
func (s *sim) place() {
	view := s.view()
	index := map[string]int{}
	for i, c := range view {
		index[c.Name] = i
	}
	for _, w := range s.workloads {
		for name, n := range w.assigned {
			if i, ok := index[name]; ok {
				view[i].Used = view[i].Used.Add(w.request().Times(int64(n)))
			}
		}
	}
	for _, w := range s.orderedWorkloads() {
		req := w.request()
		current := map[string]int32{}
		var before int32
		for name, n := range w.assigned {
			before += n
			if i, ok := index[name]; ok {
				view[i].Used = view[i].Used.Sub(req.Times(int64(n)))
				current[name] = n
			}
		}
		policy := placement.Policy{Mode: placement.Divided, Division: placement.ByCapacity, ClusterSelector: w.Selector,
			Preferences: []placement.Preference{{Kind: placement.PreferCost, Weight: 1}}, RegionShares: w.Shares}
		res := placement.Schedule(view, placement.Workload{Replicas: w.Replicas, Request: req, Current: current}, policy)
		next := map[string]int32{}
		var after int32
		for _, a := range res.Assignments {
			next[a.Cluster] = a.Replicas
			after += a.Replicas
			view[index[a.Cluster]].Used = view[index[a.Cluster]].Used.Add(req.Times(int64(a.Replicas)))
		}
		s.chargeMoves(w.assigned, next, int64(max(before-w.Replicas, 0)))
		w.assigned = next
	}
	for _, c := range s.clusters {
		busy := false
		for _, w := range s.workloads {
			busy = busy || w.assigned[c.name] > 0
		}
		switch {
		case busy:
			c.idleSince = -1
		case c.idleSince < 0:
			c.idleSince = s.now
		}
	}
}

// chargeMoves charges the replicas a workload dropped from each cluster, beyond the shrink
// of its demand, to the ledger as moves. The shrink is taken from the clusters in name order.
func (s *sim) chargeMoves(assigned, next map[string]int32, shrink int64) {
	for _, name := range slices.Sorted(maps.Keys(assigned)) {
		dropped := int64(max(assigned[name]-next[name], 0))
		shrunk := min(dropped, shrink)
		shrink -= shrunk
		if moved := dropped - shrunk; moved > 0 {
			s.ledger.moved(name, moved, s.now)
		}
	}
}

// account adds one step of cost, cluster-hours, node-hours and unplaced replicas.
func (s *sim) account() {
	dt := min(s.step, s.trace.End-s.now)
	hours := dt.Hours()
	for _, c := range s.clusters {
		s.report.Cost += c.price() * hours
		if c.state == planner.Running || c.state == planner.Starting {
			s.report.ClusterHours += hours
			s.report.NodeHours += float64(c.nodes) * hours
		}
	}
	for _, w := range s.orderedWorkloads() { // in a fixed order: the sums below are of fractions
		var placed int32
		byRegion := map[string]int32{}
		for name, n := range w.assigned {
			placed += n
			if c := s.cluster(name); c != nil {
				byRegion[c.pool.Region] += n
			}
		}
		s.report.UnplacedReplicaSeconds += float64(w.Replicas-placed) * dt.Seconds()
		s.placedReplicaSeconds += float64(placed) * dt.Seconds()
		s.report.RemoteReplicaSeconds += Remote(byRegion, w.Shares, w.Replicas) * dt.Seconds()
		s.farReplicaSeconds += Far(byRegion, w.Shares, w.Replicas) * dt.Seconds()
	}
	s.placedBound.observe(dt, s.boundClassesOf(s.placedClasses(), false))
}

// point is the fleet now, for Report.Series.
func (s *sim) point() Point {
	p := Point{Seconds: s.now.Seconds()}
	for _, c := range s.clusters {
		p.CostPerHour += c.price()
		if c.state == planner.Running {
			p.CapacityCPU += float64(c.ready) * float64(c.pool.Shape.MilliCPU) / 1000
		}
	}
	// In name order, so that the same run sums to the same bits.
	for _, name := range slices.Sorted(maps.Keys(s.workloads)) {
		w := s.workloads[name]
		cores := float64(w.CPUMillis) / 1000
		var placed int32
		for _, n := range w.assigned {
			placed += n
		}
		p.DemandCPU += float64(w.Replicas) * cores
		p.PlacedCPU += float64(placed) * cores
	}
	return p
}

// Remote is how many of the replicas placed by region serve demand from another region: a
// region's own share of the demand is served locally up to the replicas placed there, and
// every other placed replica is remote. A workload without region shares has no locality.
func Remote(placed map[string]int32, shares map[string]float64, demand int32) float64 {
	if len(shares) == 0 {
		return 0
	}
	var total, local float64
	// In a fixed order, so that the sums are the same in every run.
	for _, region := range slices.Sorted(maps.Keys(placed)) {
		n := placed[region]
		total += float64(n)
		local += min(float64(n), shares[region]*float64(demand))
	}
	return total - local
}

// Far is Remote with near regions (see placement.Near) taken as one: how many of the
// replicas placed by region serve demand from regions not even near theirs.
func Far(placed map[string]int32, shares map[string]float64, demand int32) float64 {
	nearPlaced := map[string]int32{}
	for region, n := range placed {
		nearPlaced[placement.Continent(region)] += n
	}
	nearShares := map[string]float64{}
	for _, region := range slices.Sorted(maps.Keys(shares)) {
		nearShares[placement.Continent(region)] += shares[region]
	}
	return Remote(nearPlaced, nearShares, demand)
}

// epoch is the planner's time for virtual time 0.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// plannerInput is the fleet and demand at now, as the planner controller would read them.
func (s *sim) plannerInput(cfg planner.Config) planner.Input {
	in := planner.Input{Now: epoch.Add(s.now), Pools: s.pools, Config: cfg}
	for _, c := range s.clusters {
		pc := planner.Cluster{Name: c.name, Pool: c.pool.Name, Labels: c.pool.Labels, State: c.state, Nodes: c.nodes, Managed: true, DrainLimit: c.drainLimit}
		if c.idleSince >= 0 {
			pc.IdleSince = epoch.Add(c.idleSince)
		}
		for _, w := range s.workloads {
			pc.Pods += w.assigned[c.name]
		}
		in.Clusters = append(in.Clusters, pc)
	}
	for _, w := range s.orderedWorkloads() {
		// The planner only reads Assigned; place replaces w.assigned rather than changing it.
		in.Demands = append(in.Demands, planner.Demand{
			Name: w.Workload, Replicas: w.Replicas, Request: w.request(), Shares: w.Shares, Grow: true, Assigned: w.assigned,
			Policy: placement.Policy{Mode: placement.Divided, Division: placement.ByCapacity, ClusterSelector: w.Selector, RegionShares: w.Shares},
		})
	}
	return in
}
