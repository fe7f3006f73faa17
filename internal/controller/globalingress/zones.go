package globalingress

import (
	"context"
	"fmt"
	"slices"
	"strings"

	mdns "github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// zoneRefusal says why a GlobalIngress may not publish in its zone: the control plane does not
// serve it (ZoneNotServed), or its namespace's zones do not list it (ZoneNotAllowed); "" when
// it may.
func (r *Reconciler) zoneRefusal(ctx context.Context, gi *n6sv1alpha1.GlobalIngress) (reason, message string, err error) {
	zone := zoneOf(gi)
	if !r.servesZone(zone) {
		return n6sv1alpha1.GlobalIngressZoneNotServedReason,
			fmt.Sprintf("zone %s is not served here (served: %s); nothing is published", zone, strings.Join(r.servedZones(), ", ")), nil
	}
	ns := &corev1.Namespace{}
	if err := r.Client.Get(ctx, client.ObjectKey{Name: gi.Namespace}, ns); err != nil {
		return "", "", fmt.Errorf("failed to read namespace %s for its zones: %w", gi.Namespace, err)
	}
	allowed, listed := namespaceZones(ns)
	if !listed || slices.Contains(allowed, mdns.CanonicalName(zone)) {
		return "", "", nil
	}
	return n6sv1alpha1.GlobalIngressZoneNotAllowedReason,
		fmt.Sprintf("namespace %s may publish only in zones %s (annotation %s on the namespace, set by the operator), not in %s; nothing is published",
			gi.Namespace, strings.Join(allowed, ", "), n6sv1alpha1.DNSZonesAnnotation, zone), nil
}

// servedZones are the zones of the embedded server and of the RFC 2136 publisher, each once.
func (r *Reconciler) servedZones() []string {
	out := slices.Clone(r.Registry.Origins)
	if r.RFC2136 != nil {
		for _, z := range r.RFC2136.Zones {
			if !slices.Contains(out, mdns.CanonicalName(z)) {
				out = append(out, mdns.CanonicalName(z))
			}
		}
	}
	return out
}

// namespaceZones is the namespace's DNSZonesAnnotation, each zone canonical, and whether it
// has one; an annotation that lists nothing allows no zone.
func namespaceZones(ns *corev1.Namespace) ([]string, bool) {
	value, ok := ns.Annotations[n6sv1alpha1.DNSZonesAnnotation]
	if !ok {
		return nil, false
	}
	var zones []string
	for _, z := range strings.Split(value, ",") {
		if z = strings.TrimSpace(z); z != "" {
			zones = append(zones, strings.ToLower(mdns.CanonicalName(z)))
		}
	}
	return zones, true
}

// inNamespace maps a Namespace to its GlobalIngresses.
func (r *Reconciler) inNamespace(ctx context.Context, o client.Object) []reconcile.Request {
	return r.requests(ctx, client.InNamespace(o.GetName()))
}

// zonesChanged passes a Namespace's updates that change its DNSZonesAnnotation.
func zonesChanged() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
		UpdateFunc: func(e event.UpdateEvent) bool {
			return e.ObjectOld.GetAnnotations()[n6sv1alpha1.DNSZonesAnnotation] != e.ObjectNew.GetAnnotations()[n6sv1alpha1.DNSZonesAnnotation]
		},
	}
}
