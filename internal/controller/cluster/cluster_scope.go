package cluster

import (
	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/provider"
)

// scope carries one reconcile's inputs and the facts its phases observed.
// setStatus turns the facts into status; the phases never write conditions themselves.
type scope struct {
	cluster      *n6sv1alpha1.Cluster
	pool         *n6sv1alpha1.ClusterPool
	providerName n6sv1alpha1.ProviderName
	provider     provider.Provider
	req          provider.Request

	// blocker stops the reconcile before any provider call: a missing pool, an
	// unsupported provider or a bad kubeconfig.
	blocker *blocker
	// state is what the provider last reported; observation the whole report.
	state       provider.State
	observation provider.Observation
	// progress names a long provider operation that is about to start.
	progress string
	// providerErr is the last failed provider operation.
	providerErr *opError
	// kubeconfigSecret names the Secret that holds the cluster's admin kubeconfig.
	kubeconfigSecret *n6sv1alpha1.SecretReference
	endpoint         string
	// member is the last health check's observation; memberErr its failure.
	member    *memberFacts
	memberErr error
	// desiredNodes is spec.nodes, or the pool's default.
	desiredNodes int32
	// nodesOutOfRange is set when spec.nodes is outside the pool's limits.
	nodesOutOfRange bool
	// scalingManaged is false for providers that do not manage nodes.
	scalingManaged bool
	// draining, when set, says which replicas keep the cluster up before it goes offline,
	// hibernates or is deleted.
	draining string
	// done is true when the Cluster reached its desired state.
	done bool
	// deleted is true once the finalizer is gone; there is no status left to write.
	deleted bool
}

// blocker is a reason the cluster cannot be worked on until its spec or surroundings change.
type blocker struct {
	reason  string
	message string
	// err, when set, is returned so the reconcile is retried with backoff.
	err error
}

// opError records which provider operation failed.
type opError struct {
	op  string
	err error
}

func newScope(c *n6sv1alpha1.Cluster) *scope {
	return &scope{cluster: c}
}

// provisioned is true while the provider holds the cluster and its data, running or not.
func (s *scope) provisioned() bool {
	return s.state == provider.StateRunning || s.state == provider.StateDegraded || s.state == provider.StateStopped
}
