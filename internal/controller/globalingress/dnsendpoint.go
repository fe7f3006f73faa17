package globalingress

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/dns"
)

// DNSEndpoint renders one host as an ExternalDNS DNSEndpoint, with every cluster's answered
// addresses merged into one A and one AAAA record set, so that ExternalDNS can publish the
// global name to any DNS provider.
func DNSEndpoint(gi *n6sv1alpha1.GlobalIngress, host string, targets []dns.Target) *unstructured.Unstructured {
	var v4, v6 []any
	for _, a := range dns.Select(targets, dns.Policy{Strategy: dns.RoundRobin}, nil, "", 0) {
		if a.Is4() {
			v4 = append(v4, a.String())
		} else {
			v6 = append(v6, a.String())
		}
	}
	name := strings.TrimSuffix(host, ".")
	endpoints := []any{} // an empty list, not null, when no cluster answers
	for _, set := range []struct {
		rtype   string
		targets []any
	}{{"A", v4}, {"AAAA", v6}} {
		if len(set.targets) > 0 {
			endpoints = append(endpoints, map[string]any{
				"dnsName": name, "recordType": set.rtype, "recordTTL": int64(gi.Spec.TTL), "targets": set.targets,
			})
		}
	}
	u := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"endpoints": endpoints}}}
	u.SetGroupVersionKind(n6sv1alpha1.DNSEndpointGVK)
	u.SetNamespace(gi.Namespace)
	u.SetName(endpointName(gi.Name, name))
	u.SetLabels(map[string]string{n6sv1alpha1.ManagedByLabel: n6sv1alpha1.ManagedByValue, globalIngressLabel: gi.Name})
	return u
}

// globalIngressLabel names the GlobalIngress a DNSEndpoint publishes.
const globalIngressLabel = "n6s.io/globalingress"

// endpointName is "<globalingress>-<host>", hashed down when that is too long for a name.
func endpointName(gi, host string) string {
	name := gi + "-" + host
	if len(name) <= 253 {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return name[:240] + "-" + hex.EncodeToString(sum[:6])
}

// publishEndpoints applies one DNSEndpoint per host, owned by the GlobalIngress so that they
// go with it, and deletes those of hosts it no longer holds (removed, renamed, lost to
// another GlobalIngress).
func (r *Reconciler) publishEndpoints(ctx context.Context, gi *n6sv1alpha1.GlobalIngress, targets []dns.Target) error {
	wanted := map[string]bool{}
	for _, h := range gi.Spec.Hosts {
		ep := DNSEndpoint(gi, h, targets)
		wanted[ep.GetName()] = true
		if err := controllerutil.SetControllerReference(gi, ep, r.Client.Scheme()); err != nil {
			return err
		}
		err := r.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(ep), client.FieldOwner("navarkos"), client.ForceOwnership)
		if meta.IsNoMatchError(err) {
			return errNoDNSEndpointCRD
		}
		if err != nil {
			return fmt.Errorf("failed to apply DNSEndpoint %s/%s: %w", ep.GetNamespace(), ep.GetName(), err)
		}
	}
	return r.pruneEndpoints(ctx, gi, wanted)
}

// errNoDNSEndpointCRD is the publisher's failure when ExternalDNS's CRD is missing, saying what to do.
var errNoDNSEndpointCRD = errors.New("the DNSEndpoint CRD of ExternalDNS is not installed in the fleet API: install it, or run the controllers without --publish-dnsendpoints")

// pruneEndpoints deletes the DNSEndpoints this GlobalIngress controls that are not wanted.
// Only those with its controller reference are touched, whatever their labels say.
func (r *Reconciler) pruneEndpoints(ctx context.Context, gi *n6sv1alpha1.GlobalIngress, wanted map[string]bool) error {
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(n6sv1alpha1.DNSEndpointGVK.GroupVersion().WithKind("DNSEndpointList"))
	err := r.Client.List(ctx, list, client.InNamespace(gi.Namespace), client.MatchingLabels{globalIngressLabel: gi.Name})
	if meta.IsNoMatchError(err) {
		return nil // without the CRD there is no DNSEndpoint to delete
	}
	if err != nil {
		return fmt.Errorf("failed to list the DNSEndpoints of GlobalIngress %s/%s: %w", gi.Namespace, gi.Name, err)
	}
	for i := range list.Items {
		ep := &list.Items[i]
		owner := metav1.GetControllerOf(ep)
		if wanted[ep.GetName()] || owner == nil || owner.UID != gi.UID {
			continue
		}
		if err := r.Client.Delete(ctx, ep, client.Preconditions{UID: ptr.To(ep.GetUID())}); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("failed to delete the stale DNSEndpoint %s/%s: %w", ep.GetNamespace(), ep.GetName(), err)
		}
	}
	return nil
}
