package memory

import (
	"maps"
	"slices"
	"time"
)

// sampleEvery spaces the samples of the replicas on each pool, so that the memory holds at
// most the capacity horizon over it, however often the planner decides.
const sampleEvery = time.Minute

// poolSample is the replicas on a pool's online managed clusters at one decision.
type poolSample struct {
	at       time.Time
	replicas int64
}

// SamplePools records on, the replicas on each pool's online managed clusters at now, and
// forgets the samples older than the horizon and the pools not given.
func (mem *Memory) SamplePools(pools []string, on map[string]int64, now time.Time, horizon time.Duration) {
	kept := make(map[string][]poolSample, len(pools))
	for _, pool := range pools {
		samples := slices.DeleteFunc(mem.pools[pool], func(s poolSample) bool { return now.Sub(s.at) > horizon })
		if n := len(samples); n == 0 || now.Sub(samples[n-1].at) >= sampleEvery {
			samples = append(samples, poolSample{at: now, replicas: on[pool]})
		}
		kept[pool] = samples
	}
	mem.pools = kept
}

// SampledPools are the pools the memory holds samples of, in order.
func (mem *Memory) SampledPools() []string { return slices.Sorted(maps.Keys(mem.pools)) }

// Growth is how many replicas per hour demand has been adding to the pools' online managed
// clusters together: the least replicas they held in each third of the capacity horizon (or
// of the memory, when the planner has held it for less, but for a third of the horizon at
// least), when each third holds more than the one before (a trend, not one step up and not
// noise), over the time between the thirds; else 0.
func (mem *Memory) Growth(pools []string, now time.Time, horizon time.Duration) float64 {
	if horizon <= 0 || len(pools) == 0 {
		return 0
	}
	sums := mem.poolSums(pools, now, horizon)
	first := now // the memory's oldest sample
	for at := range sums {
		if at.Before(first) {
			first = at
		}
	}
	span := now.Sub(first) // within the horizon, as poolSums keeps it
	third := span / 3
	if span < horizon/3 || third <= 0 {
		return 0
	}
	start := now.Add(-span)
	var least [3]int64
	var seen [3]bool
	for at, n := range sums {
		i := min(max(int(at.Sub(start)/third), 0), 2)
		if !seen[i] || n < least[i] {
			least[i], seen[i] = n, true
		}
	}
	for i := 1; i < 3; i++ {
		if !seen[i-1] || !seen[i] || least[i] <= least[i-1] {
			return 0
		}
	}
	return float64(least[2]-least[0]) / (2 * third).Hours()
}

// poolSums is, by sample time within the last span, the replicas the pools' online managed
// clusters held together.
func (mem *Memory) poolSums(pools []string, now time.Time, span time.Duration) map[time.Time]int64 {
	sums := map[time.Time]int64{}
	for _, pool := range pools {
		for _, s := range mem.pools[pool] {
			if now.Sub(s.at) <= span {
				sums[s.at] += s.replicas
			}
		}
	}
	return sums
}

// Swings is, of the replicas the pools' online managed clusters held together through the
// last third of the capacity horizon, the least that came after more (a trough) and the most
// that came after less (a peak); -1 for either that did not come. Demand that only rose has
// no trough, and demand that only fell no peak.
func (mem *Memory) Swings(pools []string, now time.Time, horizon time.Duration) (trough, peak int64) {
	sums := mem.poolSums(pools, now, horizon/3)
	trough, peak = -1, -1
	times := slices.SortedFunc(maps.Keys(sums), func(a, b time.Time) int { return a.Compare(b) })
	if len(times) == 0 {
		return trough, peak
	}
	highest, lowest := sums[times[0]], sums[times[0]]
	for _, t := range times[1:] {
		n := sums[t]
		if n < highest && (trough < 0 || n < trough) {
			trough = n
		}
		if n > lowest && n > peak {
			peak = n
		}
		highest, lowest = max(highest, n), min(lowest, n)
	}
	return trough, peak
}
