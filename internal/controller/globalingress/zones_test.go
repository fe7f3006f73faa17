package globalingress_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/controller/globalingress"
	"github.com/navarkos/navarkos/internal/dns"
	"github.com/navarkos/navarkos/internal/setup"
	"github.com/navarkos/navarkos/internal/testenv"
)

// condition is the GlobalIngress's condition of typ, once it has one.
func condition(g Gomega, c client.Client, name, typ string) *metav1.Condition {
	gi := &n6sv1alpha1.GlobalIngress{}
	g.Expect(c.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: name}, gi)).To(Succeed())
	cond := meta.FindStatusCondition(gi.Status.Conditions, typ)
	g.Expect(cond).NotTo(BeNil(), "no %s condition yet: %+v", typ, gi.Status.Conditions)
	return cond
}

// TestOperatorZonesArePublished: a zone the operator lists (--dns-zone) is served and sent
// through the DNSEndpoint publisher like navarkos.local; a zone not listed gets ZoneNotServed,
// naming the zones that are served.
func TestOperatorZonesArePublished(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	g.Expect(testenv.InstallExternalDNSCRD(ctx, k8s)).To(Succeed())
	registry := &dns.Registry{Origins: []string{globalingress.DefaultZone, "shop.example.com."}}
	startReconciler(t, func(r *globalingress.Reconciler) { r.Registry, r.PublishDNSEndpoints = registry, true })

	shop := testGlobalIngress("zones-shop", func(s *n6sv1alpha1.GlobalIngressSpec) {
		s.Zone, s.Hosts = "shop.example.com.", []string{"app.shop.example.com"}
	})
	g.Expect(k8s.Create(ctx, shop)).To(Succeed())
	g.Eventually(func(g Gomega) {
		ep := &unstructured.Unstructured{}
		ep.SetGroupVersionKind(n6sv1alpha1.DNSEndpointGVK)
		g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: "default", Name: "zones-shop-app.shop.example.com"}, ep)).To(Succeed())
		var hosts []string
		for _, z := range registry.Zones() {
			for h := range z.Hosts {
				hosts = append(hosts, z.Origin+" "+h)
			}
		}
		g.Expect(hosts).To(ContainElement("shop.example.com. app.shop.example.com."))
	}, 30*time.Second, 100*time.Millisecond).Should(Succeed(), "waiting for app.shop.example.com as a DNSEndpoint and in the served zone")

	other := testGlobalIngress("zones-other", func(s *n6sv1alpha1.GlobalIngressSpec) {
		s.Zone, s.Hosts = "example.org.", []string{"www.example.org"}
	})
	g.Expect(k8s.Create(ctx, other)).To(Succeed())
	g.Eventually(func(g Gomega) {
		c := condition(g, k8s, "zones-other", n6sv1alpha1.GlobalIngressPublishedCondition)
		g.Expect(c.Reason).To(Equal(n6sv1alpha1.GlobalIngressZoneNotServedReason))
		g.Expect(c.Message).To(ContainSubstring("zone example.org. is not served here (served: navarkos.local., shop.example.com.)"))
	}, 30*time.Second, 100*time.Millisecond).Should(Succeed(), "waiting for ZoneNotServed")
}

