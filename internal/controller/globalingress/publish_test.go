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
	"github.com/navarkos/navarkos/internal/testenv"
)

// TestRefusedUpdateIsACondition runs the controller against a real BIND that does not know
// its TSIG key: the GlobalIngress says Published=False with the server's refusal, and once
// the key is right, the retries publish it.
func TestRefusedUpdateIsACondition(t *testing.T) {
	g := NewWithT(t)
	server := testenv.StartBIND(t, "example.test")
	ctx := context.Background()
	r, _ := startReconciler(t, func(r *globalingress.Reconciler) {
		r.Registry = &dns.Registry{}
		r.RFC2136 = &dns.RFC2136{Server: server, Zones: []string{"example.test."}, KeyName: "navarkos", Secret: "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXkhIQ=="}
	})

	gi := testGlobalIngress("refused", func(s *n6sv1alpha1.GlobalIngressSpec) {
		s.Zone, s.Hosts = "example.test.", []string{"shop.example.test"}
	})
	g.Expect(k8s.Create(ctx, gi)).To(Succeed())
	g.Eventually(func(g Gomega) {
		got := &n6sv1alpha1.GlobalIngress{}
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(gi), got)).To(Succeed())
		c := meta.FindStatusCondition(got.Status.Conditions, n6sv1alpha1.GlobalIngressPublishedCondition)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(c.Reason).To(Equal(n6sv1alpha1.GlobalIngressPublisherFailedReason))
		g.Expect(c.Message).To(ContainSubstring(`refused TSIG key "navarkos"`))
	}, 30*time.Second, 100*time.Millisecond).Should(Succeed(), "waiting for Published=False with the refusal")

	r.RFC2136.SetKey("navarkos", testenv.BINDKey)
	g.Eventually(func(g Gomega) {
		got := &n6sv1alpha1.GlobalIngress{}
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(gi), got)).To(Succeed())
		g.Expect(meta.IsStatusConditionTrue(got.Status.Conditions, n6sv1alpha1.GlobalIngressPublishedCondition)).To(BeTrue(), "conditions %+v", got.Status.Conditions)
	}, time.Minute, 100*time.Millisecond).Should(Succeed(), "waiting for a retry with the right key to publish")
}
