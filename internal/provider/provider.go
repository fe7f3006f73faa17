package provider

import (
	"context"
	"errors"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// ErrNotSupported is returned by a provider for an operation it does not manage,
// such as scaling the nodes of a joined cluster.
var ErrNotSupported = errors.New("not supported by this provider")

// Request names one cluster and carries what a provider needs to act on it.
type Request struct {
	// Name is the Cluster's name, unique in the fleet.
	Name string
	// Pool is the spec of the cluster's pool; nil for a joined cluster without a pool.
	Pool *n6sv1alpha1.ClusterPoolSpec
	// Nodes is the desired node count.
	Nodes int32
	// Kubeconfig is the content of the Cluster's kubeconfig Secret, for joined clusters.
	Kubeconfig []byte
}

// State is what a provider observes of a cluster.
type State string

const (
	// StateAbsent: the provider holds nothing for the cluster.
	StateAbsent State = "Absent"
	// StateIncomplete: the leftovers of a creation that did not finish; Create replaces them.
	StateIncomplete State = "Incomplete"
	// StateStopped: the cluster exists with its data but does not run.
	StateStopped State = "Stopped"
	// StateDegraded: some of the cluster's processes or machines run, not all; resuming starts the others.
	StateDegraded State = "Degraded"
	// StateRunning: the cluster's processes or machines run.
	StateRunning State = "Running"
	// StateProvisioning: the provider is still making or waking the cluster, which cannot serve yet.
	// Providers whose operations finish in the background (Cluster API) report it.
	StateProvisioning State = "Provisioning"
	// StateDeleting: the provider is removing the cluster.
	StateDeleting State = "Deleting"
)

// Observation is what a provider observes of a cluster.
type Observation struct {
	State State
	// Waiting says, in StateProvisioning or StateDeleting, what the provider waits for.
	Waiting string
	// Workers counts the cluster's worker machines when the provider counts them itself;
	// nil means the Cluster Manager counts the member's nodes labelled as managed.
	Workers *Workers
	// Conditions are the provider's own view of the cluster, copied onto the Cluster with
	// their reasons.
	Conditions []metav1.Condition
}

// Workers counts a cluster's worker machines.
type Workers struct {
	// Current is how many exist; Ready how many of them serve.
	Current, Ready int32
}

// RefusedError says that the provider holds something for the cluster that Navarkos did not
// make, such as a foreign Cluster API Cluster of the same name. It is never adopted.
type RefusedError struct {
	// Reason is a CamelCase reason for the Cluster's conditions.
	Reason  string
	Message string
}

func (e *RefusedError) Error() string { return fmt.Sprintf("%s: %s", e.Reason, e.Message) }

// Provider runs the lifecycle of member clusters. Every method is idempotent:
// the Cluster Manager may call it again after a crash or a retry.
type Provider interface {
	// Observe reports the cluster's state at the provider. It changes nothing. The provider,
	// not the Cluster's status, is the truth about what exists: the status may be stale.
	Observe(ctx context.Context, req Request) (Observation, error)
	// Create makes and starts the cluster, or starts making it when the provider works in the
	// background (Observe then reports StateProvisioning). Leftovers of an earlier, unfinished
	// attempt are replaced.
	Create(ctx context.Context, req Request) error
	// Resume starts a stopped cluster with its data.
	Resume(ctx context.Context, req Request) error
	// Hibernate stops a cluster and keeps its data.
	Hibernate(ctx context.Context, req Request) error
	// Delete removes everything the provider made for the cluster, or starts removing it
	// (Observe then reports StateDeleting). Deleting an absent cluster succeeds.
	Delete(ctx context.Context, req Request) error
	// Kubeconfig returns an admin kubeconfig for the cluster, with every credential inlined.
	Kubeconfig(ctx context.Context, req Request) ([]byte, error)
	// ScaleNodes makes the running cluster have req.Nodes nodes of the pool's shape.
	ScaleNodes(ctx context.Context, req Request) error
}

// Registry maps provider names to providers.
type Registry map[n6sv1alpha1.ProviderName]Provider
