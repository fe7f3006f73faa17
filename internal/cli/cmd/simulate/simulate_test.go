package simulate

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := NewCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func TestJSONHasOneObjectPerPolicyWithTheContractFields(t *testing.T) {
	out, err := run(t, "--pools", "../../../simulate/traces/pools.yaml", "--trace", "../../../simulate/traces/bursty.csv", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var reports []map[string]any
	if err := json.Unmarshal([]byte(out), &reports); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	var policies []string
	for _, r := range reports {
		for _, field := range []string{"policy", "cost", "cluster_hours", "node_hours", "unplaced_replica_seconds", "actions", "moves", "churn", "churn_per_1000_replica_hours", "bound_cost"} {
			if _, ok := r[field]; !ok {
				t.Errorf("report %v lacks %q", r["policy"], field)
			}
		}
		policies = append(policies, r["policy"].(string))
	}
	if got := strings.Join(policies, ","); got != "static,navarkos2017,planner,forecast,lowerbound,localitybound" {
		t.Errorf("policies %s", got)
	}
}

func TestTableComparesWithTheLowerBound(t *testing.T) {
	out, err := run(t, "--pools", "../../../simulate/traces/pools.yaml", "--trace", "../../../simulate/traces/compliance.csv")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"VS BOUND", "VS LOCAL BOUND", "localitybound", "planner", "1.000", "unplaced floor", "frontier without foresight", ": 0s 1.000/", " never ", "CHURN PER 1000 REPLICA-H"} {
		if !strings.Contains(out, want) {
			t.Errorf("the table lacks %q:\n%s", want, out)
		}
	}
}

// TestLocalityThresholdChangesThePlan: at 0 the planner serves by price alone, from far spot
// pools, and its remote share rises; an out-of-range threshold is refused by name.
func TestLocalityThresholdChangesThePlan(t *testing.T) {
	remote := func(threshold string) float64 {
		out, err := run(t, "--pools", "../../../simulate/traces/pools.yaml", "--trace", "../../../simulate/traces/oscillation.csv", "--policy", "planner", "-o", "json", "--locality-threshold", threshold)
		if err != nil {
			t.Fatal(err)
		}
		var reports []map[string]any
		if err := json.Unmarshal([]byte(out), &reports); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		return reports[0]["remote_share"].(float64)
	}
	if near, priceOnly := remote("0.75"), remote("0"); !(near < priceOnly) {
		t.Errorf("remote share %.2f at the default threshold, %.2f at 0: want less near", near, priceOnly)
	}
	if _, err := run(t, "--pools", "../../../simulate/traces/pools.yaml", "--trace", "../../../simulate/traces/oscillation.csv", "--locality-threshold", "2"); err == nil || !strings.Contains(err.Error(), "--locality-threshold must be between 0 and 1") {
		t.Errorf("a threshold of 2: %v", err)
	}
}

func TestBadInputNamesTheFileAndLine(t *testing.T) {
	trace := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(trace, []byte("t_seconds,workload,replicas,cpu_millis,memory_mib,regions,constraints\n0,web,2,100,64,,\n60,web,-3,100,64,,\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := run(t, "--pools", "../../../simulate/traces/pools.yaml", "--trace", trace)
	if err == nil || !strings.Contains(err.Error(), trace+": line 3: replicas") {
		t.Fatalf("error %v, want the file and line 3", err)
	}
	if _, err := run(t, "--pools", "../../../simulate/traces/pools.yaml", "--trace", trace, "--policy", "magic"); err == nil || !strings.Contains(err.Error(), `--policy "magic"`) {
		t.Fatalf("error %v, want the bad policy named", err)
	}
}
