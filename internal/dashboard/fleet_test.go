package dashboard

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// TestFleetMarksAPoolThatDoesNotExist: a cluster naming a pool that is gone is drawn under a
// pool marked missing, not as a pool with no provider and no price; a joined cluster (no
// pool) and a cluster of a pool that exists are not marked.
func TestFleetMarksAPoolThatDoesNotExist(t *testing.T) {
	pools := []n6sv1alpha1.ClusterPool{{ObjectMeta: metav1.ObjectMeta{Name: "real"}, Spec: n6sv1alpha1.ClusterPoolSpec{Region: "eu-west", Provider: n6sv1alpha1.ProviderLocal}}}
	cluster := func(name, pool string) n6sv1alpha1.Cluster {
		return n6sv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{n6sv1alpha1.RegionLabel: "eu-west"}}, Spec: n6sv1alpha1.ClusterSpec{Pool: pool}}
	}
	fleet := fleetOf(pools, []n6sv1alpha1.Cluster{cluster("a", "real"), cluster("b", "typo"), cluster("c", "")})
	missing := map[string]bool{}
	for _, r := range fleet.Regions {
		for _, p := range r.Pools {
			missing[p.Name] = p.Missing
		}
	}
	want := map[string]bool{"real": false, "typo": true, "": false}
	for name, m := range want {
		if got, ok := missing[name]; !ok || got != m {
			t.Errorf("pool %q: drawn %v, missing %v; want drawn, missing %v", name, ok, got, m)
		}
	}
}
