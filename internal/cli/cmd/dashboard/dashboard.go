// Package dashboard implements `navarkos dashboard`, a web UI of the fleet on loopback.
package dashboard

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/navarkos/navarkos/internal/cli/options"
	"github.com/navarkos/navarkos/internal/dashboard"
	"github.com/navarkos/navarkos/internal/setup"
)

// NewCommand returns `navarkos dashboard`.
func NewCommand(g *options.Global) *cobra.Command {
	var addr string
	cmd := &cobra.Command{
		Use:   "dashboard",
		Short: "Serve a live web UI of the fleet on loopback, opened by a URL with a one-time token",
		Long: `Serve the fleet dashboard on a loopback address until Ctrl-C. It reads the fleet API with
your own kubeconfig, so it shows what your RBAC lets you see, and needs no credential of its
own. Open the URL it prints: its token admits your browser, which then keeps it in a cookie.
Everything it serves is in the binary; it works with no network.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.RESTConfig()
			if err != nil {
				return err
			}
			url, done, err := dashboard.Listen(cmd.Context(), cfg, setup.Scheme(), addr)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Dashboard: %s\nPress Ctrl-C to stop it.\n", url)
			return <-done
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:0", "loopback address to serve on (port 0: a free one)")
	return cmd
}
