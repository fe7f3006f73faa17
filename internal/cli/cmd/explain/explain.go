package explain

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/navarkos/navarkos/internal/cli/options"
	"github.com/navarkos/navarkos/internal/report"
)

// NewCommand returns `navarkos explain`.
func NewCommand(g *options.Global) *cobra.Command {
	var kind string
	var flags options.Planner
	cmd := &cobra.Command{
		Use:     "explain NAMESPACE/WORKLOAD",
		Short:   "Say why a workload runs where it does, and what the planner would change for it",
		Example: "  navarkos explain shop/web\n  navarkos explain shop/db --kind StatefulSet",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ns, name, ok := strings.Cut(args[0], "/")
			if !ok || ns == "" || name == "" {
				return fmt.Errorf("want NAMESPACE/WORKLOAD, e.g. shop/web; got %q", args[0])
			}
			opts, err := flags.Options()
			if err != nil {
				return err
			}
			c, err := g.Client()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			f, isFile := out.(*os.File)
			color := isFile && term.IsTerminal(int(f.Fd()))
			return report.Explain(cmd.Context(), out, c, kind, ns, name, time.Now(), opts.Config, color)
		},
	}
	cmd.Flags().StringVar(&kind, "kind", "Deployment", "kind of the workload")
	flags.AddConfigFlags(cmd.Flags())
	return cmd
}
