package globalingress_test

import (
	"slices"
	"testing"

	mdns "github.com/miekg/dns"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/controller/globalingress"
	"github.com/navarkos/navarkos/internal/dns"
)

// answers are the A records the registry's zones give for host.
func answers(t *testing.T, reg *dns.Registry, host string) []string {
	t.Helper()
	var out []string
	for _, z := range reg.Zones() {
		if !z.Contains(host) {
			continue
		}
		for _, rr := range z.Answer(mdns.Question{Name: mdns.Fqdn(host), Qtype: mdns.TypeA, Qclass: mdns.ClassINET}, nil, "", 0).Answer {
			if a, ok := rr.(*mdns.A); ok {
				out = append(out, a.A.String())
			}
		}
	}
	slices.Sort(out)
	return out
}

// A replica that is not the leader answers from the status the leader wrote, and stops
// following once it is elected.
func TestFollowerAnswersFromStatus(t *testing.T) {
	ctx := t.Context()
	gi := &n6sv1alpha1.GlobalIngress{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "follow"},
		Spec: n6sv1alpha1.GlobalIngressSpec{
			Hosts:   []string{"follow.navarkos.local"},
			Backend: n6sv1alpha1.GlobalIngressBackend{ServiceName: "web"},
		},
	}
	if err := k8s.Create(ctx, gi); err != nil {
		t.Fatal(err)
	}
	gi.Status.Hosts = []n6sv1alpha1.HostStatus{{Host: "follow.navarkos.local", Targets: []n6sv1alpha1.TargetStatus{
		{Cluster: "a", Addresses: []string{"127.1.0.1"}, Healthy: true},
		{Cluster: "b", Addresses: []string{"127.1.0.2"}, Healthy: true},
		{Cluster: "c", Addresses: []string{"127.1.0.3"}, Healthy: false, Reason: "no ready endpoint"},
	}}}
	if err := k8s.Status().Update(ctx, gi); err != nil {
		t.Fatal(err)
	}
	elected := make(chan struct{})
	reg := &dns.Registry{Origins: []string{globalingress.DefaultZone}}
	f := &globalingress.Follower{Client: k8s, Registry: reg, Elected: elected}
	req := ctrl.Request{NamespacedName: client.ObjectKeyFromObject(gi)}
	if _, err := f.Reconcile(ctx, req); err != nil {
		t.Fatal(err)
	}
	if got, want := answers(t, reg, "follow.navarkos.local"), []string{"127.1.0.1", "127.1.0.2"}; !slices.Equal(got, want) {
		t.Fatalf("a follower answers %v, want the healthy targets of the status %v", got, want)
	}
	// Once elected, the leader's own observations own the registry.
	close(elected)
	if err := k8s.Delete(ctx, gi); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Reconcile(ctx, req); err != nil {
		t.Fatal(err)
	}
	if got := answers(t, reg, "follow.navarkos.local"); len(got) != 2 {
		t.Fatalf("an elected follower changed the registry: %v", got)
	}
	// A follower forgets a deleted GlobalIngress.
	f.Elected = make(chan struct{})
	if _, err := f.Reconcile(ctx, req); err != nil {
		t.Fatal(err)
	}
	if got := answers(t, reg, "follow.navarkos.local"); len(got) != 0 {
		t.Fatalf("a follower still answers %v for a deleted GlobalIngress", got)
	}
}
