package fninstall

import (
	"strings"
	"testing"
)

// A fleet-wide install refuses what it cannot honour before it touches anything.
func TestToFleetRefusesBeforeActing(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values map[string]any
		fleet  Fleet
		want   string
	}{
		{"no global name", nil, Fleet{}, "needs a global DNS name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// No kubeconfig and no client: refusing must not need them.
			err := Install{Release: Release{Name: "fn", Namespace: "fn"}, Values: tc.values}.ToFleet(t.Context(), nil, nil, tc.fleet)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

// The global name's Ingress is turned on without losing the user's other Ingress values.
func TestWithIngressKeepsUserValues(t *testing.T) {
	user := map[string]any{"ingress": map[string]any{"className": "nginx", "hosts": []any{"ignored.example"}}, "lb": map[string]any{"replicas": 3}}
	got := withIngress(user, "fn.navarkos.local")
	ing := got["ingress"].(map[string]any)
	if ing["enabled"] != true || ing["className"] != "nginx" || len(ing["hosts"].([]any)) != 1 || ing["hosts"].([]any)[0] != "fn.navarkos.local" {
		t.Errorf("ingress values: %v", ing)
	}
	if got["lb"].(map[string]any)["replicas"] != 3 {
		t.Errorf("other values lost: %v", got)
	}
	if user["ingress"].(map[string]any)["enabled"] != nil {
		t.Error("the user's values were changed")
	}
}
