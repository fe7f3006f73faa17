package version

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/navarkos/navarkos/internal/localfleet"
)

// Version is stamped at build time with -ldflags "-X .../version.Version=...".
var Version = "dev"

// NewCommand returns `navarkos version`.
func NewCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the navarkos version and the Kubernetes version of local clusters",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			goVersion := "unknown"
			if info, ok := debug.ReadBuildInfo(); ok {
				goVersion = info.GoVersion
			}
			fmt.Fprintf(cmd.OutOrStdout(), "navarkos %s (go %s, local clusters run Kubernetes %s)\n", Version, goVersion, localfleet.KubeVersion)
		},
	}
}
