package static

import (
	"context"

	"github.com/navarkos/navarkos/internal/provider"
)

// Provider joins existing clusters. It never creates, stops or deletes them: the
// cluster belongs to whoever made it, and removing its Cluster only leaves the fleet.
type Provider struct{}

var _ provider.Provider = Provider{}

// Observe reports a joined cluster as running; the health check tells whether it answers.
func (Provider) Observe(context.Context, provider.Request) (provider.Observation, error) {
	return provider.Observation{State: provider.StateRunning}, nil
}

// Create joins the cluster, which needs nothing from the provider.
func (Provider) Create(context.Context, provider.Request) error { return nil }

// Resume is not supported: a joined cluster is started by its owner.
func (Provider) Resume(context.Context, provider.Request) error { return provider.ErrNotSupported }

// Hibernate is not supported: a joined cluster is stopped by its owner.
func (Provider) Hibernate(context.Context, provider.Request) error { return provider.ErrNotSupported }

// Delete leaves the fleet and keeps the cluster.
func (Provider) Delete(context.Context, provider.Request) error { return nil }

// Kubeconfig returns the kubeconfig from the Cluster's Secret.
func (Provider) Kubeconfig(_ context.Context, req provider.Request) ([]byte, error) {
	return req.Kubeconfig, nil
}

// ScaleNodes is not supported: a joined cluster's nodes are managed by its owner.
func (Provider) ScaleNodes(context.Context, provider.Request) error { return provider.ErrNotSupported }
