package plan

import (
	"io"
	"strings"
	"testing"

	"github.com/navarkos/navarkos/internal/cli/options"
)

// TestPlannerFlagsAreCheckedBeforeTheFleetIsRead: plan takes the controller's planner flags,
// and a bad one is refused by name before anything is read.
func TestPlannerFlagsAreCheckedBeforeTheFleetIsRead(t *testing.T) {
	cmd := NewCommand(&options.Global{Kubeconfig: "/nonexistent/kubeconfig"})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SetArgs([]string{"--locality-threshold", "2"})
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "--locality-threshold must be between 0 and 1") {
		t.Fatalf("error %v, want --locality-threshold refused", err)
	}
	for _, flag := range []string{"locality-threshold", "forecast", "disruption-cost", "max-moves-per-hour"} {
		if cmd.Flags().Lookup(flag) == nil {
			t.Errorf("plan has no --%s", flag)
		}
	}
}
