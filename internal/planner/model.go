package planner

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/navarkos/navarkos/internal/placement"
	"github.com/navarkos/navarkos/internal/planner/fleet"
)

// member is a cluster as the plan sees it: its capacity and the replicas the plan puts there.
type member struct {
	Cluster
	pool *Pool
	view placement.Cluster
	// nodes is the node count the plan gives it; origNodes what it had.
	nodes, origNodes int32
	origState        State
	// used is what the replicas the plan puts there request; hosted counts them by demand.
	used   placement.Resources
	hosted map[int]int32
	// planned marks a cluster this plan creates.
	planned  bool
	draining bool
	// why collects the reasons the plan grew the cluster, and demand the first workload that asked.
	why    []string
	demand string
	// forNow marks capacity added for demand of now; dueAt is when capacity added only for
	// the forecast is due to be ordered (see orderedForRamp).
	forNow bool
	dueAt  time.Time
}

// onlineCPU is the CPU of the online members at the nodes the plan gives them.
func onlineCPU(members []*member) int64 {
	var cpu int64
	for _, m := range members {
		if m.online() && !m.draining {
			cpu += m.capacity().MilliCPU
		}
	}
	return cpu
}

// cloneMembers copies members for a trial: what the plan puts on each is its own.
func cloneMembers(members []*member) []*member {
	out := make([]*member, len(members))
	for i, m := range members {
		c := *m
		c.hosted, c.why = maps.Clone(m.hosted), slices.Clone(m.why)
		out[i] = &c
	}
	return out
}

func (m *member) capacity() placement.Resources {
	if m.pool == nil {
		return m.Allocatable
	}
	return m.pool.Shape.Scale(int64(m.nodes))
}

// roomAt is how many more replicas of request fit at n nodes: none when one replica is
// larger than the pool's node, however many nodes there are.
func (m *member) roomAt(n int32, request placement.Resources) int64 {
	capacity := m.Allocatable
	if m.pool != nil {
		if fleet.ReplicasPerNode(m.pool.Shape, request) == 0 {
			return 0
		}
		capacity = m.pool.Shape.Scale(int64(n))
	}
	return capacity.Sub(m.used).Fits(request)
}

// neededNodes is how many nodes of its pool the replicas the plan puts on m need, within the
// pool's limits.
func (m *member) neededNodes() int32 {
	return clamp(fleet.NodesFor(m.used, m.pool.Shape), m.pool.MinNodes, m.pool.MaxNodes)
}

func (m *member) online() bool { return m.State == Running || m.State == Starting }

// costAt is what the cluster costs per hour at n nodes while online.
func (m *member) costAt(n int32) float64 {
	if m.pool == nil {
		return 0
	}
	return m.pool.ClusterPrice + float64(n)*m.pool.NodePrice
}

// offlineCost is what the cluster still costs per hour once its pool takes it offline: the
// hibernated price, or nothing once deleted.
func (m *member) offlineCost() float64 {
	if m.pool == nil || m.pool.DeleteWhenIdle {
		return 0
	}
	return m.pool.HibernatedPrice
}

// wakeCost is what waking the hibernated cluster at n nodes adds per hour: it pays the
// hibernated price already.
func (m *member) wakeCost(n int32) float64 {
	if m.pool == nil {
		return 0
	}
	return max(m.costAt(n)-m.pool.HibernatedPrice, 0)
}

func (m *member) cost() float64 {
	if !m.online() {
		return 0
	}
	return m.costAt(m.nodes)
}

func (m *member) place(d int, request placement.Resources, n int32) {
	m.hosted[d] += n
	m.used = m.used.Add(request.Times(int64(n)))
}

func (m *member) unplace(d int, request placement.Resources, n int32) {
	m.hosted[d] -= n
	m.used = m.used.Sub(request.Times(int64(n)))
}

func (m *member) String() string {
	return fmt.Sprintf("%s (%s, %d nodes)", m.Name, m.Pool, m.nodes)
}

func clamp(n, lo, hi int32) int32 {
	return min(max(n, lo), hi)
}
