package fleetmodel

import (
	"k8s.io/apimachinery/pkg/util/intstr"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/placement"
)

// Defaults of a Placement's rollout, as the API writes them.
var (
	defaultMaxUnavailable = intstr.FromInt32(0)
	defaultMaxSurge       = intstr.FromString("25%")
)

// Rollout resolves a Placement's rollout limits for a workload of the given replicas, as a
// Deployment resolves its strategy: the surge rounds up, the unavailable rounds down, and a
// surge of at least one replica keeps limits that both come to 0 from stopping every move.
// Duplicated workloads run all their replicas on every chosen cluster, so each new cluster
// may start all of them at once: their surge is every replica the decision holds.
func Rollout(spec *n6sv1alpha1.PlacementSpec, replicas int32, duplicated bool) placement.Rollout {
	unavailable, surge := &defaultMaxUnavailable, &defaultMaxSurge
	if r := spec.Rollout; r != nil {
		if r.MaxUnavailable != nil {
			unavailable = r.MaxUnavailable
		}
		if r.MaxSurge != nil {
			surge = r.MaxSurge
		}
	}
	total := int(max(replicas, 0))
	// Malformed values, which the API refuses, count as the defaults.
	u, err := intstr.GetScaledValueFromIntOrPercent(unavailable, total, false)
	if err != nil || u < 0 {
		u, _ = intstr.GetScaledValueFromIntOrPercent(&defaultMaxUnavailable, total, false)
	}
	s, err := intstr.GetScaledValueFromIntOrPercent(surge, total, true)
	if err != nil || s < 0 {
		s, _ = intstr.GetScaledValueFromIntOrPercent(&defaultMaxSurge, total, true)
	}
	if u == 0 && s == 0 {
		s = 1
	}
	if duplicated {
		s = max(s, total)
	}
	return placement.Rollout{MaxUnavailable: int32(min(u, total)), MaxSurge: int32(s)}
}
