// Package bootstrap implements `navarkos bootstrap`.
package bootstrap

import (
	"context"
	"os"
	"time"

	"github.com/spf13/cobra"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/navarkos/navarkos/internal/cli/options"
	"github.com/navarkos/navarkos/internal/setup"
)

// NewCommand returns `navarkos bootstrap`.
func NewCommand(g *options.Global) *cobra.Command {
	var every time.Duration
	cmd := &cobra.Command{
		Use:   "bootstrap",
		Short: "Install the CRDs, the admission policy and the fleet RBAC in a fleet API, as its administrator",
		Long: "Install what the controllers need in a fleet API and may not install themselves: the CRDs, the\n" +
			"ResourceBinding admission policy and the RBAC of the controllers and administrators. It waits for the API;\n" +
			"with --every it applies them again at that interval until stopped, repairing changes.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr)))
			c, err := g.Client()
			if err != nil {
				return err
			}
			return run(cmd.Context(), c, every)
		},
	}
	cmd.Flags().DurationVar(&every, "every", 0, "apply again at this interval until stopped (0: once)")
	return cmd
}

func run(ctx context.Context, c client.Client, every time.Duration) error {
	log := ctrl.Log.WithName("bootstrap")
	for {
		err := setup.RetryWhile(ctx, log, "Waiting for the fleet API", setup.Unreachable, func() error {
			if err := setup.InstallCRDs(ctx, c); err != nil {
				return err
			}
			return setup.InstallFleetRBAC(ctx, c)
		})
		if err != nil || every <= 0 {
			return err
		}
		log.Info("Installed the CRDs, the admission policy and the fleet RBAC")
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(every):
		}
	}
}
