package planner

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// slowAndFast are two pools in one region: a cheap one that takes 15 min to create and 10 to
// grow, and a dear one that takes 2 and 1.
func slowAndFast(slowPrice, fastPrice float64) (Pool, Pool) {
	slow := testPool("slow", "us-east", slowPrice, func(p *Pool) { p.CreateTime, p.ScaleTime, p.WakeTime = 15*time.Minute, 10*time.Minute, 5*time.Minute })
	fast := testPool("fast", "us-east", fastPrice, func(p *Pool) { p.CreateTime, p.ScaleTime, p.WakeTime = 2*time.Minute, time.Minute, time.Minute })
	return slow, fast
}

// TestABurstGetsFastCapacityNowAndCheapCapacityBehind: 40 replicas that cannot wait 15 min
// get the fast pool now; the slow pool, well under half the price, is ordered behind them, and
// the reason says what it will take over.
func TestABurstGetsFastCapacityNowAndCheapCapacityBehind(t *testing.T) {
	slow, fast := slowAndFast(0.10, 0.26)
	plan := decide([]Pool{slow, fast}, nil, []Demand{testDemand("shop/web", 40, nil)}, t0, nil)
	if got, want := summary(plan), "Create pool/fast nodes=10\nCreate pool/slow nodes=10\n"; got != want {
		t.Fatalf("plan:\n%s\nwant:\n%s", got, want)
	}
	if a := plan.Actions[1]; a.Replicas != 0 || !strings.Contains(a.Reason, "capacity behind for 40 replicas of shop/web: it comes in 15m0s, and then takes over from pool fast") {
		t.Errorf("the slow cluster: %d replicas, reason %q", a.Replicas, a.Reason)
	}
	// A small saving does not pay for the overlap and the moves.
	slow, fast = slowAndFast(0.15, 0.22)
	plan = decide([]Pool{slow, fast}, nil, []Demand{testDemand("shop/web", 8, nil)}, t0, nil)
	if got, want := summary(plan), "Create pool/fast nodes=2\n"; got != want {
		t.Fatalf("with a small saving, plan:\n%s\nwant:\n%s", got, want)
	}
}

// TestSteadyDemandMovesToTheCheaperSlowerPool: a cluster of the fast pool that has run its
// replicas for hours is replaced by one of the slow, cheap pool. The new cluster keeps its
// nodes while it comes and settles, empty as it is, and the fast cluster is then drained into it.
func TestSteadyDemandMovesToTheCheaperSlowerPool(t *testing.T) {
	slow, fast := slowAndFast(0.15, 0.22)
	pools := []Pool{slow, fast}
	demand := testDemand("shop/web", 8, map[string]int32{"fast-1": 8})
	mem := NewMemory()
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	decide(pools, []Cluster{testCluster("fast-1", fast, Starting, 2)}, []Demand{demand}, at(0), mem)
	running := []Cluster{testCluster("fast-1", fast, Running, 2)}
	if plan := decide(pools, running, []Demand{demand}, at(time.Minute), mem); len(plan.Actions) != 0 {
		t.Fatalf("a fresh cluster is replaced: %s", summary(plan))
	}
	plan := decide(pools, running, []Demand{demand}, at(8*time.Hour), mem)
	if got, want := summary(plan), "Create pool/slow nodes=2\n"; got != want {
		t.Fatalf("after 8 h, plan:\n%s\nwant:\n%s", got, want)
	}
	if !strings.Contains(plan.Actions[0].Reason, "whole-fleet decision: the managed clusters cost 0.540/h") || !strings.Contains(plan.Actions[0].Reason, "(slow: 1 clusters, 2 nodes)") {
		t.Errorf("reason %q", plan.Actions[0].Reason)
	}
	withSlow := func(state State) []Cluster {
		return []Cluster{testCluster("fast-1", fast, Running, 2), testCluster("slow-1", slow, state, 2, idleSince(at(8*time.Hour+15*time.Minute)))}
	}
	for _, step := range []time.Duration{8*time.Hour + 10*time.Minute, 8*time.Hour + 16*time.Minute, 8*time.Hour + 20*time.Minute} {
		state := Starting
		if step > 8*time.Hour+15*time.Minute {
			state = Running
		}
		if plan := decide(pools, withSlow(state), []Demand{demand}, at(step), mem); len(plan.Actions) != 0 {
			t.Fatalf("at %s, while the slow cluster comes and settles: %s", step, summary(plan))
		}
	}
	plan = decide(pools, withSlow(Running), []Demand{demand}, at(8*time.Hour+22*time.Minute), mem)
	if got := summary(plan); !strings.HasPrefix(got, "Drain fast-1") {
		t.Fatalf("once the slow cluster has settled, plan:\n%s\nwant fast-1 drained", got)
	}
}

