package placement

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Rollout bounds how a workload's replicas move between clusters, as a Deployment's
// rolling-update strategy bounds how its pods are replaced: at most MaxUnavailable fewer
// Ready replicas than wanted, and at most MaxSurge more replicas than wanted, at any time.
// For a workload duplicated on every chosen cluster, the replicas wanted are the sum over
// the clusters, and a surge as large lets each new cluster start all of its replicas at once.
type Rollout struct {
	MaxUnavailable, MaxSurge int32
}

// Progress is how far a workload's replicas are: where they are bound now and how many are
// Ready there.
type Progress struct {
	// Bound is the replicas each cluster was last told to run.
	Bound map[string]int32
	// Ready is the Ready replicas each cluster reports; a cluster that cannot be reached
	// reports none, so that its replicas never hold a move back.
	Ready map[string]int32
	// Expired is true once the move took longer than its grace period: the replicas that
	// have a place elsewhere then move without waiting.
	Expired bool
}

// Step is the next assignment on the way to a decision.
type Step struct {
	// Replicas per cluster, without the clusters that get none.
	Replicas map[string]int32
	// Done is true when the step is the decision itself: nothing is moving.
	Done bool
}

// NextStep moves a workload's replicas one safe step from where they are bound toward the
// decision, make before break. The replicas wanted are those the decision assigns plus those
// it could not place:
//   - a cluster that loses replicas keeps its Ready ones until enough Ready replicas run
//     elsewhere that giving them up leaves at least replicas-MaxUnavailable Ready; it gives
//     up those that are not Ready at once;
//   - a cluster that gains replicas gets them as far as the total stays within
//     replicas+MaxSurge;
//   - replicas the decision has no place for (Unplaced) stay where they run, so a cluster
//     with nowhere to move its replicas to keeps them, whatever the grace period.
//
// Once the grace period expired, every replica that has a place moves at once.
func NextStep(d Result, p Progress, r Rollout) Step {
	want := map[string]int32{}
	replicas := int64(max(d.Unplaced, 0))
	for _, a := range d.Assignments {
		if a.Replicas > 0 {
			want[a.Cluster] = a.Replicas
			replicas += int64(a.Replicas)
		}
	}
	next := map[string]int32{}
	for c, n := range p.Bound {
		if n > 0 {
			next[c] = n
		}
	}
	floors := keptForUnplaced(next, want, d.Unplaced)
	if p.Expired {
		next = maps.Clone(want)
		for c, f := range floors {
			next[c] = max(next[c], f)
		}
	} else {
		giveUp(next, want, floors, p.Ready, replicas-int64(r.MaxUnavailable))
		take(next, want, replicas+int64(r.MaxSurge))
	}
	for c, n := range next {
		if n <= 0 {
			delete(next, c)
		}
	}
	return Step{Replicas: next, Done: maps.Equal(next, want)}
}

// keptForUnplaced gives the clusters that lose replicas a floor: between them they keep as
// many of their surplus replicas as the decision could not place anywhere, the clusters
// first in name order keeping theirs first.
func keptForUnplaced(bound, want map[string]int32, unplaced int32) map[string]int32 {
	floors := map[string]int32{}
	for _, c := range slices.Sorted(maps.Keys(bound)) {
		surplus := bound[c] - want[c]
		if surplus <= 0 || unplaced <= 0 {
			continue
		}
		keep := min(surplus, unplaced)
		floors[c] = want[c] + keep
		unplaced -= keep
	}
	return floors
}

// giveUp lowers the clusters that hold more than the decision wants: first by the replicas
// that are not Ready there, which nobody is served by, then by Ready ones as long as the Ready
// replicas left stay at or above minReady.
func giveUp(next, want, floors map[string]int32, ready map[string]int32, minReady int64) {
	var totalReady int64
	for c, n := range next {
		totalReady += int64(min(max(ready[c], 0), n))
	}
	losers := slices.Sorted(maps.Keys(next))
	for _, c := range losers {
		low := max(want[c], floors[c])
		notReady := next[c] - min(max(ready[c], 0), next[c])
		next[c] -= min(max(next[c]-low, 0), notReady)
	}
	budget := totalReady - minReady
	for _, c := range losers {
		if budget <= 0 {
			return
		}
		drop := int64(max(next[c]-max(want[c], floors[c]), 0))
		drop = min(drop, budget)
		next[c] -= int32(drop)
		budget -= drop
	}
}

// take raises the clusters that hold fewer than the decision wants, in name order, as long
// as all clusters together hold at most maxTotal.
func take(next, want map[string]int32, maxTotal int64) {
	var total int64
	for _, n := range next {
		total += int64(n)
	}
	for _, c := range slices.Sorted(maps.Keys(want)) {
		add := min(int64(want[c]-next[c]), maxTotal-total)
		if add <= 0 {
			continue
		}
		next[c] += int32(add)
		total += add
	}
}

// Changes writes, for people, each cluster whose replicas differ between now and target,
// in name order: "eu 4→0, us 4→6".
func Changes(now, target map[string]int32) string {
	names := maps.Clone(now)
	maps.Copy(names, target)
	var parts []string
	for _, c := range slices.Sorted(maps.Keys(names)) {
		if now[c] != target[c] {
			parts = append(parts, fmt.Sprintf("%s %d→%d", c, now[c], target[c]))
		}
	}
	return strings.Join(parts, ", ")
}
