package member

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// Kubeconfig reads the admin kubeconfig of the named member cluster from the Secret its
// status names, through a reader of the fleet API.
func Kubeconfig(ctx context.Context, fleet client.Reader, cluster string) ([]byte, error) {
	c := &n6sv1alpha1.Cluster{}
	if err := fleet.Get(ctx, client.ObjectKey{Name: cluster}, c); err != nil {
		return nil, fmt.Errorf("failed to get Cluster %s: %w", cluster, err)
	}
	return KubeconfigOf(ctx, fleet, c)
}

// KubeconfigOf reads the admin kubeconfig of a Cluster the caller has read already. A
// Cluster without one yet gives ErrNoKubeconfig; a missing Secret, NotFound.
func KubeconfigOf(ctx context.Context, fleet client.Reader, c *n6sv1alpha1.Cluster) ([]byte, error) {
	ref := c.Status.KubeconfigSecretRef
	if ref == nil {
		return nil, fmt.Errorf("cluster %s (phase %q): %w", c.Name, c.Status.Phase, ErrNoKubeconfig)
	}
	secret := &corev1.Secret{}
	if err := fleet.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, secret); err != nil {
		return nil, fmt.Errorf("failed to get the kubeconfig Secret of Cluster %s: %w", c.Name, err)
	}
	data, ok := secret.Data[ref.Key]
	if !ok {
		return nil, fmt.Errorf("kubeconfig Secret %s/%s of Cluster %s has no key %q", ref.Namespace, ref.Name, c.Name, ref.Key)
	}
	return data, nil
}

// Kubeconfigs gives the kubeconfigs of the member clusters of a fleet, by cluster name.
func Kubeconfigs(fleet client.Reader) func(ctx context.Context, cluster string) ([]byte, error) {
	return func(ctx context.Context, cluster string) ([]byte, error) { return Kubeconfig(ctx, fleet, cluster) }
}
