// Package cli assembles the navarkos command.
package cli

import (
	"github.com/spf13/cobra"

	"github.com/navarkos/navarkos/internal/cli/cmd/bootstrap"
	"github.com/navarkos/navarkos/internal/cli/cmd/controller"
	"github.com/navarkos/navarkos/internal/cli/cmd/dashboard"
	"github.com/navarkos/navarkos/internal/cli/cmd/describe"
	"github.com/navarkos/navarkos/internal/cli/cmd/dnsquery"
	"github.com/navarkos/navarkos/internal/cli/cmd/explain"
	"github.com/navarkos/navarkos/internal/cli/cmd/fn"
	"github.com/navarkos/navarkos/internal/cli/cmd/get"
	"github.com/navarkos/navarkos/internal/cli/cmd/kubeconfig"
	"github.com/navarkos/navarkos/internal/cli/cmd/pki"
	"github.com/navarkos/navarkos/internal/cli/cmd/plan"
	"github.com/navarkos/navarkos/internal/cli/cmd/simulate"
	"github.com/navarkos/navarkos/internal/cli/cmd/up"
	"github.com/navarkos/navarkos/internal/cli/cmd/version"
	"github.com/navarkos/navarkos/internal/cli/options"
)

// NewRootCommand returns the navarkos command with every subcommand.
func NewRootCommand() *cobra.Command {
	g := &options.Global{}
	root := &cobra.Command{
		Use:           "navarkos",
		Short:         "Navarkos: a multi-cluster manager that makes clusters when applications need them",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	g.AddFlags(root.PersistentFlags())
	root.AddCommand(
		up.NewCommand(g),
		controller.NewCommand(g),
		bootstrap.NewCommand(g),
		pki.NewCommand(),
		kubeconfig.NewCommand(g),
		get.NewCommand(g),
		describe.NewCommand(g),
		plan.NewCommand(g),
		explain.NewCommand(g),
		fn.NewCommand(g),
		dashboard.NewCommand(g),
		simulate.NewCommand(),
		dnsquery.NewCommand(),
		version.NewCommand(),
	)
	return root
}