// TestAFlappingClusterKeepsItsNodesLonger: a cluster that grows again soon after a
// stabilisation shrink gets a window twice as long, so an oscillating demand stops paying the
// growth delay at every peak.
func TestAFlappingClusterKeepsItsNodesLonger(t *testing.T) {
	pool := testPool("us-east", "us-east", 0.2)
	mem := NewMemory()
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	step := func(d time.Duration, nodes, replicas int32) Plan {
		c := testCluster("c", pool, Running, nodes)
		return decide([]Pool{pool}, []Cluster{c}, []Demand{testDemand("shop/web", replicas, map[string]int32{"c": replicas})}, at(d), mem)
	}
	step(0, 10, 40)
	step(time.Minute, 10, 40)
	step(2*time.Minute, 10, 8) // the trough begins
	if got := summary(step(7*time.Minute+30*time.Second, 10, 8)); got != "Scale c nodes=2\n" {
		t.Fatalf("after the base window of 5 min: %q, want the shrink", got)
	}
	// The peak returns 3 min after the shrink: a flap.
	if got := summary(step(10*time.Minute, 2, 40)); got != "Scale c nodes=10\n" {
		t.Fatalf("the peak: %q", got)
	}
	step(11*time.Minute, 10, 40)
	step(12*time.Minute, 10, 8) // the next trough
	if got := summary(step(17*time.Minute+30*time.Second, 10, 8)); got != "" {
		t.Fatalf("5 min into the second trough: %q, want the nodes kept for the doubled window", got)
	}
	if got := summary(step(22*time.Minute+30*time.Second, 10, 8)); !strings.Contains(got, "Scale c nodes=2") {
		t.Fatalf("10 min into a trough: %q, want the shrink", got)
	}
	// Growth that follows no shrink keeps the longer window: only an hour without flapping
	// gives the base one back.
	step(40*time.Minute, 2, 12)
	step(41*time.Minute, 3, 40)
	step(42*time.Minute, 10, 40)
	step(43*time.Minute, 10, 8)
	if got := summary(step(49*time.Minute, 10, 8)); got != "" {
		t.Fatalf("6 min into a trough after growth without a shrink: %q, want the doubled window kept", got)
	}
	step(90*time.Minute, 10, 40)
	step(91*time.Minute, 10, 8)
	step(2*time.Hour, 10, 40) // more than an hour since the last flap: back to the base window
	step(2*time.Hour+time.Minute, 10, 8)
	if got := summary(step(2*time.Hour+6*time.Minute+30*time.Second, 10, 8)); got != "Scale c nodes=2\n" {
		t.Fatalf("after an hour without flapping, 5 min into a trough: %q, want the shrink", got)
	}
}

