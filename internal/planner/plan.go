package planner

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/navarkos/navarkos/internal/placement"
	"github.com/navarkos/navarkos/internal/planner/fleet"
	"github.com/navarkos/navarkos/internal/planner/pricing"
)

// planning is one decision in progress.
type planning struct {
	in      *Input
	cfg     *Config
	weights pricing.Weights
	mem     *Memory
	pools   map[string]*Pool
	members []*member
	// poolClusters counts each pool's Cluster objects, planned ones included.
	poolClusters map[string]int
	plan         Plan
	created      int
	// reserved caches, by pool, whether a demand with required labels may use it.
	reserved map[string]bool
	// userPods is, by cluster, how many replicas of the demands run there now.
	userPods map[string]int32
	// localities caches, by demand and region, the cheapest pool near the region.
	localities map[localityKey]locality
	// fleetGrowth is the replicas per hour demand has been adding to all managed clusters
	// (growth), worked out once per decision; -1 until then.
	fleetGrowth float64
	// fleet is the whole-fleet program's answer (decided), once fleetDecided.
	fleet        *fleetTarget
	fleetDecided bool
}

// stage is one step of a decision. It reads the fleet as the stages before it left the plan,
// changes the plan's members only as its decisions need (a trial is made on a copy), and
// returns the actions it decides, each with its reason. Capacity that serve and prewarm add
// becomes actions in resize, which alone turns node counts into actions.
type stage struct {
	name string
	run  func(*planning) []Action
}

// stages are a decision's steps, in order: failed clusters go; replicas stay where they run;
// each demand is served, then the forecast's ramps; drains go on; a calm fleet is
// consolidated; node counts become actions; idle clusters go offline.
var stages = []stage{
	{"retire", (*planning).dropFailed},
	{"keep", (*planning).keepAssigned},
	{"serve", (*planning).serveAll},
	{"prewarm", (*planning).prewarm},
	{"drain", (*planning).drainProgress},
	{"consolidate", (*planning).consolidate},
	{"resize", (*planning).resize},
	{"offline", (*planning).takeIdleOffline},
}

// Decide plans the fleet for the demand at in.Now. It returns the actions to take, each with
// its reason and cost, and the demand it cannot serve. It records node needs in mem for
// stabilisation. Deterministic: the same input and memory give the same plan.
func Decide(in Input, mem *Memory) Plan {
	p := newPlanning(&in, mem)
	for _, s := range stages {
		p.plan.Actions = append(p.plan.Actions, s.run(p)...)
	}
	return p.plan
}

func newPlanning(in *Input, mem *Memory) *planning {
	p := &planning{in: in, fleetGrowth: -1, cfg: &in.Config, weights: in.Config.weights(), mem: mem, pools: map[string]*Pool{}, poolClusters: map[string]int{}, reserved: map[string]bool{}, userPods: map[string]int32{},
		localities: map[localityKey]locality{}}
	for i := range in.Demands {
		for cluster, n := range in.Demands[i].Assigned {
			p.userPods[cluster] += n
		}
	}
	for i := range in.Pools {
		p.pools[in.Pools[i].Name] = &in.Pools[i]
	}
	mem.Observe(in.Now, in.Clusters, in.Demands, in.Config.StabilizationWindow, in.Config.Forecast)
	if in.Config.Forecast {
		// Workloads that come and go are planned for, with no replicas now, so that the
		// forecast can make room for their return.
		in.Demands = append(slices.Clip(in.Demands), mem.AbsentDemands(in.Demands)...)
	}
	for _, c := range in.Clusters {
		m := &member{Cluster: c, pool: p.pools[c.Pool], nodes: c.Nodes, origNodes: c.Nodes, origState: c.State, hosted: map[int]int32{}, draining: c.DrainLimit >= 0}
		m.view = placement.Cluster{Name: c.Name, Labels: c.Labels}
		if m.pool != nil {
			m.view.Region, m.view.Tier = m.pool.Region, m.pool.Tier
			p.poolClusters[c.Pool]++
		}
		p.members = append(p.members, m)
	}
	slices.SortFunc(p.members, func(a, b *member) int { return strings.Compare(a.Name, b.Name) })
	return p
}

// dropFailed deletes the managed clusters whose provider failed, and passes over their pool for a while.
func (p *planning) dropFailed() []Action {
	var out []Action
	for _, m := range p.members {
		if m.State == Lost && m.Managed && m.pool != nil && m.pool.Spot {
			p.poolClusters[m.Pool]--
			out = append(out, Action{Kind: Delete, Cluster: m.Name, Pool: m.Pool,
				Reason: fmt.Sprintf("the spot cluster was pre-empted (%s); its replicas get capacity elsewhere", m.FailureReason)})
			continue
		}
		if m.State != Failed || !m.Managed {
			continue
		}
		p.mem.Fail(m.Pool, p.in.Now.Add(p.cfg.FailureBackoff), m.FailureReason)
		p.poolClusters[m.Pool]--
		out = append(out, Action{Kind: Delete, Cluster: m.Name, Pool: m.Pool,
			Reason: fmt.Sprintf("the provider failed to make it (%s); pool %s is passed over for %s and the next eligible pool is tried", m.FailureReason, m.Pool, fleet.Round(p.cfg.FailureBackoff))})
	}
	return out
}

