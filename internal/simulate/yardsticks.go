package simulate

import "fmt"

// yardstickRounding is how far a figure may pass a yardstick by the sums' rounding, relative
// and absolute.
const yardstickRounding = 1e-6

// Yardsticks checks what the bounds and the floor promise on the reports of every policy on
// one trace, and lists each promise broken: no policy costs less than the cost bound of the
// demand it placed, which is no more than the bound of all demand; the locality bound costs
// no less than the bound; no policy without foresight leaves less unplaced than the floor; and
// every oracle of the frontier costs no less than the bound of what it placed and leaves no
// less than the floor.
func Yardsticks(reports []Report) []string {
	by := map[string]Report{}
	for _, r := range reports {
		by[r.Policy] = r
	}
	var broken []string
	below := func(value, yardstick float64) bool {
		return value < yardstick*(1-yardstickRounding)-yardstickRounding
	}
	bound, local := by[PolicyLowerBound], by[PolicyLocalityBound]
	for _, r := range reports {
		if below(r.Cost, r.BoundCost) {
			broken = append(broken, fmt.Sprintf("%s costs %.4f, less than the bound of what it placed, %.4f", r.Policy, r.Cost, r.BoundCost))
		}
		if r.Policy != PolicyLocalityBound && below(bound.Cost, r.BoundCost) {
			broken = append(broken, fmt.Sprintf("the bound of what %s placed, %.4f, is above the bound of all demand, %.4f", r.Policy, r.BoundCost, bound.Cost))
		}
	}
	if below(local.Cost, bound.Cost) {
		broken = append(broken, fmt.Sprintf("the locality bound %.4f is below the bound %.4f", local.Cost, bound.Cost))
	}
	floor := local.UnplacedFloorReplicaSeconds
	for _, policy := range []string{PolicyNavarkos2017, PolicyPlanner} {
		if r, ok := by[policy]; ok && below(r.UnplacedReplicaSeconds, floor) {
			broken = append(broken, fmt.Sprintf("%s leaves %.0f replica-s unplaced, less than the floor %.0f", policy, r.UnplacedReplicaSeconds, floor))
		}
	}
	for _, o := range local.Frontier {
		if below(o.Cost, o.BoundCost) || below(o.UnplacedReplicaSeconds, floor) {
			broken = append(broken, fmt.Sprintf("the frontier's oracle holding for %v s costs %.4f and leaves %.0f replica-s unplaced, past the bound of what it placed %.4f or the floor %.0f",
				o.HoldSeconds, o.Cost, o.UnplacedReplicaSeconds, o.BoundCost, floor))
		}
	}
	return broken
}
