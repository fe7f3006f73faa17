package memory

import (
	"math"
	"testing"
	"time"

	"github.com/navarkos/navarkos/internal/planner/fleet"
)

// horizon is the planner's default capacity horizon.
const horizon = 2 * time.Hour

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// TestGrowthIsATrendNotAStep: the replicas landing in pools count as growth only when the
// least of each third of the capacity horizon (or of a younger memory) is above the one before: not one step up (a
// burst), not noise about a level, not a fall, and not replicas moving between the pools.
func TestGrowthIsATrendNotAStep(t *testing.T) {
	for _, tt := range []struct {
		name    string
		replica func(minute int) int64
		want    float64
	}{
		// 0 at first, 40 from 40 minutes on, 80 from 80 minutes on: 80 over 80 minutes.
		{"rising", func(m int) int64 { return int64(m / 40 * 40) }, 60},
		{"one step up", func(m int) int64 { return int64(m / 100 * 80) }, 0},
		{"noise", func(m int) int64 { return 40 + int64(m%3) }, 0},
		{"falling", func(m int) int64 { return int64(120 - m) }, 0},
	} {
		mem := New()
		for m := 0; m <= 120; m++ {
			mem.pools["cloud"] = append(mem.pools["cloud"], poolSample{at: t0.Add(time.Duration(m) * time.Minute), replicas: tt.replica(m)})
		}
		now := t0.Add(horizon)
		if got := mem.Growth([]string{"cloud"}, now, horizon); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("%s: growth %.2f replicas an hour, want %.2f", tt.name, got, tt.want)
		}
	}
	// A memory younger than the horizon is split in thirds of its own, once it holds a third
	// of the horizon: teams arriving since the planner started are a trend within the hour.
	for _, tt := range []struct {
		minutes int
		want    float64
	}{{60, 60}, {39, 0}} {
		mem := New()
		third := tt.minutes / 3
		for m := 0; m <= tt.minutes; m++ {
			mem.pools["cloud"] = append(mem.pools["cloud"], poolSample{at: t0.Add(time.Duration(m) * time.Minute), replicas: int64(min(m/third, 2) * 20)})
		}
		now := t0.Add(time.Duration(tt.minutes) * time.Minute)
		if got := mem.Growth([]string{"cloud"}, now, horizon); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("rising by 20 each third of a memory of %d minutes: growth %.2f replicas an hour, want %.2f", tt.minutes, got, tt.want)
		}
	}
	// Replicas moving from one pool the target leaves to another are no growth of the two.
	mem := New()
	for m := 0; m <= 120; m++ {
		at := t0.Add(time.Duration(m) * time.Minute)
		mem.pools["spot"] = append(mem.pools["spot"], poolSample{at: at, replicas: int64(120 - m)})
		mem.pools["cloud"] = append(mem.pools["cloud"], poolSample{at: at, replicas: int64(m)})
	}
	now := t0.Add(horizon)
	if got := mem.Growth([]string{"spot", "cloud"}, now, horizon); got != 0 {
		t.Errorf("replicas moving between two pools: growth %.2f replicas an hour, want 0", got)
	}
	if got := mem.Growth([]string{"cloud"}, now, horizon); got <= 0 {
		t.Errorf("the pool they move into alone: growth %.2f replicas an hour, want more than 0", got)
	}
}

// TestSwingsAreTroughsAfterPeaks: over the last 40 minutes, demand that only rose has a peak
// but no trough, demand that only fell a trough but no peak, and only demand that swung both
// ways has both; the samples before the window do not count.
func TestSwingsAreTroughsAfterPeaks(t *testing.T) {
	for _, tt := range []struct {
		name         string
		replica      func(minute int) int64
		trough, peak int64
	}{
		{"rising", func(m int) int64 { return int64(m) }, -1, 120},
		{"falling", func(m int) int64 { return int64(120 - m) }, 0, -1},
		{"swinging", func(m int) int64 { return []int64{40, 8}[m/5%2] }, 8, 40},
		{"steady since a swing an hour ago", func(m int) int64 { return []int64{40, 8, 40}[min(m/30, 2)] }, -1, -1},
	} {
		mem := New()
		for m := 0; m <= 120; m++ {
			mem.pools["cloud"] = append(mem.pools["cloud"], poolSample{at: t0.Add(time.Duration(m) * time.Minute), replicas: tt.replica(m)})
		}
		now := t0.Add(horizon)
		if trough, peak := mem.Swings([]string{"cloud"}, now, horizon); trough != tt.trough || peak != tt.peak {
			t.Errorf("%s: trough %d and peak %d, want %d and %d", tt.name, trough, peak, tt.trough, tt.peak)
		}
	}
}

// TestTheLullIsSinceDemandLastExceededALevel: the lull above a level is the time since the
// fleet's demand last requested more CPU, as far as the memory watched; none while it
// requests more now; and a level seen before the memory's day is forgotten.
func TestTheLullIsSinceDemandLastExceededALevel(t *testing.T) {
	mem := New()
	if got := mem.Lull(t0, 0); got != 0 {
		t.Errorf("a memory that watched nothing: lull %s, want 0", got)
	}
	cpu := func(replicas int32) []fleet.Demand {
		d := demand("shop/web", replicas)
		d.Request.MilliCPU = 1000
		return []fleet.Demand{d}
	}
	// 10 CPUs for an hour, 40 at 1 h, 20 from 1 h 10 min on.
	for m := 0; m <= 180; m += 10 {
		replicas := int32(10)
		switch {
		case m == 60:
			replicas = 40
		case m > 60:
			replicas = 20
		}
		mem.observeLevel(cpu(replicas), t0.Add(time.Duration(m)*time.Minute))
	}
	now := t0.Add(3 * time.Hour)
	for _, tt := range []struct {
		milliCPU int64
		want     time.Duration
	}{
		{50000, 3 * time.Hour}, // never above: since the memory began
		{30000, 2 * time.Hour}, // above at 1 h
		{20000, 2 * time.Hour}, // 40 at 1 h; 20 since is not above 20
		{15000, 0},             // 20 now
	} {
		if got := mem.Lull(now, tt.milliCPU); got != tt.want {
			t.Errorf("lull above %d mCPU: %s, want %s", tt.milliCPU, got, tt.want)
		}
	}
	// A day on at 20 CPUs, the 40 of 1 h is forgotten: the lull is the day the memory tells.
	for m := 190; m <= 30*60; m += 10 {
		mem.observeLevel(cpu(20), t0.Add(time.Duration(m)*time.Minute))
	}
	if got := mem.Lull(t0.Add(30*time.Hour), 30000); got != maxLull {
		t.Errorf("after a day at 20 CPUs: lull %s, want %s", got, maxLull)
	}
	if n := len(mem.levels); n > 2 {
		t.Errorf("the memory keeps %d levels, want the levels of the last day only", n)
	}
}