// eligible reports whether demand d may run on m.
func (p *planning) eligible(m *member, d *Demand) bool {
	return m.online() && !m.draining && d.Policy.Admits(&m.view)
}

// keepAssigned puts each demand's replicas where they run now, as far as the demand still wants them.
func (p *planning) keepAssigned() []Action {
	for i := range p.in.Demands {
		d := &p.in.Demands[i]
		var kept []*member
		var total int32
		for _, m := range p.members {
			// A replica larger than the member's node never runs there: it is not kept, so
			// that no node is bought for it.
			if n := d.Assigned[m.Name]; n > 0 && p.eligible(m, d) && (m.pool == nil || fleet.ReplicasPerNode(m.pool.Shape, d.Request) > 0) {
				if d.Policy.Mode == placement.Duplicated {
					n = min(n, d.Replicas)
				}
				m.place(i, d.Request, n)
				kept = append(kept, m)
				total += n
			}
		}
		if d.Policy.Mode == placement.Duplicated {
			continue
		}
		// Fewer replicas wanted: the most expensive clusters give theirs up first; with region
		// shares, as the scheduler does, those far from every region and then those of the
		// region furthest beyond its share.
		slices.SortStableFunc(kept, func(a, b *member) int {
			return cmp.Compare(pricing.PerReplica(b.pool, d.Request), pricing.PerReplica(a.pool, d.Request))
		})
		if excess := regionExcess(d, kept); excess != nil {
			slices.SortStableFunc(kept, func(a, b *member) int { return cmp.Compare(excess[b], excess[a]) })
		}
		for _, m := range kept {
			if total <= d.Replicas {
				break
			}
			drop := min(m.hosted[i], total-d.Replicas)
			m.unplace(i, d.Request, drop)
			total -= drop
		}
	}
	return nil
}

// serveAll records the replicas each pool runs, then serves every demand in turn.
func (p *planning) serveAll() []Action {
	p.observePools()
	for i := range p.in.Demands {
		p.serve(i)
	}
	return nil
}

// serve finds room for the replicas of demand i that the kept ones leave, adding capacity when allowed.
func (p *planning) serve(i int) {
	d := &p.in.Demands[i]
	if d.Policy.Mode == placement.Duplicated {
		p.serveDuplicated(i)
		return
	}
	var placed int32
	for _, m := range p.members {
		placed += m.hosted[i]
	}
	left := int64(d.Replicas - placed)
	if left <= 0 {
		p.serveSpread(i)
		return
	}
	// Each region's users get replicas in or near their region first.
	for _, t := range p.regionalNeeds(i) {
		n, _ := p.fill(i, min(t.Replicas, left), t.Region, forNow)
		left -= n
	}
	if n, why := p.fill(i, left, "", forNow); n < left {
		p.unserved(d, left-n, why)
		return
	}
	p.serveSpread(i)
}

// purpose is why capacity is added: for demand of now (forNow), or for a ramp the forecast
// expects at rampAt, which prefix says in each reason.
type purpose struct {
	prefix string
	rampAt time.Time
}

// forNow is the purpose of capacity for the demand of now.
var forNow = purpose{}

// fill places up to need replicas of demand i, in the room of running clusters and then in
// capacity it adds, or in a cluster ordered for the growth that comes soon enough to wait
// for (waitForGrowth), and returns how many it placed, with why it placed no more. With a
// region, it uses only clusters and pools that may serve the region (mayServe).
func (p *planning) fill(i int, need int64, region string, why purpose) (int64, string) {
	d := &p.in.Demands[i]
	left := need
	for _, m := range p.byPrice(p.members, d, nil) {
		if left <= 0 {
			break
		}
		if !p.mayServe(i, m.view.Region, m.pool, region) || (m.State == Starting && p.orderedForGrowth(m.Pool)) {
			continue
		}
		n := min(left, m.roomAt(m.nodes, d.Request))
		m.place(i, d.Request, int32(n))
		left -= n
	}
	for left > 0 {
		o, behind, reason := p.bestOptions(i, left, anyCapacity, region)
		if g, n := p.waitForGrowth(i, left, region, o); g != nil {
			g.place(i, d.Request, int32(n))
			left -= n
			continue
		}
		if o == nil {
			return need - left, reason
		}
		placed := p.applyOption(i, o, reason, why)
		left -= placed
		if behind != nil {
			p.orderBehind(i, behind, o, placed, why)
		}
	}
	return need, ""
}

