package e2e

import (
	"context"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/localfleet"
	"github.com/navarkos/navarkos/internal/testenv"
)

// The operator's zone of TestTheOperatorsZones, and one that BIND and ExternalDNS serve but
// the operator did not name to Navarkos.
const (
	operatorsZone = "shop.example.test."
	unlistedZone  = "example.org."
)

// TestTheOperatorsZones: `navarkos up --dns-zone` serves each zone it names from the embedded
// server and refuses the others. With --publish-dnsendpoints, the real ExternalDNS (crd
// source, rfc2136 provider, TXT registry, sync policy) takes a GlobalIngress of the operator's
// zone to a real BIND with one address per cluster, keeps the record BIND held before, and
// removes what it published when the GlobalIngress goes. A GlobalIngress in a zone that BIND
// and ExternalDNS serve but the operator did not name gets ZoneNotServed and reaches neither.
func TestTheOperatorsZones(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	dataDir, dnsAddr := t.TempDir(), freeAddr(t)
	startUp(t, dataDir, "--dns-addr", dnsAddr, "--dns-zone", operatorsZone, "--dns-zone", "navarkos.local.", "--publish-dnsendpoints")
	fl := localfleet.Fleet{DataDir: dataDir, BinDir: testenv.BinDir()}
	c := fleetClient(t, fl)
	expectZonesServed(t, dnsAddr)

	g.Expect(testenv.InstallExternalDNSCRD(ctx, c)).To(Succeed())
	bind := testenv.StartBIND(t, operatorsZone, unlistedZone)
	testenv.StartExternalDNS(t, fl.KubeconfigPath(), bind, operatorsZone, unlistedZone)
	for name, pool := range map[string]string{"eu": "local-eu-west", "us": "local-us-east"} {
		g.Expect(c.Create(ctx, &n6sv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: n6sv1alpha1.ClusterSpec{Pool: pool, Nodes: ptr.To[int32](1)}})).To(Succeed())
	}
	createServedApp(t, c)
	web := zoneIngress("web", "www."+operatorsZone, operatorsZone)
	elsewhere := zoneIngress("elsewhere", "www."+unlistedZone, unlistedZone)
	g.Expect(c.Create(ctx, web)).To(Succeed())
	g.Expect(c.Create(ctx, elsewhere)).To(Succeed())

	var addrs []string
	g.Eventually(func(g Gomega) {
		addrs = healthyAddresses(g, c, web)
		g.Expect(addrs).To(HaveLen(2), "one address per cluster")
	}, clusterTimeout, poll).Should(Succeed(), "waiting for both clusters' addresses in the status of GlobalIngress web")
	g.Eventually(func(g Gomega) {
		g.Expect(lookupName(g, bind, "tcp", "www."+operatorsZone, "")).To(ConsistOf(addrs))
	}, clusterTimeout, poll).Should(Succeed(), "waiting for ExternalDNS to write www.%s with %v to BIND", operatorsZone, addrs)
	g.Expect(lookupName(g, bind, "tcp", "foreign."+operatorsZone, "")).To(Equal([]string{"192.0.2.1"}),
		"the record BIND held before stays")

	refused := &n6sv1alpha1.GlobalIngress{}
	g.Expect(c.Get(ctx, client.ObjectKeyFromObject(elsewhere), refused)).To(Succeed())
	published := meta.FindStatusCondition(refused.Status.Conditions, n6sv1alpha1.GlobalIngressPublishedCondition)
	g.Expect(published).NotTo(BeNil(), "GlobalIngress elsewhere has a Published condition")
	g.Expect(published.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(published.Reason).To(Equal(n6sv1alpha1.GlobalIngressZoneNotServedReason))
	g.Expect(published.Message).To(ContainSubstring(operatorsZone), "the message lists the zones served")
	endpoints := &unstructured.UnstructuredList{}
	endpoints.SetGroupVersionKind(n6sv1alpha1.DNSEndpointGVK.GroupVersion().WithKind("DNSEndpointList"))
	g.Expect(c.List(ctx, endpoints, client.InNamespace("shop"))).To(Succeed())
	g.Expect(endpoints.Items).To(HaveLen(1), "a DNSEndpoint for web's host, none for elsewhere's")
	g.Expect(lookupName(g, bind, "tcp", "www."+unlistedZone, "")).To(BeEmpty(), "nothing of the unlisted zone reaches BIND")

	g.Expect(c.Delete(ctx, web)).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(lookupName(g, bind, "tcp", "www."+operatorsZone, "")).To(BeEmpty())
	}, clusterTimeout, poll).Should(Succeed(), "waiting for ExternalDNS to remove www.%s from BIND", operatorsZone)
	g.Expect(lookupName(g, bind, "tcp", "foreign."+operatorsZone, "")).To(Equal([]string{"192.0.2.1"}),
		"ExternalDNS removes what it wrote and nothing else")
}

