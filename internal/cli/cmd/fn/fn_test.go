package fn

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/navarkos/navarkos/internal/cli/options"
)

// Bad invocations fail before anything is contacted, and say what is wrong.
func TestInstallRefusesBadInvocations(t *testing.T) {
	badValues := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(badValues, []byte("api: [unclosed"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"install"}, "say where: --cluster NAME, --all-clusters or --placement SELECTOR"},
		{[]string{"install", "--cluster", "a", "--all-clusters"}, "cannot be combined"},
		{[]string{"install", "--placement", "region in (eu"}, "is not a label selector"},
		{[]string{"install", "--cluster", "a", "-f", badValues}, "bad values"},
		{[]string{"uninstall"}, "say where: --cluster NAME, or --all-clusters for a fleet-wide release"},
		{[]string{"test"}, "say where: --cluster NAME"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			cmd := NewCommand(&options.Global{DataDir: t.TempDir(), Kubeconfig: filepath.Join(t.TempDir(), "missing")})
			cmd.SetArgs(tc.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("navarkos fn %v: error %v, want one saying %q", tc.args, err, tc.want)
			}
		})
	}
}
