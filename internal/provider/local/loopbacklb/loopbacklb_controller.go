package loopbacklb

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/member"
)

// resync looks at a Ready local cluster again now and then. Its Services and Ingresses are
// watched, so this is a safety net.
const resync = 10 * time.Minute

// follower names this controller's watches of members.
const follower = "loopbacklb"

// Reconciler assigns loopback addresses in the Ready clusters of the local provider.
type Reconciler struct {
	// Client reads Clusters in the fleet API.
	Client client.Client
	// Members gives clients of the member clusters.
	Members *member.Clients

	alloc   Allocator
	changes *member.Changes
}

// SetupWithManager runs the reconciler on Clusters.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Client == nil || r.Members == nil {
		return errors.New("loopbacklb reconciler needs a Client and Members")
	}
	var err error
	if r.changes, err = member.NewChanges(mgr); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).For(&n6sv1alpha1.Cluster{}).WatchesRawSource(r.changes.Source()).Named("loopbacklb").Complete(r)
}

// Reconcile gives addresses to a local cluster's LoadBalancer Services and Ingresses that lack them.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	c := &n6sv1alpha1.Cluster{}
	if err := r.Client.Get(ctx, req.NamespacedName, c); err != nil {
		if client.IgnoreNotFound(err) == nil {
			r.alloc.ReleaseExcept(req.Name+"/", nil)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if c.Labels[n6sv1alpha1.ProviderLabel] != string(n6sv1alpha1.ProviderLocal) || !c.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	if !meta.IsStatusConditionTrue(c.Status.Conditions, n6sv1alpha1.ClusterReadyCondition) {
		return ctrl.Result{}, nil
	}
	mc, err := r.Members.ForCluster(ctx, c)
	if err != nil {
		return ctrl.Result{}, err
	}
	notify := func() { r.changes.Notify(c.Name) }
	services, err := mc.Follow(ctx, &corev1.Service{}, follower, notify)
	if err != nil {
		return ctrl.Result{}, err
	}
	ingresses, err := mc.Follow(ctx, &networkingv1.Ingress{}, follower, notify)
	if err != nil {
		return ctrl.Result{}, err
	}
	keep := map[string]bool{}
	if err := r.services(ctx, c.Name, services, mc, keep); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.ingresses(ctx, c.Name, ingresses, mc, keep); err != nil {
		return ctrl.Result{}, err
	}
	r.alloc.ReleaseExcept(c.Name+"/", keep)
	return ctrl.Result{RequeueAfter: resync}, nil
}

// services gives addresses to the LoadBalancer Services read from src, writing through mc.
func (r *Reconciler) services(ctx context.Context, cluster string, src client.Reader, mc client.Client, keep map[string]bool) error {
	list := &corev1.ServiceList{}
	if err := src.List(ctx, list); err != nil {
		return fmt.Errorf("failed to list the Services of cluster %s: %w", cluster, err)
	}
	for i := range list.Items {
		svc := &list.Items[i]
		if svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
			continue
		}
		owner := fmt.Sprintf("%s/Service/%s/%s", cluster, svc.Namespace, svc.Name)
		keep[owner] = true
		addr, ok := r.alloc.Assign(owner, current(svc.Status.LoadBalancer.Ingress))
		if !ok || current(svc.Status.LoadBalancer.Ingress) == addr {
			continue
		}
		patch := client.MergeFrom(svc.DeepCopy())
		vip := corev1.LoadBalancerIPModeVIP
		svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: addr.String(), IPMode: &vip}}
		if err := mc.Status().Patch(ctx, svc, patch); err != nil {
			return fmt.Errorf("failed to give Service %s/%s of cluster %s its address: %w", svc.Namespace, svc.Name, cluster, err)
		}
	}
	return nil
}

// ingresses gives addresses to the Ingresses read from src, writing through mc.
func (r *Reconciler) ingresses(ctx context.Context, cluster string, src client.Reader, mc client.Client, keep map[string]bool) error {
	list := &networkingv1.IngressList{}
	if err := src.List(ctx, list); err != nil {
		return fmt.Errorf("failed to list the Ingresses of cluster %s: %w", cluster, err)
	}
	for i := range list.Items {
		ing := &list.Items[i]
		owner := fmt.Sprintf("%s/Ingress/%s/%s", cluster, ing.Namespace, ing.Name)
		keep[owner] = true
		var have netip.Addr
		if len(ing.Status.LoadBalancer.Ingress) == 1 {
			have, _ = netip.ParseAddr(ing.Status.LoadBalancer.Ingress[0].IP)
		}
		addr, ok := r.alloc.Assign(owner, have)
		if !ok || have == addr {
			continue
		}
		patch := client.MergeFrom(ing.DeepCopy())
		ing.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: addr.String()}}
		if err := mc.Status().Patch(ctx, ing, patch); err != nil {
			return fmt.Errorf("failed to give Ingress %s/%s of cluster %s its address: %w", ing.Namespace, ing.Name, cluster, err)
		}
	}
	return nil
}

// current is the one address a status shows, or none.
func current(ingress []corev1.LoadBalancerIngress) netip.Addr {
	if len(ingress) != 1 {
		return netip.Addr{}
	}
	a, _ := netip.ParseAddr(ingress[0].IP)
	return a
}
