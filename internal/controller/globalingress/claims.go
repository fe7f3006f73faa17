package globalingress

import (
	"context"
	"fmt"
	"slices"
	"strings"

	mdns "github.com/miekg/dns"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
)

// claimedElsewhere maps each host of the GlobalIngress that an earlier GlobalIngress claims
// to that one's namespace/name: first come, first served. Earlier means created first; a tie
// goes to the smaller namespace/name, the same on every replica.
func (r *Reconciler) claimedElsewhere(ctx context.Context, gi *n6sv1alpha1.GlobalIngress) (map[string]string, error) {
	list := &n6sv1alpha1.GlobalIngressList{}
	if err := r.Client.List(ctx, list); err != nil {
		return nil, fmt.Errorf("failed to list GlobalIngresses: %w", err)
	}
	mine := hostSet(gi)
	out := map[string]string{}
	for i := range list.Items {
		other := &list.Items[i]
		if other.UID == gi.UID || !other.DeletionTimestamp.IsZero() || !earlier(other, gi) {
			continue
		}
		for h := range hostSet(other) {
			if _, ok := mine[h]; ok {
				if _, seen := out[h]; !seen {
					out[h] = other.Namespace + "/" + other.Name
				}
			}
		}
	}
	return out, nil
}

// earlier reports whether a claimed its hosts before b.
func earlier(a, b *n6sv1alpha1.GlobalIngress) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	return a.Namespace+"/"+a.Name < b.Namespace+"/"+b.Name
}

// hostSet is the GlobalIngress's hosts, canonical.
func hostSet(gi *n6sv1alpha1.GlobalIngress) map[string]bool {
	out := map[string]bool{}
	for _, h := range gi.Spec.Hosts {
		out[mdns.CanonicalName(h)] = true
	}
	return out
}

// withoutHosts is a copy of the GlobalIngress that publishes only the hosts it holds: none
// that is reserved or taken (each a set of canonical names).
func withoutHosts(gi *n6sv1alpha1.GlobalIngress, reserved []string, taken map[string]string) *n6sv1alpha1.GlobalIngress {
	if len(taken) == 0 && len(reserved) == 0 {
		return gi
	}
	out := gi.DeepCopy()
	out.Spec.Hosts = slices.DeleteFunc(out.Spec.Hosts, func(h string) bool {
		_, t := taken[mdns.CanonicalName(h)]
		return t || slices.Contains(reserved, mdns.CanonicalName(h))
	})
	return out
}

// refusal is why some hosts of a GlobalIngress are not published: a condition reason and message.
type refusal struct{ reason, message string }

// withheldHosts says why hosts are withheld, reserved names first since no change of another
// GlobalIngress frees them; nil when every host is published.
func withheldHosts(reserved []string, taken map[string]string) *refusal {
	var parts []string
	for _, h := range reserved {
		parts = append(parts, fmt.Sprintf("%s is reserved: it is a served zone's apex or name server", h))
	}
	for h, owner := range taken {
		parts = append(parts, fmt.Sprintf("%s is claimed by GlobalIngress %s, which came first", h, owner))
	}
	if len(parts) == 0 {
		return nil
	}
	reason := n6sv1alpha1.GlobalIngressConflictReason
	if len(reserved) > 0 {
		reason = n6sv1alpha1.GlobalIngressReservedNameReason
	}
	slices.Sort(parts)
	return &refusal{reason: reason, message: strings.Join(parts, "; ") + "; the other hosts are published"}
}

// reservedHosts lists, canonical and sorted, the GlobalIngress's hosts that are a served
// zone's own: the apex or name server of a zone of the embedded server, or the apex of the
// RFC 2136 zone (whose name servers carry records Navarkos did not make, which it never
// touches).
func (r *Reconciler) reservedHosts(gi *n6sv1alpha1.GlobalIngress) []string {
	var out []string
	for h := range hostSet(gi) {
		if r.Registry.Reserved(h) || (r.RFC2136 != nil && r.RFC2136.Apex(h)) {
			out = append(out, h)
		}
	}
	slices.Sort(out)
	return out
}

// servesZone reports whether the embedded server (or the RFC 2136 publisher) serves the zone:
// a GlobalIngress may not make Navarkos authoritative for a zone of its own choosing.
func (r *Reconciler) servesZone(zone string) bool {
	zone = mdns.CanonicalName(zone)
	return slices.ContainsFunc(r.servedZones(), func(o string) bool { return mdns.CanonicalName(o) == zone })
}

// sharingHosts maps a GlobalIngress to the others that claim one of its hosts, so that a
// later claimant takes a host over when the first one lets it go.
func (r *Reconciler) sharingHosts(ctx context.Context, o client.Object) []reconcile.Request {
	gi, ok := o.(*n6sv1alpha1.GlobalIngress)
	if !ok {
		return nil
	}
	list := &n6sv1alpha1.GlobalIngressList{}
	if err := r.Client.List(ctx, list); err != nil {
		return nil
	}
	mine := hostSet(gi)
	var out []reconcile.Request
	for i := range list.Items {
		other := &list.Items[i]
		if other.UID == gi.UID {
			continue
		}
		for h := range hostSet(other) {
			if mine[h] {
				out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(other)})
				break
			}
		}
	}
	return out
}
