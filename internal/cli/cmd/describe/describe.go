package describe

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/navarkos/navarkos/internal/cli/options"
	"github.com/navarkos/navarkos/internal/report"
)

type flagpole struct {
	namespace string
}

// NewCommand returns `navarkos describe`.
func NewCommand(g *options.Global) *cobra.Command {
	f := &flagpole{}
	cmd := &cobra.Command{
		Use:     "describe KIND/NAME",
		Short:   "Show where a fleet resource runs and why",
		Example: "  navarkos describe deployment/web -n shop",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, name, ok := strings.Cut(args[0], "/")
			if !ok || kind == "" || name == "" {
				return fmt.Errorf("want KIND/NAME, e.g. deployment/web; got %q", args[0])
			}
			c, err := g.Client()
			if err != nil {
				return err
			}
			return runE(cmd.Context(), cmd.OutOrStdout(), c, f.namespace, kind, name)
		},
	}
	cmd.Flags().StringVarP(&f.namespace, "namespace", "n", "default", "namespace of the resource")
	return cmd
}

func runE(ctx context.Context, out io.Writer, c client.Client, ns, kind, name string) error {
	b, err := report.GetBinding(ctx, c, kind, ns, name)
	if err != nil {
		return err
	}
	_, err = io.WriteString(out, report.Binding(b))
	return err
}
