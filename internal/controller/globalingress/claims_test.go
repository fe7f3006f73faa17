package globalingress_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/controller/globalingress"
	"github.com/navarkos/navarkos/internal/dns"
)

// TestHostsAreFirstComeFirstServed: a second GlobalIngress claiming a host another one holds
// gets a Conflict condition and publishes only its other hosts; when the first one goes, the
// second takes the host over. A zone's apex and name server are reserved. A zone the server
// does not serve publishes nothing.
func TestHostsAreFirstComeFirstServed(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	registry := &dns.Registry{Origins: []string{globalingress.DefaultZone}}
	startReconciler(t, func(r *globalingress.Reconciler) { r.Registry = registry })

	ready := func(g Gomega, name string) *metav1.Condition {
		gi := &n6sv1alpha1.GlobalIngress{}
		g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: "default", Name: name}, gi)).To(Succeed())
		c := meta.FindStatusCondition(gi.Status.Conditions, n6sv1alpha1.GlobalIngressReadyCondition)
		g.Expect(c).NotTo(BeNil())
		return c
	}
	published := func() map[string]bool {
		out := map[string]bool{}
		for _, z := range registry.Zones() {
			for h := range z.Hosts {
				out[h] = true
			}
		}
		return out
	}

	first := testGlobalIngress("claims-first", func(s *n6sv1alpha1.GlobalIngressSpec) { s.Hosts = []string{"claimed.navarkos.local"} })
	g.Expect(k8s.Create(ctx, first)).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(ready(g, "claims-first").Reason).NotTo(Equal(n6sv1alpha1.GlobalIngressConflictReason))
	}, 30*time.Second, 100*time.Millisecond).
		Should(Succeed(), "waiting for the first GlobalIngress")
	second := testGlobalIngress("claims-second", func(s *n6sv1alpha1.GlobalIngressSpec) {
		s.Hosts = []string{"claimed.navarkos.local", "own.navarkos.local"}
	})
	g.Expect(k8s.Create(ctx, second)).To(Succeed())
	g.Eventually(func(g Gomega) {
		c := ready(g, "claims-second")
		g.Expect(c.Reason).To(Equal(n6sv1alpha1.GlobalIngressConflictReason))
		g.Expect(c.Message).To(ContainSubstring("claimed.navarkos.local. is claimed by GlobalIngress default/claims-first"))
		g.Expect(published()).To(HaveKey("own.navarkos.local."), "the second's other host is published")
	}, 30*time.Second, 100*time.Millisecond).Should(Succeed(), "waiting for the second GlobalIngress to be in Conflict")
	g.Expect(ready(g, "claims-first").Reason).NotTo(Equal(n6sv1alpha1.GlobalIngressConflictReason), "the first keeps its host")

	g.Expect(k8s.Delete(ctx, first)).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(ready(g, "claims-second").Reason).NotTo(Equal(n6sv1alpha1.GlobalIngressConflictReason))
		g.Expect(published()).To(HaveKey("claimed.navarkos.local."))
	}, 30*time.Second, 100*time.Millisecond).Should(Succeed(), "waiting for the second GlobalIngress to take the host over")

	// The zone's apex and name server are the operator's: withheld, with the reason, while the
	// GlobalIngress's other host is published.
	grab := testGlobalIngress("claims-reserved", func(s *n6sv1alpha1.GlobalIngressSpec) {
		s.Hosts = []string{"ns1.navarkos.local", "navarkos.local", "mine.navarkos.local"}
	})
	g.Expect(k8s.Create(ctx, grab)).To(Succeed())
	g.Eventually(func(g Gomega) {
		c := ready(g, "claims-reserved")
		g.Expect(c.Reason).To(Equal(n6sv1alpha1.GlobalIngressReservedNameReason))
		g.Expect(c.Message).To(ContainSubstring("ns1.navarkos.local. is reserved"))
		g.Expect(c.Message).To(ContainSubstring("navarkos.local. is reserved"))
		g.Expect(published()).To(HaveKey("mine.navarkos.local."), "the other host is published")
	}, 30*time.Second, 100*time.Millisecond).Should(Succeed(), "waiting for ReservedName")
	g.Expect(published()).NotTo(HaveKey("ns1.navarkos.local."))
	g.Expect(published()).NotTo(HaveKey("navarkos.local."))

	foreign := testGlobalIngress("claims-zone", func(s *n6sv1alpha1.GlobalIngressSpec) {
		s.Zone, s.Hosts = "example.com.", []string{"www.example.com"}
	})
	g.Expect(k8s.Create(ctx, foreign)).To(Succeed())
	g.Eventually(func(g Gomega) {
		c := ready(g, "claims-zone")
		g.Expect(c.Reason).To(Equal(n6sv1alpha1.GlobalIngressZoneNotServedReason))
		g.Expect(c.Message).To(ContainSubstring("zone example.com. is not served here"))
	}, 30*time.Second, 100*time.Millisecond).Should(Succeed(), "waiting for ZoneNotServed")
	for _, z := range registry.Zones() {
		g.Expect(z.Origin).NotTo(Equal("example.com."), "no zone is served for a GlobalIngress that names it")
	}
}
