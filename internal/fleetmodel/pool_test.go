package fleetmodel

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/placement"
	"github.com/navarkos/navarkos/internal/planner"
	"github.com/navarkos/navarkos/internal/planner/fleet"
)

func TestPoolTimeToCapacity(t *testing.T) {
	second := func(n int) *metav1.Duration { return &metav1.Duration{Duration: time.Duration(n) * time.Second} }
	declare := func(n int) n6sv1alpha1.Duration { return n6sv1alpha1.DurationOf(time.Duration(n) * time.Second) }
	declared := &n6sv1alpha1.TimeToCapacity{Create: declare(60), Wake: declare(10), Scale: declare(20)}
	measured := &n6sv1alpha1.MeasuredTimes{Create: second(4), Wake: second(2)}
	tests := []struct {
		name                string
		spec                *n6sv1alpha1.TimeToCapacity
		status              *n6sv1alpha1.MeasuredTimes
		create, wake, scale time.Duration
	}{
		{"defaults", nil, nil, DefaultCreateTime, DefaultWakeTime, DefaultScaleTime},
		{"measured, with defaults no slower than the measured create", nil, measured, 4 * time.Second, 2 * time.Second, 4 * time.Second},
		{"an unmeasured wake is no slower than a measured create", nil, &n6sv1alpha1.MeasuredTimes{Create: second(5)}, 5 * time.Second, 5 * time.Second, 5 * time.Second},
		{"a wake measured slower than the create counts as fast", nil, &n6sv1alpha1.MeasuredTimes{Create: second(5), Wake: second(8), Scale: second(9)}, 5 * time.Second, 5 * time.Second, 5 * time.Second},
		{"defaults under a slow measured create", nil, &n6sv1alpha1.MeasuredTimes{Create: second(900)}, 15 * time.Minute, DefaultWakeTime, DefaultScaleTime},
		{"declared wins over measured", declared, measured, time.Minute, 10 * time.Second, 20 * time.Second},
		{"declared wake and scale no slower than the declared create", &n6sv1alpha1.TimeToCapacity{Create: declare(10), Wake: declare(60), Scale: declare(120)}, nil, 10 * time.Second, 10 * time.Second, 10 * time.Second},
		{"a malformed or out-of-range declared time, stored by an older version, counts as its default", &n6sv1alpha1.TimeToCapacity{Create: "soon", Wake: "-5m", Scale: "48h"}, measured, DefaultCreateTime, DefaultWakeTime, DefaultScaleTime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &n6sv1alpha1.ClusterPool{
				ObjectMeta: metav1.ObjectMeta{Name: "p"},
				Spec: n6sv1alpha1.ClusterPoolSpec{Provider: n6sv1alpha1.ProviderLocal, Region: "r", TimeToCapacity: tt.spec,
					NodeShape: n6sv1alpha1.NodeShape{CPU: resource.MustParse("4"), Memory: resource.MustParse("16Gi"), Pods: 110},
					Price:     n6sv1alpha1.Price{PerNodeHour: resource.MustParse("0.1")}},
				Status: n6sv1alpha1.ClusterPoolStatus{MeasuredTimeToCapacity: tt.status},
			}
			got := Pool(p)
			if got.CreateTime != tt.create || got.WakeTime != tt.wake || got.ScaleTime != tt.scale {
				t.Fatalf("create %s wake %s scale %s, want %s %s %s", got.CreateTime, got.WakeTime, got.ScaleTime, tt.create, tt.wake, tt.scale)
			}
		})
	}
}

