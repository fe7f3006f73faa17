package memory

import (
	"fmt"
	"testing"
	"time"

	"github.com/navarkos/navarkos/internal/planner/fleet"
)

// demand is a workload's demand of replicas.
func demand(name string, replicas int32) fleet.Demand {
	return fleet.Demand{Name: name, Namespace: "ns", Replicas: replicas}
}

// TestTheForecastWantsTheDemandToRecur: one day's ramp is not expected the next day, and a
// weekly one only a week later.
func TestTheForecastWantsTheDemandToRecur(t *testing.T) {
	mem := New()
	d := demand("data/batch", 40)
	mem.observeDemand([]fleet.Demand{d}, t0)
	for _, day := range []int{1, 2} {
		mem.observeDemand(nil, t0.Add(time.Duration(day)*24*time.Hour)) // gone since
	}
	if e := mem.Forecast("data/batch", t0.Add(24*time.Hour-time.Minute), 5*time.Minute); e.Replicas != 0 {
		t.Errorf("the day after one run: %d replicas expected, want 0", e.Replicas)
	}
	if e := mem.Forecast("data/batch", t0.Add(7*24*time.Hour-time.Minute), 5*time.Minute); e.Replicas != 40 || e.Source != "a week ago" {
		t.Errorf("a week after: %d replicas expected (%s), want 40 from a week ago", e.Replicas, e.Source)
	}
}

// TestGoneWorkloadsAreRememberedWithinABound: a namespace that makes and deletes many
// workloads does not grow the forecast's memory past maxAbsent; the longest gone go first,
// and the workloads running now are always kept.
func TestGoneWorkloadsAreRememberedWithinABound(t *testing.T) {
	mem := New()
	running := demand("shop/web", 4)
	for i := range maxAbsent + 50 {
		at := t0.Add(time.Duration(i) * time.Second)
		mem.observeDemand([]fleet.Demand{running, demand(fmt.Sprintf("spam/w-%04d", i), 1)}, at)
	}
	mem.observeDemand([]fleet.Demand{running}, t0.Add(time.Hour))
	if got := len(mem.history); got != maxAbsent+1 {
		t.Fatalf("%d histories, want %d gone ones and the running one", got, maxAbsent)
	}
	if mem.history["shop/web"] == nil || mem.history["spam/w-0000"] != nil || mem.history[fmt.Sprintf("spam/w-%04d", maxAbsent+49)] == nil {
		t.Errorf("kept the wrong ones: running %v, oldest %v", mem.history["shop/web"] != nil, mem.history["spam/w-0000"] != nil)
	}
}

// TestTheForecastLearnsAWorkloadsOwnPeriod: demand that rises every 2 h is expected at its
// fourth rise, once three rises agree on the spacing; two rises, rises at uneven spacings, and
// noise about one level are no period.
func TestTheForecastLearnsAWorkloadsOwnPeriod(t *testing.T) {
	// observe records a day of demand, minute by minute, from replicas(minute).
	observe := func(replicas func(minute int) int32) *Memory {
		mem := New()
		for m := range 24 * 60 {
			mem.observeDemand([]fleet.Demand{demand("shop/tickets", replicas(m))}, t0.Add(time.Duration(m)*time.Minute))
		}
		return mem
	}
	crowds := func(starts ...int) func(int) int32 {
		return func(m int) int32 {
			for _, s := range starts {
				if m >= s && m < s+15 {
					return 100
				}
			}
			return 5
		}
	}
	// The forecast is asked 3 min before a rise that would come 2 h after the last one.
	before := func(mem *Memory, minute int) Expectation {
		return mem.Forecast("shop/tickets", t0.Add(time.Duration(minute-3)*time.Minute), 5*time.Minute)
	}
	// Rises at 01:00, 03:00 and 05:00: the one at 07:00 is expected, and when it comes.
	mem := observe(crowds(60, 180, 300))
	e := before(mem, 420)
	if e.Replicas != 100 || e.Source != "one and two of its periods ago (it rises every 2h0m0s)" {
		t.Fatalf("before the fourth crowd: %+v, want 100 replicas from its 2 h period", e)
	}
	if in := mem.RampIn("shop/tickets", t0.Add(417*time.Minute), e, 5); in != 3*time.Minute {
		t.Errorf("the ramp is expected in %s, want 3m0s", in)
	}
	if e := before(mem, 390); e.Replicas > 5 {
		t.Errorf("between crowds: %+v, want nothing more than the base", e)
	}
	for name, replicas := range map[string]func(int) int32{
		"two rises":       crowds(180, 300),
		"uneven spacings": crowds(60, 150, 300),
		"noise about one level": func(m int) int32 {
			return 50 + int32(m%7)
		},
	} {
		if e := before(observe(replicas), 420); e.Replicas > 100 || e.Source != "" {
			t.Errorf("%s: %+v, want no period", name, e)
		}
	}
}