// TestAMissingDNSEndpointCRDIsACondition: without ExternalDNS's CRD in the fleet API, a
// GlobalIngress in a served zone gets Published=False saying what to do, one in a zone not
// served gets ZoneNotServed (not an endless error), and both are reconciled.
func TestAMissingDNSEndpointCRDIsACondition(t *testing.T) {
	g := NewWithT(t)
	cfg, c := testenv.StartForTest(t, setup.Scheme(), setup.InstallCRDs)
	startReconcilerOn(t, cfg, func(r *globalingress.Reconciler) {
		r.Registry, r.PublishDNSEndpoints = &dns.Registry{Origins: []string{globalingress.DefaultZone}}, true
	})
	g.Expect(c.Create(context.Background(), testGlobalIngress("nocrd-served", nil))).To(Succeed())
	g.Expect(c.Create(context.Background(), testGlobalIngress("nocrd-other", func(s *n6sv1alpha1.GlobalIngressSpec) {
		s.Zone, s.Hosts = "example.org.", []string{"www.example.org"}
	}))).To(Succeed())
	g.Eventually(func(g Gomega) {
		served := condition(g, c, "nocrd-served", n6sv1alpha1.GlobalIngressPublishedCondition)
		g.Expect(served.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(served.Reason).To(Equal(n6sv1alpha1.GlobalIngressPublisherFailedReason))
		g.Expect(served.Message).To(ContainSubstring("the DNSEndpoint CRD of ExternalDNS is not installed in the fleet API: install it, or run the controllers without --publish-dnsendpoints"))
		g.Expect(condition(g, c, "nocrd-other", n6sv1alpha1.GlobalIngressPublishedCondition).Reason).To(Equal(n6sv1alpha1.GlobalIngressZoneNotServedReason))
	}, 30*time.Second, 100*time.Millisecond).Should(Succeed(), "waiting for both GlobalIngresses' Published conditions")
}

// TestNamespacesMayBeLimitedToZones: the operator's n6s.io/dns-zones annotation on a namespace
// limits its GlobalIngresses to the zones it lists, among those served: another served zone
// gets ZoneNotAllowed, and listing it later publishes it. A namespace without the annotation
// may use every served zone. The namespace's own admin, by ServiceAccount token, cannot
// change the annotation, and a garbled annotation allows nothing without stopping the others.
func TestNamespacesMayBeLimitedToZones(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	registry := &dns.Registry{Origins: []string{globalingress.DefaultZone, "a.example.com.", "b.example.com."}}
	startReconciler(t, func(r *globalingress.Reconciler) { r.Registry = registry })
	team := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "zones-team", Annotations: map[string]string{n6sv1alpha1.DNSZonesAnnotation: "a.example.com"}}}
	g.Expect(k8s.Create(ctx, team)).To(Succeed())
	inZone := func(name, ns, zone string) *n6sv1alpha1.GlobalIngress {
		gi := testGlobalIngress(name, func(s *n6sv1alpha1.GlobalIngressSpec) { s.Zone, s.Hosts = zone, []string{"www." + zone} })
		gi.Namespace = ns
		g.Expect(k8s.Create(ctx, gi)).To(Succeed())
		return gi
	}
	published := func(g Gomega, ns, name string) *metav1.Condition {
		gi := &n6sv1alpha1.GlobalIngress{}
		g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, gi)).To(Succeed())
		c := meta.FindStatusCondition(gi.Status.Conditions, n6sv1alpha1.GlobalIngressPublishedCondition)
		g.Expect(c).NotTo(BeNil())
		return c
	}
	inZone("allowed", "zones-team", "a.example.com.")
	inZone("elsewhere", "zones-team", "b.example.com.")
	inZone("anywhere", "default", "b.example.com.")
	g.Eventually(func(g Gomega) {
		c := published(g, "zones-team", "elsewhere")
		g.Expect(c.Reason).To(Equal(n6sv1alpha1.GlobalIngressZoneNotAllowedReason))
		g.Expect(c.Message).To(ContainSubstring("namespace zones-team may publish only in zones a.example.com. (annotation n6s.io/dns-zones on the namespace, set by the operator), not in b.example.com."))
		g.Expect(published(g, "zones-team", "allowed").Reason).NotTo(Equal(n6sv1alpha1.GlobalIngressZoneNotAllowedReason))
		g.Expect(published(g, "default", "anywhere").Reason).NotTo(Equal(n6sv1alpha1.GlobalIngressZoneNotAllowedReason))
	}, 30*time.Second, 100*time.Millisecond).Should(Succeed(), "waiting for ZoneNotAllowed in zones-team only")

	tenant, _, err := testenv.TenantClient(ctx, restConfig, client.Options{Scheme: setup.Scheme()}, "zones-team", "team", "admin")
	g.Expect(err).NotTo(HaveOccurred())
	grab := &corev1.Namespace{}
	g.Expect(k8s.Get(ctx, client.ObjectKey{Name: "zones-team"}, grab)).To(Succeed())
	before := grab.DeepCopy()
	grab.Annotations[n6sv1alpha1.DNSZonesAnnotation] = "a.example.com,b.example.com"
	g.Expect(apierrors.IsForbidden(tenant.Patch(ctx, grab, client.MergeFrom(before)))).To(BeTrue(), "the namespace's admin may not widen its zones")

	// An annotation that names no zone, or garbage, allows nothing, says so, and stops nothing.
	odd := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "zones-odd", Annotations: map[string]string{n6sv1alpha1.DNSZonesAnnotation: " ,not a zone!,*"}}}
	g.Expect(k8s.Create(ctx, odd)).To(Succeed())
	inZone("garbled", "zones-odd", "a.example.com.")
	g.Eventually(func(g Gomega) {
		c := published(g, "zones-odd", "garbled")
		g.Expect(c.Reason).To(Equal(n6sv1alpha1.GlobalIngressZoneNotAllowedReason))
		g.Expect(c.Message).To(ContainSubstring("not in a.example.com."))
	}, 30*time.Second, 100*time.Millisecond).Should(Succeed(), "waiting for a garbled annotation to allow nothing")

	g.Expect(k8s.Patch(ctx, grab, client.MergeFrom(before))).To(Succeed(), "the operator may")
	g.Eventually(func(g Gomega) {
		g.Expect(published(g, "zones-team", "elsewhere").Reason).NotTo(Equal(n6sv1alpha1.GlobalIngressZoneNotAllowedReason))
	}, 30*time.Second, 100*time.Millisecond).Should(Succeed(), "waiting for the newly listed zone to be published")
}
