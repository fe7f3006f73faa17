package kubeconfig

import (
	"context"
	"io"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/navarkos/navarkos/internal/cli/options"
	"github.com/navarkos/navarkos/internal/member"
)

// NewCommand returns `navarkos kubeconfig`.
func NewCommand(g *options.Global) *cobra.Command {
	return &cobra.Command{
		Use:   "kubeconfig CLUSTER",
		Short: "Print the admin kubeconfig of a member cluster",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.Client()
			if err != nil {
				return err
			}
			return runE(cmd.Context(), cmd.OutOrStdout(), c, args[0])
		},
	}
}

func runE(ctx context.Context, out io.Writer, c client.Client, name string) error {
	data, err := member.Kubeconfig(ctx, c, name)
	if err != nil {
		return err
	}
	_, err = out.Write(data)
	return err
}
