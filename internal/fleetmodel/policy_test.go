package fleetmodel

import (
	"maps"
	"testing"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

func TestPolicyRegionShares(t *testing.T) {
	locality := func(l n6sv1alpha1.LocalityPreference) *n6sv1alpha1.PlacementSpec {
		return &n6sv1alpha1.PlacementSpec{Preferences: []n6sv1alpha1.Preference{{Weight: 1, Locality: &l}}}
	}
	tests := []struct {
		name string
		spec *n6sv1alpha1.PlacementSpec
		want map[string]float64
	}{
		{"weights become shares of 1", locality(n6sv1alpha1.LocalityPreference{TargetRegions: []string{"us-east", "eu-west"}, Shares: map[string]int32{"us-east": 3, "eu-west": 1}}),
			map[string]float64{"us-east": 0.75, "eu-west": 0.25}},
		{"target regions alone only score", locality(n6sv1alpha1.LocalityPreference{TargetRegions: []string{"us-east"}}), nil},
		{"no weight left", locality(n6sv1alpha1.LocalityPreference{TargetRegions: []string{"us-east"}, Shares: map[string]int32{"us-east": 0}}), nil},
	}
	for _, tt := range tests {
		p, err := Policy(tt.spec)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !maps.Equal(p.RegionShares, tt.want) {
			t.Errorf("%s: region shares %v, want %v", tt.name, p.RegionShares, tt.want)
		}
	}
}