// TestTheForecastMakesRoomBeforeARecurringRamp: a workload that ran 40 replicas at this time
// yesterday and the day before gets their capacity before the ramp, with the forecast on, and
// only then; each way of adding capacity is ordered in time for the ramp, not sooner: a new
// cluster (5 min) as soon as the ramp is 5 min away, a grow (2 min) only when the ramp is
// that close. A batch that is gone between its runs is remembered and expected back.
func TestTheForecastMakesRoomBeforeARecurringRamp(t *testing.T) {
	pool := testPool("us-east", "us-east", 0.2)
	cfg := DefaultConfig()
	cfg.Forecast = true
	run := func(mem *Memory, at time.Time, clusters []Cluster, demands ...Demand) Plan {
		return Decide(Input{Now: at, Pools: []Pool{pool}, Clusters: clusters, Demands: demands, Config: cfg}, mem)
	}
	mem := NewMemory()
	for _, day := range []time.Time{t0.Add(-48 * time.Hour), t0.Add(-24 * time.Hour)} {
		for m := time.Duration(0); m < 30*time.Minute; m += time.Minute {
			demands := []Demand{testDemand("shop/web", 8, nil)}
			if m >= 10*time.Minute {
				demands = []Demand{testDemand("shop/web", 40, nil), testDemand("data/batch", 33, nil)}
			}
			run(mem, day.Add(m), nil, demands...)
		}
	}
	c := []Cluster{testCluster("c", pool, Running, 2)}
	web := testDemand("shop/web", 8, map[string]int32{"c": 8})
	// Today at 5 min, the ramp is 5 min away: the batch, absent today, needs a new cluster
	// (33 replicas, 9 nodes), which takes that long; web's grow can wait.
	plan := run(mem, t0.Add(5*time.Minute), c, web)
	if got := summary(plan); got != "Create pool/us-east nodes=9\n" {
		t.Fatalf("5 min before the ramp:\n%s\nwant only a cluster for the absent batch's return", got)
	}
	if !strings.Contains(plan.Actions[0].Reason, "forecast: data/batch had 33 replicas yesterday and the day before within the next 5m0s, 33 more than now") {
		t.Errorf("reason %q", plan.Actions[0].Reason)
	}
	// At 8 min, the grows are due: the batch's new cluster is still starting, and web's
	// 32 more replicas and the batch's 33 are planned on it and on c.
	batch := testCluster("b", pool, Starting, 9)
	plan = run(mem, t0.Add(8*time.Minute), append(c, batch), web)
	if got := summary(plan); got != "Scale b nodes=10\nScale c nodes=9\n" {
		t.Fatalf("2 min before the ramp:\n%s\nwant b and c grown to hold 40 replicas of web and 33 of the batch", got)
	}
	for _, a := range plan.Actions {
		if !strings.HasPrefix(a.Reason, "forecast: data/batch had 33 replicas yesterday and the day before within the next 5m0s, 33 more than now") {
			t.Errorf("reason %q, want the batch's forecast (web's 32 fit in the batch's starting cluster)", a.Reason)
		}
	}
	if len(plan.Unserved) > 0 {
		t.Errorf("a forecast is not unserved demand: %+v", plan.Unserved)
	}
	// Without the forecast, the same fleet waits for the ramp.
	cfg.Forecast = false
	if plan := run(mem, t0.Add(8*time.Minute), c, web); len(plan.Actions) != 0 {
		t.Errorf("without the forecast: %s", summary(plan))
	}
}

