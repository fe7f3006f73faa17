package globalingress_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/controller/globalingress"
	"github.com/navarkos/navarkos/internal/dns"
	"github.com/navarkos/navarkos/internal/testenv"
)

// TestDNSEndpointsMatchTheExternalDNSSchema renders the DNSEndpoint of a host served by three
// clusters, one of them unhealthy, and has the API server check it against ExternalDNS's own
// CRD, rejecting unknown fields.
func TestDNSEndpointsMatchTheExternalDNSSchema(t *testing.T) {
	ctx := context.Background()
	if err := testenv.InstallExternalDNSCRD(ctx, k8s); err != nil {
		t.Fatal(err)
	}
	gi := testGlobalIngress("shop", nil)
	gi.Spec.TTL = 5
	targets := []dns.Target{
		{Cluster: "us", Addresses: []netip.Addr{netip.MustParseAddr("127.1.0.1")}, Healthy: true},
		{Cluster: "eu", Addresses: []netip.Addr{netip.MustParseAddr("127.1.0.2"), netip.MustParseAddr("::1")}, Healthy: true},
		{Cluster: "ap", Addresses: []netip.Addr{netip.MustParseAddr("127.1.0.3")}, Healthy: false},
	}
	ep := globalingress.DNSEndpoint(gi, "shop.navarkos.local", targets)
	if err := k8s.Create(ctx, ep, client.FieldValidation("Strict")); err != nil {
		t.Fatalf("the API server refused the DNSEndpoint: %v", err)
	}
	got := &unstructured.Unstructured{}
	got.SetGroupVersionKind(n6sv1alpha1.DNSEndpointGVK)
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(ep), got); err != nil {
		t.Fatal(err)
	}
	endpoints, _, _ := unstructured.NestedSlice(got.Object, "spec", "endpoints")
	var summary []string
	for _, e := range endpoints {
		m := e.(map[string]any)
		var ts []string
		for _, x := range m["targets"].([]any) {
			ts = append(ts, x.(string))
		}
		summary = append(summary, m["dnsName"].(string)+" "+m["recordType"].(string)+" "+strings.Join(ts, ","))
	}
	want := "shop.navarkos.local A 127.1.0.2,127.1.0.1|shop.navarkos.local AAAA ::1"
	if strings.Join(summary, "|") != want {
		t.Fatalf("endpoints %q, want %q (every healthy cluster merged, the unhealthy one left out)", summary, want)
	}

	// The check can fail: a field ExternalDNS does not know is refused.
	bad := globalingress.DNSEndpoint(gi, "bad.navarkos.local", targets)
	_ = unstructured.SetNestedField(bad.Object, "yes", "spec", "weighted")
	if err := k8s.Create(ctx, bad, client.FieldValidation("Strict")); err == nil || !strings.Contains(err.Error(), "weighted") {
		t.Fatalf("a DNSEndpoint with an unknown field: %v, want it refused", err)
	}
}

// TestStaleDNSEndpointsAreDeleted: a host removed from a GlobalIngress, or a zone no longer
// served, takes its DNSEndpoint with it; a DNSEndpoint the GlobalIngress does not control is
// left alone even when it carries the same label.
func TestStaleDNSEndpointsAreDeleted(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	g.Expect(testenv.InstallExternalDNSCRD(ctx, k8s)).To(Succeed())
	startReconciler(t, func(r *globalingress.Reconciler) {
		r.Registry = &dns.Registry{Origins: []string{globalingress.DefaultZone}}
		r.PublishDNSEndpoints = true
	})
	endpoints := func(g Gomega) []string {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(n6sv1alpha1.DNSEndpointGVK.GroupVersion().WithKind("DNSEndpointList"))
		g.Expect(k8s.List(ctx, list, client.InNamespace("default"), client.MatchingLabels{"n6s.io/globalingress": "stale"})).To(Succeed())
		var names []string
		for _, ep := range list.Items {
			if ep.GetDeletionTimestamp() == nil {
				names = append(names, ep.GetName())
			}
		}
		return names
	}
	foreign := globalingress.DNSEndpoint(testGlobalIngress("stale", nil), "hand-made.navarkos.local", nil)
	g.Expect(k8s.Create(ctx, foreign)).To(Succeed())

	gi := testGlobalIngress("stale", func(s *n6sv1alpha1.GlobalIngressSpec) {
		s.Hosts = []string{"kept.navarkos.local", "removed.navarkos.local"}
	})
	g.Expect(k8s.Create(ctx, gi)).To(Succeed())
	g.Eventually(endpoints, 30*time.Second, 100*time.Millisecond).Should(ConsistOf(
		"stale-kept.navarkos.local", "stale-removed.navarkos.local", "stale-hand-made.navarkos.local"), func() string {
		_ = k8s.Get(ctx, client.ObjectKeyFromObject(gi), gi)
		return fmt.Sprintf("waiting for a DNSEndpoint per host; status %+v", gi.Status)
	})

	// The controller writes the object too (finalizer, status): a merge patch carries no
	// resourceVersion, so it cannot lose a race with those writes.
	before := gi.DeepCopy()
	gi.Spec.Hosts = []string{"kept.navarkos.local"}
	g.Expect(k8s.Patch(ctx, gi, client.MergeFrom(before))).To(Succeed())
	g.Eventually(endpoints, 30*time.Second, 100*time.Millisecond).Should(ConsistOf(
		"stale-kept.navarkos.local", "stale-hand-made.navarkos.local"), "waiting for the removed host's DNSEndpoint to go")

	before = gi.DeepCopy()
	gi.Spec.Zone, gi.Spec.Hosts = "elsewhere.test.", []string{"kept.elsewhere.test"}
	g.Expect(k8s.Patch(ctx, gi, client.MergeFrom(before))).To(Succeed())
	g.Eventually(endpoints, 30*time.Second, 100*time.Millisecond).Should(ConsistOf("stale-hand-made.navarkos.local"),
		"waiting for every DNSEndpoint of a GlobalIngress whose zone is not served to go")
	g.Expect(k8s.Delete(ctx, gi)).To(Succeed())
	g.Expect(k8s.Delete(ctx, foreign)).To(Succeed())
}
