package dashboard

import (
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/navarkos/navarkos/internal/cli/options"
)

// Bad flags are refused by name before the fleet is read, and each fleet API has its own
// history file.
func TestDashboardFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"--locality-threshold", "2"}, "--locality-threshold must be between 0 and 1"},
		{[]string{"--dns-geo", "/nonexistent/geo.yaml"}, "--dns-geo: open /nonexistent/geo.yaml"},
		{[]string{}, "no fleet API found"},
	} {
		cmd := NewCommand(&options.Global{Kubeconfig: "", DataDir: t.TempDir()})
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		cmd.SetArgs(tc.args)
		t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "none"))
		if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%v: %v, want an error saying %q", tc.args, err, tc.says)
		}
	}
	for _, flag := range []string{"addr", "namespace", "dns-server", "dns-geo", "history-file", "forecast"} {
		if NewCommand(&options.Global{}).Flags().Lookup(flag) == nil {
			t.Errorf("dashboard has no --%s", flag)
		}
	}
	a, b := defaultHistoryFile("https://127.0.0.1:6443"), defaultHistoryFile("https://10.0.0.1:6443")
	if a == b || filepath.Dir(a) != filepath.Dir(b) || !strings.HasSuffix(a, ".jsonl") {
		t.Errorf("history files %q and %q: want one per fleet API, side by side", a, b)
	}
}