// TestTheForecastGivesBackATroughItKnows: web rises to 40 replicas every 40 minutes for 20
// and falls back to 8. Once the forecast knows the period, a trough frees the nodes at once,
// with no stabilisation window, and the forecast grows the cluster back its scale time (and a
// minute) before the next rise. Without the forecast, or for a dip of noise, the window holds.
func TestTheForecastGivesBackATroughItKnows(t *testing.T) {
	pool := testPool("us-east", "us-east", 0.2)
	const period = 40 * time.Minute
	demand := func(at time.Time) int32 {
		if phase := (at.Sub(t0)%period + period) % period; phase < period/2 {
			return 8
		}
		return 40
	}
	// history is three hours of it, decided each minute with c holding the peak's 10 nodes:
	// rises at 180, 140, 100, 60 and 20 minutes before t0, when a trough starts.
	history := func(forecast bool) (*Memory, Config) {
		cfg := DefaultConfig()
		cfg.Forecast = forecast
		mem := NewMemory()
		for at := t0.Add(-3 * time.Hour); at.Before(t0); at = at.Add(time.Minute) {
			n := demand(at)
			Decide(Input{Now: at, Pools: []Pool{pool}, Clusters: []Cluster{testCluster("c", pool, Running, 10)},
				Demands: []Demand{testDemand("shop/web", n, map[string]int32{"c": n})}, Config: cfg}, mem)
		}
		return mem, cfg
	}
	decide := func(mem *Memory, cfg Config, at time.Time, nodes, replicas int32) Plan {
		return Decide(Input{Now: at, Pools: []Pool{pool}, Clusters: []Cluster{testCluster("c", pool, Running, nodes)},
			Demands: []Demand{testDemand("shop/web", replicas, map[string]int32{"c": replicas})}, Config: cfg}, mem)
	}
	if demand(t0.Add(-time.Minute)) != 40 || demand(t0) != 8 || demand(t0.Add(20*time.Minute)) != 40 || demand(t0.Add(-21*time.Minute)) != 8 {
		t.Fatal("the test's demand is not what its comment says")
	}
	mem, cfg := history(true)
	plan := decide(mem, cfg, t0, 10, 8)
	if got := summary(plan); got != "Scale c nodes=2\n" || !strings.HasPrefix(plan.Actions[0].Reason, "forecast: its replicas need 2 of its 10 nodes") {
		t.Fatalf("at the trough's start, with the forecast:\n%s(%+v)\nwant c shrunk to 2 nodes at once", got, plan.Actions)
	}
	// Nothing more until the rise is its scale time and a minute away, at 17 minutes.
	if plan := decide(mem, cfg, t0.Add(16*time.Minute), 2, 8); len(plan.Actions) != 0 {
		t.Errorf("4 minutes before the rise: %s, want nothing yet", summary(plan))
	}
	plan = decide(mem, cfg, t0.Add(17*time.Minute), 2, 8)
	if got := summary(plan); got != "Scale c nodes=10\n" || !strings.Contains(plan.Actions[0].Reason, "one and two of its periods ago (it rises every 40m0s)") {
		t.Errorf("3 minutes before the rise:\n%s(%+v)\nwant c grown back to 10 nodes by the forecast", got, plan.Actions)
	}
	mem, cfg = history(false)
	if plan := decide(mem, cfg, t0, 10, 8); len(plan.Actions) != 0 {
		t.Errorf("at the trough's start, without the forecast: %s, want the stabilisation window to hold", summary(plan))
	}
	// A dip of 40 to 34 replicas frees one node of ten: noise, left to the window.
	mem, cfg = history(true)
	if plan := decide(mem, cfg, t0.Add(-5*time.Minute), 10, 34); len(plan.Actions) != 0 {
		t.Errorf("a dip within the peak: %s, want the stabilisation window to hold", summary(plan))
	}
}

// TestAnOldClusterIsReplacedWhileTheRestOfTheFleetIsYoung: the whole fleet has run too briefly
// for moving all of it to the slow pool to pay, but fast-1 has run its 8 replicas for 8 hours,
// and a slow cluster is ordered to take over from it alone.
func TestAnOldClusterIsReplacedWhileTheRestOfTheFleetIsYoung(t *testing.T) {
	plan, _ := oldFastClusterAt8h(DefaultConfig())
	if got, want := summary(plan), "Create pool/slow nodes=2\n"; got != want {
		t.Fatalf("plan:\n%s\nwant:\n%s", got, want)
	}
	if r := plan.Actions[0].Reason; !strings.Contains(r, "to take over the 8 replicas of fast-1") {
		t.Errorf("reason %q", r)
	}
}

// oldFastClusterAt8h decides, with cfg, for fast-1, whose 8 replicas have run for 8 hours, and
// fast-2, whose 40 came 10 minutes before; it returns the plan at 8 h, and a way to decide
// later for the same demand and memory, at a time from the start.
func oldFastClusterAt8h(cfg Config) (Plan, func(time.Duration, ...Cluster) Plan) {
	slow, fast := slowAndFast(0.15, 0.22)
	pools := []Pool{slow, fast}
	old := testDemand("shop/web", 8, map[string]int32{"fast-1": 8})
	demands := []Demand{old}
	mem := NewMemory()
	decideAt := func(d time.Duration, clusters ...Cluster) Plan {
		return Decide(Input{Now: t0.Add(d), Pools: pools, Clusters: clusters, Demands: demands, Config: cfg}, mem)
	}
	decideAt(0, testCluster("fast-1", fast, Starting, 2))
	decideAt(time.Minute, testCluster("fast-1", fast, Running, 2))
	demands = append(demands, testDemand("shop/api", 40, map[string]int32{"fast-2": 40}))
	fleet := func(state State) []Cluster {
		return []Cluster{testCluster("fast-1", fast, Running, 2), testCluster("fast-2", fast, state, 10)}
	}
	decideAt(8*time.Hour-10*time.Minute, fleet(Starting)...)
	decideAt(8*time.Hour-6*time.Minute, fleet(Running)...)
	return decideAt(8*time.Hour, fleet(Running)...), decideAt
}

