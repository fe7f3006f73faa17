package memory

import (
	"time"

	"github.com/navarkos/navarkos/internal/planner/fleet"
)

// maxLull is the longest lull the memory tells: a day of demand no higher than now is taken
// as steady.
const maxLull = 24 * time.Hour

// level is the CPU the fleet's demand requested at one decision.
type level struct {
	at       time.Time
	milliCPU int64
}

// observeLevel records the CPU the demands request at now. The memory keeps the levels that
// were above every later one, each at the last time it was seen: the one below the newest is
// then the last time demand was higher than now. Levels older than maxLull are forgotten.
func (mem *Memory) observeLevel(demands []fleet.Demand, now time.Time) {
	var cpu int64
	for i := range demands {
		cpu += demands[i].Request.MilliCPU * int64(demands[i].Replicas)
	}
	if mem.watchedSince.IsZero() {
		mem.watchedSince = now
	}
	for n := len(mem.levels); n > 0 && mem.levels[n-1].milliCPU <= cpu; n-- {
		mem.levels = mem.levels[:n-1]
	}
	mem.levels = append(mem.levels, level{at: now, milliCPU: cpu})
	for len(mem.levels) > 1 && now.Sub(mem.levels[0].at) > maxLull {
		mem.levels = mem.levels[1:]
	}
}

// Lull is how long the fleet's demand has requested no more than milliCPU, as far as the
// memory watched it, up to maxLull; none while it requests more now. Capacity given back
// pays only while demand stays within what is left: a lull shorter than the time a change
// takes to pay back is as likely to end first.
func (mem *Memory) Lull(now time.Time, milliCPU int64) time.Duration {
	since := mem.watchedSince
	for i := len(mem.levels) - 1; i >= 0; i-- {
		if mem.levels[i].milliCPU > milliCPU {
			since = mem.levels[i].at
			break
		}
	}
	if since.IsZero() {
		return 0
	}
	return min(now.Sub(since), maxLull)
}
