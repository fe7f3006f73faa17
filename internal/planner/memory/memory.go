// Package memory keeps what the planner remembers between decisions, and what it expects
// from that: when clusters came online and grew, their recent node needs for stabilisation,
// pools whose provider failed, capacity on order, consolidation's recent moves, how fast
// demand lands in each pool, and each workload's history, from which it forecasts demand.
// The caller keeps a Memory; losing it only restarts the stabilisation windows, which then
// shrink nothing until they were watched whole, and forgets failures, orders and history.
package memory

import (
	"slices"
	"time"

	"github.com/navarkos/navarkos/internal/planner/fleet"
)

// Memory is what the planner remembers between decisions.
type Memory struct {
	needs map[string][]need
	// watched is when each cluster's needs were first recorded.
	watched     map[string]time.Time
	failedPools map[string]failure
	// online is when each cluster was seen turning Running: the zero time for one already
	// Running when first seen, whose history is unknown. grown is when it was last seen with
	// more nodes than before; nodes is its node count when last seen.
	online, grown map[string]time.Time
	nodes         map[string]int32
	// moves are when consolidation last started moving each workload's replicas.
	moves map[string][]time.Time
	// orders holds, by pool, the capacity ordered there.
	orders map[string]Order
	// shrunk is when each cluster was last shrunk by stabilisation; windows are the
	// stabilisation windows of clusters that grew again soon after (see Regrown).
	shrunk  map[string]time.Time
	windows map[string]flapWindow
	// history is each workload's replicas over the last days, for the forecast.
	history map[string]*history
	// replicas are each workload's replicas within the stabilisation window, by decision.
	replicas map[string][]need
	// pools are the replicas on each pool's online managed clusters within the capacity
	// horizon, by decision: how fast demand lands in a pool.
	pools map[string][]poolSample
	// levels are the fleet's demand levels that were above every later one (see Lull), and
	// watchedSince when the memory first saw the fleet's demand.
	levels       []level
	watchedSince time.Time
}

// Order is capacity ordered in a pool ahead of need: to take over from a faster, dearer
// cluster, for the whole-fleet decision, or for growth still arriving.
type Order struct {
	// Until is when the order lapses: by then the capacity has come and settled.
	Until time.Time
	// TakesOver names the cluster it was ordered to take over from, when one was, and
	// Horizon is how long the order expected that cluster's demand to last: its drain pays
	// within as long.
	TakesOver string
	Horizon   time.Duration
	// ForGrowth is set for a cluster of free nodes ordered for the demand still arriving: the
	// replicas that need room before it comes get faster capacity, not a wait for it, unless
	// it comes soon.
	ForGrowth bool
	// Ready is when the capacity ordered comes.
	Ready time.Time
}

type need struct {
	at    time.Time
	nodes int32
}

type failure struct {
	until  time.Time
	reason string
}

// New returns an empty memory.
func New() *Memory {
	return &Memory{needs: map[string][]need{}, watched: map[string]time.Time{}, failedPools: map[string]failure{},
		online: map[string]time.Time{}, grown: map[string]time.Time{}, nodes: map[string]int32{}, moves: map[string][]time.Time{},
		orders: map[string]Order{}, shrunk: map[string]time.Time{}, windows: map[string]flapWindow{},
		history: map[string]*history{}, replicas: map[string][]need{}, pools: map[string][]poolSample{}}
}

// Observe starts a decision at now: it forgets the failures and orders that lapsed, notes each
// cluster's state and size, each workload's replicas within window (see Swing), and, with the
// forecast on, each workload's history.
func (mem *Memory) Observe(now time.Time, clusters []fleet.Cluster, demands []fleet.Demand, window time.Duration, forecast bool) {
	for pool, f := range mem.failedPools {
		if !now.Before(f.until) {
			delete(mem.failedPools, pool)
		}
	}
	for pool, o := range mem.orders {
		if !now.Before(o.Until) {
			delete(mem.orders, pool)
		}
	}
	mem.observeClusters(clusters, now)
	mem.observeReplicas(demands, now, window)
	mem.observeLevel(demands, now)
	if forecast {
		mem.observeDemand(demands, now)
	}
}

// Fail passes over pool until then, for reason.
func (mem *Memory) Fail(pool string, until time.Time, reason string) {
	mem.failedPools[pool] = failure{until: until, reason: reason}
}

