package describe

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/cli/options"
	"github.com/navarkos/navarkos/internal/controller/placement"
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
	b := &n6sv1alpha1.Binding{}
	key := client.ObjectKey{Namespace: ns, Name: placement.BindingName(kind, name)}
	if err := c.Get(ctx, key, b); err != nil {
		if client.IgnoreNotFound(err) == nil {
			return fmt.Errorf("%s/%s in namespace %s is not placed: no Placement selects it", kind, name, ns)
		}
		return fmt.Errorf("failed to get Binding %s: %w", key, err)
	}
	_, err := io.WriteString(out, Describe(b))
	return err
}

// Describe writes a Binding for humans: the resource, its placement, the reason, and each cluster's state.
func Describe(b *n6sv1alpha1.Binding) string {
	var s strings.Builder
	r := b.Spec.Resource
	fmt.Fprintf(&s, "Resource:   %s %s/%s\n", r.Kind, r.Namespace, r.Name)
	fmt.Fprintf(&s, "Placement:  %s %s\n", b.Spec.Placement.Kind, b.Spec.Placement.Name)
	fmt.Fprintf(&s, "Why:        %s\n", b.Spec.Reason)
	if b.Spec.UnplacedReplicas > 0 {
		fmt.Fprintf(&s, "Unplaced:   %d replicas have no room\n", b.Spec.UnplacedReplicas)
	}
	state := map[string]n6sv1alpha1.ClusterResourceStatus{}
	for _, st := range b.Status.Clusters {
		state[st.Name] = st
	}
	s.WriteString("Clusters:\n")
	if len(b.Spec.Clusters) == 0 {
		s.WriteString("  none\n")
	}
	for _, tc := range b.Spec.Clusters {
		replicas := "all"
		if tc.Replicas != nil {
			replicas = fmt.Sprint(*tc.Replicas)
		}
		st, ok := state[tc.Name]
		switch {
		case !ok:
			fmt.Fprintf(&s, "  %s: %s replicas, not applied yet\n", tc.Name, replicas)
		case st.Message != "":
			fmt.Fprintf(&s, "  %s: %s replicas, %s (%d ready): %s\n", tc.Name, replicas, st.State, st.ReadyReplicas, st.Message)
		default:
			fmt.Fprintf(&s, "  %s: %s replicas, %s (%d ready)\n", tc.Name, replicas, st.State, st.ReadyReplicas)
		}
	}
	return s.String()
}
