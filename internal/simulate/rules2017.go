package simulate

import (
	"slices"
	"strconv"
	"time"

	"github.com/navarkos/navarkos/internal/placement"
	"github.com/navarkos/navarkos/internal/planner"
)

// The rules of the 2017 Navarkos, on Federation v1: clusters have priorities (here, the
// cheapest nodes first); every minute, a fleet used above 80% gets one more node on its
// highest-priority cluster with room, or else its highest-priority hibernated cluster
// woken, or a new one; a fleet used below 10% loses a node from its lowest-priority
// cluster; a cluster idle for 20 minutes goes offline.
const (
	rules2017Interval = time.Minute
	rules2017Up       = 0.8
	rules2017Down     = 0.1
	rules2017IdleTTL  = 20 * time.Minute
)

type rules2017 struct {
	s *sim
}

func (r *rules2017) decide() []planner.Action {
	s := r.s
	if s.now%rules2017Interval != 0 {
		return nil
	}
	var actions []planner.Action
	busy := map[string]bool{}
	for _, c := range s.classes() {
		if a, ok := r.decideClass(c, busy); ok {
			actions = append(actions, a)
		}
	}
	for _, c := range s.clusters {
		if c.state == planner.Running && c.idleSince >= 0 && s.now-c.idleSince >= rules2017IdleTTL && !busy[c.name] {
			kind := planner.Hibernate
			if c.pool.DeleteWhenIdle {
				kind = planner.Delete
			}
			actions = append(actions, planner.Action{Kind: kind, Cluster: c.name, Pool: c.pool.Name})
		}
	}
	return actions
}

// decideClass takes at most one step for one class of demand.
func (r *rules2017) decideClass(cl *class, busy map[string]bool) (planner.Action, bool) {
	s := r.s
	pools := s.eligiblePools(cl)
	var mine []*simCluster
	for _, c := range s.clusters {
		if slices.Contains(pools, c.pool) {
			mine = append(mine, c)
			if c.state == planner.Starting || (c.state == planner.Running && c.ready < c.nodes) {
				return planner.Action{}, false // wait for the last step
			}
		}
	}
	priority := func(c *simCluster) int { return slices.Index(pools, c.pool) }
	slices.SortStableFunc(mine, func(a, b *simCluster) int { return priority(a) - priority(b) })
	var capacity placement.Resources
	for _, c := range mine {
		if c.state == planner.Running {
			capacity = capacity.Add(c.pool.Shape.Scale(int64(c.ready)))
		}
	}
	use := utilisation(cl.need, capacity)
	switch {
	case use > rules2017Up:
		for _, c := range mine {
			if c.state == planner.Running && c.nodes < c.pool.MaxNodes && !busy[c.name] {
				busy[c.name] = true
				return planner.Action{Kind: planner.Scale, Cluster: c.name, Pool: c.pool.Name, Nodes: c.nodes + 1}, true
			}
		}
		for _, c := range mine {
			if c.state == planner.Hibernated && !busy[c.name] {
				busy[c.name] = true
				return planner.Action{Kind: planner.Wake, Cluster: c.name, Pool: c.pool.Name, Nodes: max(c.pool.MinNodes, 1)}, true
			}
		}
		for _, p := range pools {
			n := 0
			for _, c := range s.clusters {
				if c.pool == p {
					n++
				}
			}
			if n < p.MaxClusters {
				return planner.Action{Kind: planner.Create, Pool: p.Name, Nodes: max(p.MinNodes, 1)}, true
			}
		}
	case use < rules2017Down:
		for i := len(mine) - 1; i >= 0; i-- {
			c := mine[i]
			if c.state == planner.Running && c.nodes > max(c.pool.MinNodes, 1) && !busy[c.name] {
				busy[c.name] = true
				return planner.Action{Kind: planner.Scale, Cluster: c.name, Pool: c.pool.Name, Nodes: c.nodes - 1}, true
			}
		}
	}
	return planner.Action{}, false
}

// utilisation is the larger of the CPU and memory shares of capacity that the demand asks for.
func utilisation(need, capacity placement.Resources) float64 {
	share := func(n, c int64) float64 {
		if c == 0 {
			if n > 0 {
				return 2
			}
			return 0
		}
		return float64(n) / float64(c)
	}
	return max(share(need.MilliCPU, capacity.MilliCPU), share(need.MemoryBytes, capacity.MemoryBytes))
}

func itoa(n int) string { return strconv.Itoa(n) }
