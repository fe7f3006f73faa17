package fn

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

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
		{[]string{"install", "--cluster", "a", "--reuse-values", "--reset-values"}, "contradict each other"},
		{[]string{"install", "--cluster", "a", "--set-json", "runner={not json"}, "bad values"},
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

// --set-string, --set-file and --set-json reach the chart as helm's own flags do.
func TestInstallTakesHelmsValueFlags(t *testing.T) {
	password := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(password, []byte("p@ss w0rd"), 0o600); err != nil {
		t.Fatal(err)
	}
	f := &installFlags{}
	cmd := &cobra.Command{}
	f.addFlags(cmd)
	err := cmd.ParseFlags([]string{"--cluster", "a", "--set-string", "image.tag=0.3.749", "--set", "lb.replicas=3",
		"--set-file", "datastore.password=" + password, "--set-json", `imagePullSecrets=[{"name":"regcred"}]`, "--reuse-values"})
	if err != nil {
		t.Fatal(err)
	}
	in, err := f.resolve()
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(in.Values)
	want := "map[datastore:map[password:p@ss w0rd] image:map[tag:0.3.749] imagePullSecrets:[map[name:regcred]] lb:map[replicas:3]]"
	if got != want || !in.ReuseValues || !in.Wait {
		t.Errorf("values %s (reuse %t, wait %t), want %s with reuse and wait", got, in.ReuseValues, in.Wait, want)
	}
}