// TestMalformedPoolDurations: a pool stored before the API checked durations keeps working
// with the defaults, and every malformed field is named.
func TestMalformedPoolDurations(t *testing.T) {
	spec := n6sv1alpha1.ClusterPoolSpec{IdleTTL: "1d", TimeToCapacity: &n6sv1alpha1.TimeToCapacity{Create: "90s", Wake: "1ms x", Scale: "25h"}}
	err := MalformedDurations(&spec)
	if err == nil {
		t.Fatal("no error for three malformed durations")
	}
	for _, want := range []string{`spec.idleTTL: "1d" is not a duration`, `spec.timeToCapacity.wake: "1ms x" is not a duration`, "spec.timeToCapacity.scale: 25h0m0s is not between 0s and 24h0m0s"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "create") {
		t.Errorf("error %q names the good create time", err)
	}
	if got := Pool(&n6sv1alpha1.ClusterPool{Spec: spec}).IdleTTL; got != DefaultIdleTTL {
		t.Errorf("idle TTL %s, want the default %s", got, DefaultIdleTTL)
	}
	good := n6sv1alpha1.ClusterPoolSpec{IdleTTL: "15s", TimeToCapacity: &n6sv1alpha1.TimeToCapacity{Create: "0s"}}
	if err := MalformedDurations(&good); err != nil {
		t.Errorf("good durations: %v", err)
	}
}

// TestAReturningAppWakesItsHibernatedCluster: with only the create time measured (4.3 s), a
// hibernated cluster of the pool is woken for returning demand rather than a new one made,
// and the reason's durations are rounded.
func TestAReturningAppWakesItsHibernatedCluster(t *testing.T) {
	p := &n6sv1alpha1.ClusterPool{
		ObjectMeta: metav1.ObjectMeta{Name: "auto"},
		Spec: n6sv1alpha1.ClusterPoolSpec{Provider: n6sv1alpha1.ProviderLocal, Region: "us-east",
			NodeShape:       n6sv1alpha1.NodeShape{CPU: resource.MustParse("4"), Memory: resource.MustParse("16Gi"), Pods: 110},
			Price:           n6sv1alpha1.Price{PerNodeHour: resource.MustParse("0.1")},
			Clusters:        n6sv1alpha1.CountRange{Max: 3},
			NodesPerCluster: n6sv1alpha1.CountRange{Min: 1, Max: 2},
			OfflineMode:     n6sv1alpha1.OfflineHibernate},
		Status: n6sv1alpha1.ClusterPoolStatus{MeasuredTimeToCapacity: &n6sv1alpha1.MeasuredTimes{Create: &metav1.Duration{Duration: 4385486741 * time.Nanosecond}}},
	}
	pool := Pool(p)
	slept := planner.Cluster{Name: "auto-1", Pool: "auto", Labels: pool.Labels, State: planner.Hibernated, Nodes: 1, Managed: true, DrainLimit: -1}
	demand := planner.Demand{Name: "shop/web", Namespace: "shop", Replicas: 2, Grow: true,
		Request: placement.Resources{MilliCPU: 1000, MemoryBytes: 1 << 30}}
	demand.Policy.Mode = placement.Divided
	plan := planner.Decide(planner.Input{Now: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), Pools: []planner.Pool{pool},
		Clusters: []planner.Cluster{slept}, Demands: []planner.Demand{demand}, Config: planner.DefaultConfig()}, planner.NewMemory())
	if len(plan.Actions) != 1 || plan.Actions[0].Kind != planner.Wake || plan.Actions[0].Cluster != "auto-1" {
		t.Fatalf("want one wake of auto-1, got %+v", plan.Actions)
	}
	if reason := plan.Actions[0].Reason; !strings.Contains(reason, "capacity in 4.4s") {
		t.Errorf("the reason does not give the wake time rounded to 4.4s: %s", reason)
	}
}

func TestRound(t *testing.T) {
	for in, want := range map[time.Duration]string{
		20385486741 * time.Nanosecond: "20.4s", 4300 * time.Millisecond: "4.3s", 65400 * time.Millisecond: "1m5s", 90 * time.Minute: "1h30m0s",
	} {
		if got := fleet.Round(in).String(); got != want {
			t.Errorf("Round(%s) = %s, want %s", in, got, want)
		}
	}
}
