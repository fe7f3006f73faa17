package kubeconfig

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/cli/options"
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
	data, err := Get(ctx, c, name)
	if err != nil {
		return err
	}
	_, err = out.Write(data)
	return err
}

// Get reads the kubeconfig of a member cluster from the Secret its status names.
func Get(ctx context.Context, c client.Client, name string) ([]byte, error) {
	cl := &n6sv1alpha1.Cluster{}
	if err := c.Get(ctx, client.ObjectKey{Name: name}, cl); err != nil {
		return nil, fmt.Errorf("failed to get Cluster %s: %w", name, err)
	}
	ref := cl.Status.KubeconfigSecretRef
	if ref == nil {
		return nil, fmt.Errorf("cluster %s has no kubeconfig yet (phase %q)", name, cl.Status.Phase)
	}
	secret := &corev1.Secret{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, secret); err != nil {
		return nil, fmt.Errorf("failed to get the kubeconfig Secret of Cluster %s: %w", name, err)
	}
	data, ok := secret.Data[ref.Key]
	if !ok {
		return nil, fmt.Errorf("kubeconfig Secret %s/%s of Cluster %s has no key %q", ref.Namespace, ref.Name, name, ref.Key)
	}
	return data, nil
}

// Of gives the kubeconfigs of the member clusters of a fleet, by cluster name.
func Of(fleet client.Client) func(ctx context.Context, cluster string) ([]byte, error) {
	return func(ctx context.Context, cluster string) ([]byte, error) { return Get(ctx, fleet, cluster) }
}
