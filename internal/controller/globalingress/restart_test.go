package globalingress_test

import (
	"context"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/controller/globalingress"
	"github.com/navarkos/navarkos/internal/dns"
	"github.com/navarkos/navarkos/internal/testenv"
)

// TestNoDanglingRecordsAcrossRestarts: a host removed, and a GlobalIngress deleted, while the
// controllers are down are removed from the external server by the next controllers, which
// know them from the GlobalIngress's status and finalizer, not from their own memory.
func TestNoDanglingRecordsAcrossRestarts(t *testing.T) {
	g := NewWithT(t)
	server := testenv.StartBIND(t, "example.test")
	// Each run is a new process as far as publishing goes: a new registry and publisher.
	run := func() (stop func()) {
		_, stop = startReconciler(t, func(r *globalingress.Reconciler) {
			r.Registry = &dns.Registry{Origins: []string{globalingress.DefaultZone}}
			r.RFC2136 = &dns.RFC2136{Server: server, Zones: []string{"example.test."}, KeyName: "navarkos", Secret: testenv.BINDKey}
		})
		return stop
	}
	marked := func(name string) bool {
		m := new(mdns.Msg)
		m.SetQuestion(name, mdns.TypeTXT)
		resp, _, err := (&mdns.Client{Timeout: 2 * time.Second}).Exchange(m, server)
		g.Expect(err).NotTo(HaveOccurred())
		for _, rr := range resp.Answer {
			if txt, ok := rr.(*mdns.TXT); ok && strings.Contains(strings.Join(txt.Txt, ""), "default/dangling") {
				return true
			}
		}
		return false
	}
	ctx := context.Background()
	gi := testGlobalIngress("dangling", func(s *n6sv1alpha1.GlobalIngressSpec) {
		s.Zone, s.Hosts = "example.test.", []string{"old.example.test"}
	})
	stop := run()
	g.Expect(k8s.Create(ctx, gi)).To(Succeed())
	g.Eventually(func() bool { return marked("old.example.test.") }, 30*time.Second, 100*time.Millisecond).Should(BeTrue(), "waiting for old.example.test at the primary")
	g.Eventually(func(g Gomega) {
		got := &n6sv1alpha1.GlobalIngress{}
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(gi), got)).To(Succeed())
		g.Expect(got.Finalizers).To(ContainElement(n6sv1alpha1.GlobalIngressFinalizer))
		g.Expect(got.Status.Hosts).NotTo(BeEmpty())
	}, 30*time.Second, 100*time.Millisecond).Should(Succeed(), "waiting for the finalizer and the status")
	stop()

	// Renamed while the controllers are down.
	got := &n6sv1alpha1.GlobalIngress{}
	g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(gi), got)).To(Succeed())
	got.Spec.Hosts = []string{"new.example.test"}
	g.Expect(k8s.Update(ctx, got)).To(Succeed())
	stop = run()
	g.Eventually(func() bool { return marked("new.example.test.") && !marked("old.example.test.") }, 30*time.Second, 100*time.Millisecond).
		Should(BeTrue(), "waiting for the renamed host at the primary and the old one gone")
	stop()

	// Deleted while the controllers are down: the finalizer keeps it until they are back.
	g.Expect(k8s.Delete(ctx, got)).To(Succeed())
	g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(gi), &n6sv1alpha1.GlobalIngress{})).To(Succeed(), "the finalizer holds the deleted GlobalIngress")
	stop = run()
	defer stop()
	g.Eventually(func() bool { return marked("new.example.test.") }, 30*time.Second, 100*time.Millisecond).Should(BeFalse(), "waiting for the deleted GlobalIngress's records to go")
	g.Eventually(func() error { return k8s.Get(ctx, client.ObjectKeyFromObject(gi), &n6sv1alpha1.GlobalIngress{}) }, 30*time.Second, 100*time.Millisecond).
		Should(MatchError(ContainSubstring("not found")), "waiting for the GlobalIngress to go once cleaned up")
}