// Failure is why the pool's provider failed, while it is passed over.
func (mem *Memory) Failure(pool string) (reason string, failed bool) {
	f, failed := mem.failedPools[pool]
	return f.reason, failed
}

// Ordered is the capacity on order in the pool, if any.
func (mem *Memory) Ordered(pool string) (Order, bool) {
	o, ok := mem.orders[pool]
	return o, ok
}

// Order notes capacity ordered in the pool.
func (mem *Memory) Order(pool string, o Order) { mem.orders[pool] = o }

// Promised is the longest horizon of the capacity ordered to take over from the cluster,
// while such an order stands; 0 for none.
func (mem *Memory) Promised(cluster string) time.Duration {
	var h time.Duration
	for _, o := range mem.orders {
		if o.TakesOver == cluster {
			h = max(h, o.Horizon)
		}
	}
	return h
}

// OnlineAt is when the cluster was seen turning Running: zero when unknown, or when it was
// already Running when first seen.
func (mem *Memory) OnlineAt(cluster string) time.Time { return mem.online[cluster] }

// GrownAt is when the cluster was last seen with more nodes than before.
func (mem *Memory) GrownAt(cluster string) time.Time { return mem.grown[cluster] }

// observeClusters notes, for each cluster, when it turned Running and when it grew, and
// forgets the clusters that are gone.
func (mem *Memory) observeClusters(clusters []fleet.Cluster, now time.Time) {
	seen := make(map[string]bool, len(clusters))
	for _, c := range clusters {
		seen[c.Name] = true
		before, known := mem.nodes[c.Name]
		mem.nodes[c.Name] = c.Nodes
		if c.State != fleet.Running {
			delete(mem.online, c.Name)
			continue
		}
		if _, ok := mem.online[c.Name]; !ok {
			var at time.Time
			if known {
				at = now
			}
			mem.online[c.Name] = at
		}
		if known && c.Nodes > before {
			mem.grown[c.Name] = now
		}
	}
	for name := range mem.nodes {
		if !seen[name] {
			mem.forget(name)
		}
	}
}

// forget drops what the memory knows of a cluster that is gone.
func (mem *Memory) forget(cluster string) {
	for _, m := range []map[string]time.Time{mem.watched, mem.online, mem.grown, mem.shrunk} {
		delete(m, cluster)
	}
	delete(mem.nodes, cluster)
	delete(mem.needs, cluster)
	delete(mem.windows, cluster)
}

// Moved records that consolidation started moving a workload's replicas at now.
func (mem *Memory) Moved(workload string, now time.Time) {
	for name, times := range mem.moves {
		if kept := slices.DeleteFunc(times, func(at time.Time) bool { return now.Sub(at) >= time.Hour }); len(kept) > 0 {
			mem.moves[name] = kept
		} else {
			delete(mem.moves, name)
		}
	}
	mem.moves[workload] = append(mem.moves[workload], now)
}

// MovesWithin counts a workload's consolidation moves in the window before now.
func (mem *Memory) MovesWithin(workload string, now time.Time, window time.Duration) int {
	n := 0
	for _, at := range mem.moves[workload] {
		if now.Sub(at) < window {
			n++
		}
	}
	return n
}

// observeReplicas records each workload's replicas at now and forgets those older than the
// window, and the workloads gone.
func (mem *Memory) observeReplicas(demands []fleet.Demand, now time.Time, window time.Duration) {
	present := make(map[string]bool, len(demands))
	for i := range demands {
		d := &demands[i]
		present[d.Name] = true
		kept := slices.DeleteFunc(mem.replicas[d.Name], func(r need) bool { return now.Sub(r.at) >= window })
		mem.replicas[d.Name] = append(kept, need{at: now, nodes: d.Replicas})
	}
	for name := range mem.replicas {
		if !present[name] {
			delete(mem.replicas, name)
		}
	}
}

// Swing is how many replicas a workload may add at once: how far its replicas now are below
// their most within the window, or how far they ranged within it, whichever is more.
func (mem *Memory) Swing(workload string, now int32) int32 {
	most, least := now, now
	for _, r := range mem.replicas[workload] {
		most, least = max(most, r.nodes), min(least, r.nodes)
	}
	return max(most-now, most-least)
}