// expectZonesServed: the embedded server at addr answers the SOA of each zone named to
// `navarkos up` with authority, and refuses a zone it was not named.
func expectZonesServed(t *testing.T, addr string) {
	t.Helper()
	soa := func(zone string) (int, bool, error) {
		m := new(mdns.Msg)
		m.SetQuestion(zone, mdns.TypeSOA)
		resp, _, err := (&mdns.Client{Net: "udp", Timeout: 2 * time.Second}).Exchange(m, addr)
		if err != nil {
			return 0, false, err
		}
		answered := len(resp.Answer) == 1 && resp.Answer[0].Header().Rrtype == mdns.TypeSOA && resp.Authoritative
		return resp.Rcode, answered, nil
	}
	g := NewWithT(t)
	for _, zone := range []string{operatorsZone, "navarkos.local."} {
		g.Eventually(func(g Gomega) {
			rcode, answered, err := soa(zone)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(rcode).To(Equal(mdns.RcodeSuccess))
			g.Expect(answered).To(BeTrue(), "an authoritative SOA answer")
		}, clusterTimeout, poll).Should(Succeed(), "waiting for the SOA of zone %s", zone)
	}
	rcode, _, err := soa(unlistedZone)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rcode).To(Equal(mdns.RcodeRefused), "a zone not named is refused")
}

// createServedApp makes Deployment web of namespace shop, with a LoadBalancer Service, and
// places both on every cluster.
func createServedApp(t *testing.T, c client.Client) {
	t.Helper()
	ctx := context.Background()
	for _, obj := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}},
		fleetDeployment("web", 1),
		&corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Selector: map[string]string{"app": "web"},
				Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}},
		},
		&n6sv1alpha1.Placement{
			ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"},
			Spec: n6sv1alpha1.PlacementSpec{ResourceSelectors: []n6sv1alpha1.ResourceSelector{
				{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
				{APIVersion: "v1", Kind: "Service", Name: "web"},
			}},
		},
	} {
		if err := c.Create(ctx, obj); err != nil {
			t.Fatalf("failed to create %T %s: %v", obj, obj.GetName(), err)
		}
	}
}

// zoneIngress is a GlobalIngress of namespace shop for Service web, publishing host in zone.
func zoneIngress(name, host, zone string) *n6sv1alpha1.GlobalIngress {
	return &n6sv1alpha1.GlobalIngress{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name},
		Spec: n6sv1alpha1.GlobalIngressSpec{
			Hosts: []string{host}, Zone: zone, Backend: n6sv1alpha1.GlobalIngressBackend{ServiceName: "web"}, TTL: 5,
			HealthCheck: n6sv1alpha1.HealthCheck{Interval: n6sv1alpha1.DurationOf(time.Second)},
		},
	}
}

// healthyAddresses are the healthy addresses in the status of gi's one host.
func healthyAddresses(g Gomega, c client.Client, gi *n6sv1alpha1.GlobalIngress) []string {
	got := &n6sv1alpha1.GlobalIngress{}
	g.Expect(c.Get(context.Background(), client.ObjectKeyFromObject(gi), got)).To(Succeed())
	g.Expect(got.Status.Hosts).To(HaveLen(1))
	var addrs []string
	for _, tgt := range got.Status.Hosts[0].Targets {
		g.Expect(tgt.Healthy).To(BeTrue(), "target %+v", tgt)
		addrs = append(addrs, tgt.Addresses...)
	}
	return addrs
}