// TestConsolidationDoesNotSwapWhichClusterStays: after a batch, one cluster of a pool runs a
// small service and another runs nothing. Draining the first into the idle one saves nothing
// (the idle one would go offline), so the service is not moved; into an idle cluster of a
// cheaper pool it is, since that does save.
func TestConsolidationDoesNotSwapWhichClusterStays(t *testing.T) {
	pool := testPool("dear", "eu-west", 0.5)
	cheap := testPool("cheap", "eu-west", 0.02)
	api := testDemand("etl/api", 4, map[string]int32{"a": 4})
	run := func(pools []Pool, clusters []Cluster) string {
		mem := NewMemory()
		starting := slices.Clone(clusters)
		for i := range starting {
			starting[i].State = Starting
		}
		decide(pools, starting, []Demand{api}, t0, mem)
		decide(pools, clusters, []Demand{api}, t0.Add(time.Minute), mem)
		return summary(decide(pools, clusters, []Demand{api}, t0.Add(time.Hour), mem))
	}
	idle := idleSince(t0.Add(50 * time.Minute))
	if got := run([]Pool{pool}, []Cluster{testCluster("a", pool, Running, 1), testCluster("b", pool, Running, 1, idle)}); strings.Contains(got, "Drain") {
		t.Errorf("the service is moved onto the idle cluster of its own pool:\n%s", got)
	}
	if got := run([]Pool{pool, cheap}, []Cluster{testCluster("a", pool, Running, 1), testCluster("b", cheap, Running, 1, idle)}); !strings.HasPrefix(got, "Drain a") {
		t.Errorf("plan:\n%s\nwant the service drained into the idle cluster of the cheaper pool", got)
	}
}

// TestTheDrainKeepsTheReplacementsPromise: a cluster of the slow pool is ordered to take over
// from fast-1, on what it saves over the 8 h fast-1 has run. Moving a replica costs 0.10 here,
// so draining fast-1 would not pay within the hour consolidation asks of a drain; it is
// drained all the same once the slow cluster has settled, on the saving the order counted on,
// instead of leaving the new cluster empty until its idle time-to-live.
func TestTheDrainKeepsTheReplacementsPromise(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DisruptionCost = 0.10
	plan, decideAt := oldFastClusterAt8h(cfg)
	if got, want := summary(plan), "Create pool/slow nodes=2\n"; got != want {
		t.Fatalf("plan:\n%s\nwant:\n%s", got, want)
	}
	slow, fast := slowAndFast(0.15, 0.22)
	fleet := func(state State) []Cluster {
		return []Cluster{testCluster("fast-1", fast, Running, 2), testCluster("fast-2", fast, Running, 10), testCluster("slow-1", slow, state, 2)}
	}
	decideAt(8*time.Hour+10*time.Minute, fleet(Starting)...)
	decideAt(8*time.Hour+16*time.Minute, fleet(Running)...)
	plan = decideAt(8*time.Hour+22*time.Minute, fleet(Running)...)
	if got := summary(plan); !strings.HasPrefix(got, "Drain fast-1") {
		t.Fatalf("once the slow cluster has settled, plan:\n%s\nwant fast-1 drained", got)
	}
	if r := plan.Actions[0].Reason; !strings.Contains(r, "capacity was ordered to take over from it") {
		t.Errorf("drain reason %q", r)
	}
}
