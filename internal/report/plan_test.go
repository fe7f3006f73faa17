package report

import (
	"strings"
	"testing"

	"github.com/navarkos/navarkos/internal/planner"
)

// TestPlanShowsTheWholeFleetDecision: a calm plan says what the whole fleet would be, after
// its actions or after saying there is nothing to do; a plan that made none says nothing of it.
func TestPlanShowsTheWholeFleetDecision(t *testing.T) {
	whole := &planner.WholeFleetDecision{Pools: []planner.PoolTarget{{Pool: "onprem-eu", Clusters: 1, Nodes: 14}, {Pool: "eu-west", Clusters: 1, Nodes: 2}}, CostPerHour: 2.032, NowPerHour: 3.31}
	want := "Whole fleet at once: onprem-eu: 1 clusters, 14 nodes; eu-west: 1 clusters, 2 nodes, 2.032/h (the managed clusters cost 3.310/h at the nodes their replicas need)\n"
	for _, p := range []planner.Plan{
		{WholeFleet: whole},
		{WholeFleet: whole, Actions: []planner.Action{{Kind: planner.Create, Pool: "onprem-eu", Nodes: 14, Reason: "whole-fleet decision: ..."}}},
	} {
		var out strings.Builder
		if err := Plan(&out, p); err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(out.String(), want) {
			t.Errorf("plan output:\n%s\nwant it to end with:\n%s", out.String(), want)
		}
	}
	var out strings.Builder
	if err := Plan(&out, planner.Plan{}); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "Nothing to do: the fleet fits its demand.\n" {
		t.Errorf("without a whole-fleet decision: %q", got)
	}
}
