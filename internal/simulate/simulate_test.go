package simulate

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

func load(t *testing.T, pools, trace string) (*Trace, func(string) Report) {
	t.Helper()
	ps := mustPools(t, string(mustRead(t, pools)))
	tr := mustTrace(t, trace)
	return tr, func(policy string) Report {
		r, err := Run(ps, tr, policy, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
}

func mustPools(t *testing.T, yaml string) []n6sv1alpha1.ClusterPool {
	t.Helper()
	ps, err := ParsePools(strings.NewReader(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// traceOf parses a trace given as CSV text.
func traceOf(t *testing.T, csv string) *Trace {
	t.Helper()
	tr, err := ParseTrace(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func mustTrace(t *testing.T, path string) *Trace {
	t.Helper()
	tf, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer tf.Close()
	tr, err := ParseTrace(tf)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestStepTrace replays a trace small enough to work out by hand: 4 one-CPU replicas for
// half an hour, none for ten minutes, then 8 for twenty minutes, on 4-CPU nodes at 1 per
// node-hour with a 60 s create, 30 s wake and 60 s scale.
func TestStepTrace(t *testing.T) {
	_, run := load(t, "testdata/one-pool.yaml", "testdata/step.csv")
	want := map[string]Report{
		// Create with one node (60 s); the ten-minute idle TTL is not reached in the gap (the
		// clock starts at the first step without replicas, at 30 min, and the demand is back
		// at 40 min), so the planner grows the same cluster to 2 nodes (60 s scale): 1 h of
		// cluster, 1 h 20 min of nodes, two actions, and 4 replicas waiting 60 s twice.
		PolicyPlanner: {Policy: PolicyPlanner, Cost: 1 + 20.0/60, ClusterHours: 1, NodeHours: 1 + 20.0/60,
			UnplacedReplicaSeconds: 4*60 + 4*60, Actions: 2, Moves: 0},
		// Two nodes, built for the peak before time 0.
		PolicyStatic: {Policy: PolicyStatic, Cost: 2, ClusterHours: 1, NodeHours: 2},
	}
	for policy, w := range want {
		got := run(policy)
		got.UnplacedFloorReplicaSeconds = 0
		if !closeReports(got, w) {
			t.Errorf("%s:\n got %+v\nwant %+v", policy, got, w)
		}
	}
	// The bound: exactly 1 node, then 2 nodes, with no delay, and none in the gap, each of
	// its 10-minute spans at its least demand.
	if b := run(PolicyLowerBound); math.Abs(b.Cost-(0.5+2*20.0/60)) > boundRounding || math.Abs(b.NodeHours-b.Cost) > boundRounding {
		t.Errorf("the bound costs %.4f for %.4f node-hours, want %.4f for as many", b.Cost, b.NodeHours, 0.5+2*20.0/60)
	}
	// The floor: the first node takes the 60 s create; it holds 5 CPUs (4 and a quarter of
	// headroom), so that of the 8 replicas 3 wait the 60 s scale.
	if got := run(PolicyPlanner).UnplacedFloorReplicaSeconds; got != 4*60+3*60 {
		t.Errorf("floor %v, want %v", got, 4*60+3*60)
	}
}

// TestFloorTakesIdleClustersOffline: the floor's oracle obeys the pool's idle time-to-live as
// the planner must. 4 replicas for 30 min, none for 20 (past the 10 min TTL), 4 again: the
// first node takes the create time, and the return the wake time of a hibernated cluster, or
// the create time again in a pool that deletes idle clusters. A gap shorter than the TTL
// costs nothing more.
func TestFloorTakesIdleClustersOffline(t *testing.T) {
	pools := string(mustRead(t, "testdata/one-pool.yaml"))
	for _, tc := range []struct {
		name, offline string
		gap           int
		want          float64
	}{
		{"hibernated", "Hibernate", 1200, 4*60 + 4*30},
		{"deleted", "Delete", 1200, 4*60 + 4*60},
		{"within the TTL", "Hibernate", 300, 4 * 60},
	} {
		t.Run(tc.name, func(t *testing.T) {
			csv := fmt.Sprintf("t_seconds,workload,replicas,cpu_millis,memory_mib,regions,constraints\n"+
				"0,web,4,1000,1024,us-east:1,\n1800,web,0,1000,1024,us-east:1,\n%d,web,4,1000,1024,us-east:1,\n%d,web,0,1000,1024,us-east:1,\n",
				1800+tc.gap, 2400+tc.gap)
			path := filepath.Join(t.TempDir(), "gap.csv")
			if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
				t.Fatal(err)
			}
			ps := mustPools(t, strings.Replace(pools, "offlineMode: Hibernate", "offlineMode: "+tc.offline, 1))
			r, err := Run(ps, mustTrace(t, path), PolicyPlanner, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if r.UnplacedFloorReplicaSeconds != tc.want {
				t.Errorf("floor %v, want %v", r.UnplacedFloorReplicaSeconds, tc.want)
			}
		})
	}
}

// TestFrontierTradesCostForUnplacedDemand replays, for the frontier's oracles, 4 replicas (one
// node) that rise to 16 (four nodes, 60 s to scale) for 10 minutes, twice, 20 minutes apart,
// and checks each oracle's cost and unplaced replica-seconds worked out by hand: every rise
// leaves 4 replicas unplaced for the first node's create (60 s) and 12 for the scale, unless
// the oracle still holds the nodes. Holding for 20 minutes gives them back 30 s before the
// second rise; 30 minutes holds them to the end.
func TestFrontierTradesCostForUnplacedDemand(t *testing.T) {
	trace := traceOf(t, "t_seconds,workload,replicas,cpu_millis,memory_mib,regions,constraints\n"+
		"0,web,4,1000,1024,us-east:1,\n600,web,16,1000,1024,us-east:1,\n1200,web,4,1000,1024,us-east:1,\n"+
		"2400,web,16,1000,1024,us-east:1,\n3000,web,4,1000,1024,us-east:1,\n3600,web,4,1000,1024,us-east:1,\n")
	r, err := Run(mustPools(t, string(mustRead(t, "testdata/one-pool.yaml"))), trace, PolicyLocalityBound, Options{})
	if err != nil {
		t.Fatal(err)
	}
	const firstNode, scale = 4 * 60, 12 * 60
	// Node-seconds at 1 per node-hour: one node, plus three more from each rise until given back.
	cost := func(held ...float64) float64 { return (3600 + 3*(held[0]+held[1])) / 3600 }
	want := map[float64]FrontierPoint{
		0:    {Cost: cost(600, 600), UnplacedReplicaSeconds: firstNode + 2*scale},
		300:  {Cost: cost(870, 870), UnplacedReplicaSeconds: firstNode + 2*scale},
		600:  {Cost: cost(1170, 1170), UnplacedReplicaSeconds: firstNode + 2*scale},
		1200: {Cost: cost(1770, 1200), UnplacedReplicaSeconds: firstNode + 2*scale},
		1800: {Cost: cost(1800, 1200), UnplacedReplicaSeconds: firstNode + scale},
		-1:   {Cost: cost(1800, 1200), UnplacedReplicaSeconds: firstNode + scale},
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < boundRounding }
	for _, p := range r.Frontier {
		if w, ok := want[p.HoldSeconds]; ok && (!near(p.Cost, w.Cost) || p.UnplacedReplicaSeconds != w.UnplacedReplicaSeconds) {
			t.Errorf("holding for %v s: cost %.4f, unplaced %.0f; want %.4f and %.0f", p.HoldSeconds, p.Cost, p.UnplacedReplicaSeconds, w.Cost, w.UnplacedReplicaSeconds)
		}
	}
	// The floor holds 5 CPUs from the first node on (a quarter of headroom): of the 16
	// replicas, 11 wait for the scale, once.
	if r.UnplacedFloorReplicaSeconds != firstNode+11*60 || r.Frontier.Floor() != firstNode+scale || !near(r.Cost, cost(600, 600)) {
		t.Fatalf("floor %v (frontier's %v), bound %.4f: want %d (%d) and %.4f", r.UnplacedFloorReplicaSeconds, r.Frontier.Floor(), r.Cost, firstNode+11*60, firstNode+scale, cost(600, 600))
	}
	// Halfway between the floor and the oracle that holds nothing, the line costs halfway.
	if got, want := r.Frontier.CostAt(firstNode+1.5*scale, r.Cost), (cost(600, 600)+cost(1800, 1200))/2; !near(got, want) {
		t.Errorf("the frontier's cost halfway: %.4f, want %.4f", got, want)
	}
	if got := r.Frontier.CostAt(0, r.Cost); !near(got, cost(1800, 1200)) {
		t.Errorf("the frontier's cost below the floor: %.4f, want the holding oracle's %.4f", got, cost(1800, 1200))
	}
	// Within 1.2× the floor, the least cost is 1.55× the bound: a goal of 1.10× conflicts.
	if !r.Frontier.Conflicts(r.Cost, 1.10, 1.2) || r.Frontier.Conflicts(r.Cost, 1.6, 1.2) {
		t.Errorf("conflicts at 1.10× the bound: %v, at 1.6×: %v; want true, then false", r.Frontier.Conflicts(r.Cost, 1.10, 1.2), r.Frontier.Conflicts(r.Cost, 1.6, 1.2))
	}
}

// TestTheBoundTakesEachSpansLeastDemand: 4 replicas (one node at 1 per hour) for 30 minutes,
// none for a gap, then 4 for 10 minutes. The bound prices each 10-minute span at its least
// demand, so a span the gap touches costs nothing, however short the gap; idle capacity
// costs nothing either, since a policy might have given it back. With a gap of 5 minutes the
// trace ends at 45 minutes, a last span of 5 minutes at one node. Both bounds agree, with one
// region and one pool.
func TestTheBoundTakesEachSpansLeastDemand(t *testing.T) {
	pools := mustPools(t, string(mustRead(t, "testdata/one-pool.yaml")))
	for gap, want := range map[int]float64{1200: 0.5 + 10.0/60, 300: 0.5 + 5.0/60} {
		trace := traceOf(t, fmt.Sprintf("t_seconds,workload,replicas,cpu_millis,memory_mib,regions,constraints\n"+
			"0,web,4,1000,1024,us-east:1,\n1800,web,0,1000,1024,us-east:1,\n%d,web,4,1000,1024,us-east:1,\n%d,web,0,1000,1024,us-east:1,\n",
			1800+gap, 2400+gap))
		for _, policy := range []string{PolicyLowerBound, PolicyLocalityBound} {
			r, err := Run(pools, trace, policy, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(r.Cost-want) > boundRounding || math.Abs(r.NodeHours-want) > boundRounding {
				t.Errorf("%s with a gap of %d s: cost %.4f, node-hours %.4f; want %.4f", policy, gap, r.Cost, r.NodeHours, want)
			}
		}
	}
}

// boundRounding is how far the bound's linear programs may stray from a cost worked out by
// hand: their inequalities are eased by a millionth of a node (fleetlp.DegeneracyEase).
const boundRounding = 1e-5

func closeReports(a, b Report) bool {
	near := func(x, y float64) bool { return x-y < 1e-9 && y-x < 1e-9 }
	return a.Policy == b.Policy && near(a.Cost, b.Cost) && near(a.ClusterHours, b.ClusterHours) && near(a.NodeHours, b.NodeHours) &&
		near(a.UnplacedReplicaSeconds, b.UnplacedReplicaSeconds) && a.Actions == b.Actions && a.Moves == b.Moves && a.Churn == b.Churn
}

func TestRunsAreDeterministic(t *testing.T) {
	_, run := load(t, "traces/pools.yaml", "traces/compliance.csv")
	for _, p := range Policies {
		if a, b := run(p), run(p); !reflect.DeepEqual(a, b) {
			t.Errorf("%s: two runs differ:\n%+v\n%+v", p, a, b)
		}
	}
}

func TestTraceErrorsNameTheLine(t *testing.T) {
	header := strings.Join(TraceHeader, ",") + "\n"
	tests := []struct{ name, in, want string }{
		{"empty", "", "line 1: cannot read the header"},
		{"wrong header", "t,workload\n", "line 1: the header must be"},
		{"no rows", header, "the trace has no rows"},
		{"negative time", header + "-5,web,1,100,64,,\n", "line 2: t_seconds"},
		{"replicas not a number", header + "0,web,1,100,64,,\n60,web,many,100,64,,\n", `line 3: replicas: "many"`},
		{"missing field", header + "0,web,1,100,64\n", "line 2: 5 fields, want 7"},
		{"no request", header + "0,web,1,0,0,,\n", "line 2: cpu_millis and memory_mib"},
		{"shares not adding up", header + "0,web,1,100,64,us-east:0.5;eu-west:0.2,\n", "line 2: regions: the shares add up to 0.7"},
		{"share without a region", header + "0,web,1,100,64,0.5,\n", `line 2: regions: "0.5" is not region:share`},
		{"a stray quote", header + "0,web,1,100,64,,\n60,\"web,2,100,64,,\n", "line 3"},
		{"a quote inside a field", header + "0,w\"eb,1,100,64,,\n", `line 2`},
		{"shares 3% off", header + "0,web,1,100,64,us-east:0.5;eu-west:0.47,\n", "the shares add up to 0.97, not 1 (within 0.02)"},
		{"bad selector", header + "0,web,1,100,64,,gdpr==&x\n", "line 2: constraints"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTrace(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestRoundedSharesAreNormalised: real traces are rounded, so shares within 2% of 1 are
// normalised, with a warning naming the line; exact ones give no warning.
func TestRoundedSharesAreNormalised(t *testing.T) {
	header := strings.Join(TraceHeader, ",") + "\n"
	tr, err := ParseTrace(strings.NewReader(header + "0,web,1,100,64,us-east:0.33;eu-west:0.33;ap-south:0.33,\n60,web,2,100,64,us-east:0.7;eu-west:0.3,\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := tr.Rows[0].Shares["us-east"]; math.Abs(got-1.0/3) > 1e-9 {
		t.Errorf("us-east share = %v, want 1/3 after normalising 0.99", got)
	}
	if len(tr.Warnings) != 1 || !strings.Contains(tr.Warnings[0], "line 2: the region shares added up to 0.99; normalised to 1") {
		t.Errorf("warnings = %q, want one for line 2 only", tr.Warnings)
	}
}

// FuzzParseTrace: no input makes the trace parser panic, and a trace it accepts is in time
// order with shares that add up to 1.
func FuzzParseTrace(f *testing.F) {
	header := strings.Join(TraceHeader, ",") + "\n"
	for _, seed := range []string{
		header + "0,web,1,100,64,us-east:0.5;eu-west:0.5,tier=gold\n",
		header + "0,web,1,100,64,,\n60,\"web,2,100,64,,\n",
		header + "# comment\n3600,api,4,250,128,eu-west:1,gdpr=true\n0,api,0,250,128,,\n",
		"t,workload\n", "",
	} {
		f.Add(seed)
	}
	for _, name := range []string{"idle.csv", "step.csv"} {
		if raw, err := os.ReadFile(filepath.Join("testdata", name)); err == nil {
			f.Add(string(raw))
		}
	}
	f.Fuzz(func(t *testing.T, in string) {
		tr, err := ParseTrace(strings.NewReader(in))
		if err != nil {
			return
		}
		for i, r := range tr.Rows {
			if i > 0 && r.At < tr.Rows[i-1].At {
				t.Fatalf("rows out of time order at %d", i)
			}
			sum := 0.0
			for _, v := range r.Shares {
				sum += v
			}
			if len(r.Shares) > 0 && math.Abs(sum-1) > 1e-6 {
				t.Fatalf("row %d: shares add up to %v", i, sum)
			}
		}
		if tr.End != tr.Rows[len(tr.Rows)-1].At {
			t.Fatal("End is not the last row's time")
		}
	})
}

// FuzzParsePools: no input makes the pools parser panic, and every pool it accepts has the
// limits the simulator divides by.
func FuzzParsePools(f *testing.F) {
	if raw, err := os.ReadFile(filepath.Join("testdata", "one-pool.yaml")); err == nil {
		f.Add(string(raw))
	}
	f.Add("apiVersion: n6s.io/v1alpha1\nkind: ClusterPool\nmetadata: {name: p}\nspec: {provider: local, region: r, nodeShape: {cpu: '1', memory: 1Gi, pods: 10}, price: {perNodeHour: '1'}, clusters: {max: 1}, nodesPerCluster: {max: 1}}\n")
	f.Add("---\n{\"kind\": \"ClusterPool\", \"metadata\": {\"name\": \"x\"}}")
	f.Fuzz(func(t *testing.T, in string) {
		pools, err := ParsePools(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, p := range pools {
			if p.Spec.NodesPerCluster.Max < 1 || p.Spec.Clusters.Max < 1 || p.Spec.NodeShape.Pods < 1 {
				t.Fatalf("pool %s accepted with a zero limit", p.Name)
			}
		}
	})
}

func TestPoolErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"not a pool", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", `want a named ClusterPool, got kind "ConfigMap"`},
		{"negative price", "apiVersion: n6s.io/v1alpha1\nkind: ClusterPool\nmetadata: {name: p}\nspec: {provider: local, region: r, nodeShape: {cpu: '1', memory: 1Gi, pods: 10}, price: {perNodeHour: '-1'}, clusters: {max: 1}, nodesPerCluster: {max: 1}}\n", "prices must not be negative"},
		{"nothing", "", "no ClusterPool found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePools(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestGeneratedTracesParse(t *testing.T) {
	for _, kind := range TraceKinds {
		var b strings.Builder
		if err := Generate(&b, kind, 7); err != nil {
			t.Fatal(err)
		}
		tr, err := ParseTrace(strings.NewReader(b.String()))
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		var again strings.Builder
		_ = Generate(&again, kind, 7)
		if again.String() != b.String() {
			t.Errorf("%s: the same seed gave two traces", kind)
		}
		if tr.End <= 0 {
			t.Errorf("%s: empty trace", kind)
		}
	}
}

// TestHibernatedClustersCost replays a demand that leaves after ten minutes: the cluster
// hibernates after its idle time-to-live and, with a hibernated price, keeps costing that
// much until the trace ends.
func TestHibernatedClustersCost(t *testing.T) {
	withPrice := func(hibernated string) string {
		return strings.Replace(string(mustRead(t, "testdata/one-pool.yaml")), `price: {perNodeHour: "1"}`, `price: {perNodeHour: "1", hibernatedPerClusterHour: "`+hibernated+`"}`, 1)
	}
	pools := func(hibernated string) []n6sv1alpha1.ClusterPool { return mustPools(t, withPrice(hibernated)) }
	tr := mustTrace(t, "testdata/idle.csv")
	free, err := Run(pools("0"), tr, PolicyPlanner, Options{})
	if err != nil {
		t.Fatal(err)
	}
	kept, err := Run(pools("0.5"), tr, PolicyPlanner, Options{})
	if err != nil {
		t.Fatal(err)
	}
	hibernatedHours := tr.End.Hours() - kept.ClusterHours
	if hibernatedHours < 1.5 {
		t.Fatalf("the cluster was hibernated for %.2f h of %.2f h; want it hibernated soon after the 10 min idle TTL", hibernatedHours, tr.End.Hours())
	}
	if got, want := kept.Cost-free.Cost, 0.5*hibernatedHours; got < want-1e-9 || got > want+1e-9 {
		t.Errorf("a hibernated price of 0.5/h added %.4f to the cost, want %.4f (%.2f hibernated hours)", got, want, hibernatedHours)
	}
	if _, err := ParsePools(strings.NewReader(withPrice("-1"))); err == nil {
		t.Error("a negative hibernated price must be refused")
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestRemoteAndFar: Remote counts the replicas beyond each region's own share; Far does the
// same with near regions taken as one.
func TestRemoteAndFar(t *testing.T) {
	tests := []struct {
		name            string
		placed          map[string]int32
		shares          map[string]float64
		demand          int32
		remote, farAway float64
	}{
		{"each region's share at home", map[string]int32{"us-east": 5, "eu-west": 5}, map[string]float64{"us-east": 0.5, "eu-west": 0.5}, 10, 0, 0},
		{"one replica too many in one region", map[string]int32{"us-east": 6, "eu-west": 4}, map[string]float64{"us-east": 0.5, "eu-west": 0.5}, 10, 1, 1},
		{"everything on another continent", map[string]int32{"ap-south": 10}, map[string]float64{"us-east": 1}, 10, 10, 10},
		{"fewer placed than asked, all at home", map[string]int32{"us-east": 3}, map[string]float64{"us-east": 0.5, "eu-west": 0.5}, 10, 0, 0},
		{"no region shares, no locality", map[string]int32{"us-east": 4}, nil, 4, 0, 0},
		{"a near region serves its neighbour's users", map[string]int32{"eu-central": 10}, map[string]float64{"eu-west": 1}, 10, 10, 0},
		{"each continent its share", map[string]int32{"us-west": 6, "eu-central": 4}, map[string]float64{"us-east": 0.5, "eu-west": 0.5}, 10, 10, 1},
		{"two near regions' shares add up", map[string]int32{"eu-central": 8, "us-east": 2}, map[string]float64{"eu-west": 0.4, "eu-north": 0.4, "us-east": 0.2}, 10, 8, 0},
	}
	for _, tt := range tests {
		if got := Remote(tt.placed, tt.shares, tt.demand); math.Abs(got-tt.remote) > 1e-9 {
			t.Errorf("%s: Remote = %v, want %v", tt.name, got, tt.remote)
		}
		if got := Far(tt.placed, tt.shares, tt.demand); math.Abs(got-tt.farAway) > 1e-9 {
			t.Errorf("%s: Far = %v, want %v", tt.name, got, tt.farAway)
		}
	}
}

// TestRemoteShareOfASimulation: the one-pool fleet is in us-east, so the step trace's demand
// is served at home from us-east and entirely remotely from eu-west.
func TestRemoteShareOfASimulation(t *testing.T) {
	ps := mustPools(t, string(mustRead(t, "testdata/one-pool.yaml")))
	for region, want := range map[string]float64{"us-east": 0, "eu-west": 1} {
		csv := strings.ReplaceAll(string(mustRead(t, "testdata/step.csv")), "us-east:1", region+":1")
		tr, err := ParseTrace(strings.NewReader(csv))
		if err != nil {
			t.Fatal(err)
		}
		for _, policy := range []string{PolicyPlanner, PolicyStatic, PolicyNavarkos2017} {
			r, err := Run(ps, tr, policy, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(r.RemoteShare-want) > 1e-9 || (want > 0 && r.RemoteReplicaSeconds == 0) {
				t.Errorf("demand from %s, %s: remote share %v (%v replica-s), want %v", region, policy, r.RemoteShare, r.RemoteReplicaSeconds, want)
			}
		}
	}
}

// TestMovesAndChurnPerReplicaHour: the rates are the moves and the churn over the
// replica-hours actually placed, worked out here from the trace itself: the demand at each
// 30 s step less what the report left unplaced. Churn is some of the moves.
func TestMovesAndChurnPerReplicaHour(t *testing.T) {
	measured := 0
	defer func() {
		if measured < 2 {
			t.Errorf("only %d traces had moves to measure the rate of", measured)
		}
	}()
	for _, kind := range TraceKinds {
		tr, run := load(t, "traces/"+PoolsFor(kind), "traces/"+kind+".csv")
		var demand float64
		replicas := map[string]int32{}
		next := 0
		const step = 30 * time.Second
		for now := time.Duration(0); now < tr.End; now += step {
			for ; next < len(tr.Rows) && tr.Rows[next].At <= now; next++ {
				replicas[tr.Rows[next].Workload] = tr.Rows[next].Replicas
			}
			for _, n := range replicas {
				demand += float64(n) * min(step, tr.End-now).Seconds()
			}
		}
		r := run(PolicyPlanner)
		placedHours := (demand - r.UnplacedReplicaSeconds) / 3600
		if placedHours <= 0 {
			t.Fatalf("%s: no replica placed", kind)
		}
		if r.Moves > 0 {
			measured++
		}
		if want := float64(r.Moves) / placedHours * 1000; math.Abs(r.MovesPer1000ReplicaHours-want) > 1e-6*want {
			t.Errorf("%s: %.4f moves per 1,000 replica-hours, want %.4f (%d over %.1f replica-hours)", kind, r.MovesPer1000ReplicaHours, want, r.Moves, placedHours)
		}
		if want := float64(r.Churn) / placedHours * 1000; math.Abs(r.ChurnPer1000ReplicaHours-want) > 1e-6*want || r.Churn < 0 || r.Churn > r.Moves {
			t.Errorf("%s: %.4f churn per 1,000 replica-hours, want %.4f (%d of %d moves over %.1f replica-hours)", kind, r.ChurnPer1000ReplicaHours, want, r.Churn, r.Moves, placedHours)
		}
	}
}

// TestTraceSuite replays every shipped trace with every policy, each trace against the pools
// it is meant for. The shipped files are what the generator makes with seed 1; the
// yardsticks hold; and along the frontier, holding capacity longer costs no less and leaves
// no more unplaced. The traces are examples and regression tests: the planner's goals are
// judged on the held-out random seeds of bench/planner-ensemble. Each trace's figures are
// logged.
func TestTraceSuite(t *testing.T) {
	for _, kind := range TraceKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			var generated strings.Builder
			if err := Generate(&generated, kind, 1); err != nil {
				t.Fatal(err)
			}
			if shipped := string(mustRead(t, "traces/"+kind+".csv")); shipped != generated.String() {
				t.Fatalf("internal/simulate/traces/%s.csv is not what `navarkos simulate trace --kind %s` makes; regenerate it", kind, kind)
			}
			if testing.Short() {
				t.Skip("short mode: the trace is what the generator makes; its replays run at full length (make test-e2e)")
			}
			_, run := load(t, "traces/"+PoolsFor(kind), "traces/"+kind+".csv")
			var reports []Report
			for _, policy := range Policies {
				reports = append(reports, run(policy))
			}
			for _, broken := range Yardsticks(reports) {
				t.Error(broken)
			}
			local := reports[slices.Index(Policies, PolicyLocalityBound)]
			f := local.Frontier
			if len(f) != len(frontierHolds) {
				t.Fatalf("the locality bound's frontier %+v: want one oracle per hold time", f)
			}
			for i := 1; i < len(f); i++ {
				if f[i].Cost < f[i-1].Cost*0.999 || f[i].UnplacedReplicaSeconds > f[i-1].UnplacedReplicaSeconds {
					t.Errorf("the frontier's oracle holding for %v s costs %.2f and leaves %.0f replica-s unplaced, the one before %.2f and %.0f: holding longer must cost no less and leave no more",
						f[i].HoldSeconds, f[i].Cost, f[i].UnplacedReplicaSeconds, f[i-1].Cost, f[i-1].UnplacedReplicaSeconds)
				}
			}
			planner := reports[slices.Index(Policies, PolicyPlanner)]
			if planner.RemoteShare < 0 || planner.RemoteShare > 1 {
				t.Errorf("remote share %v is not a share", planner.RemoteShare)
			}
			t.Logf("planner: cost %.3f of the locality bound, %.3f of the bound of what it placed; unplaced %.3f of the floor; %d moves, churn %.2f per 1,000 replica-h; remote %.2f (far %.2f)",
				planner.Cost/local.Cost, planner.Cost/planner.BoundCost, planner.UnplacedReplicaSeconds/local.UnplacedFloorReplicaSeconds,
				planner.Moves, planner.ChurnPer1000ReplicaHours, planner.RemoteShare, planner.FarShare)
		})
	}
}

func TestGenerateRefusesAnUnknownKind(t *testing.T) {
	var b strings.Builder
	err := Generate(&b, "bogus", 1)
	if err == nil || !strings.Contains(err.Error(), `unknown trace kind "bogus"`) || !strings.Contains(err.Error(), "slow-and-fast") {
		t.Fatalf("error %v, want the unknown kind named and the known ones listed", err)
	}
	if b.Len() != 0 {
		t.Errorf("wrote %d bytes for an unknown kind", b.Len())
	}
}

// TestDemandNoPoolMayHold: a workload whose constraints no pool meets is left unplaced by
// every policy, and counts in full in the floor; the rest of the trace is replayed as ever.
// Before, the floor's oracle failed on it with an index out of range.
func TestDemandNoPoolMayHold(t *testing.T) {
	trace := traceOf(t, "t_seconds,workload,replicas,cpu_millis,memory_mib,regions,constraints\n"+
		"0,web,4,1000,1024,us-east:1,\n0,eu/payments,2,1000,1024,eu-west:1,compliance.n6s.io/gdpr=true\n"+
		"600,web,0,1000,1024,us-east:1,\n600,eu/payments,0,1000,1024,eu-west:1,compliance.n6s.io/gdpr=true\n")
	ps := mustPools(t, string(mustRead(t, "testdata/one-pool.yaml")))
	if got, want := Unplaceable(ps, trace), []string{"eu/payments (compliance.n6s.io/gdpr=true)"}; !slices.Equal(got, want) {
		t.Errorf("unplaceable: %q, want %q", got, want)
	}
	for _, policy := range []string{PolicyPlanner, PolicyLowerBound, PolicyLocalityBound, PolicyStatic} {
		r, err := Run(ps, trace, policy, Options{})
		if err != nil {
			t.Fatalf("%s: %v", policy, err)
		}
		// The payments' 2 replicas for 600 s, and web's 4 for the 60 s the first node takes.
		if want := 2*600.0 + 4*60; r.UnplacedFloorReplicaSeconds != want {
			t.Errorf("%s: floor %v replica-s, want %v", policy, r.UnplacedFloorReplicaSeconds, want)
		}
		if policy == PolicyPlanner && r.UnplacedReplicaSeconds < 2*600 {
			t.Errorf("the planner leaves %v replica-s unplaced, fewer than the payments' %v", r.UnplacedReplicaSeconds, 2*600)
		}
	}
}
