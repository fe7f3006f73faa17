package simulate_test

import (
	"bytes"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/labels"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/simulate"
)

// randomPair draws the random trace and pools of a seed, parsed.
func randomPair(t *testing.T, seed uint64) (*simulate.Trace, []byte, []byte) {
	t.Helper()
	if seed >= simulate.HeldOutSeeds {
		t.Fatalf("seed %d is held out for the ensemble benchmark", seed)
	}
	var trace, pools bytes.Buffer
	if err := simulate.Generate(&trace, simulate.RandomKind, seed); err != nil {
		t.Fatal(err)
	}
	if err := simulate.RandomPools(&pools, seed); err != nil {
		t.Fatal(err)
	}
	tr, err := simulate.ParseTrace(bytes.NewReader(trace.Bytes()))
	if err != nil {
		t.Fatalf("seed %d: the random trace does not parse: %v", seed, err)
	}
	return tr, trace.Bytes(), pools.Bytes()
}

// TestRandomTracesAndPoolsStayInTheirRanges draws 100 seeds below the held-out ones and
// checks what each promises: the same bytes from the same seed, 1 to 60 workloads in 1 to 4
// regions, 2 to 8 pools that parse, and a pool for every compliance label a workload needs.
func TestRandomTracesAndPoolsStayInTheirRanges(t *testing.T) {
	for seed := uint64(1); seed <= 100; seed++ {
		tr, trace, pools := randomPair(t, seed)
		_, again, againPools := randomPair(t, seed)
		if !bytes.Equal(trace, again) || !bytes.Equal(pools, againPools) {
			t.Fatalf("seed %d: two draws differ", seed)
		}
		parsed, err := simulate.ParsePools(bytes.NewReader(pools))
		if err != nil {
			t.Fatalf("seed %d: the random pools do not parse: %v", seed, err)
		}
		if len(parsed) < 2 || len(parsed) > 8 {
			t.Errorf("seed %d: %d pools, want 2 to 8", seed, len(parsed))
		}
		workloads, regions := map[string]bool{}, map[string]bool{}
		for _, r := range tr.Rows {
			workloads[r.Workload] = true
			for region := range r.Shares {
				regions[region] = true
			}
			if r.Selector == nil || r.Constraints == "" {
				continue
			}
			if !slices.ContainsFunc(parsed, func(p n6sv1alpha1.ClusterPool) bool { return r.Selector.Matches(labels.Set(p.Labels)) }) {
				t.Errorf("seed %d: no pool has %s, which %s needs", seed, r.Constraints, r.Workload)
			}
		}
		if len(workloads) < 1 || len(workloads) > 60 || len(regions) > 4 {
			t.Errorf("seed %d: %d workloads in %d regions, want 1 to 60 in at most 4", seed, len(workloads), len(regions))
		}
		if last := tr.Rows[len(tr.Rows)-1]; last.Replicas != 0 || last.At != tr.End {
			t.Errorf("seed %d: the trace must end with every workload gone, at its end", seed)
		}
	}
}
