package placement

import (
	"fmt"
	"reflect"
	"testing"
)

func TestNear(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"eu-west", "eu-west", true},
		{"eu-west", "eu-central", true},
		{"us-east", "us-west", true},
		{"us-east", "eu-west", false},
		{"ap-south", "ap-northeast", true},
		{"eastus", "westeurope", false}, // no shared part: only the same name is near
		{"", "eu-west", true},           // an unknown region is near everything
	}
	for _, tt := range tests {
		if got := Near(tt.a, tt.b); got != tt.want {
			t.Errorf("Near(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestRegionTargets(t *testing.T) {
	tests := []struct {
		shares   map[string]float64
		replicas int32
		want     []RegionTarget
	}{
		{map[string]float64{"us-east": 0.6, "eu-west": 0.4}, 10, []RegionTarget{{"us-east", 6}, {"eu-west", 4}}},
		// Largest remainders get the rounding: 7 × (0.5, 0.3, 0.2) = 3.5, 2.1, 1.4.
		{map[string]float64{"a": 0.5, "b": 0.3, "c": 0.2}, 7, []RegionTarget{{"a", 4}, {"b", 2}, {"c", 1}}},
		// Weights need not add up to 1; a region whose part rounds to none is left out.
		{map[string]float64{"a": 9, "b": 1}, 3, []RegionTarget{{"a", 3}}},
		{map[string]float64{"a": 1}, 0, nil},
		{map[string]float64{"a": 0}, 5, nil},
	}
	for _, tt := range tests {
		got := RegionTargets(tt.shares, tt.replicas)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("RegionTargets(%v, %d) = %v, want %v", tt.shares, tt.replicas, got, tt.want)
		}
		var sum int64
		for _, r := range got {
			sum += r.Replicas
		}
		if sum != int64(max(tt.replicas, 0)) && got != nil {
			t.Errorf("RegionTargets(%v, %d) adds up to %d", tt.shares, tt.replicas, sum)
		}
	}
}

func TestHomeRegion(t *testing.T) {
	shares := map[string]float64{"eu-west": 0.2, "eu-north": 0.3, "us-east": 0.5}
	for region, want := range map[string]string{"eu-west": "eu-west", "eu-central": "eu-north", "us-west": "us-east", "ap-south": ""} {
		if got := HomeRegion(region, shares); got != want {
			t.Errorf("HomeRegion(%q) = %q, want %q", region, got, want)
		}
	}
}

// TestRegionTargetsAreTheSameEveryTime: shares whose float sum depends on the order it is
// taken in (0.1, 0.1, 0.1 and 0.7 add up to 1 in some orders and to just under it in others),
// which moves 25 replicas' split across a rounding edge, must split the same way on every
// call, whatever a map's order.
func TestRegionTargetsAreTheSameEveryTime(t *testing.T) {
	shares := map[string]float64{"us-east": 0.1, "eu-west": 0.1, "ap-south": 0.1, "sa-east": 0.7}
	first := fmt.Sprint(RegionTargets(shares, 25))
	for range 500 {
		if got := fmt.Sprint(RegionTargets(shares, 25)); got != first {
			t.Fatalf("RegionTargets gave %s, then %s", first, got)
		}
	}
}
