package globalingress

import (
	"context"
	"errors"
	"net/netip"

	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/dns"
)

// Follower keeps the DNS answers of a replica that is not the leader: it reads them from the
// status the leader writes on each GlobalIngress, so that every replica behind a DNS Service
// answers alike. Once the replica is elected, the Reconciler owns the registry and the
// Follower stands aside.
type Follower struct {
	Client   client.Client
	Registry *dns.Registry
	// Elected is closed when this replica becomes the leader.
	Elected <-chan struct{}
}

// SetupWithManager runs the follower on every replica, leader or not.
func (f *Follower) SetupWithManager(mgr ctrl.Manager) error {
	if f.Client == nil || f.Registry == nil || f.Elected == nil {
		return errors.New("globalingress follower needs a Client, a Registry and the Elected channel")
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&n6sv1alpha1.GlobalIngress{}).
		Named("globalingress-follower").
		WithOptions(controller.Options{NeedLeaderElection: ptr.To(false)}).
		Complete(f)
}

// Reconcile copies a GlobalIngress's published targets from its status into the registry.
func (f *Follower) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	select {
	case <-f.Elected:
		return ctrl.Result{}, nil
	default:
	}
	gi := &n6sv1alpha1.GlobalIngress{}
	if err := f.Client.Get(ctx, req.NamespacedName, gi); err != nil {
		if client.IgnoreNotFound(err) == nil {
			f.Registry.Remove(req.String())
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !gi.DeletionTimestamp.IsZero() {
		f.Registry.Remove(req.String())
		return ctrl.Result{}, nil
	}
	f.Registry.Set(req.String(), zoneOf(gi), hostsOf(gi, statusTargets(gi)))
	return ctrl.Result{}, nil
}

// statusTargets are the targets the leader last recorded; every host has the same ones.
func statusTargets(gi *n6sv1alpha1.GlobalIngress) []dns.Target {
	if len(gi.Status.Hosts) == 0 {
		return nil
	}
	var out []dns.Target
	for _, t := range gi.Status.Hosts[0].Targets {
		dt := dns.Target{Cluster: t.Cluster, Region: t.Region, Healthy: t.Healthy, Weight: int64(t.Weight)}
		for _, a := range t.Addresses {
			if addr, err := netip.ParseAddr(a); err == nil {
				dt.Addresses = append(dt.Addresses, addr)
			}
		}
		out = append(out, dt)
	}
	return out
}
