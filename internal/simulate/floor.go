package simulate

import (
	"math"
	"slices"
	"time"

	"github.com/navarkos/navarkos/internal/placement"
	"github.com/navarkos/navarkos/internal/planner"
	"github.com/navarkos/navarkos/internal/planner/fleet"
)

// The unplaced floor: the demand no policy without foresight can place. Such a policy adds
// capacity once demand asks for it, and capacity takes time to come. The floor grants it
// every advantage a policy may have: all the demand shares one fleet, whatever its
// constraints; it keeps the most capacity demand ever asked for; every order comes in the
// quickest time any pool offers (a node added to a running cluster once the fleet has one);
// and only when the whole fleet has had no demand for longer than every pool's idle
// time-to-live does it lose its capacity, which then comes back as fast as any pool creates
// or wakes a cluster. Within what it holds, it leaves unplaced the fewest replicas it can:
// the largest ones. What the pools can never hold together, it leaves unplaced too.

// floorHeadroom is the spare capacity, as a share of what demand asks for, that the floor
// grants a policy without foresight: the 2017 rules add a node once use passes 80%, which
// keeps up to a quarter spare.
const floorHeadroom = 0.25

// floorFleet is the floor's one fleet: the capacity ordered, what of it is ready, and what
// is still coming.
type floorFleet struct {
	ordered, ready placement.Resources
	coming         []floorOrder
	// idleSince is when the fleet last had no demand, or -1 while it has some; reset
	// whether it has lost its capacity since time 0.
	idleSince time.Duration
	reset     bool
}

// floorOrder is capacity that is ready at a virtual time.
type floorOrder struct {
	at       time.Duration
	capacity placement.Resources
}

// unplacedFloor is the floor's unplaced replica-seconds over the trace.
func (s *sim) unplacedFloor() float64 {
	saved := *s
	defer func() { *s = saved }()
	s.now, s.next, s.workloads = 0, 0, map[string]*workload{}
	f := floorFleet{idleSince: -1}
	limits := s.fleetLimits()
	unplaced := 0.0
	for ; s.now < s.trace.End; s.now += s.step {
		s.applyRows()
		var placeable []*workload
		for _, w := range s.orderedWorkloads() {
			if slices.ContainsFunc(s.pools, func(p planner.Pool) bool { return w.Selector.Matches(p.Labels) }) {
				placeable = append(placeable, w)
			} else {
				unplaced += float64(w.Replicas) * min(s.step, s.trace.End-s.now).Seconds()
			}
		}
		f.follow(s, s.roomiest(placeable))
		unplaced += float64(fewestLeft(placeable, least(f.ready, limits))) * min(s.step, s.trace.End-s.now).Seconds()
	}
	return unplaced
}

// follow orders capacity for the demand of now and receives what is due.
func (f *floorFleet) follow(s *sim, demand placement.Resources) {
	switch {
	case demand != (placement.Resources{}):
		f.idleSince = -1
	case f.idleSince < 0:
		f.idleSince = s.now
	case s.now-f.idleSince >= s.longestIdle():
		f.ordered, f.ready, f.coming, f.reset = placement.Resources{}, placement.Resources{}, nil, true
	}
	if more := most(f.ordered, demand); more != f.ordered {
		f.coming = append(f.coming, floorOrder{at: s.now + s.quickest(f.ordered != placement.Resources{}, f.reset), capacity: more})
		f.ordered = more
	}
	f.coming = slices.DeleteFunc(f.coming, func(o floorOrder) bool {
		if o.at <= s.now {
			f.ready = most(f.ready, o.capacity)
			return true
		}
		return false
	})
}

// quickest is the least time any pool takes to add capacity: to scale a cluster when the
// fleet has one, else to create one, or to wake one once the fleet has lost its clusters.
func (s *sim) quickest(online, reset bool) time.Duration {
	best := time.Duration(-1)
	for _, p := range s.pools {
		t := p.CreateTime
		switch {
		case online:
			t = p.ScaleTime
		case reset && !p.DeleteWhenIdle:
			t = min(t, p.WakeTime)
		}
		if best < 0 || t < best {
			best = t
		}
	}
	return max(best, 0)
}

