package clusterprofile

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// TestProfileKeepsObservationTimes: an unchanged value keeps the time it was first observed,
// so that a heartbeat writes nothing; a changed one is dated now.
func TestProfileKeepsObservationTimes(t *testing.T) {
	t0 := metav1.NewTime(time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC))
	t1 := metav1.NewTime(t0.Add(time.Hour))
	c := &n6sv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "eu", Labels: map[string]string{n6sv1alpha1.RegionLabel: "eu-west"}}}
	c.Spec.Pool, c.Status.Nodes = "eu-pool", 3
	first := Profile(c, "ns", nil, t0)
	again := Profile(c, "ns", first, t1)
	for i, p := range again.Status.Properties {
		if !p.LastObservedTime.Equal(&t0) || p != first.Status.Properties[i] {
			t.Errorf("property %s = %+v after an unchanged observation, want %+v", p.Name, p, first.Status.Properties[i])
		}
	}
	for i, cond := range again.Status.Conditions {
		if cond != first.Status.Conditions[i] {
			t.Errorf("condition %s = %+v after an unchanged observation, want %+v", cond.Type, cond, first.Status.Conditions[i])
		}
	}
	c.Status.Nodes = 5
	scaled := Profile(c, "ns", again, t1)
	for _, p := range scaled.Status.Properties {
		want := t0
		if p.Name == NodesProperty {
			want = t1
			if p.Value != "5" {
				t.Errorf("nodes = %q, want 5", p.Value)
			}
		}
		if !p.LastObservedTime.Equal(&want) {
			t.Errorf("property %s observed at %v, want %v", p.Name, p.LastObservedTime, want)
		}
	}
	if len(first.Status.Conditions) != 2 || first.Status.Conditions[0].Status != metav1.ConditionUnknown || first.Status.Conditions[0].Reason != NotObservedReason {
		t.Errorf("a Cluster not observed yet must have Unknown conditions; got %+v", first.Status.Conditions)
	}
}

// TestProfilePropertiesAreUnique: the API keys properties by name, so a fully labelled
// Cluster must give each name once.
func TestProfilePropertiesAreUnique(t *testing.T) {
	c := &n6sv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "eu", Labels: map[string]string{
		n6sv1alpha1.RegionLabel: "eu-west", n6sv1alpha1.ZoneLabel: "eu-west-1a", n6sv1alpha1.PoolLabel: "eu-pool",
		n6sv1alpha1.ProviderLabel: "local", n6sv1alpha1.TierLabel: "standard",
	}}}
	c.Spec.Pool, c.Status.Phase, c.Status.Nodes = "eu-pool", n6sv1alpha1.ClusterPhaseReady, 2
	c.Status.Capacity.Allocatable.Pods = 220
	seen := map[string]bool{}
	for _, p := range Profile(c, "ns", nil, metav1.Now()).Status.Properties {
		if seen[p.Name] {
			t.Errorf("property %s given twice", p.Name)
		}
		seen[p.Name] = true
	}
	if len(seen) < 10 {
		t.Errorf("%d properties, want the five labels, phase, nodes and capacity: %v", len(seen), seen)
	}
}