// regionalNeeds is, for a divided demand with region shares, how many more replicas each
// region's users need than run in or near their region.
func (p *planning) regionalNeeds(i int) []placement.RegionTarget {
	d := &p.in.Demands[i]
	if len(d.Shares) == 0 {
		return nil
	}
	have := map[string]int64{}
	for _, m := range p.members {
		if n := m.hosted[i]; n > 0 {
			have[placement.HomeRegion(m.view.Region, d.Shares)] += int64(n)
		}
	}
	var out []placement.RegionTarget
	for _, t := range placement.RegionTargets(d.Shares, d.Replicas) {
		if t.Replicas > have[t.Region] {
			out = append(out, placement.RegionTarget{Region: t.Region, Replicas: t.Replicas - have[t.Region]})
		}
	}
	return out
}

// serveSpread makes sure enough clusters are eligible for a divided demand to meet its spread minimum.
func (p *planning) serveSpread(i int) {
	d := &p.in.Demands[i]
	eligible := 0
	for _, m := range p.members {
		if p.eligible(m, d) {
			eligible++
		}
	}
	share := int64(math.Ceil(float64(d.Replicas) / float64(max(d.Policy.MinClusters, 1))))
	for ; eligible < d.Policy.MinClusters; eligible++ {
		o, why := p.bestOption(i, share, newCluster, "")
		if o == nil {
			p.unserved(d, 0, fmt.Sprintf("spread needs %d clusters: %s", d.Policy.MinClusters, why))
			return
		}
		p.applyOption(i, o, why, forNow)
	}
}

// serveDuplicated gives a duplicated demand as many clusters as its spread asks, each with every replica.
func (p *planning) serveDuplicated(i int) {
	d := &p.in.Demands[i]
	want := max(d.Policy.MinClusters, 1)
	hosts := 0
	for _, m := range p.members {
		if m.hosted[i] > 0 {
			hosts++
		}
	}
	for _, m := range p.byPrice(p.members, d, nil) {
		if hosts >= want {
			return
		}
		if m.hosted[i] == 0 && m.roomAt(m.nodes, d.Request) >= int64(d.Replicas) {
			m.place(i, d.Request, d.Replicas)
			hosts++
		}
	}
	for ; hosts < want; hosts++ {
		o, why := p.bestOption(i, int64(d.Replicas), wholeNewHost, "")
		if o == nil {
			p.unserved(d, int64(d.Replicas)*int64(want-hosts), why)
			return
		}
		p.applyOption(i, o, why, forNow)
	}
}

// byPrice lists the members eligible for d but except, the cheapest replicas first.
func (p *planning) byPrice(members []*member, d *Demand, except *member) []*member {
	type priced struct {
		m     *member
		price float64
	}
	var ranked []priced
	for _, m := range members {
		if m != except && p.eligible(m, d) {
			ranked = append(ranked, priced{m, p.effectivePrice(m.pool, d)})
		}
	}
	slices.SortStableFunc(ranked, func(a, b priced) int { return cmp.Compare(a.price, b.price) })
	out := make([]*member, len(ranked))
	for i, r := range ranked {
		out[i] = r.m
	}
	return out
}

func (p *planning) effectivePrice(pool *Pool, d *Demand) float64 {
	if pool == nil {
		return 0
	}
	return pricing.PerReplica(pool, d.Request) * p.weights.Multiplier(pool, d)
}

func (p *planning) unserved(d *Demand, replicas int64, why string) {
	p.plan.Unserved = append(p.plan.Unserved, Unserved{Demand: d.Name, Replicas: int32(replicas), Reason: why})
}

// poolLabels is how a new cluster of pool would look to a placement.
func poolView(pool *Pool) placement.Cluster {
	return placement.Cluster{Labels: labels.Set(pool.Labels), Region: pool.Region, Tier: pool.Tier}
}

// mayGrow reports whether d may get new capacity from pool, and why not.
func (p *planning) mayGrow(d *Demand, pool *Pool) (bool, string) {
	switch {
	case pool == nil:
		return false, "no pool"
	case !d.Grow:
		return false, "provisioning is not allowed by the placement"
	case len(d.Pools) > 0 && !slices.Contains(d.Pools, pool.Name):
		return false, "not among the placement's pools"
	}
	if reason, failed := p.mem.Failure(pool.Name); failed {
		return false, fmt.Sprintf("its provider failed (%s)", reason)
	}
	return true, ""
}

func since(now, t time.Time) time.Duration {
	if t.IsZero() {
		return 0
	}
	return now.Sub(t)
}