// longestIdle is how long the whole fleet must have had no demand before every cluster has
// gone offline: the longest idle time-to-live of the pools, or never when a pool keeps its
// clusters (no time-to-live, or a least number of clusters).
func (s *sim) longestIdle() time.Duration {
	var longest time.Duration
	for _, p := range s.pools {
		if p.IdleTTL <= 0 || p.MinClusters > 0 {
			return s.trace.End + 1
		}
		longest = max(longest, p.IdleTTL)
	}
	return longest
}

// fleetLimits is the most the pools hold together, in every resource.
func (s *sim) fleetLimits() placement.Resources {
	var r placement.Resources
	for _, p := range s.pools {
		r = r.Add(p.Shape.Scale(int64(p.MaxClusters) * int64(p.MaxNodes)))
	}
	return r
}

// roomiest is the most capacity an order for the workloads' demand can bring: each class of
// constraints in whole nodes, at least a cluster's least, of whichever of its pools leaves
// the most room in each resource, as if each class had clusters of its own, and the
// headroom of floorHeadroom on top. Room a policy got by rounding or kept as headroom is
// capacity it has before demand asks for it.
func (s *sim) roomiest(ws []*workload) placement.Resources {
	var total placement.Resources
	for _, c := range s.classesOf(func(w *workload) int64 {
		if slices.Contains(ws, w) {
			return int64(w.Replicas)
		}
		return 0
	}) {
		if c.replicas == 0 {
			continue
		}
		var room placement.Resources
		for _, p := range s.eligiblePools(c) {
			nodes := max(fleet.NodesFor(c.need, p.Shape), p.MinNodes, 1)
			room = most(room, p.Shape.Scale(int64(nodes)))
		}
		total = total.Add(most(room, c.need))
	}
	return total.Add(scaled(total, floorHeadroom, math.Ceil))
}

// demandOf sums what the workloads' replicas ask for, each replica one pod.
func demandOf(ws []*workload) placement.Resources {
	var r placement.Resources
	for _, w := range ws {
		r = r.Add(w.request().Times(int64(w.Replicas)))
	}
	return r
}

// fewestLeft is the fewest replicas that must be left out for the rest to fit in capacity:
// in each resource, the largest replicas first, and of the resources the one that needs most.
func fewestLeft(ws []*workload, capacity placement.Resources) int64 {
	demand := demandOf(ws)
	left := int64(0)
	for r := range 3 {
		size := func(w *workload) int64 { return [3]int64{w.CPUMillis, w.MemoryMiB << 20, 1}[r] }
		excess := [3]int64{demand.MilliCPU - capacity.MilliCPU, demand.MemoryBytes - capacity.MemoryBytes, demand.Pods - capacity.Pods}[r]
		bySize := slices.SortedFunc(slices.Values(ws), func(a, b *workload) int { return int(size(b) - size(a)) })
		n := int64(0)
		for _, w := range bySize {
			if excess <= 0 {
				break
			}
			k := min(int64(w.Replicas), (excess+size(w)-1)/max(size(w), 1))
			n, excess = n+k, excess-k*size(w)
		}
		left = max(left, n)
	}
	return left
}

// most is the larger of a and b in every resource; least the smaller.
func most(a, b placement.Resources) placement.Resources {
	return placement.Resources{MilliCPU: max(a.MilliCPU, b.MilliCPU), MemoryBytes: max(a.MemoryBytes, b.MemoryBytes), Pods: max(a.Pods, b.Pods)}
}

func least(a, b placement.Resources) placement.Resources {
	return placement.Resources{MilliCPU: min(a.MilliCPU, b.MilliCPU), MemoryBytes: min(a.MemoryBytes, b.MemoryBytes), Pods: min(a.Pods, b.Pods)}
}
